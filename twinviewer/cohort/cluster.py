"""The Dask connection shared by cohorts and large Sobol studies (imported only for them).

:func:`dask_client` opens an embedded ``LocalCluster`` (one single-threaded worker process
per core, listening on 127.0.0.1 only) or connects to an existing scheduler
(``tcp://HOST:8786``; its workers need twinviewer installed, the same version as here).
:func:`dask_map` runs a function over work items on it, in order, with retries, Dask's text
progress bar and a per-item callback as results arrive.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class ClusterError(ValueError):
    """The scheduler cannot be reached; the message names the address."""


@contextmanager
def dask_client(scheduler: str | None = None, *, workers: int | None = None,
                processes: bool = True, connect_timeout: float = 30.0) -> Iterator[Any]:
    """A ``dask.distributed.Client``, closed (with its local cluster) on exit.

    Examples
    --------
    >>> with dask_client(workers=1, processes=False) as c:  # doctest: +SKIP
    ...     c.submit(sum, [1, 2]).result()
    3
    """
    from dask.distributed import Client, LocalCluster

    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{connect_timeout}s")
        except OSError as exc:
            raise ClusterError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
    else:
        n = workers or os.cpu_count() or 1
        # Local workers listen on the loopback interface only (in-process ones need no host).
        where = {"host": "127.0.0.1"} if processes else {}
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=processes,
                               dashboard_address=None, **where)
        client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def n_workers(client) -> int:
    """Workers currently connected to the client's scheduler."""
    return len(client.scheduler_info()["workers"])


def dask_map(client, func: Callable[..., Any], items: Sequence[Any], *, keys: Sequence[str],
             on_result: Callable[[int, Any], None] | None = None, progress: bool = False,
             retries: int = 2, cancel: Callable[[], bool] | None = None,
             **kwargs: Any) -> list[Any]:
    """``[func(item, **kwargs) for item in items]`` on the cluster.

    Parameters
    ----------
    keys
        A unique task key per item (shown by Dask's diagnostics).
    on_result
        ``on_result(position, value)`` in this process as each item completes (in completion
        order), e.g. to persist it; an exception it raises stops the map.
    progress
        Dask's text progress bar on stderr.
    retries
        Re-runs of an item whose task raised; an item whose worker died is re-run by the
        scheduler anyway.
    cancel
        Polled a few times a second; when it returns True the tasks not yet finished are
        cancelled and :class:`twinviewer.physiology.Cancelled` is raised (results already
        delivered to ``on_result`` stay delivered).

    Returns
    -------
    list
        Results in the order of ``items``.
    """
    from dask.distributed import as_completed
    from dask.distributed import progress as dask_progress

    futures = [client.submit(func, item, key=key, retries=retries, pure=False, **kwargs)
               for item, key in zip(items, keys, strict=True)]
    position = {f.key: i for i, f in enumerate(futures)}
    out: list[Any] = [None] * len(futures)
    errors: list[BaseException] = []

    def collect() -> None:
        try:
            for fut in as_completed(futures):
                i = position[fut.key]
                out[i] = fut.result()
                if on_result is not None:
                    on_result(i, out[i])
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)
            for f in futures:
                f.cancel()

    writer = threading.Thread(target=collect, daemon=True)
    writer.start()
    if progress and sys.stderr.isatty():
        # Dask draws on stdout; the bar goes to the terminal's stderr so that stdout holds
        # only the results (scripts pipe it), and nothing when stderr is a file.
        with contextlib.redirect_stdout(sys.stderr):
            dask_progress(futures, notebook=False)
        print(file=sys.stderr)
    while writer.is_alive():
        writer.join(0.2)
        if cancel is not None and writer.is_alive() and cancel():
            for f in futures:
                f.cancel()
            writer.join(5.0)
            from twinviewer.physiology import Cancelled

            raise Cancelled("stopped at the user's request; completed work is kept")
    if errors:
        raise errors[0]
    return out


def _evaluate_outputs(X, evaluate: Callable, outputs: list[str]) -> dict:
    """Run one Sobol block single-threaded (Dask owns the cores) and keep only ``outputs``."""
    os.environ["TWINVIEWER_THREADS"] = "1"
    got = evaluate(X)
    return {o: got[o] for o in outputs if o in got}


def _block_file(store: Path, context: str, X, outputs: Sequence[str]) -> Path:
    import hashlib

    h = hashlib.sha256(context.encode())
    h.update(",".join(outputs).encode())
    h.update(str(X.shape).encode())
    h.update(X.tobytes())
    return store / f"block-{h.hexdigest()[:32]}.npz"


def _load_block(path: Path, outputs: Sequence[str]) -> dict | None:
    """A persisted block's outputs, or None if missing or torn (then it is recomputed)."""
    import numpy as np

    if not path.exists():
        return None
    try:
        with np.load(path) as z:
            return {o: z[o] for o in outputs}
    except Exception:  # noqa: BLE001 - a torn or foreign file is recomputed, never trusted
        return None


def _save_block(path: Path, values: dict) -> None:
    import numpy as np

    tmp = path.with_name(path.name + f".tmp{os.getpid()}.npz")
    np.savez(tmp, **values)
    os.replace(tmp, path)


def sobol_mapper(client, *, progress: bool = False, label: str = "sobol",
                 cancel: Callable[[], bool] | None = None, store: Path | None = None,
                 context: str = "") -> Callable:
    """A :data:`twinviewer.explain.sobol.Mapper` that evaluates Sobol blocks on ``client``.

    Parameters
    ----------
    cancel
        Polled; True stops the study (unfinished blocks are cancelled).
    store
        Folder where each finished block is persisted (``.npz``, keyed by ``context``, the
        outputs and the block's rows); blocks found there are not run again, so a cancelled
        or interrupted study resumes.
    context
        Identifies the evaluator (model, equations, base vector, warm start): blocks of a
        different study never match.

    Examples
    --------
    >>> with dask_client() as c:  # doctest: +SKIP
    ...     model_sobol(model, base, names, ["MAP"], n=10_000, mapper=sobol_mapper(c))
    """
    import uuid

    def mapper(evaluate, blocks, outputs, done):
        tag = uuid.uuid4().hex[:8]
        outputs = list(outputs)
        out: list[Any] = [None] * len(blocks)
        files: list[Path | None] = [None] * len(blocks)
        if store is not None:
            store.mkdir(parents=True, exist_ok=True)
            for i, X in enumerate(blocks):
                files[i] = _block_file(store, context, X, outputs)
                out[i] = _load_block(files[i], outputs)
                if out[i] is not None:
                    done(X.shape[0])
        todo = [i for i in range(len(blocks)) if out[i] is None]

        def finished(k: int, values: dict) -> None:
            i = todo[k]
            out[i] = values
            if files[i] is not None:
                _save_block(files[i], values)
            done(blocks[i].shape[0])

        dask_map(client, _evaluate_outputs, [blocks[i] for i in todo],
                 keys=[f"{label}-{tag}-{i:06d}" for i in todo], on_result=finished,
                 progress=progress, cancel=cancel, evaluate=evaluate, outputs=outputs)
        return out

    return mapper


@contextlib.contextmanager
def sobol_mapper_context(scheduler: str | None = None, *, workers: int | None = None,
                         progress: bool = True):
    """A Sobol mapper on a Dask client (local cluster, or ``scheduler``), closed on exit.

    Used by ``twinviewer explain --sobol N --distributed``.
    """
    with dask_client(scheduler, workers=workers) as client:
        yield sobol_mapper(client, progress=progress)
