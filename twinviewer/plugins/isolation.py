"""Run plugin code in a separate process (``spawn``), with a time limit.

A plugin that raises, hangs past the limit or crashes in native code (a segfault through
ctypes) ends only its worker; the caller gets a :class:`WorkerError` naming what happened.
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import os
import signal
import sys
import traceback

import numpy as np

from twinviewer.plugins.budget import budget

#: Default time limit (s) for one call in a worker; ``TWINVIEWER_PLUGIN_TIMEOUT`` overrides
#: (else the models' budget, :data:`twinviewer.plugins.budget.BUDGETS`).
TIMEOUT = float(os.environ.get("TWINVIEWER_PLUGIN_TIMEOUT") or budget("models"))

#: Plugin models loaded this session: model name → (plugin, contribution ref, folder root).
PLUGIN_MODELS: dict[str, tuple[str, str, str | None]] = {}


class WorkerError(RuntimeError):
    """A call in a worker process that raised, timed out or crashed."""


class WorkerTimeout(WorkerError):
    """A call in a worker process that did not finish within its time limit (stopped)."""


#: Long-lived workers (one per plugin model), so an ensemble does not pay for a new process
#: and its imports each time; a worker that crashes or hangs is killed and forgotten.
_WORKERS: dict[str, tuple] = {}


def _answer(conn, func_ref: str, args: tuple) -> None:
    try:
        module, _, name = func_ref.partition(":")
        result = getattr(importlib.import_module(module), name)(*args)
        conn.send(("ok", result))
    except BaseException as exc:  # report everything, including SystemExit, to the parent
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" (in {tb[-1].name}, {os.path.basename(tb[-1].filename)}:{tb[-1].lineno})" \
            if tb else ""
        conn.send(("error", f"{type(exc).__name__}: {exc}{where}"))


def _serve(conn, path: list[str]) -> None:
    """Worker loop: answer ``(func_ref, args)`` requests until the pipe closes."""
    sys.path[:0] = [p for p in path if p not in sys.path]
    while True:
        try:
            func_ref, args = conn.recv()
        except EOFError:
            return
        _answer(conn, func_ref, args)


def _start():
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(child, list(sys.path)), daemon=True)
    proc.start()
    child.close()
    return proc, parent


def _stop(proc, conn) -> None:
    conn.close()
    if proc.is_alive():
        proc.kill()
    proc.join(5)


def call(func_ref: str, args: tuple = (), *, timeout: float | None = None,
         label: str = "plugin code", worker: str | None = None):
    """Call ``module:function`` with ``args`` in a worker process and return its value.

    ``worker`` names a long-lived worker to reuse (started on first use); without it a fresh
    process is started and stopped.

    Examples
    --------
    >>> call("math:hypot", (3.0, 4.0))  # doctest: +SKIP
    5.0
    """
    timeout = TIMEOUT if timeout is None else timeout
    proc, conn = _WORKERS.pop(worker) if worker in _WORKERS else _start()
    if not proc.is_alive():
        _stop(proc, conn)
        proc, conn = _start()
    keep = False
    try:
        conn.send((func_ref, args))
        if not conn.poll(timeout):
            raise WorkerTimeout(f"{label} did not finish within {timeout:g} s (its worker "
                                "process is stopped)")
        try:
            status, payload = conn.recv()
        except EOFError:
            proc.join(5)
            code = proc.exitcode
            what = (f"signal {signal.Signals(-code).name}" if code is not None and code < 0
                    else f"exit code {code}")
            raise WorkerError(f"{label} crashed its worker process ({what})") from None
        keep = worker is not None
    finally:
        if keep:
            _WORKERS[worker] = (proc, conn)
        else:
            _stop(proc, conn)
    if status != "ok":
        raise WorkerError(f"{label} raised {payload}")
    return payload


def simulate_plugin_model(model, params: np.ndarray, *, settings=None,
                          timeout: float | None = None, warm_start=None):
    """Simulate a plugin model's ensemble in a worker; disable the plugin if it fails.

    Returns the same :class:`~twinviewer.physiology.simulate.Results` as an in-process run;
    plugin code runs on the numpy engine (numba does not compile arbitrary plugin code).
    """
    from dataclasses import replace

    from twinviewer.physiology.simulate import Results, Settings
    from twinviewer.plugins.registry import get_registry

    plugin, ref, root = PLUGIN_MODELS[model.name]
    settings = replace(settings or Settings(), method="numpy")
    P = np.array(np.atleast_2d(params), dtype=float)
    label = f"plugin {plugin!r}: model {model.name!r}"
    try:
        out = call("twinviewer.plugins.worker:run_ensemble",
                   (ref, root, P, settings, warm_start),
                   timeout=timeout, label=label, worker=f"{plugin}:{model.name}")
    except WorkerTimeout as exc:  # may be a slow machine: for this session (offer to keep)
        raise get_registry().hung(plugin, str(exc)) from None
    except WorkerError as exc:
        raise get_registry().failed(plugin, str(exc)) from None
    metrics = out["metrics"]
    if not metrics and model.roles:  # a different structure: the metrics its roles allow
        from twinviewer.plugins.roles import role_metrics

        period = 60.0 / P[:, model.index(model.heart_rate_parameter)]
        metrics = role_metrics(out["series"], dict(model.roles), period)
        ok = out["status"] == 0
        metrics = {k: np.where(ok, v, np.nan) for k, v in metrics.items()}
    r = Results(model, P, out["time"], out["series"], metrics, out["final_state"],
                out["status"], out["beats"], out["messages"])
    bad = [k for k, v in r.series.items()
           if np.shape(v)[:1] != (r.n,) or not np.all(np.isfinite(np.asarray(v)[r.ok]))]
    if bad:
        raise get_registry().failed(plugin, f"{label} returned NaN or misshapen series: "
                                    f"{', '.join(bad)}")
    return r


def _runner(model, params, warm_start, settings):
    return simulate_plugin_model(model, params, settings=settings, warm_start=warm_start)


def route(model_name: str, plugin: str, ref: str, root: str | None) -> None:
    """Send every ``physiology.simulate`` of this plugin model to its worker."""
    from twinviewer.physiology.simulate import RUNNERS

    PLUGIN_MODELS[model_name] = (plugin, ref, root)
    RUNNERS[model_name] = _runner
