"""A what-if that moves a headline output no source reports says so (review12 #8: edge-to-edge
repair dropped LVEF by 16 points, 61 → 45 %, and INTERVENTIONS.md §3 has no EF source)."""

from __future__ import annotations

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.explain.evidence_flags import sourced_metrics, unsourced_changes
from twinviewer.interventions import run_scenarios
from twinviewer.physiology import simulate
from twinviewer.twins import model_of, twin_from_preset


def test_teer_ef_fall_is_called_unsourced_and_its_sourced_gradient_is_not():
    twin = twin_from_preset("severe_mr", n=8, seed=1)
    model = model_of(twin)
    base = simulate(model, twin.ensemble)
    sc = Scenario("teer", (InterventionStep("mitral_teer", {}),), "regulated")
    res = run_scenarios(model, base, [sc])
    assert "LVEF" not in sourced_metrics(["mitral_teer"])
    assert "MV_mean_gradient" in sourced_metrics(["mitral_teer"])
    (line,) = unsourced_changes([sc], base, res)["teer"]
    assert line.startswith("UNSOURCED:") and "LV ejection fraction −" in line
    assert "Mitral mean gradient" not in line  # its row sources it
    # an intervention whose row checks the output is not called unsourced for it
    assert "CO" in sourced_metrics(["pacing"])
