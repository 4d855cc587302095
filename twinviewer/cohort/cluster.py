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
             retries: int = 2, **kwargs: Any) -> list[Any]:
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
    if progress:
        dask_progress(futures, notebook=False)
        print(file=sys.stderr)
    writer.join()
    if errors:
        raise errors[0]
    return out


def _evaluate_outputs(X, evaluate: Callable, outputs: list[str]) -> dict:
    """Run one Sobol block single-threaded (Dask owns the cores) and keep only ``outputs``."""
    os.environ["TWINVIEWER_THREADS"] = "1"
    got = evaluate(X)
    return {o: got[o] for o in outputs if o in got}


def sobol_mapper(client, *, progress: bool = False, label: str = "sobol") -> Callable:
    """A :data:`twinviewer.explain.sobol.Mapper` that evaluates Sobol blocks on ``client``.

    Examples
    --------
    >>> with dask_client() as c:  # doctest: +SKIP
    ...     model_sobol(model, base, names, ["MAP"], n=10_000, mapper=sobol_mapper(c))
    """
    import uuid

    def mapper(evaluate, blocks, outputs, done):
        tag = uuid.uuid4().hex[:8]
        return dask_map(client, _evaluate_outputs, blocks,
                        keys=[f"{label}-{tag}-{k:06d}" for k in range(len(blocks))],
                        on_result=lambda i, _: done(blocks[i].shape[0]), progress=progress,
                        evaluate=evaluate, outputs=list(outputs))

    return mapper


@contextlib.contextmanager
def sobol_mapper_context(scheduler: str | None = None, *, workers: int | None = None,
                         progress: bool = True):
    """A Sobol mapper on a Dask client (local cluster, or ``scheduler``), closed on exit.

    Used by ``twinviewer explain --sobol N --distributed``.
    """
    with dask_client(scheduler, workers=workers) as client:
        yield sobol_mapper(client, progress=progress)
