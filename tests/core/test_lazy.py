"""Packages that load their names on first use, and modules deferred until used (start-up)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
import types

import pytest

from twinviewer.core.lazy import lazy_package

LAZY = ("twinviewer.physiology", "twinviewer.personalize", "twinviewer.interventions",
        "twinviewer.explain")


@pytest.mark.parametrize("name", LAZY)
def test_every_public_name_resolves_to_its_submodule_object(name):
    pkg = importlib.import_module(name)
    assert pkg.__all__ and set(pkg.__all__) <= set(dir(pkg))
    for attr in pkg.__all__:
        value = getattr(pkg, attr)
        home = pkg.__dict__["_lazy_homes"][attr]
        assert value is getattr(importlib.import_module(f"{name}.{home}"), attr)
    with pytest.raises(AttributeError, match="no_such_name"):
        pkg.no_such_name  # noqa: B018


def test_a_name_shared_with_its_submodule_stays_the_function():
    """``physiology.simulate`` is the function, before and after the submodule is imported
    (as it was with eager imports)."""
    code = textwrap.dedent("""
        import twinviewer.physiology.simulate
        from twinviewer.physiology import simulate
        from twinviewer.personalize import calibrate
        import twinviewer.personalize.calibrate
        import twinviewer.personalize as p
        print(callable(simulate), type(simulate).__name__, type(p.calibrate).__name__)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["True", "function", "function"]


