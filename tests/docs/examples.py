"""Run the docstring examples of the package's modules, one module per test.

STYLE asks for an example on every public function; an example that is never run rots (six
had, found in session 9). The examples of a few modules build phantoms or whole studies
(10–15 s each): those run in the slow job.
"""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil

import pytest

import twinviewer

#: Modules whose examples take 10 s or more (they build 4D phantoms and studies).
SLOW = frozenset({"twinviewer.imaging.demo4d", "twinviewer.imaging.phantom",
                  "twinviewer.imaging.demo", "twinviewer.imaging.ct_seeds"})


def modules(prefixes: tuple[str, ...]) -> list:
    """pytest params for the modules under ``prefixes`` (``'twinviewer.gui'`` …), the slow
    ones marked slow.

    Examples
    --------
    >>> "twinviewer.core.units" in [p.values[0] for p in modules(("twinviewer.core",))]
    True
    """
    names = sorted(m.name for m in pkgutil.walk_packages(twinviewer.__path__, "twinviewer.")
                   if not m.name.endswith("__main__"))
    names.append("twinviewer")
    return [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else pytest.param(n)
            for n in names if n.startswith(prefixes)]


def run_examples(name: str) -> None:
    """Run module ``name``'s docstring examples; fail with doctest's report if one fails."""
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out = io.StringIO()
    for test in doctest.DocTestFinder(exclude_empty=True).find(module, name):
        if test.filename and not test.filename.startswith(twinviewer.__path__[0]):
            continue  # a name re-exported from another package
        runner.run(test, out=out.write)
    assert runner.failures == 0, out.getvalue()
