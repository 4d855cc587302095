"""Edge-to-edge repair row (review8 #1): the mitral gradient rise is checked, not an ignored
"input", and the row says the clip's area loss was fitted to it (consistency, not prediction).
The +1.5 mmHg is INTERVENTIONS.md §3: mean gradient 1.6 → 3.1 mmHg (JAHA PMC6662353)."""

from __future__ import annotations

import json

from twinviewer.cli import main


def test_teer_gradient_rise_is_checked_and_the_row_is_marked_fitted(capsys):
    assert main(["validate", "--row", "teer-gradient-rf", "--no-reference", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    (row,) = out["evidence"]
    grad = next(v for v in row["variables"] if v["metric"] == "MV_mean_gradient")
    # it decides the row: a rise the model does not reproduce fails the row
    assert grad["role"] == "check"
    assert grad["expected"].startswith("1.6 → 3.1 mmHg (change +1.5 mmHg)")
    assert grad["passed"] and row["status"] == "pass"
    # 35 % of the reported +1.5 mmHg
    rise = grad["got_values"]["change"]  # a number, not parsed from the text (review9 #14)
    assert grad["change_kind"] == "absolute" and grad["got_unit"] == "mmHg"
    assert abs(rise - 1.5) <= 0.35 * 1.5
    assert "mva_reduction" in row["fitted"]
    assert out["evidence_summary"]["passed_fitted_to_row"] == 1


def test_teer_row_is_reported_as_consistency_in_the_text(capsys):
    main(["validate", "--row", "teer-gradient-rf", "--no-reference"])
    text = capsys.readouterr().out
    assert "consistency, not prediction: fitted to this row: mva_reduction" in text
    assert "input: set the intervention, not checked" not in text


def test_teer_residual_mr_uses_the_sources_four_grade_scale():
    """review16b #8: "residual MR ≤ 2+" (JAHA PMC6662353, INTERVENTIONS.md §3) on the 4-grade
    scale of ASE (Zoghbi et al., JASE 2017: 2+ RF 30–39 %, 3+ 40–49 %, 4+ ≥ 50 %) is RF < 40 %.
    The old bound (RF < 50 %) let a 3+ residual pass."""
    from twinviewer.interventions.evidence_table import load_rows

    row = next(r for r in load_rows() if r.id == "teer-gradient-rf")
    rf = next(v for v in row.variables if v.metric == "MR_fraction")
    assert rf.kind == "at_most"
    assert rf.after < 40.0  # a 3+ residual (RF 40–49 %) must fail
    assert rf.after >= 39.0  # 2+ (30–39 %) must still pass
    assert "2+" in rf.reported_as and "40" in rf.reported_as


def test_the_fitted_area_loss_reproduces_its_own_target_on_the_default_model(capsys):
    """numbers17 F3: mva_reduction 56 % was fitted on model 3.0 (+1.46 mmHg) and gave +1.25 on
    the default model 3.1, 17 % short of the +1.5 mmHg it is said to be fitted to
    (PMC6662353: 1.6 → 3.1 mmHg). A fitted constant must hit its own target on the shipped
    model (within 0.05 mmHg, the rise per 0.3 % of area), and every text quotes its value."""
    from twinviewer.interventions import get_intervention
    from twinviewer.interventions.evidence_table import load_rows

    main(["validate", "--row", "teer-gradient-rf", "--no-reference", "--json"])
    out = json.loads(capsys.readouterr().out)
    grad = next(v for v in out["evidence"][0]["variables"] if v["metric"] == "MV_mean_gradient")
    assert abs(grad["got_values"]["change"] - 1.5) <= 0.05, grad["got"]
    teer = get_intervention("mitral_teer")
    setting = next(s for s in teer.settings if s.name == "mva_reduction")
    quoted = f"{setting.default:g} %"
    row = next(r for r in load_rows() if r.id == "teer-gradient-rf")
    assert quoted in setting.description and quoted in teer.description, quoted
    assert row.fitted.startswith(f"mva_reduction {quoted}") and quoted in row.notes
