"""Modules whose import is deferred until first use (start-up time of the viewer).

pyvista (0.49) imports matplotlib at import time, in ``plotting/colors.py``, ``charts.py`` and
``_typing.py``, but uses it only inside functions (named colour maps, a colour cycler,
``ChartMPL``); the viewer draws with VTK and pyqtgraph and builds its colour tables from
numpy. :func:`defer_family` puts stand-ins for matplotlib and the submodules pyvista names in
``sys.modules``; the first real use imports the real package.
"""

from __future__ import annotations

import copy
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
import types
from collections.abc import Callable, Mapping, Sequence

_LOCK = threading.RLock()
#: Special names that a module may define and a user may ask for: these import it.
_LOADING_DUNDERS = frozenset({"__all__", "__version__"})
#: Top-level package → the deferred modules of its family.
_FAMILIES: dict[str, tuple[str, ...]] = {}
#: (module, lazy name) → what answers ``name[key]`` while the module is deferred (None:
#: not known there, the item is looked up in the real module on first use).
_ITEMS: dict[tuple[str, str], Callable[[object], object | None]] = {}


def _caller(depth: int = 2) -> str:
    """Name of the module whose code asked (frames of the import machinery skipped)."""
    frame = sys._getframe(depth)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(
            ("importlib", "_frozen_importlib")):
        frame = frame.f_back
    return frame.f_globals.get("__name__", "") if frame is not None else ""


class _Deferred(types.ModuleType):
    """Stands in ``sys.modules`` for a module not imported yet; the first attribute look-up
    imports the real module (which then replaces it) and every look-up is passed on.

    Names listed as lazy (``_lazy_names``) are given as :class:`_LazyAttribute` while the
    module is not imported, to the modules named ``_for_callers…`` only, so that their ``from
    m import Name`` at import costs nothing; any other module gets the real attribute.

    :class:`importlib.util.LazyLoader` cannot do this here: ``import a.b as c`` of a module
    already in ``sys.modules`` reads its ``__spec__``, which makes LazyLoader load it.
    """

    def __getattr__(self, attr: str):
        if attr.startswith("__") and attr.endswith("__") and attr not in _LOADING_DUNDERS:
            # probes such as ``hasattr(m, "__wrapped__")`` (inspect, PySide's import hook)
            raise AttributeError(attr)
        name = self.__dict__["__name__"]
        if attr in self.__dict__.get("_lazy_names", ()) and is_deferred(name) \
                and _caller().startswith(self.__dict__["_for_callers"]):
            return _LazyAttribute(name, attr, self.__dict__["_for_callers"])
        return getattr(_load(name), attr)

    def __dir__(self) -> list[str]:
        return dir(_load(self.__dict__["__name__"]))


class _LazyAttribute:
    """Attribute ``attr`` of module ``module``, looked up when first used (called, read,
    iterated); stands for classes and objects that another module imports by name at its
    own import.

    While the module is not imported, nothing can be an instance of its classes, so
    ``isinstance`` answers False without importing it; and ``[key]``, asked by a module named
    ``callers…``, is answered by :func:`serve_items`' provider if it knows the key (pyvista's
    theme validates its default colour map name at import, through
    ``matplotlib.colormaps[name]``).
    """

    __slots__ = ("_module", "_attr", "_callers")

    def __init__(self, module: str, attr: str, callers: str) -> None:
        self._module, self._attr, self._callers = module, attr, callers

    def _target(self):
        return getattr(_load(self._module), self._attr)

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # probes (typing's ``__typing_subst__``, inspect)
        return getattr(self._target(), name)

    def __call__(self, *args, **kwargs):
        return self._target()(*args, **kwargs)

    def __getitem__(self, key):
        provider = _ITEMS.get((self._module, self._attr))
        if provider is not None and is_deferred(self._module) \
                and _caller().startswith(self._callers):
            value = provider(key)
            if value is not None:
                return value
        return self._target()[key]

    def __contains__(self, key) -> bool:
        return key in self._target()

    def __iter__(self):
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._target())

    def __instancecheck__(self, obj) -> bool:
        return not is_deferred(self._module) and isinstance(obj, self._target())

    def __subclasscheck__(self, cls) -> bool:
        return not is_deferred(self._module) and issubclass(cls, self._target())

    def __repr__(self) -> str:
        return f"<deferred {self._module}.{self._attr}>"


def _load_family(top: str) -> None:
    """Replace every stand-in of ``top``'s family by the real module: the top package and
    the deferred packages (parents of whatever is imported next) now, modules on use."""
    members = _FAMILIES.get(top, (top,))
    stand_ins = {m: sys.modules.pop(m) for m in members
                 if isinstance(sys.modules.get(m), _Deferred)}
    try:
        importlib.import_module(top)
        for name, module in stand_ins.items():
            if "__path__" in module.__dict__:
                importlib.import_module(name)
    except BaseException:
        for name, module in stand_ins.items():
            if name not in sys.modules:
                sys.modules[name] = module
        raise


def _load(name: str) -> types.ModuleType:
    with _LOCK:
        module = sys.modules.get(name)
        if isinstance(module, _Deferred) or module is None:
            if isinstance(sys.modules.get(name.partition(".")[0]), _Deferred):
                _load_family(name.partition(".")[0])
            module = importlib.import_module(name)
        return module


