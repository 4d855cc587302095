"""Background jobs for the GUI: a cohort run from a spec file and a large Sobol study on Dask.

Both are plain functions ``job(..., progress, is_cancelled)`` (no Qt) that the GUI's job bar
runs on a worker thread (``TwinState.run_job``); the GUI receives them injected from the
``twinviewer`` command (:func:`twinviewer.cli` hands over this module lazily), so nothing of
Dask is imported when the GUI starts. Both resume: a cohort from its persisted chunks, a
Sobol study from its persisted blocks (see :func:`twinviewer.cohort.cluster.sobol_mapper`).
Their outcomes are JSON-able dicts the document keeps (a cohort's beside its Parquet table;
a Sobol study of the open twin in the twin's audit trail, so it is saved in the ``.twin``).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import twinviewer

Progress = Callable[[float, str], None]
IsCancelled = Callable[[], bool]

#: The convergence verdict at scale: every index's 95 % CI half-width ≤ this.
SCALE_CI_THRESHOLD = 0.01


def _finite(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _clean(x: Any) -> Any:
    """JSON-safe: non-finite floats become None (also inside dicts and lists)."""
    if isinstance(x, float | np.floating):
        return _finite(x)
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    return x


def cohort_summary(table, metrics: list[str], units: dict[str, str], level: float
                   ) -> list[dict[str, Any]]:
    """One row per scenario × metric: the patients' median paired difference, its spread
    over patients (``level`` range), the median share of improved members and the share of
    patients improved in at least half of their plausible twins.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"scenario": ["s", "s"], "patient": [0, 1],
    ...     "CO:diff_median": [0.5, 1.5], "CO:improved": [0.8, 0.2]})
    >>> cohort_summary(t, ["CO"], {"CO:diff_median": "L/min"}, 0.9)[0]["diff_median"]
    1.0
    """
    from twinviewer.cohort.work import has_direction

    rows = []
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    for sc, sub in table.groupby("scenario", sort=False):
        for m in metrics:
            d = sub[f"{m}:diff_median"].astype(float)
            row = {"scenario": str(sc), "metric": m, "patients": int(sub["patient"].nunique()),
                   "unit": units.get(f"{m}:diff_median", ""),
                   "diff_median": _finite(d.median()), "diff_lo": _finite(d.quantile(lo_q)),
                   "diff_hi": _finite(d.quantile(hi_q)), "improved_median": None,
                   "patients_improving": None}
            if has_direction(m) and f"{m}:improved" in sub:
                imp = sub[f"{m}:improved"].astype(float)
                row["improved_median"] = _finite(imp.median())
                row["patients_improving"] = _finite((imp >= 0.5).mean())
            rows.append(row)
    return rows


def run_cohort_job(spec_path: Path | str, output: Path | str, progress: Progress,
                   is_cancelled: IsCancelled, *, scheduler: str | None = None,
                   workers: int | None = None, processes: bool = True,
                   in_process: bool = False) -> dict[str, Any]:
    """Run a cohort spec to ``output`` (Parquet) and draw its plots (PNG) beside it.

    A cancelled run raises :class:`twinviewer.physiology.Cancelled` and keeps its persisted
    chunks: the same call resumes.

    Returns
    -------
    dict
        ``spec``, ``output``, ``plots`` (PNG files), ``responders`` (file), ``summary``
        (see :func:`cohort_summary`), ``rows``, ``patients``, ``chunks``, ``chunks_reused``,
        ``workers``, ``elapsed_s``, ``level``, ``notice``.

    Examples
    --------
    >>> run_cohort_job("study.yaml", "out.parquet", lambda f, t: None,
    ...                lambda: False)  # doctest: +SKIP
    """
    from twinviewer.cohort.plots import write_report
    from twinviewer.cohort.responders import responder_summary
    from twinviewer.cohort.runner import read_results, run_cohort
    from twinviewer.cohort.spec import load_spec

    spec = load_spec(spec_path)
    output = Path(output)
    progress(0.0, "starting the Dask cluster" if not in_process else "starting")
    run = run_cohort(spec, output, scheduler=scheduler, workers=workers,
                     processes=processes, in_process=in_process, cancel=is_cancelled,
                     on_chunk=lambda done, total: progress(
                         done / total, f"{done} of {total} chunks of patients × members"))
    progress(1.0, "responders and plots")
    table, meta = read_results(output)
    metrics = list(spec.metrics)
    associations = responder_summary(table, metrics, level=spec.level)
    side = output.with_suffix(".responders.json")
    side.write_text(json.dumps(_clean({"notice": twinviewer.RESEARCH_USE,
                                       "associations": [a.to_dict() for a in associations]}),
                               indent=1, ensure_ascii=False))
    plots = write_report(table, meta, associations, output.with_suffix(".png"))
    return {
        "notice": twinviewer.RESEARCH_USE, "spec": str(Path(spec_path)), "output": str(output),
        "plots": [str(p) for p in plots], "responders": str(side),
        "responder_lines": [a.text() for a in associations[:6]],
        "summary": cohort_summary(table, metrics, run.units, spec.level),
        "rows": int(len(table)), "patients": int(table["patient"].nunique()),
        "members": int(spec.members), "metrics": metrics, "level": float(spec.level),
        "chunks": run.chunks_total, "chunks_reused": run.chunks_reused,
        "workers": run.workers, "elapsed_s": float(run.elapsed)}


def sobol_context(twin, metric: str, names: tuple[str, ...], warm: np.ndarray) -> str:
    """A key for one Sobol study of a twin (model equations, parameters, warm start)."""
    from twinviewer.twins import model_of

    model = model_of(twin)
    h = hashlib.sha256(f"{model.name}/{model.version}/{model.equation_hash}/{metric}/"
                       f"{','.join(names)}/{twin.ensemble_kind}".encode())
    h.update(np.ascontiguousarray(twin.params, dtype=float).tobytes())
    h.update(np.ascontiguousarray(warm, dtype=float).tobytes())
    if twin.ensemble_kind == "posterior":
        h.update(np.ascontiguousarray(twin.ensemble, dtype=float).tobytes())
    return h.hexdigest()


def default_sobol_store() -> Path:
    """Where large Sobol studies keep finished blocks until they complete."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("twinviewer")) / "sobol"


