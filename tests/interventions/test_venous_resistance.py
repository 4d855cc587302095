"""The β-blocker's venous-resistance effect (drugs.BB_RVEN_RISE, drugs9): its sourced bound,
its place in the refit, and that it acts on venous return as the mechanism says."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.interventions import drugs
from twinviewer.interventions import evidence_table as ev
from twinviewer.interventions import refit as rf
from twinviewer.interventions.intervention import Context


def test_the_bound_is_greens_isoproterenol_figure():
    """Green 1977: venous return 1.62 → 2.40 L/min at a fixed RAP, compliances unchanged."""
    assert drugs.RVEN_DROP_BETA_MAX == pytest.approx(0.325, abs=1e-3)
    lo, hi = dict(zip(rf.GROUPS["beta_blocker"].constants, rf.GROUPS["beta_blocker"].bounds,
                      strict=True))["BB_RVEN_RISE"]
    assert lo == 0.0 and hi == pytest.approx(2.40 / 1.62 - 1.0)


def test_the_beta_blocker_scales_the_venous_resistance_with_dose(monkeypatch):
    monkeypatch.setattr(drugs, "BB_RVEN_RISE", 0.4)
    preset, values = ev.patient_values("hfref_mild")
    model = preset.model
    P = model.vector(values)[None, :].repeat(2, axis=0)
    ctx = Context(model, "beta_blocker")
    j = ctx.col("SYS.R_VEN")
    out = drugs._beta_blocker(ctx, P.copy(), {"dose": 6.0})
    # half the 12 mg reference dose gives bb_effect(6) = 0.857 of its effect (Emax, ED50
    # 2.4 mg; review16b #1: it was linear, 0.5)
    assert out[0, j] == pytest.approx(P[0, j] * (1.0 + 0.4 * drugs.bb_effect(6.0)))
    assert drugs.bb_effect(6.0) == pytest.approx(6.0 / 8.4 / (12.0 / 14.4))
    assert drugs._beta_blocker(ctx, P.copy(), {"dose": 0.0})[0, j] == P[0, j]


def test_a_higher_venous_resistance_keeps_the_lv_from_refilling(monkeypatch):
    """The mechanism behind the metoprolol row (Dell'Italia: EDV and PCWP unchanged while SV
    fell): at the fitted bound the LV end-diastolic volume rises less after the β-blocker
    than with the venous resistance left alone, and cardiac output falls more."""
    row = next(r for r in ev.load_rows() if r.id == "metoprolol-12mg")
    monkeypatch.setattr(drugs, "BB_RVEN_RISE", 0.0)
    b0, a0, _ = ev.row_metrics(row)
    monkeypatch.setattr(drugs, "BB_RVEN_RISE", 0.48)
    b1, a1, _ = ev.row_metrics(row)
    assert b0["LVEDV"] == pytest.approx(b1["LVEDV"])  # same untreated patient
    assert a1["LVEDV"] / b1["LVEDV"] < a0["LVEDV"] / b0["LVEDV"] - 0.03
    assert a1["CO"] / b1["CO"] < a0["CO"] / b0["CO"]
    assert np.isfinite(a1["LAP"])


def test_a_model_without_a_venous_resistance_still_takes_the_cardiac_effects(monkeypatch):
    """The venous term is optional (Intervention.optional): a model with no parameter playing
    SYS.R_VEN (an imported svZeroD model) gets HR and EA, not a refusal."""
    from dataclasses import replace

    monkeypatch.setattr(drugs, "BB_RVEN_RISE", 0.4)
    preset, values = ev.patient_values("hfref_mild")
    model = preset.model
    names = list(model.parameter_names)
    renamed = tuple(replace(p, name="VEN.R") if p.name == "SYS.R_VEN" else p
                    for p in model.parameters)
    bare = replace(model, parameters=renamed)
    assert bare.role("SYS.R_VEN") is None
    P = model.vector(values)[None, :]
    out = drugs.BETA_BLOCKER.apply(bare, P, {"dose": 12.0})
    j = names.index("SYS.R_VEN")
    assert out[0, j] == P[0, j]  # left alone
    assert out[0, names.index("HR")] < P[0, names.index("HR")]
    assert drugs.BETA_BLOCKER.apply(model, P, {"dose": 12.0})[0, j] == pytest.approx(
        1.4 * P[0, j])


def test_the_beta_blocker_slows_lv_relaxation_as_dell_italia_measured():
    """Dell'Italia 1989: the relaxation time constant rose 59 → 72 ms after 12 mg; the
    β-blocker lengthens the LV relaxation duration by that fraction, with the dose as
    drugs.bb_effect (Emax; it was linear in dose until review16b #1), and
    leaves a model without one (optional) its other effects."""
    assert drugs.BB_TAU_RISE == pytest.approx(72.0 / 59.0 - 1.0)
    preset, values = ev.patient_values("dellitalia_q_wave_ami")
    model = preset.model
    P = model.vector(values)[None, :]
    j = list(model.parameter_names).index("LV.TR")
    assert drugs.BETA_BLOCKER.apply(model, P, {"dose": 12.0})[0, j] == pytest.approx(
        P[0, j] * 72.0 / 59.0)
    assert drugs.BETA_BLOCKER.apply(model, P, {"dose": 6.0})[0, j] == pytest.approx(
        P[0, j] * (1.0 + drugs.bb_effect(6.0) * (72.0 / 59.0 - 1.0)))
    assert "LV.TR" in drugs.BETA_BLOCKER.optional