class _Loaded(importlib.abc.Loader):
    """Gives the module the family's real import has just made (no second execution)."""

    def __init__(self, module: types.ModuleType) -> None:
        self.module = module
        self.spec = module.__spec__

    def create_module(self, spec):
        return self.module

    def exec_module(self, module) -> None:
        module.__spec__ = self.spec  # the real module's own spec, as before


class _FamilyFinder(importlib.abc.MetaPathFinder):
    """A submodule of a deferred family that is not deferred itself (``matplotlib.figure``)
    is imported under its real parent: the family is loaded first."""

    def find_spec(self, fullname: str, path=None, target=None):
        top = fullname.partition(".")[0]
        if top == fullname or top not in _FAMILIES or fullname in _FAMILIES[top] \
                or not isinstance(sys.modules.get(top), _Deferred):
            return None
        _load(top)
        module = sys.modules.get(fullname)
        if module is None:
            return None  # the other finders find it, under the real parent
        spec = copy.copy(module.__spec__)
        spec.loader = _Loaded(module)
        return spec


_FINDER = _FamilyFinder()


def _find_spec(name: str, parent: importlib.machinery.ModuleSpec | None):
    """The spec of ``name`` without importing its parents (any finder: the path's, or a
    bundle's frozen importer)."""
    if parent is None:
        return importlib.util.find_spec(name)
    if parent.submodule_search_locations is None:
        return None
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        if finder is _FINDER or find is None:
            continue
        spec = find(name, parent.submodule_search_locations)
        if spec is not None:
            return spec
    return None


def defer_family(top: str, members: Mapping[str, Sequence[str]], callers: str) -> bool:
    """Put stand-ins for package ``top`` and some of its submodules in ``sys.modules``:
    importing them costs nothing, and the first use of one imports the real package.

    Parameters
    ----------
    top : str
        A top-level package (e.g. ``'matplotlib'``).
    members : mapping
        Module name (``top`` or one of its submodules, parents before children) → names that
        ``callers`` import from it by name at their import (``from m import Name``): these
        are handed out to them as stand-ins too, until the module is imported.
    callers : str
        Prefix of the names of the modules that get stand-ins of those names (``'pyvista.'``);
        everyone else gets the real attribute (which imports the family).

    Returns
    -------
    bool
        True if deferred; False if ``top`` is already imported or not installed.

    Examples
    --------
    >>> defer_family("json", {"json": ()}, "nobody.")  # already imported
    False
    """
    with _LOCK:
        if top in sys.modules or "." in top:
            return False
        specs: dict[str, importlib.machinery.ModuleSpec] = {}
        for name in dict.fromkeys([top, *members]):
            parent = name.rpartition(".")[0]
            try:
                spec = _find_spec(name, specs.get(parent) if parent else None)
            except (ImportError, ValueError):
                spec = None
            if spec is None:
                return False
            specs[name] = spec
        for name, spec in specs.items():
            module = _Deferred(name)
            # what importers and PySide's signature module read of every module in
            # sys.modules (``__spec__``, ``__file__``; ``__path__`` of a package, read by
            # ``from package import name``) is there, so reading it does not import it
            module.__spec__, module.__file__ = spec, spec.origin
            if spec.submodule_search_locations is not None:
                module.__path__ = list(spec.submodule_search_locations)
            module._lazy_names = frozenset(members.get(name, ()))
            module._for_callers = callers
            sys.modules[name] = module
            parent, _, child = name.rpartition(".")
            if parent:
                setattr(sys.modules[parent], child, module)
        _FAMILIES[top] = tuple(specs)
        if _FINDER not in sys.meta_path:
            sys.meta_path.insert(0, _FINDER)
        return True


def defer_module(name: str) -> bool:
    """Defer one top-level module (see :func:`defer_family`).

    >>> defer_module("json")
    False
    """
    return defer_family(name, {name: ()}, name)


def serve_items(module: str, attr: str, provider: Callable[[object], object | None]) -> None:
    """While ``module`` is deferred, answer ``module.attr[key]`` (``attr`` one of its lazy
    names), asked by the family's callers, with ``provider(key)``; None: the real item.

    The viewer's own colour maps are served from :mod:`twinviewer.gui.colour_tables` this way:
    pyvista applies its theme's colour map to every new mapper by name, through
    ``matplotlib.colormaps[name]``.

    >>> serve_items("json", "no_such_name", lambda key: None)
    """
    _ITEMS[(module, attr)] = provider


def is_deferred(name: str) -> bool:
    """True while ``name`` is a stand-in that has not been imported yet.

    >>> is_deferred("json")
    False
    """
    return isinstance(sys.modules.get(name), _Deferred)


#: What pyvista 0.49 takes from matplotlib at its own import (see the module docstring),
#: for ``defer_family("matplotlib", MATPLOTLIB_FOR_PYVISTA, "pyvista.")``.
MATPLOTLIB_FOR_PYVISTA = {
    "matplotlib": ("colormaps",),
    "matplotlib.colors": ("Colormap", "ListedColormap"),
    "matplotlib.pyplot": (),
    "matplotlib.backends": (),
    "matplotlib.backends.backend_agg": ("FigureCanvasAgg",),
}
