"""A what-if's change is checked against the evidence row at its own settings (review15b #4: a
dobutamine 5 µg/kg/min scenario was "checked against evidence row 'Dobutamine 10 µg/kg/min'"
although the 5 µg/kg/min row exists); a row at a near setting is named with its setting, one
far off checks nothing (the change is UNSOURCED)."""

from __future__ import annotations

import numpy as np

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.explain.evidence_flags import NEAR, checked_by, checked_changes, unsourced_changes

BASE = {"CO": np.array([3.0, 3.2]), "LVEDP": np.array([20.0, 22.0])}
AFTER = {"CO": np.array([4.1, 4.3]), "LVEDP": np.array([17.0, 19.0])}


def _lines(*steps):
    sc = Scenario("s", tuple(steps), "regulated")
    return (checked_changes([sc], BASE, {"s": AFTER}).get("s", []),
            unsourced_changes([sc], BASE, {"s": AFTER}).get("s", []))


def test_dobutamine_5_is_checked_by_the_5_row_not_the_10_row():
    checked, unsourced = _lines(InterventionStep("inotrope", {"dose": 5.0}))
    assert any("Cardiac output +1.1 L/min (90 %: +1.1 to +1.1): checked against evidence row "
               "'Dobutamine 5 µg/kg/min' (dobutamine-5)" in x for x in checked), checked
    assert not any("dobutamine-10" in x for x in checked), checked
    # the 5 µg/kg/min row reports no filling pressure; the 10 µg/kg/min row is twice the dose
    assert unsourced and "LV end-diastolic pressure" in unsourced[0], unsourced


def test_dose_10_is_checked_by_the_10_row_and_a_near_dose_says_the_rows_dose():
    checked, _ = _lines(InterventionStep("inotrope", {"dose": 10.0}))
    assert any("(dobutamine-10)" in x and "dobutamine-5" not in x for x in checked), checked
    by = checked_by([InterventionStep("inotrope", {"dose": 9.0})])
    assert by["LVEDP"][0] == ("evidence row 'Dobutamine 10 µg/kg/min' (dobutamine-10) "
                              "at 10 µg/kg/min")
    far = 10.0 / (1 + NEAR) - 0.5  # just beyond NEAR of the 10 row: it checks nothing
    assert "LVEDP" not in checked_by([InterventionStep("inotrope", {"dose": far})])


def test_a_combination_says_the_change_is_the_combinations():
    checked, _ = _lines(InterventionStep("tavi_evolut_r", {"size": 29.0}),
                        InterventionStep("inotrope", {"dose": 5.0}))
    assert checked and all("the change is that of tavi_evolut_r + inotrope together" in x
                           for x in checked), checked
