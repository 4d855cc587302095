"""Optional numba compilation of model functions.

Model equations are written once, in a style valid both for scalars (one ensemble member,
compiled by numba into a tight per-member loop) and for numpy arrays whose last axis is the
ensemble (the plain-numpy path). ``TWINVIEWER_NUMBA=0`` turns compilation off, so the whole
engine runs on numpy alone and gives the same answer.

numba is imported on the first compiled simulation (:func:`compile_model_functions`, called
by the kernel loaders), not when a model is imported: reading a twin, its stored results or
a model's parameters costs no compiler (about 0.5 s of CPU at every start of the viewer).
"""

from __future__ import annotations

import importlib.util
import os
import threading
import types
from collections.abc import Callable

#: numba is a hard dependency, but the engine must still work without it
HAVE_NUMBA = (os.environ.get("TWINVIEWER_NUMBA", "1") != "0"
              and importlib.util.find_spec("numba") is not None)


#: How model functions are compiled (part of the kernel cache key). Not cached on disk by
#: themselves: numba does not track a function's callees, so only whole kernels are cached,
#: keyed by a digest of every source they depend on. ``inline='always'`` inlines them at
#: numba's level into the kernel: LLVM does not inline a right-hand side across numba's
#: function boundary, so every rhs call was a real call (with reference counting of the
#: arrays it passes on), and expressions of parameters alone (divisions such as 1/C, EB/KB)
#: could not be hoisted out of the step loop. Results are bit-identical (no fast-math).
JIT_OPTIONS = {"cache": False, "fastmath": False, "error_model": "numpy", "inline": "always"}

_lock = threading.RLock()
#: Model functions marked before numba was imported (id → the Python function).
_model_functions: dict[int, Callable] = {}
_compiled = False


def model_function(func: Callable) -> Callable:
    """Mark a model function (right-hand side, observables, helpers) for compilation.

    The function must use only arithmetic, comparisons and numpy ufuncs, so that it runs on
    scalars and on arrays alike. Until the first compiled simulation it stays the Python
    function; :func:`compile_model_functions` then puts its compiled version in its place.

    Examples
    --------
    >>> @model_function
    ... def twice(x):
    ...     return 2.0 * x
    >>> float(twice(1.5))
    3.0
    """
    if not HAVE_NUMBA:
        return func
    with _lock:
        if _compiled:
            import numba

            return numba.njit(**JIT_OPTIONS)(func)
        _model_functions[id(func)] = func
    return func


def compile_model_functions() -> None:
    """Import numba and replace every model function marked so far by its compiled version
    (numba dispatcher), wherever a model module refers to it by name.

    Called before a kernel is loaded (:mod:`twinviewer.physiology.kernels`): numba resolves
    a kernel's callees through their modules' globals when it compiles or loads the kernel.
    Functions marked later are compiled at once. Idempotent and thread-safe.

    Examples
    --------
    >>> compile_model_functions()
    >>> compile_model_functions()  # the second call does nothing
    """
    global _compiled
    if not HAVE_NUMBA or _compiled:
        return
    with _lock:
        if _compiled:
            return
        import numba

        compiled = {key: numba.njit(**JIT_OPTIONS)(f) for key, f in _model_functions.items()}
        # a model function reaches another through its module's globals (by name, or a
        # module used as a namespace): those are the namespaces to update
        spaces = {id(f.__globals__): f.__globals__ for f in _model_functions.values()}
        for space in spaces.values():
            for name, value in list(space.items()):
                key = id(value)
                if key in compiled and _model_functions[key] is value:
                    space[name] = compiled[key]
        _compiled = True


_pure: dict[int, object] = {}


def _purify(value):
    # ``get(...) is value`` would also hold for a global that is None
    if hasattr(value, "py_func") or (value is not None
                                     and _model_functions.get(id(value)) is value):
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
