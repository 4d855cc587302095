"""review14 #3: "UNSOURCED: LV ejection fraction +11 %" was a change of 11 percentage points
written as a percent, beside real relative changes ("MAP … (−8 %)"). Every change of a
quantity whose unit is "%" is written in %-points by the one formatter; relative changes of
a percentage say "relative"; relative changes of other quantities stay "%"."""

from __future__ import annotations

import re

import numpy as np
import pytest

import twinviewer.explain.evidence_flags as evidence_flags
from twinviewer.core.format import POINTS, change_unit, delta, relative
from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions.compare import (
    Comparison,
    Interval,
    ScenarioFlags,
    ScenarioTable,
)
from twinviewer.interventions.evidence_table import Variable, _judge
from twinviewer.physiology import METRICS

PERCENT = [m for m in METRICS if m.unit == "%"]
#: a number followed by a bare "%": a percent, not %-points
BARE_PERCENT = re.compile(r"[+−-]\d+(?:\.\d+)? %(?!-points)(?! relative)")


def test_the_registry_has_its_percentages():
    assert {"LVEF", "RVEF", "MR_fraction", "AR_fraction"} <= {m.name for m in PERCENT}


@pytest.mark.parametrize("m", PERCENT, ids=lambda m: m.name)
def test_warning_builders_write_a_percentage_change_in_points(m, monkeypatch):
    # every %-unit metric through the builders as if it were a headline output
    monkeypatch.setattr(evidence_flags, "HEADLINE", (m.name, "MAP"))
    base = {m.name: np.array([40.0, 41.0, 39.0]), "MAP": np.array([90.0, 92.0, 88.0])}
    after = {m.name: np.array([51.2, 52.2, 50.2]), "MAP": np.array([80.0, 82.0, 78.0])}
    lines = []
    for step in ("mitral_teer", "inotrope", "beta_blocker", "pacing"):
        sc = Scenario("s", (InterventionStep(step, {}),), "regulated")
        lines += evidence_flags.unsourced_changes([sc], base, {"s": after}).get("s", [])
        lines += evidence_flags.checked_changes([sc], base, {"s": after}).get("s", [])
    said = [x for x in lines if m.label in x]
    assert said, lines
    for x in said:
        assert f"{m.label} +11.2 {POINTS}" in x, x  # a narrow interval: one more decimal
        assert not BARE_PERCENT.search(x), x
    # a relative change of a quantity in another unit stays a change in its unit
    assert any("Mean arterial pressure −10 mmHg" in x for x in lines), lines


@pytest.mark.parametrize("m", PERCENT, ids=lambda m: m.name)
def test_table_and_evidence_rows_say_points(m):
    d = Interval(11.2, 7.0, 14.0)
    cell = Comparison(m.name, m.unit, m.label, Interval(40, 35, 45), Interval(51, 45, 56), d,
                      None, None, 3, 3)
    t = ScenarioTable((m.name,), ("s",), {m.name: Interval(40, 35, 45)},
                      {m.name: {"s": cell}}, {"s": ScenarioFlags(0, 0, 0, ())},
                      units={m.name: m.unit})
    text = t.format_text()
    assert "a Δ of a quantity in % is in %-points" in text.splitlines()[0]
    assert "Δ +11 (+7 to +14)" in text
    # an evidence row's absolute change of a percentage, and a relative one
    v = Variable(m.name, "absolute", 30.0, 40.0, unit="%")
    r = _judge(v, {m.name: 30.0}, {m.name: 38.0}, 0.5, None)
    assert "(change +10 %-points)" in r.expected and "(change +8 %-points)" in r.got, r
    v = Variable(m.name, "relative", 30.0, 40.0, unit="%")
    r = _judge(v, {m.name: 30.0}, {m.name: 36.0}, 0.5, None)
    assert "(+33 % relative)" in r.expected and "(+20 % relative)" in r.got, r


def test_other_units_stay_as_they_were():
    assert change_unit("mmHg") == "mmHg" and delta(-2.5, "L/min") == "-2.5 L/min"
    assert relative(-0.08) == "-8 %" and relative(-0.08, "mmHg") == "-8 %"
    v = Variable("MAP", "relative", 100.0, 95.0, unit="mmHg")
    r = _judge(v, {"MAP": 90.0}, {"MAP": 83.0}, 0.5, None)
    assert r.got.endswith("(-8 %)"), r.got
