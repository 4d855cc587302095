"""A ranking names the option whose model fails its own evidence row, beside its line
(review12 #8: DDD pacing "best in 94 %" for min LVEDP while its pacing row fails)."""

from __future__ import annotations

import json

from twinviewer.explain.evidence_flags import scenario_evidence
from twinviewer.interventions import run_scenarios, scenario_table
from twinviewer.interventions.ranking import Goal, rank

from .conftest import one_step


def test_ranking_cautions_the_option_whose_evidence_row_fails(ensemble_baseline):
    model, base = ensemble_baseline("severe_as", 8)
    scs = [one_step("pacing", "pace 90", rate=90.0), one_step("tavi_sapien3", "s3", size=26)]
    res = run_scenarios(model, base, scs)
    evidence = scenario_evidence(scs)
    assert "pace 90" in evidence, "the DDD pacing row is known to fail (SV −33 %)"
    table = scenario_table(base, res, ["LVEDP"], evidence=evidence)
    r = rank(base, res, Goal.parse("min LVEDP"), evidence=table.evidence)
    lines = r.format_text().splitlines()
    at = next(i for i, s in enumerate(lines) if s.strip().startswith("pace 90:"))
    assert "caution: this intervention's model fails its evidence" in lines[at + 1]
    assert "pacing" in lines[at + 1]  # the row is named
    assert r.caution("baseline") == ""
    d = json.loads(json.dumps(r.to_dict()))
    assert set(d["cautions"]) == {k for k in ("pace 90", "s3") if r.caution(k)}
    assert "pace 90" in d["cautions"]
    # without evidence no caution (the caution comes from the rows, not the name)
    assert "caution" not in rank(base, res, Goal.parse("min LVEDP")).format_text()


def test_ranking_cautions_an_unsourced_change_of_the_goal_metric():
    """Ranking by min LVEDP: an option whose LVEDP change no source reports says so."""
    from twinviewer.interventions.ranking import Ranking

    line = ("UNSOURCED: LV end-diastolic pressure −2.5 mmHg (no sourced evidence row of "
            "pacing checks these outputs: …)",)
    args = (("baseline", "pace"), {"baseline": 0.1, "pace": 0.9},
            {"baseline": 1.0, "pace": 1.0}, 0.0, "pace", 10)
    r = Ranking(Goal("LVEDP"), *args, unsourced={"pace": line})
    assert "its change of LV end-diastolic pressure (the goal) has no source" in r.caution("pace")
    assert r.caution("baseline") == ""
    assert Ranking(Goal("CO", "max"), *args, unsourced={"pace": line}).caution("pace") == ""
    assert "the goal" in r.format_text()
