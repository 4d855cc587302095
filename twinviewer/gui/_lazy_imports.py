"""Modules whose import is deferred until first use (start-up time of the viewer)."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types

_LOCK = threading.RLock()
#: Special names that a module may define and a user may ask for: these import it.
_LOADING_DUNDERS = frozenset({"__all__", "__version__", "__path__"})


class _Deferred(types.ModuleType):
    """Stands in ``sys.modules`` for a module not imported yet; the first attribute look-up
    imports the real module (which then replaces it) and every look-up is passed on.

    :class:`importlib.util.LazyLoader` cannot do this here: ``import a.b as c`` of a module
    already in ``sys.modules`` reads its ``__spec__``, which makes LazyLoader load it.
    """

    def __getattr__(self, attr: str):
        if attr.startswith("__") and attr.endswith("__") and attr not in _LOADING_DUNDERS:
            # probes such as ``hasattr(m, "__wrapped__")`` (inspect, PySide's import hook)
            raise AttributeError(attr)
        return getattr(_load(self.__name__), attr)

    def __dir__(self) -> list[str]:
        return dir(_load(self.__name__))


def _load(name: str) -> types.ModuleType:
    with _LOCK:
        module = sys.modules.get(name)
        if isinstance(module, _Deferred):
            stand_in = sys.modules.pop(name)
            try:
                module = importlib.import_module(name)
            except BaseException:
                sys.modules[name] = stand_in
                raise
        elif module is None:
            module = importlib.import_module(name)
        return module


def defer_module(name: str) -> bool:
    """Put a stand-in for ``name`` in ``sys.modules``: importing it costs nothing, and the
    first use of one of its attributes imports it. Nothing happens if it is already imported
    or not installed.

    Returns
    -------
    bool
        True if the module was deferred.

    Examples
    --------
    >>> defer_module("json")  # already imported
    False
    """
    with _LOCK:
        if name in sys.modules:
            return False
        try:
            spec = importlib.util.find_spec(name)  # imports the parent package, not ``name``
        except (ImportError, ValueError):
            return False
        if spec is None:
            return False
        module = _Deferred(name)
        # what importers and PySide's signature module read of every module in sys.modules
        # (``__spec__``, ``__file__``) is there, so reading it does not import the module
        module.__spec__, module.__file__ = spec, spec.origin
        sys.modules[name] = module
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, module)
        return True


def is_deferred(name: str) -> bool:
    """True while ``name`` is a stand-in that has not been imported yet.

    >>> is_deferred("json")
    False
    """
    return isinstance(sys.modules.get(name), _Deferred)
