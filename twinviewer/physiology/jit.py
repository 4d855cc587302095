"""Optional numba compilation of model functions.

Model equations are written once, in a style valid both for scalars (one ensemble member,
compiled by numba into a tight per-member loop) and for numpy arrays whose last axis is the
ensemble (the plain-numpy path). ``TWINVIEWER_NUMBA=0`` turns compilation off, so the whole
engine runs on numpy alone and gives the same answer.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable

try:  # numba is a hard dependency, but the engine must still work without it
    import numba

    HAVE_NUMBA = os.environ.get("TWINVIEWER_NUMBA", "1") != "0"
except ImportError:  # pragma: no cover - exercised by the no-numba CI job
    numba = None
    HAVE_NUMBA = False


#: How model functions are compiled (part of the kernel cache key). Not cached on disk by
#: themselves: numba does not track a function's callees, so only whole kernels are cached,
#: keyed by a digest of every source they depend on. ``inline='always'`` inlines them at
#: numba's level into the kernel: LLVM does not inline a right-hand side across numba's
#: function boundary, so every rhs call was a real call (with reference counting of the
#: arrays it passes on), and expressions of parameters alone (divisions such as 1/C, EB/KB)
#: could not be hoisted out of the step loop. Results are bit-identical (no fast-math).
JIT_OPTIONS = {"cache": False, "fastmath": False, "error_model": "numpy", "inline": "always"}


def model_function(func: Callable) -> Callable:
    """Mark a model function (right-hand side, observables, helpers) for compilation.

    The function must use only arithmetic, comparisons and numpy ufuncs, so that it runs on
    scalars and on arrays alike.
    """
    if HAVE_NUMBA:
        return numba.njit(**JIT_OPTIONS)(func)
    return func


_pure: dict[int, object] = {}


def _purify(value):
    if hasattr(value, "py_func"):
        return python_function(value)
    if isinstance(value, types.ModuleType) and value.__name__.startswith("twinviewer."):
        key = id(value)
        if key not in _pure:
            _pure[key] = _ModuleView(value)
        return _pure[key]
    return value


class _ModuleView:
    """A module seen through :func:`python_function`: compiled functions read as Python."""

    def __init__(self, module: types.ModuleType) -> None:
        self._module = module

    def __getattr__(self, name: str):
        return _purify(getattr(self._module, name))


def python_function(func: Callable) -> Callable:
    """The plain-numpy version of a model function, all the way down its callees.

    Compiled helpers it calls (as globals or through a module) are replaced by their Python
    originals, so evaluating it on arrays never triggers numba compilation.
    """
    func = getattr(func, "py_func", func)
    key = id(func)
    if key in _pure:
        return _pure[key]
    glob: dict = {}
    pure = types.FunctionType(func.__code__, glob, func.__name__, func.__defaults__,
                              func.__closure__)
    pure.__module__ = func.__module__
    pure.__doc__ = func.__doc__
    _pure[key] = pure  # before filling globals: functions may refer to each other
    glob.update({name: _purify(v) for name, v in func.__globals__.items()})
    return pure