def converged_share(result, threshold: float = SCALE_CI_THRESHOLD) -> float:
    """Share of the indices (S1 and ST of every parameter and output) whose 95 % CI
    half-width is at most ``threshold``.

    Examples
    --------
    >>> from types import SimpleNamespace as N
    >>> r = N(indices={"MAP": N(S1_conf=np.array([0.005, 0.02]), ST_conf=np.array([0.0, 1]))})
    >>> converged_share(r)
    0.5
    """
    conf = np.concatenate([np.r_[i.S1_conf, i.ST_conf] for i in result.indices.values()])
    return float(np.mean(np.nan_to_num(conf, nan=np.inf) <= threshold))


def run_sobol_job(twin, metric: str, names: tuple[str, ...], n: int, progress: Progress,
                  is_cancelled: IsCancelled, *, scheduler: str | None = None,
                  workers: int | None = None, processes: bool = True,
                  store: Path | None = None,
                  ci_threshold: float = SCALE_CI_THRESHOLD):
    """A large Sobol study of ``metric`` over ``names`` around ``twin`` on Dask.

    Same ranges and warm start as :func:`twinviewer.explain.report.explain_sobol`; blocks
    are persisted under ``store`` (default :func:`default_sobol_store`) so a cancelled study
    resumes, and the folder is removed once the study completes.

    Returns
    -------
    SobolResult
        With ``extra['ci_threshold']``, ``extra['converged_share']`` (share of indices whose
        half-width ≤ ``ci_threshold``), ``extra['workers']``.

    Examples
    --------
    >>> run_sobol_job(twin, "MAP", ("HR", "LV.EA"), 10_000, lambda f, t: None,
    ...               lambda: False)  # doctest: +SKIP
    """
    import shutil

    from twinviewer.cohort.cluster import dask_client, n_workers, sobol_mapper
    from twinviewer.explain.sobol import model_sobol
    from twinviewer.twins import model_of, simulate_twin

    model = model_of(twin)
    progress(0.0, "point estimate")
    point = simulate_twin(twin, ensemble=False, cancel=is_cancelled)
    warm = point.final_state[0]
    context = sobol_context(twin, metric, tuple(names), warm)
    folder = (store if store is not None else default_sobol_store()) / context[:24]
    ens = twin.ensemble if twin.ensemble_kind == "posterior" else None
    progress(0.0, "starting the Dask cluster")
    with dask_client(scheduler, workers=workers, processes=processes) as client:
        count = n_workers(client)
        mapper = sobol_mapper(client, cancel=is_cancelled, store=folder, context=context)
        res = model_sobol(model, twin.params, list(names), [metric], n=n, ensemble=ens,
                          warm_start=warm, ci_threshold=ci_threshold, mapper=mapper,
                          progress=progress, cancel=is_cancelled)
    shutil.rmtree(folder, ignore_errors=True)
    res.extra.update({"ci_threshold": ci_threshold, "workers": count,
                      "converged_share": converged_share(res, ci_threshold)})
    return res
