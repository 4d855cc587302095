"""A what-if is warned by the failing evidence rows at its own dose, not by a row at another
dose as if it were its own (session-15 note: fix15g made "checked against" dose-aware, the
warning of failing rows was left; INTERVENTIONS.md §4 gives dobutamine 10 µg/kg/min and "5
µg less" as separate doses)."""

from __future__ import annotations

import pytest

import twinviewer.explain.evidence_flags as ef
from twinviewer.core.twin import InterventionStep, Scenario

FAILING = ("dobutamine-8-postop", "dobutamine-10-normal")


@pytest.fixture
def judged(monkeypatch):
    """Every inotrope row judged without running it: the two that fail on the default model
    (interventions/failure_reasons.py) fail, the others pass."""
    rows = {r.id: {"id": r.id, "title": r.title, "passed": r.id not in FAILING,
                   "variables": [{"variable": "CO", "expected": "up", "got": "+1 %",
                                  "passed": r.id not in FAILING}]}
            for r in ef._rows() if r.intervention == "inotrope"}
    monkeypatch.setattr(ef, "_from_cache", lambda: rows)
    return rows


def _warned(dose):
    sc = Scenario("s", (InterventionStep("inotrope", {"dose": dose}),), "regulated")
    return ef.scenario_evidence([sc], run=False).get("s", [])


def test_dobutamine_5_is_not_warned_by_the_8_and_10_rows(judged):
    assert set(FAILING) <= set(judged)
    assert _warned(5.0) == []


def test_the_row_at_the_dose_warns_and_a_near_one_says_its_dose(judged):
    lines = _warned(10.0)
    assert any("(dobutamine-10-normal) fails" in x for x in lines), lines
    # 8 µg/kg/min is within NEAR of 10: named with its dose, not as if it were 10
    assert any("(dobutamine-8-postop) at 8 µg/kg/min fails" in x for x in lines), lines


def test_a_bare_name_is_warned_by_every_row(judged):
    lines = ef.failing_rows(["inotrope"], run=False)
    assert len(lines) == 2 and not any(" at " in x.split(" fails ")[0] for x in lines)
