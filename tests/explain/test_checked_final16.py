"""final16 #2 and #11: the "checked against" lines of ``whatif PATIENT.twin`` carry the
interval the table above them gives (the calibrated twin's model error), and a change that
reads as one number keeps its unit beside the surrogate it is checked through."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np

from twinviewer.core.twin import InterventionStep, Scenario, Visit
from twinviewer.explain import evidence_flags
from twinviewer.explain.evidence_flags import checked_changes
from twinviewer.personalize.shown import IntervalContext

NITROPRUSSIDE = Scenario("np", (InterventionStep("nitroprusside", {}),), "regulated")


def test_a_change_without_interval_keeps_its_unit_beside_the_surrogate():
    """/tmp/final16/chop.py: "LV end-diastolic pressure −0.6 mmH; through PCWP)"."""
    base = {"LVEDP": np.array([4.0, 4.2, 4.4]), "LAP": np.array([4.0, 4.2, 4.4]),
            "CO": np.array([4.0, 4.0, 4.0])}
    after = {"LVEDP": np.array([3.4, 3.6, 3.8]), "LAP": np.array([3.4, 3.6, 3.8]),
             "CO": np.array([4.0, 4.0, 4.0])}
    text = " ".join(checked_changes([NITROPRUSSIDE], base, {"np": after})["np"])
    assert "mmH;" not in text, text
    assert "LV end-diastolic pressure −0.6 mmHg (through PCWP)" in text, text


def test_whatif_on_a_calibrated_twin_checks_with_the_twin_s_intervals(tmp_path, monkeypatch,
                                                                      capsys):
    """/tmp/final16/wi_cal.txt: the table gave LVEDP Δ −7 (−14 to −3) with model error, the
    "checked against" line under it −7 (90 %: −10 to −4), the ensemble's."""
    from twinviewer.cli import main
    from twinviewer.io.twinfile import save_twin
    from twinviewer.twins import twin_from_preset

    twin = twin_from_preset("hfref", n=8, seed=1)
    ctx = IntervalContext(atypicality=1.0, misfit=1.0, measured=frozenset({"CO"}))
    twin = replace(twin, ensemble_kind="posterior",
                   visits=[Visit(0, ensemble=twin.ensemble, interval=ctx.to_dict())])
    path = tmp_path / "cal.twin"
    save_twin(path, twin)
    seen = []
    real = evidence_flags.checked_changes

    def spy(scenarios, baseline, results, context=None):
        out = real(scenarios, baseline, results, context)
        seen.append((context, real(scenarios, baseline, results), out))
        return out

    monkeypatch.setattr(evidence_flags, "checked_changes", spy)
    assert main(["whatif", str(path), "-i", "nitroprusside", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    ((context, bare, said),) = seen
    assert context is not None and context.widened("LVEDP")
    assert doc["checked_changes"] == said
    lvedp = [x for lines in said.values() for x in lines if "LV end-diastolic" in x]
    assert lvedp and said != bare, (said, bare)  # the model error widens the interval
