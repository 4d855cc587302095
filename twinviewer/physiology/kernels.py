"""Compiled, disk-cached ensemble kernels, one per model right-hand side.

The kernel source lives once, in ``_kernel_template.py``. For a model it is copied into the
user cache directory with its import pointed at that model's ``rhs``, imported, and compiled
by numba with ``cache=True``; later processes load the machine code in a fraction of a second
instead of compiling for seconds.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from twinviewer.physiology.acceleration import MEMORY, anderson_update
from twinviewer.physiology.dependencies import equation_digest
from twinviewer.physiology.jit import JIT_OPTIONS, compile_model_functions

_TEMPLATE = Path(__file__).with_name("_kernel_template.py")
_MARK = "from twinviewer.physiology.four_chamber import rhs  # MODEL-RHS"
_JIT_OPTIONS = repr(sorted(JIT_OPTIONS.items()))
_lock = threading.Lock()
_kernels: dict[tuple[str, str], Callable] = {}


def cache_dir() -> Path:
    """Folder for generated kernels (``TWINVIEWER_CACHE_DIR`` or the platform cache dir)."""
    env = os.environ.get("TWINVIEWER_CACHE_DIR")
    if env:
        return Path(env) / "kernels"
    import platformdirs

    return Path(platformdirs.user_cache_dir("twinviewer")) / "kernels"


def _dependency_hash(source: str, func: Callable) -> str:
    # numba's cache does not see changes in a kernel's callees, so the kernel's file name
    # carries a digest of the kernel source, of every source and constant the right-hand
    # side depends on (the same digest as the model lock, ModelSpec.equation_hash) and of
    # the compiler's version.
    import numba

    h = hashlib.sha256(source.encode())
    h.update(equation_digest([func]).encode())
    h.update(_JIT_OPTIONS.encode())  # how model functions are compiled
    h.update(equation_digest([anderson_update]).encode())  # the kernel's own helper
    h.update(f"MEMORY={MEMORY}".encode())  # read by the template, not by the helper
    h.update(numba.__version__.encode())
    return h.hexdigest()[:16]


#: Calls of the right-hand side in the template and their form with tabulated drivers:
#: the table holds the drivers at every half step of the beat (index 2·s is time s·dt).
_DRIVER_CALLS = {
    "rhs(t, y, p, k1)": "rhs(t, y, p, k1, tab[2 * s])",
    "rhs(t + 0.5 * dt, tmp, p, k2)": "rhs(t + 0.5 * dt, tmp, p, k2, tab[2 * s + 1])",
    "rhs(t + 0.5 * dt, tmp, p, k3)": "rhs(t + 0.5 * dt, tmp, p, k3, tab[2 * s + 1])",
    "rhs(t + dt, tmp, p, k4)": "rhs(t + dt, tmp, p, k4, tab[2 * s + 2])",
    "        dt = 60.0 / p[hr_col] / steps\n":
        "        dt = 60.0 / p[hr_col] / steps\n"
        "        for h in range(2 * steps + 1):  # drivers on the half-step grid, once\n"
        "            drivers(0.5 * h * dt, p, tab[h])\n",
    "    tmp = np.empty(s_count)\n":
        "    tmp = np.empty(s_count)\n    tab = np.empty((2 * steps + 1, N_DRIVERS))\n",
}


#: Where the template calls a model's split step, and the calls: Strang splitting (second
#: order if the split step is), a half step at the RK4 step's start and a half step at its
#: end. The end's half step and the next start's are one whole step (``h_pre``) except at
#: the beat's end (the state there is compared between beats and is the warm start). A state
#: recorded inside the beat is taken after that whole step, its split states (valves) the
#: mean of their values half a step before and after (second order; the other states are
#: untouched by the split step, so their mean is themselves).
#: Arguments: the time, the step, the state, the parameters (and the drivers at that time),
#: the split memory.
_SPLIT_PRE = "pass  # MODEL-SPLIT-PRE"
_SPLIT_MARK = "pass  # MODEL-SPLIT-STEP"
_SPLIT_RECORD = """
                if s % stride == 0 and s > 0:
                    for j in range(s_count):  # split states at t: mean of both sides
                        rec[i, j, s // stride] = 0.5 * (rec[i, j, s // stride] + y[j])"""
_SPLIT_POST = """if s + 1 == steps:
                    split_step(t + dt, 0.5 * dt, y, p{a_end}, smem)
                    h_pre = 0.5 * dt
                else:
                    h_pre = dt"""
_SPLIT_CALLS = {False: ("split_step(t, h_pre, y, p, smem)", _SPLIT_POST.format(a_end="")),
                True: ("split_step(t, h_pre, y, p, tab[2 * s], smem)",
                       _SPLIT_POST.format(a_end=", tab[2 * s + 2]"))}
#: With ``split_rhs`` (see ModelSpec) the half step before an RK4 step and that step's first
#: right-hand side are one call (the chamber pressures both need are computed once).
_FIRST_RHS = {False: "rhs(t, y, p, k1)", True: "rhs(t, y, p, k1, tab[2 * s])"}
_FUSED_CALLS = {False: "split_rhs(t, h_pre, y, p, k1, smem)",
                True: "split_rhs(t, h_pre, y, p, k1, tab[2 * s], smem)"}


def _import_line(func: Callable, alias: str) -> str:
    func = getattr(func, "py_func", func)
    return f"from {func.__module__} import {func.__qualname__} as {alias}"


#: The line of the template that takes a member's parameters (a row of ``P``).
_PARAMS_MARK = "p = P[i]  # MEMBER-PARAMETERS"


def kernel_source(rhs: Callable, drivers: Callable | None = None, n_drivers: int = 0,
                  split_step: Callable | None = None, n_params: int = 0,
                  split_rhs: Callable | None = None) -> str:
    """The template's source with its model import pointed at ``rhs`` (and ``drivers``,
    ``split_step``, ``split_rhs``).

    With ``n_params`` > 0 a member's parameters reach the model as a tuple of that many
    floats instead of a row of ``P``: values, not memory, so with the model functions
    inlined the compiler hoists whatever depends on parameters alone out of the step loop
    (an array might alias the state the loop writes). The same arithmetic in the same
    order: results are bit-identical.
    """
    text = _TEMPLATE.read_text()
    for mark in (_MARK, _SPLIT_PRE, _SPLIT_MARK, _PARAMS_MARK):
        if mark not in text:
            raise RuntimeError(f"kernel template lost its line {mark!r}")
    if n_params > 0:
        row = ", ".join(f"P[i, {k}]" for k in range(int(n_params)))
        text = text.replace(_PARAMS_MARK, f"p = ({row},)  # MEMBER-PARAMETERS")
    line = _import_line(rhs, "rhs")
    if drivers is not None:
        line += f"\n{_import_line(drivers, 'drivers')}\n\nN_DRIVERS = {int(n_drivers)}"
        for old, new in _DRIVER_CALLS.items():
            if old not in text:
                raise RuntimeError(f"kernel template lost the line {old.strip()!r}")
            text = text.replace(old, new)
    if split_step is not None:
        line += f"\n{_import_line(split_step, 'split_step')}"
        pre, post = _SPLIT_CALLS[drivers is not None]
        if split_rhs is not None:
            line += f"\n{_import_line(split_rhs, 'split_rhs')}"
            first = f"{_SPLIT_PRE}\n{' ' * 16}{_FIRST_RHS[drivers is not None]}\n"
            if first not in text:
                raise RuntimeError("kernel template lost its first right-hand side call")
            text = text.replace(first, f"{_FUSED_CALLS[drivers is not None]}"
                                       f"{_SPLIT_RECORD}\n")
        else:
            pre += _SPLIT_RECORD
        text = text.replace(_SPLIT_PRE, pre).replace(_SPLIT_MARK, post)
    return text.replace(_MARK, line)


def get_kernel(rhs: Callable, drivers: Callable | None = None, n_drivers: int = 0,
               split_step: Callable | None = None, n_params: int = 0,
               n_states: int = 0, split_rhs: Callable | None = None) -> Callable:
    """The compiled ensemble kernel for a model whose right-hand side is ``rhs``.

    ``rhs`` (and ``drivers``, ``split_step``, ``split_rhs``, see :class:`ModelSpec`) must
    be module-level
    functions (importable as ``module.name``). Given ``n_params`` and ``n_states``, the
    kernel passes each member's parameters as a tuple (see :func:`kernel_source`) if the
    model's functions compile with one, and a row of ``P`` otherwise.
    """
    compile_model_functions()  # the kernel's callees as numba functions (first use: import)
    func = getattr(rhs, "py_func", rhs)
    split_rhs = split_rhs if split_step is not None else None
    key = (func.__module__, func.__qualname__, drivers is not None, split_step is not None,
           split_rhs is not None, n_params if n_states > 0 else 0)
    with _lock:
        if key in _kernels:
            return _kernels[key]
        kernel = None
        if key[-1] > 0:
            try:
                kernel = _load_kernel(func, drivers, n_drivers, split_step, split_rhs, key,
                                      key[-1])
                _compile_for(kernel, n_states, key[-1])
            except Exception:  # noqa: BLE001 - a model that indexes p as an array: use a row
                kernel = None
        if kernel is None:
            kernel = _load_kernel(func, drivers, n_drivers, split_step, split_rhs, key, 0)
        _kernels[key] = kernel
        return kernel


def _load_kernel(func, drivers, n_drivers, split_step, split_rhs, key,
                 n_params: int) -> Callable:
    source = kernel_source(func, drivers, n_drivers, split_step, n_params, split_rhs)
    digest = _dependency_hash(source, func)
    for extra in (drivers, split_step, split_rhs):
        if extra is not None:
            digest = _dependency_hash(digest, extra)
    name = f"twinviewer_kernel_{key[0].replace('.', '_')}_{key[1]}_{digest}"
    return load_generated_module(name, source).kernel


def _compile_for(kernel: Callable, n_states: int, n_params: int) -> None:
    """Compile (or load from the disk cache) ``kernel`` for the argument types the integrator
    passes, by a call on no members: a model that cannot take its parameters as a tuple fails
    here, not in a worker thread."""
    import numpy as np

    empty = np.empty((0, n_states))
    no_int = np.empty(0, dtype=np.int64)
    kernel(empty, np.empty((0, n_params)), 0, 1, 1, 1, 1, np.ones(n_states), True,
           np.empty((0, n_states, 1)), no_int, no_int.copy(), empty.copy())


_OBSERVER = '''"""Generated by twinviewer.physiology.kernels: a model's outputs over its beats."""
import numba
import numpy as np

from {module} import {name} as observe


@numba.njit(nogil=True, cache=True)
def observe_all(rec, P, time, out):
    """``out[q, i, k]``: output q of member i at sample k (``rec``: members × states ×
    samples)."""
    n, s_count, m = rec.shape
    y = np.empty(s_count)
    for i in range(n):
        p = P[i]
        for k in range(m):
            for j in range(s_count):
                y[j] = rec[i, j, k]
            o = observe(time[i, k], y, p)
            for q in range(len(o)):
                out[q, i, k] = o[q]
'''
_observers: dict[tuple[str, str], Callable] = {}


def load_generated_module(name: str, source: str, folder: Path | None = None):
    """Write generated ``source`` as ``<folder>/<name>.py`` (default the kernel cache) unless
    it is there already, and import it as module ``name`` (numba caches beside it)."""
    folder = folder if folder is not None else cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    if not path.exists() or path.read_text() != source:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(source)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def get_observer(observe: Callable) -> Callable:
    """A compiled, disk-cached ``observe_all(rec, P, time, out)`` for a model's observables
    (``observe`` must be a module-level compiled model function returning floats)."""
    compile_model_functions()
    func = getattr(observe, "py_func", observe)
    key = (func.__module__, func.__qualname__)
    with _lock:
        if key in _observers:
            return _observers[key]
        source = _OBSERVER.format(module=key[0], name=key[1])
        digest = _dependency_hash(source, func)
        name = f"twinviewer_observer_{key[0].replace('.', '_')}_{key[1]}_{digest}"
        _observers[key] = load_generated_module(name, source).observe_all
        return _observers[key]
