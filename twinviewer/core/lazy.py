"""Packages whose public names are imported on first use (PEP 562), to keep start-up short.

A package's ``__init__`` lists where each public name lives; importing the package, or one
light submodule of it, then no longer imports the heavy ones (numba, scipy.stats) that
other names need.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Mapping, Sequence


class _LazyPackage(types.ModuleType):
    """A package module whose public names are looked up in their submodules on first use.

    A name that is also its own submodule's name (``physiology.simulate``, the function in
    ``physiology/simulate.py``) stays the function when the submodule is imported, as it was
    with eager imports in ``__init__``.
    """

    def __setattr__(self, name: str, value) -> None:
        homes = self.__dict__.get("_lazy_homes", {})
        if (isinstance(value, types.ModuleType) and homes.get(name) == name
                and value.__name__ == f"{self.__name__}.{name}" and hasattr(value, name)):
            value = getattr(value, name)
        super().__setattr__(name, value)

    def __getattr__(self, name: str):
        home = self.__dict__.get("_lazy_homes", {}).get(name)
        if home is None:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{self.__name__}.{home}"), name)
        super().__setattr__(name, value)  # later look-ups do not come here
        return value

    def __dir__(self) -> list[str]:
        return sorted(set(self.__dict__) | set(self.__dict__.get("_lazy_homes", {})))


def lazy_package(name: str, exports: Mapping[str, Sequence[str]]) -> list[str]:
    """Make package ``name`` load its public names on first use; returns ``__all__``.

    Parameters
    ----------
    name : str
        The package (``__name__`` in its ``__init__``).
    exports : mapping
        Submodule (relative name) → the public names it defines.

    Examples
    --------
    >>> import twinviewer.physiology as p
    >>> p.get_preset("healthy").model.name == p.get_preset("healthy").model.name
    True
    """
    module = sys.modules[name]
    homes = {n: sub for sub, names in exports.items() for n in names}
    module.__dict__["_lazy_homes"] = homes
    module.__class__ = _LazyPackage
    return sorted(homes)
