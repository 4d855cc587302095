"""``twinviewer explain``: explain one predicted metric of a preset twin from the terminal."""

from __future__ import annotations

import argparse
import json
import sys

from twinviewer import RESEARCH_USE
from twinviewer.physiology import Cancelled, ModelError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``twinviewer explain`` (for the lead's CLI wiring)."""
    parser.add_argument("--preset", default="healthy", help="virtual patient (preset name)")
    parser.add_argument("--metric", default="MAP", help="metric to explain, e.g. MAP, LVEF")
    parser.add_argument("--sobol", type=int, default=0, metavar="N",
                        help="also compute Sobol indices with N base samples "
                             "(N·(d+2) runs; with --surrogate: N training runs)")
    parser.add_argument("--surrogate", action="store_true",
                        help="Sobol indices from a polynomial chaos surrogate")
    parser.add_argument("--n", type=int, default=200, help="ensemble members (default 200)")
    parser.add_argument("--parameters", type=int, default=10,
                        help="parameters kept by the screening (default 10)")
    parser.add_argument("--distributed", action="store_true",
                        help="run the Sobol sampling on Dask (a local cluster, one worker "
                             "per core, or --scheduler); for N up to 10,000 and more")
    parser.add_argument("--scheduler", default=None, metavar="tcp://HOST:8786",
                        help="with --distributed: an existing Dask scheduler (its workers "
                             "need twinviewer installed)")
    parser.add_argument("--workers", type=int, default=None,
                        help="with --distributed: local worker processes (default: cores)")
    parser.add_argument("--ci-threshold", type=float, default=None, metavar="W",
                        help="converged when every index's 95 %% CI half-width is ≤ W "
                             "(default 0.01 with --distributed, else 0.05)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def _sobol(args, twin, metric: str, names, n: int, method: str, threshold: float, progress,
           distributed: bool):
    """Sobol indices of ``metric`` (same ranges and warm start as
    :func:`twinviewer.explain.report.explain_sobol`) with a chosen CI threshold, the
    sampling on Dask if ``distributed``."""
    from twinviewer.explain.sobol import model_sobol
    from twinviewer.twins import model_of, simulate_twin

    model = model_of(twin)
    point = simulate_twin(twin, ensemble=False)
    ens = twin.ensemble if twin.ensemble_kind == "posterior" else None
    common = {"n": n, "method": method, "ensemble": ens, "warm_start": point.final_state[0],
              "ci_threshold": threshold}
    if not distributed:
        return model_sobol(model, twin.params, list(names), [metric], progress=progress,
                           **common)
    # The Dask glue lives in twinviewer.cohort (a layer above): the `twinviewer` command hands
    # it over as ``args.distributed_mapper``, a context manager yielding a mapper.
    with args.distributed_mapper(getattr(args, "scheduler", None),
                                 workers=getattr(args, "workers", None),
                                 progress=not args.json) as mapper:
        return model_sobol(model, twin.params, list(names), [metric], mapper=mapper, **common)


def converged_share(res) -> float:
    """Share of the indices (S1 and ST of every parameter and output) whose 95 % CI
    half-width is within the run's threshold."""
    import numpy as np

    thr = res.extra.get("ci_threshold", 0.05)
    conf = np.concatenate([np.r_[i.S1_conf, i.ST_conf] for i in res.indices.values()])
    return float(np.mean(np.nan_to_num(conf, nan=np.inf) <= thr))


def run_explain(args: argparse.Namespace) -> int:
    """Run ``twinviewer explain``; returns the process exit code (0 ok, 2 bad input)."""
    from twinviewer.explain.report import explain, explain_sobol
    from twinviewer.twins import twin_from_preset

    preset = getattr(args, "preset", "healthy")
    metric = getattr(args, "metric", "MAP")
    n_sobol = int(getattr(args, "sobol", 0) or 0)
    as_json = bool(getattr(args, "json", False))
    method = "pce" if getattr(args, "surrogate", False) else "saltelli"
    try:
        n = int(getattr(args, "n", 200))
        if n < 2:
            raise ValueError(f"--n must be at least 2 ensemble members, got {n}")
        if n_sobol < 0:
            raise ValueError(f"--sobol must be a positive number of samples, got {n_sobol}")
        twin = twin_from_preset(preset, n=n)
        ex = explain(twin, metric, max_parameters=int(getattr(args, "parameters", 10)),
                     explainers=getattr(args, "explainers", None))
        if n_sobol:
            def progress(frac: float, text: str) -> None:
                if not as_json:
                    print(f"\r{text} ({100 * frac:.0f} %)", end="", file=sys.stderr, flush=True)

            distributed = bool(getattr(args, "distributed", False))
            threshold = getattr(args, "ci_threshold", None)
            if threshold is not None and not 0 < threshold < 1:
                raise ValueError(f"--ci-threshold must be between 0 and 1, got {threshold}")
            if distributed and method != "saltelli":
                raise ValueError("--distributed runs direct Saltelli sampling; drop --surrogate")
            if distributed or threshold is not None:
                threshold = threshold if threshold is not None else 0.01
                res = _sobol(args, twin, metric, ex.screened, n_sobol, method, threshold,
                             progress, distributed)
            else:  # the explain package's own path, unchanged
                from twinviewer.explain.sobol import CI_THRESHOLD

                threshold = CI_THRESHOLD
                res = explain_sobol(twin, metric, ex.screened, n=n_sobol, method=method,
                                    progress=progress)
            res.extra["ci_threshold"] = threshold
            res.extra["converged_share"] = converged_share(res)
            if not as_json:
                print(file=sys.stderr)
            ex = ex.with_sobol(res)
    except (ModelError, ValueError) as exc:
        print(f"twinviewer explain: error: {exc}", file=sys.stderr)
        return 2
    except (Cancelled, KeyboardInterrupt):
        print("twinviewer explain: cancelled", file=sys.stderr)
        return 130
    verdict = None
    if n_sobol:
        verdict = {"ci_threshold": res.extra["ci_threshold"],
                   "converged_share": res.extra["converged_share"],
                   "distributed": bool(getattr(args, "distributed", False)),
                   "seconds": res.elapsed}
    if as_json:
        out = ex.to_dict()
        out["research_use"] = RESEARCH_USE
        out["sobol_convergence"] = verdict
        print(json.dumps(out, indent=1, default=_jsonable))
    else:
        print(RESEARCH_USE)
        print(ex.to_text())
        if verdict:
            print(f"Sobol indices converged (95 % CI half-width ≤ {verdict['ci_threshold']}): "
                  f"{100 * verdict['converged_share']:.0f} % of S1 and ST; sampling "
                  f"{verdict['seconds']:.1f} s")
    return 0


def _jsonable(x):
    import numpy as np

    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    return str(x)


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - thin entry point
    parser = argparse.ArgumentParser(prog="twinviewer explain")
    add_arguments(parser)
    return run_explain(parser.parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
