"""What a model's equations depend on: one digest for the model lock and the kernel cache.

A twin is locked to the equations it was made with (:attr:`ModelSpec.equation_hash`), and a
compiled kernel on disk is reused only while the equations it was compiled from are unchanged
(:mod:`twinviewer.physiology.kernels`). Both questions have the same answer, computed here:
starting from the model's functions, follow every global name their code reads — helper
functions (compiled or not), module attributes such as ``cl.vessel_derivatives`` or
``elements.K_BERNOULLI``, and plain constants — and hash the source of each function reached
and the value of each constant reached. A change of a helper's source or of a constant it
reads therefore changes the digest; a change in an unrelated part of a module does not.

Third-party modules (numpy, math, numba) are not followed: their versions are hashed instead
by the kernel cache.

The digest is stored in documents (a twin's ``equation_hash``, a what-if result's
intervention digest), so it must name *what the code computes* and nothing about *where or
how it runs*: it is the same in every process (whatever ``PYTHONHASHSEED``), for every
install location of the same sources (editable, bundle, another checkout), with or without
numba, and before or after the kernels are compiled. Hence the engine's own machinery
(this walker, the kernel loader and the numba switch, :data:`_MACHINERY`) is not followed,
and names holding run-time state (:data:`_RUNTIME_STATE`) are not hashed.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import sys
import sysconfig
import types
from collections.abc import Callable, Iterable

import numpy as np

#: Packages whose code is always followed.
_FOLLOWED_PREFIXES = ("twinviewer.",)
#: Where installed libraries and the standard library live: not followed (the kernel cache
#: hashes the numba version instead).
_LIBRARY_ROOTS = tuple(sorted({sys.prefix, sys.base_prefix, sysconfig.get_paths()["stdlib"],
                               sysconfig.get_paths()["purelib"],
                               sysconfig.get_paths()["platlib"]}))
#: Modules that say how the equations are run, not what they compute: this walker (its
#: ``_LIBRARY_ROOTS`` are install paths), the kernel loader and cache (``cache_dir``; the
#: cache keys its kernels by their generated source itself) and the numba switch. Their
#: functions are reached from ``simulate`` but not followed.
_MACHINERY = frozenset({__name__, "twinviewer.physiology.kernels", "twinviewer.physiology.jit"})
#: Global names holding run-time state rather than a constant of the equations: whether numba
#: is used (the numpy path gives the same numbers) and whether the kernels are compiled yet.
_RUNTIME_STATE = frozenset({"HAVE_NUMBA", "_compiled"})


def _followed(module_name: str | None) -> bool:
    """Follow the package's own code and any model code outside installed libraries
    (plugins, generated svZeroDSolver models, tests); not numpy, numba or the stdlib."""
    if not module_name or module_name in _MACHINERY:
        return False
    if module_name.startswith(_FOLLOWED_PREFIXES):
        return True
    module = sys.modules.get(module_name)
    path = getattr(module, "__file__", None)
    if path is None:
        return False  # built-in or namespace module
    return _outside_libraries(path)


@functools.cache
def _outside_libraries(path: str) -> bool:
    """``path`` is not under an installed library's root (by file: the resolving took
    2,000 ``lstat`` calls, 0.5 s at load, for every digest: fix15c)."""
    path = os.path.realpath(path)
    return not any(path.startswith(os.path.realpath(p) + os.sep) for p in _LIBRARY_ROOTS)


def _names(code: types.CodeType) -> set[str]:
    """Every global or attribute name read by ``code`` and the code objects nested in it."""
    out = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            out |= _names(const)
    return out


def _constant_bytes(value) -> bytes | None:
    if isinstance(value, bool | int | float | complex | str | bytes) or value is None:
        return repr(value).encode()
    if isinstance(value, np.ndarray):
        return str(value.dtype).encode() + repr(value.shape).encode() + value.tobytes()
    if isinstance(value, np.generic):
        return repr(value.item()).encode()
    if isinstance(value, tuple) and all(_constant_bytes(v) is not None for v in value):
        return b"(" + b",".join(_constant_bytes(v) for v in value) + b")"
    return None


#: Each function's hashed source, by its code object. ``inspect.getsource`` re-reads and
#: re-tokenises the file on every call: a what-if result's digest, taken at every autosave's
#: snapshot on the GUI thread, cost 0.7 s there for five scenarios (fix15c). A code object's
#: source is fixed for its life, so the digest is the same.
_SOURCES: dict[types.CodeType, bytes] = {}


def _source(func: types.FunctionType) -> bytes:
    """The bytes hashed for ``func``'s own code: its source, or (none: made by ``exec``)
    its bytecode and constants."""
    code = func.__code__
    found = _SOURCES.get(code)
    if found is None:
        try:
            found = inspect.getsource(func).encode()
        except (OSError, TypeError):  # no source file (made by exec): hash the bytecode
            found = code.co_code + repr(code.co_consts).encode()
        _SOURCES[code] = found
    return found


def _walk(func: Callable, h: hashlib._Hash, seen: set[int]) -> None:
    func = getattr(func, "py_func", func)
    if id(func) in seen or not isinstance(func, types.FunctionType):
        return
    seen.add(id(func))
    h.update(f"def {func.__module__}.{func.__qualname__}\n".encode())
    h.update(_source(func))
    names = _names(func.__code__)
    glob = func.__globals__
    for name in sorted(names):
        if name not in glob:
            continue
        _visit(name, glob[name], names, h, seen)


def _visit(name: str, value, names: set[str], h: hashlib._Hash, seen: set[int]) -> None:
    if name.rpartition(".")[2] in _RUNTIME_STATE:
        return
    target = getattr(value, "py_func", value)
    if isinstance(target, types.FunctionType):
        if _followed(target.__module__):
            _walk(target, h, seen)
        return
    if isinstance(value, types.ModuleType):
        if not _followed(value.__name__):
            return
        # A module used as a namespace (``cl.V_LA``): follow the attributes the code reads.
        for attr in sorted(names):
            if attr in vars(value):
                _visit(f"{name}.{attr}", vars(value)[attr], names, h, seen)
        return
    data = _constant_bytes(value)
    if data is not None:
        h.update(f"const {name}=".encode() + data + b"\n")


def equation_digest(functions: Iterable[Callable]) -> str:
    """SHA-256 (hex) of every source and constant reachable from ``functions``.

    Parameters
    ----------
    functions
        The model's equation functions (right-hand side, observables, ...). Compiled numba
        functions are read through their Python originals.

    Returns
    -------
    str
        64 hexadecimal digits.

    Examples
    --------
    >>> from twinviewer.physiology.elements import orifice_valve
    >>> len(equation_digest([orifice_valve]))
    64
    """
    h = hashlib.sha256()
    seen: set[int] = set()
    for fn in functions:
        _walk(fn, h, seen)
    return h.hexdigest()
