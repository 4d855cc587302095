"""docs/plugins.md section 8, "A drug given in parts": the documented venodilator runs and
does what the text says of ``cumulative`` and ``ctx.before`` (drugs17 added both; the guide
did not mention them). Written out from the guide as ``test_tutorial`` writes its files."""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path

import numpy as np
import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


@pytest.fixture(scope="module")
def venodilator(tmp_path_factory):
    """The guide's ``my_drug/venodilator.py``, imported and registered under its name, and
    the same drug without ``cumulative`` as ``my_venodilator_each`` (registered once per
    process each: the plug-in registry keeps the first object it loads under a name)."""
    from twinviewer.interventions.library import LIBRARY, register

    body = re.search(r"```python file=my-drug/my_drug/venodilator\.py\n(.*?)```",
                     DOC.read_text(encoding="utf-8"), flags=re.S).group(1)
    root = tmp_path_factory.mktemp("guide")
    (root / "my_drug").mkdir()
    (root / "my_drug" / "__init__.py").write_text("")
    (root / "my_drug" / "venodilator.py").write_text(body)
    sys.path.insert(0, str(root))
    try:
        from my_drug.venodilator import MY_VENODILATOR
    finally:
        sys.path.remove(str(root))
    each = dataclasses.replace(MY_VENODILATOR, name="my_venodilator_each", cumulative="")
    for iv in (MY_VENODILATOR, each):
        register(iv, replace=True)
    yield MY_VENODILATOR
    for iv in (MY_VENODILATOR, each):
        LIBRARY.pop(iv.name, None)
    for mod in ("my_drug", "my_drug.venodilator"):
        sys.modules.pop(mod, None)


def _applied(*steps):
    from twinviewer.core.twin import InterventionStep, Scenario
    from twinviewer.interventions.scenario import apply_scenario
    from twinviewer.physiology import get_preset

    p = get_preset("hfref")
    P = np.tile(p.vector(), (3, 1))
    P[:, p.model.index("V_total")] *= [0.9, 1.0, 1.1]
    sc = Scenario("s", tuple(InterventionStep(n, {k: v}) for n, k, v in steps), "acute")
    return P, apply_scenario(p.model, P, sc), p.model.index("V_total")


def test_two_doses_are_one_step_at_their_sum(venodilator):
    _, five_five, _ = _applied(("my_venodilator", "dose", 5.0), ("my_venodilator", "dose", 5.0))
    _, ten, _ = _applied(("my_venodilator", "dose", 10.0))
    np.testing.assert_allclose(five_five, ten, rtol=1e-12)


def test_without_cumulative_the_curve_is_walked_twice(venodilator):
    """What the guide says the field is for: 5 mg twice on the Emax curve pools more than
    10 mg once (0.04 + 0.04 against 0.06 of the loop volume)."""
    P, five_five, j = _applied(("my_venodilator_each", "dose", 5.0),
                               ("my_venodilator_each", "dose", 5.0))
    _, ten, _ = _applied(("my_venodilator_each", "dose", 10.0))
    np.testing.assert_allclose(1 - five_five[:, j] / P[:, j], 0.08, rtol=1e-12)
    np.testing.assert_allclose(1 - ten[:, j] / P[:, j], 0.06, rtol=1e-12)


def test_a_sum_above_the_maximum_is_refused_with_its_reason(venodilator):
    from twinviewer.interventions.intervention import InterventionError

    said = ("steps 1 and 2 (one dose–response: 30 + 20 mg): my_venodilator: setting 'dose' "
            "= 50 mg is above its maximum 40 mg: above the usual cumulative dose")
    assert said in " ".join(DOC.read_text(encoding="utf-8").split())
    with pytest.raises(InterventionError, match=re.escape(said)):
        _applied(("my_venodilator", "dose", 30.0), ("my_venodilator", "dose", 20.0))
    assert "given twice in one scenario, its doses add up" in venodilator.describe()


def test_sized_on_the_volume_before_the_scenario_it_commutes_with_a_diuretic(venodilator):
    P, first, j = _applied(("my_venodilator", "dose", 10.0), ("diuretic", "level", 2.0))
    _, second, _ = _applied(("diuretic", "level", 2.0), ("my_venodilator", "dose", 10.0))
    np.testing.assert_allclose(first, second, rtol=1e-12)
    _, diuretic, _ = _applied(("diuretic", "level", 2.0))
    # the two volume changes add: the pooled share is of the volume before the diuretic
    np.testing.assert_allclose(P[:, j] - first[:, j],
                               (P[:, j] - diuretic[:, j]) + 0.06 * P[:, j], rtol=1e-12)