def test_the_window_module_imports_no_scipy_stats_and_defers_pyplot():
    code = textwrap.dedent("""
        import sys
        import twinviewer.gui.main_window
        from twinviewer.gui._lazy_imports import is_deferred
        import twinviewer.physiology.wall_stress
        print("scipy.stats" in sys.modules, "scipy.optimize" in sys.modules,
              is_deferred("matplotlib.pyplot"))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False", "True"]


def test_a_light_submodule_does_not_import_the_engine():
    code = ("import sys, twinviewer.physiology.wall_stress, twinviewer.physiology.model; "
            "print('numba' in sys.modules, 'twinviewer.physiology.simulate' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]


def test_lazy_package_of_a_made_up_package(tmp_path, monkeypatch):
    pkg = tmp_path / "lazypkg_demo"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "from twinviewer.core.lazy import lazy_package\n"
        "__all__ = lazy_package(__name__, {'heavy': ('heavy', 'VALUE')})\n")
    (pkg / "heavy.py").write_text("VALUE = 42\n\ndef heavy():\n    return 'called'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = importlib.import_module("lazypkg_demo")
    try:
        assert "lazypkg_demo.heavy" not in sys.modules
        assert mod.VALUE == 42 and "lazypkg_demo.heavy" in sys.modules
        assert mod.heavy() == "called"  # the function, not the submodule
        assert mod.__all__ == ["VALUE", "heavy"]
    finally:
        for k in [k for k in sys.modules if k.startswith("lazypkg_demo")]:
            del sys.modules[k]


def test_a_deferred_module_loads_on_first_use_and_then_is_the_real_one(tmp_path, monkeypatch):
    from twinviewer.gui._lazy_imports import defer_module, is_deferred

    (tmp_path / "deferred_demo.py").write_text("import sys\nLOADED = True\n"
                                               "sys.modules[__name__].COUNT = 1\n")
    (tmp_path / "broken_demo.py").write_text("raise RuntimeError('broken on purpose')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert defer_module("deferred_demo") and is_deferred("deferred_demo")
        assert not defer_module("deferred_demo")  # already there
        import deferred_demo  # costs nothing yet

        assert is_deferred("deferred_demo")
        assert deferred_demo.LOADED is True
        assert not is_deferred("deferred_demo")
        assert isinstance(sys.modules["deferred_demo"], types.ModuleType)
        assert sys.modules["deferred_demo"].COUNT == 1
        assert not defer_module("no_such_module_anywhere")
        assert defer_module("broken_demo")
        import broken_demo

        with pytest.raises(RuntimeError, match="broken on purpose"):
            broken_demo.anything  # noqa: B018
        assert is_deferred("broken_demo")  # still the stand-in: a later use raises again
    finally:
        sys.modules.pop("deferred_demo", None)
        sys.modules.pop("broken_demo", None)


def test_lazy_package_refuses_nothing_it_does_not_know():
    mod = types.ModuleType("made_up_pkg")
    sys.modules["made_up_pkg"] = mod
    try:
        assert lazy_package("made_up_pkg", {}) == []
        with pytest.raises(AttributeError):
            mod.anything  # noqa: B018
    finally:
        del sys.modules["made_up_pkg"]


def _family(tmp_path) -> None:
    """A made-up package laid out as matplotlib is for pyvista, and a module importing names
    from it at import (as pyvista does)."""
    pkg = tmp_path / "famdemo"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text(
        "import sys\nsys.famdemo_runs = getattr(sys, 'famdemo_runs', 0) + 1\n"
        "from famdemo.colors import Colormap  # the package imports a submodule\n"
        "REGISTRY = {'a': Colormap('a')}\n")
    (pkg / "colors.py").write_text(
        "import sys\nsys.colors_runs = getattr(sys, 'colors_runs', 0) + 1\n"
        "class Colormap:\n    def __init__(self, name):\n        self.name = name\n"
        "class Listed(Colormap):\n    pass\n")
    (pkg / "extra.py").write_text("import famdemo\nEXTRA = famdemo.REGISTRY['a'].name\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "agg.py").write_text("class Canvas:\n    pass\n")
    (tmp_path / "callerpkg_demo.py").write_text(
        "import famdemo as f\nfrom famdemo import REGISTRY\nfrom famdemo.colors import Listed\n"
        "from famdemo.sub.agg import Canvas\nimport typing\n"
        "UNION = typing.Literal['x'] | list[str] | f.colors.Colormap  # as pyvista's _typing\n"
        "def lookup(key):\n    return REGISTRY[key]\n")


_FAMILY_SETUP = """
import sys
from twinviewer.gui._lazy_imports import defer_family, is_deferred, serve_items
assert defer_family("famdemo", {"famdemo": ("REGISTRY",), "famdemo.colors": ("Colormap",
    "Listed"), "famdemo.sub": (), "famdemo.sub.agg": ("Canvas",)}, "callerpkg_demo")
"""


def test_a_deferred_family_gives_its_caller_stand_ins_and_loads_once_on_use(tmp_path):
    _family(tmp_path)
    code = _FAMILY_SETUP + textwrap.dedent("""
        import callerpkg_demo as c
        print(is_deferred("famdemo"), isinstance(1, c.Listed), type(c.UNION).__name__)
        serve_items("famdemo", "REGISTRY", lambda key: "served" if key == "b" else None)
        print(c.lookup("b"), is_deferred("famdemo"))  # served without importing
        print(c.lookup("a").name, is_deferred("famdemo"))  # not served: the real item
        obj = c.Listed("x")
        import famdemo, famdemo.colors
        print(isinstance(obj, c.Listed), isinstance(obj, famdemo.colors.Colormap),
              c.Canvas().__class__.__name__)
        print(sys.famdemo_runs, sys.colors_runs, sys.modules["famdemo.colors"] is
              famdemo.colors, type(famdemo.REGISTRY).__name__)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path).stdout.split()
    assert out == ["True", "False", "_UnionGenericAlias", "served", "True", "a", "False",
                   "True", "True", "Canvas", "1", "1", "True", "dict"], out


def test_other_modules_get_the_real_names_and_submodules_import_under_the_real_parent(
        tmp_path):
    _family(tmp_path)
    code = _FAMILY_SETUP + textwrap.dedent("""
        from famdemo.colors import Listed  # not the caller: the real class
        print(type(Listed).__name__, is_deferred("famdemo"))
        import famdemo.extra  # not deferred: imported under the real package
        import famdemo
        print(famdemo.extra.EXTRA, famdemo.extra is sys.modules["famdemo.extra"],
              sys.famdemo_runs, sys.colors_runs)
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path)
    assert run.stdout.split() == ["type", "False", "a", "True", "1", "1"], run.stderr


def test_the_window_imports_neither_numba_nor_pydicom_nor_matplotlib():
    code = textwrap.dedent("""
        import sys
        import twinviewer.gui.main_window
        import twinviewer.document, twinviewer.twins
        from twinviewer.gui._lazy_imports import is_deferred
        print([m for m in ("numba", "pydicom", "requests") if m in sys.modules],
              is_deferred("matplotlib"), is_deferred("matplotlib.colors"))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["[]", "True", "True"]
