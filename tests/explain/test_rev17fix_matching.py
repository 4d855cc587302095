"""review17 F8 and F6: an evidence row is matched only on the settings it speaks for.

F8: the LVAD ramp row (Uriel 2016, mapped to 4000–5600 rpm on the HeartMate 3) has no step
settings, so it matched every speed: at 9000 rpm CO, LAP and LVEDP were "checked against
lvad-ramp" and never UNSOURCED. A speed outside the ramp is not checked by it.

F6: a "diuretic" step has no ``hours``; both furosemide rows were at distance 0 and file order
picked the 20-min row (early vasoconstriction, which the diuretic does not model). The
diuretic stands for the hours-scale effect: it is checked by the 3.5-h row only.
"""

from __future__ import annotations

import numpy as np

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.explain.evidence_flags import checked_by, checked_changes, unsourced_changes

BASE = {"CO": np.array([3.0, 3.2]), "LAP": np.array([25.0, 27.0]),
        "LVEDP": np.array([26.0, 28.0])}
AFTER = {"CO": np.array([9.3, 9.5]), "LAP": np.array([-3.0, -1.0]),
         "LVEDP": np.array([3.0, 5.0])}


def _lines(step):
    sc = Scenario("s", (step,), "regulated")
    return (checked_changes([sc], BASE, {"s": AFTER}).get("s", []),
            unsourced_changes([sc], BASE, {"s": AFTER}).get("s", []))


def test_lvad_outside_the_ramp_speeds_is_unsourced():
    checked, unsourced = _lines(InterventionStep("lvad", {"speed": 9000.0}))
    assert not any("lvad-ramp" in x for x in checked), checked
    assert unsourced, unsourced
    for name in ("Cardiac output", "Mean left atrial pressure", "LV end-diastolic pressure"):
        assert name in unsourced[0], unsourced
    assert "CO" not in checked_by([InterventionStep("lvad", {"speed": 3900.0})])


def test_lvad_inside_the_ramp_is_still_checked_by_it():
    for speed in (4000.0, 5000.0, 5600.0):
        by = checked_by([InterventionStep("lvad", {"speed": speed})])
        assert "lvad-ramp" in by["CO"][0] and "lvad-ramp" in by["LAP"][0], (speed, by)


def test_a_diuretic_is_checked_by_the_hours_row_not_the_20_minute_row():
    for level in (1.0, 2.0, 3.0):
        by = checked_by([InterventionStep("diuretic", {"level": level})])
        assert "(furosemide-3.5h)" in by["LAP"][0], by
        assert not any("furosemide-20min" in v[0] for v in by.values()), by


def test_furosemide_time_course_still_finds_its_own_rows():
    early = checked_by([InterventionStep("furosemide", {"dose": 1.3, "hours": 0.33})])
    late = checked_by([InterventionStep("furosemide", {"dose": 1.3, "hours": 3.5})])
    assert "(furosemide-20min)" in early["LAP"][0], early
    assert "(furosemide-3.5h)" in late["LAP"][0], late
