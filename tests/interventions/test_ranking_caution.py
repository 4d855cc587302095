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
