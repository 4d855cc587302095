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


def test_beta_blocker_filling_pressure_is_checked_against_its_pcwp_row():
    """review12b #6: the β-blocker's LVEDP rise was called UNSOURCED although its row
    (Dell'Italia 1989, metoprolol) reports PCWP unchanged: PCWP stands for LAP and LVEDP, and
    a row checking EDV and ESV checks SV."""
    import numpy as np

    from twinviewer.explain.evidence_flags import checked_changes

    checked = sourced_metrics(["beta_blocker"])
    assert {"LAP", "LVEDP", "LVSV"} <= checked
    # 10 mg: the 12 mg row is the nearest, within NEAR (review15b #4: said "at 12 mg")
    sc = Scenario("bb", (InterventionStep("beta_blocker", {"dose": 10.0}),), "regulated")
    base = {"LVEDP": np.array([17.0, 15.0]), "LVSV": np.array([40.0, 38.0]),
            "MAP": np.array([85.0, 80.0])}
    after = {"LVEDP": np.array([19.5, 17.5]), "LVSV": np.array([35.7, 33.7]),
             "MAP": np.array([73.0, 68.0])}
    (line,) = unsourced_changes([sc], base, {"bb": after})["bb"]
    assert "Mean arterial pressure" in line and "end-diastolic" not in line
    assert "stroke volume" not in line
    lines = checked_changes([sc], base, {"bb": after})["bb"]
    # with its interval, as the tables give it (review15b #10); +2.5, not "+2" (fix16a)
    assert any("LV end-diastolic pressure +2.5 mmHg (90 %: +2.5 to +2.5; through PCWP ~=)" in x
               and x.endswith("checked against evidence row 'Metoprolol 12 mg IV' "
                              "(metoprolol-12mg) at 12 mg") for x in lines), lines
