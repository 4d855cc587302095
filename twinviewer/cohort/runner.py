"""Running a cohort on Dask, chunk by chunk, with completed chunks persisted.

The run folder (``.NAME.cohort-HASH`` beside the output, keyed by the spec's hash, the
model's equations and, for saved twins, the files' contents) holds one Parquet file per
completed chunk. A new run of the same spec skips chunks already there, so an interrupted
run resumes; a worker that dies loses only the chunk it was running, which the scheduler
runs again elsewhere. Dask is imported here only, when a cohort is run.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import twinviewer
from twinviewer.cohort.spec import CohortSpec, SpecError
from twinviewer.cohort.work import WORK_VERSION, Chunk, column_units, run_chunk
from twinviewer.physiology import MODELS, Cancelled


@dataclass
class CohortRun:
    """The result of :func:`run_cohort`."""

    table: pd.DataFrame
    units: dict[str, str]
    run_dir: Path
    digest: str
    chunks_total: int
    chunks_reused: int
    elapsed: float
    workers: int
    notes: list[str] = field(default_factory=list)


def plan_chunks(spec: CohortSpec) -> tuple[str, list[Chunk], str]:
    """Split the population into chunks of ``spec.chunk`` patients.

    Returns
    -------
    model_name, chunks, digest
    """
    if spec.twins is not None:
        from twinviewer.cohort.twins_folder import load_twin_population

        contexts: list[dict] | None = []
        model_name, ids, ens, features, files = load_twin_population(spec, contexts)
        n = len(ids)
    else:
        from twinviewer.cohort.population import virtual_population

        model, pop = virtual_population(spec)
        model_name, ens, files, n = model.name, None, "", spec.n
        contexts = None  # virtual patients are not calibrated: the ensemble's own interval
        ids = [f"virtual-{i:06d}" for i in range(n)]
        features = {f"param:{k}": pop[:, model.index(k)] for k in spec.vary}
    model = MODELS[model_name]
    digest = spec.digest(f"{model.name}/{model.version}/{model.equation_hash}/{files}"
                         f"/work{WORK_VERSION}")
    chunks = []
    for c, a in enumerate(range(0, n, spec.chunk)):
        b = min(n, a + spec.chunk)
        chunks.append(Chunk(c, spec, model_name, tuple(range(a, b)), tuple(ids[a:b]),
                            {k: np.asarray(v[a:b]) for k, v in features.items()},
                            None if ens is None else tuple(ens[a:b]), model.equation_hash,
                            None if contexts is None else tuple(contexts[a:b])))
    return model_name, chunks, digest


def _chunk_path(run_dir: Path, index: int) -> Path:
    return run_dir / f"chunk-{index:06d}.parquet"


def _write_atomic(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    df.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def _read_done(path: Path) -> pd.DataFrame | None:
    """A persisted chunk, or None if missing or unreadable (then it is recomputed)."""
    if not path.exists():
        return None
    try:
        return pd.read_parquet(path)
    except Exception:  # noqa: BLE001 - a torn or foreign file is recomputed, never trusted
        return None


def run_cohort(spec: CohortSpec, output: Path | str, *, scheduler: str | None = None,
               workers: int | None = None, in_process: bool = False,
               processes: bool = True, progress: bool = False,
               on_chunk: Callable[[int, int], None] | None = None,
               chunk_hook: Callable[[int], None] | None = None,
               connect_timeout: float = 30.0,
               cancel: Callable[[], bool] | None = None) -> CohortRun:
    """Run a cohort and write its table to ``output`` (Parquet).

    Parameters
    ----------
    spec
        The validated spec.
    output
        Parquet file to write; the run folder is created beside it.
    scheduler
        Address of an existing Dask scheduler (``tcp://HOST:8786``); its workers need
        twinviewer installed. Default: an embedded ``LocalCluster``.
    workers
        Local worker processes (default: one per core).
    connect_timeout
        Seconds to wait for ``scheduler`` before giving up with a :class:`SpecError`.
    in_process
        Run the chunks in this process, without Dask (the reference path).
    processes
        Local workers as processes (False: threads in this process; for quick tests).
    progress
        Show Dask's text progress bar on stderr.
    on_chunk
        ``on_chunk(done, total)`` after each persisted chunk (the GUI's job bar).
    chunk_hook
        Test hook called with each chunk index as it is persisted.
    cancel
        Polled between chunks (in process) or a few times a second (Dask); True stops the
        run with :class:`twinviewer.physiology.Cancelled`, keeping the persisted chunks, so
        the same call resumes.

    Returns
    -------
    CohortRun

    Examples
    --------
    >>> from twinviewer.cohort.spec import parse_spec
    >>> spec = parse_spec({"population": {"preset": "severe_as", "n": 2, "seed": 7},
    ...     "members": 2, "scenarios": [{"name": "tavi",
    ...     "steps": ["tavi_sapien3:size=26"]}], "metrics": ["CO"]})
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "r.parquet"
    >>> run_cohort(spec, out, in_process=True).table.shape[0]
    2
    """
    t0 = time.perf_counter()
    output = Path(output)
    if output.suffix.lower() != ".parquet":
        raise SpecError(f"output {output.name!r}: must be a .parquet file")
    if not output.parent.is_dir():
        raise SpecError(f"output {output.name!r}: its folder does not exist")
    model_name, chunks, digest = plan_chunks(spec)
    run_dir = output.parent / f".{output.stem}.cohort-{digest[:16]}"
    run_dir.mkdir(exist_ok=True)
    (run_dir / "spec.json").write_text(json.dumps(spec.to_dict(), indent=1))
    parts: dict[int, pd.DataFrame] = {}
    for c in chunks:
        df = _read_done(_chunk_path(run_dir, c.index))
        if df is not None:
            parts[c.index] = df
    reused = len(parts)
    todo = [c for c in chunks if c.index not in parts]
    total = len(chunks)

    def persist(index: int, df: pd.DataFrame) -> None:
        _write_atomic(df, _chunk_path(run_dir, index))
        parts[index] = df
        if chunk_hook is not None:
            chunk_hook(index)
        if on_chunk is not None:
            on_chunk(len(parts), total)

    n_workers = 0
    if todo and in_process:
        for c in todo:
            if cancel is not None and cancel():
                raise Cancelled("stopped at the user's request; completed chunks are kept")
            persist(c.index, run_chunk(c))
    elif todo:
        n_workers = _run_dask(todo, persist, scheduler=scheduler, workers=workers,
                              processes=processes, progress=progress, digest=digest,
                              connect_timeout=connect_timeout, cancel=cancel)
    table = pd.concat([parts[c.index] for c in chunks], ignore_index=True)
    features = [c for c in table.columns if c.startswith("param:")]
    units = column_units(spec, features, model_name)
    _write_table(table, output, spec, units, digest)
    return CohortRun(table, units, run_dir, digest, total, reused,
                     time.perf_counter() - t0, n_workers)


def _run_dask(todo: list[Chunk], persist: Callable[[int, pd.DataFrame], None], *,
              scheduler: str | None, workers: int | None, processes: bool, progress: bool,
              digest: str, connect_timeout: float,
              cancel: Callable[[], bool] | None = None) -> int:
    from twinviewer.cohort.cluster import ClusterError, dask_client, dask_map, n_workers

    try:
        with dask_client(scheduler, workers=workers, processes=processes,
                         connect_timeout=connect_timeout) as client:
            count = n_workers(client)
            dask_map(client, run_chunk, todo,
                     keys=[f"cohort-{digest[:12]}-{c.index:06d}" for c in todo],
                     on_result=lambda i, df: persist(todo[i].index, df), progress=progress,
                     cancel=cancel, engine_threads=1)
            return count
    except ClusterError as exc:
        raise SpecError(str(exc)) from None


def _write_table(table: pd.DataFrame, output: Path, spec: CohortSpec, units: dict[str, str],
                 digest: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pa.Table.from_pandas(table, preserve_index=False)
    meta = dict(t.schema.metadata or {})
    meta[b"twinviewer.cohort"] = json.dumps({
        "notice": twinviewer.RESEARCH_USE, "app_version": twinviewer.__version__,
        "spec": spec.to_dict(), "digest": digest, "units": units,
        "level": spec.level}).encode()
    tmp = output.with_name(output.name + ".tmp")
    pq.write_table(t.replace_schema_metadata(meta), tmp)
    os.replace(tmp, output)


def read_results(path: Path | str) -> tuple[pd.DataFrame, dict]:
    """A cohort table and its metadata (spec, units, level)."""
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        t = pq.read_table(path)
    except FileNotFoundError:
        raise SpecError(f"{path.name}: file not found") from None
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for bad files
        raise SpecError(f"{path.name}: not a readable Parquet file ({exc.__class__.__name__})"
                        ) from None
    raw = (t.schema.metadata or {}).get(b"twinviewer.cohort")
    if raw is None:
        raise SpecError(f"{path.name}: not a TwinViewer cohort table (no cohort metadata)")
    return t.to_pandas(), json.loads(raw)
