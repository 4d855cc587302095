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
    parser.add_argument("--json", action="store_true", help="print JSON")


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
        ex = explain(twin, metric, max_parameters=int(getattr(args, "parameters", 10)))
        if n_sobol:
            def progress(frac: float, text: str) -> None:
                if not as_json:
                    print(f"\r{text} ({100 * frac:.0f} %)", end="", file=sys.stderr, flush=True)

            res = explain_sobol(twin, metric, ex.screened, n=n_sobol, method=method,
                                progress=progress)
            if not as_json:
                print(file=sys.stderr)
            ex = ex.with_sobol(res)
    except (ModelError, ValueError) as exc:
        print(f"twinviewer explain: error: {exc}", file=sys.stderr)
        return 2
    except (Cancelled, KeyboardInterrupt):
        print("twinviewer explain: cancelled", file=sys.stderr)
        return 130
    if as_json:
        out = ex.to_dict()
        out["research_use"] = RESEARCH_USE
        print(json.dumps(out, indent=1, default=_jsonable))
    else:
        print(RESEARCH_USE)
        print(ex.to_text())
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
