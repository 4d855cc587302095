"""Two doses of one drug are matched with the evidence rows of the dose they add up to.

drugs17 made "β-blocker 5 mg + 7 mg" run exactly like 12 mg (one dose–response,
``interventions.scenario.combined_steps``), but ``evidence_flags`` matched rows one step at a
time: 5 and 7 mg are each more than :data:`~twinviewer.explain.evidence_flags.NEAR` from the
metoprolol and esmolol rows' 12 mg, so the same numbers were labelled UNSOURCED where 12 mg
was checked against those rows. These tests fail before the fix (the 5 + 7 mg lines named no
row and said UNSOURCED for CO, LVEF, SV, LVEDP).
"""

from __future__ import annotations

import json

import twinviewer.explain.evidence_flags as ef
from twinviewer.core.twin import InterventionStep

TWELVE = [InterventionStep("beta_blocker", {"dose": 12.0})]
FIVE_SEVEN = [InterventionStep("beta_blocker", {"dose": 5.0}),
              InterventionStep("beta_blocker", {"dose": 7.0})]


def test_summed_doses_are_checked_by_the_rows_of_their_sum():
    for lvef in (None, 23.0, 60.0):
        assert ef.checked_by(FIVE_SEVEN, lvef) == ef.checked_by(TWELVE, lvef), lvef
        assert (ef.no_row_for_this_heart(FIVE_SEVEN, lvef)
                == ef.no_row_for_this_heart(TWELVE, lvef)), lvef
    assert "(metoprolol-12mg)" in ef.checked_by(FIVE_SEVEN)["LVEDP"][0]
    assert ef.no_row_for_this_heart(FIVE_SEVEN, 60.0), "the healthy heart is told"


def test_other_steps_and_bare_names_are_left_as_they_are():
    pace = InterventionStep("pacing", {"rate": 110.0})
    applied = ef.as_applied([FIVE_SEVEN[0], pace, FIVE_SEVEN[1]])
    assert [(s.name, s.settings) for s in applied] == [("beta_blocker", {"dose": 12.0}),
                                                        ("pacing", {"rate": 110.0})]
    assert ef.as_applied(["beta_blocker", "beta_blocker"]) == ["beta_blocker"] * 2
    # a step of an intervention nobody provides is matched on its own, not refused here
    odd = [InterventionStep("not_an_intervention", {"dose": 1.0})] * 2
    assert ef.as_applied(odd) == odd


def test_failing_rows_of_summed_doses_are_those_of_their_sum(monkeypatch):
    """Every β-blocker row judged failing without running it."""
    rows = {r.id: {"id": r.id, "title": r.title, "passed": False,
                   "variables": [{"variable": "LVEF", "expected": "down", "got": "+1 %",
                                  "passed": False}]}
            for r in ef._rows() if r.intervention == "beta_blocker"}
    monkeypatch.setattr(ef, "_from_cache", lambda: rows)
    twelve = ef.failing_rows(TWELVE, run=False, lvef=23.0)
    assert any("(metoprolol-12mg) fails" in x for x in twelve), twelve
    assert ef.failing_rows(FIVE_SEVEN, run=False, lvef=23.0) == twelve


def test_whatif_5_plus_7_mg_gives_the_evidence_lines_of_12_mg(capsys):
    """The ``whatif`` CLI on an HFrEF twin: the same checked, UNSOURCED and failing-row
    lines for both scenarios (their numbers are equal: drugs17)."""
    from twinviewer.cli import main

    assert main(["whatif", "--preset", "hfref", "--members", "6", "--json",
                 "-i", "beta_blocker:dose=12",
                 "-s", "beta_blocker:dose=5+beta_blocker:dose=7"]) == 0
    doc = json.loads(capsys.readouterr().out)
    one, two = "beta_blocker(dose=12)", "beta_blocker(dose=5) + beta_blocker(dose=7)"
    for key in ("checked_changes", "unsourced_changes"):
        assert doc[key].get(two) == doc[key].get(one), key
    failing = doc["table"]["evidence_failing"]
    assert failing.get(two) == failing.get(one)
    checked = " ".join(doc["checked_changes"][two])
    assert "(metoprolol-12mg)" in checked and "(esmolol-16mg-min)" in checked, checked
