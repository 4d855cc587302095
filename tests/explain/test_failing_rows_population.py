"""A failing evidence row of another study population is not this heart's evidence.

flags17 made "checked against" population-aware, but ``failing_rows`` (the "fails in its
validation case" warnings) still listed every row at the step's settings: a healthy heart's
β-blocker what-if showed metoprolol's failing row (post-infarct, EF 48 %) beside "no
evidence row for a heart like this (LVEF 58 %)", and an HFrEF heart paced at 110 bpm the
EF ≥ 50 % group's. Such a row is now left out, as it is from "checked against"; the "no
evidence row" line already names whom the rows are for. These tests fail before the fix
(``failing_rows`` took no LVEF and ``scenario_evidence`` no baseline).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import twinviewer.explain.evidence_flags as ef
from twinviewer.core.twin import InterventionStep, Scenario


@pytest.fixture
def all_fail(monkeypatch):
    """Every sourced row judged failing, without running it."""
    rows = {r.id: {"id": r.id, "title": r.title, "passed": False,
                   "variables": [{"variable": "CO", "expected": "up", "got": "−1 %",
                                  "passed": False}]}
            for r in ef._rows() if r.sourced}
    monkeypatch.setattr(ef, "_from_cache", lambda: rows)
    return rows


def _ids(lines):
    return {x.split("(", 2)[1].split(")")[0] for x in lines}


def test_failing_rows_are_those_of_the_hearts_population(all_fail):
    pace = [InterventionStep("pacing", {"rate": 110.0})]
    assert _ids(ef.failing_rows(pace, run=False, lvef=23.0)) == {"pacing-70-110-ef-reduced"}
    # normal hearts paced at 100 bpm: within NEAR of 110, said "at 100 bpm"
    normal = {"pacing-70-110-ef-preserved", "pacing-normal-atrial"}
    assert _ids(ef.failing_rows(pace, run=False, lvef=60.0)) == normal
    assert _ids(ef.failing_rows(pace, run=False)) == normal | {"pacing-70-110-ef-reduced"}
    dob = [InterventionStep("inotrope", {"dose": 10.0})]
    assert "dobutamine-10" not in _ids(ef.failing_rows(dob, run=False, lvef=60.0))
    assert "dobutamine-10-normal" not in _ids(ef.failing_rows(dob, run=False, lvef=23.0))
    bb = [InterventionStep("beta_blocker", {"dose": 12.0})]
    assert ef.failing_rows(bb, run=False, lvef=60.0) == []
    assert _ids(ef.failing_rows(bb, run=False, lvef=23.0)) == {"metoprolol-12mg",
                                                               "esmolol-16mg-min"}


def test_failing_rows_match_the_rows_that_check_the_heart(all_fail):
    """The same match as "checked against": every failing row named for a heart is one of
    the rows its checks may come from, and none of another population."""
    for step in (InterventionStep("pacing", {"rate": 110.0}),
                 InterventionStep("inotrope", {"dose": 10.0}),
                 InterventionStep("beta_blocker", {"dose": 12.0})):
        for lvef in (23.0, 60.0):
            fit, other = ef._candidates([step], lvef)
            named = _ids(ef.failing_rows([step], run=False, lvef=lvef))
            assert named == {c[3].id for c in fit}, (step, lvef)
            assert not named & {r.id for r in other}, (step, lvef)


def test_scenario_evidence_reads_the_hearts_lvef_from_its_baseline(all_fail):
    sc = Scenario("bb", (InterventionStep("beta_blocker", {"dose": 12.0}),), "regulated")
    healthy = {"LVEF": np.array([57.0, 59.0, 61.0])}
    assert ef.scenario_evidence([sc], run=False, baseline=healthy) == {}
    hfref = {"LVEF": np.array([21.0, 23.0, 25.0])}
    assert _ids(ef.scenario_evidence([sc], run=False, baseline=hfref)["bb"]) == {
        "metoprolol-12mg", "esmolol-16mg-min"}
    assert "bb" in ef.scenario_evidence([sc], run=False)  # no heart known: every row


def test_healthy_beta_blocker_whatif_names_no_failing_row_of_another_population(capsys):
    """The ``whatif`` CLI on a healthy twin: "no evidence row for a heart like this" and no
    metoprolol row failing beside it (before: both)."""
    from twinviewer.cli import main

    assert main(["whatif", "--preset", "healthy", "--members", "6", "--json",
                 "-i", "beta_blocker:dose=12"]) == 0
    doc = json.loads(capsys.readouterr().out)
    name = "beta_blocker(dose=12)"
    assert "no evidence row for a heart like this" in " ".join(doc["checked_changes"][name])
    assert not doc["table"]["evidence_failing"].get(name), doc["table"]["evidence_failing"]
