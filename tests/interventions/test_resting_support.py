"""β-blockade withdraws the failing heart's resting sympathetic support of contractility
(baroreflex.withdraw_support, physio12): none in a normal heart, Haber 1993's Ees −27 % at
LVEF ≤ 25 %, applied with the regulated sympathetic state."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions import apply_scenario, drugs
from twinviewer.interventions import baroreflex as br
from twinviewer.interventions import evidence_table as ev
from twinviewer.interventions.scenario import held_parameters
from twinviewer.physiology import get_preset, simulate


def _bb(dose: float = 12.0) -> Scenario:
    return Scenario("bb", (InterventionStep("beta_blocker", {"dose": dose}),), "regulated")


def test_the_support_runs_from_none_in_a_normal_heart_to_haber_in_heart_failure():
    assert br.SUPPORT_HF == pytest.approx(1 - 0.64 / 0.88)  # Ees 0.88 → 0.64 (Haber 1993)
    s = br.resting_support(np.array([70.0, 50.0, 37.5, 25.0, 10.0, np.nan]))
    assert s[0] == s[1] == 0.0 and s[-1] == 0.0
    assert s[2] == pytest.approx(br.SUPPORT_HF / 2)
    assert s[3] == s[4] == pytest.approx(br.SUPPORT_HF)


def test_the_drug_itself_leaves_contractility_alone():
    """Run acute the β-blocker sets no contractility cost (the normal heart at rest: LV
    volumes unchanged after IV metoprolol); the cost needs the member's state."""
    p = get_preset("hfref")
    P = apply_scenario(p.model, p.vector(), _bb())
    ea = p.model.index("LV.EA")
    assert drugs.BB_EA_DROP == 0.0
    assert P[0, ea] == p.vector()[ea]


def test_regulated_beta_blockade_withdraws_the_support_of_a_failing_heart():
    p = get_preset("hfref")
    v = p.vector()
    base = simulate(p.model, v[None, :])
    lvef = float(base.metrics["LVEF"][0])
    assert lvef < 45.0
    sc = _bb()
    P = apply_scenario(p.model, v, sc)
    reg = br.regulate(p.model, P, base, held=held_parameters(sc))
    want = br.resting_support(lvef)
    assert want > 0.05
    for name in ("LV.EA", "RV.EA"):
        j = p.model.index(name)
        assert reg.params[0, j] == pytest.approx(P[0, j] * (1 - want))
    assert reg.withdrawn is not None and reg.withdrawn[0] == pytest.approx(want)
    assert reg.results.metrics["LVEF"][0] < lvef


def test_only_a_block_of_the_inotropic_arm_withdraws_it():
    """A pacemaker holds HR only: nothing is withdrawn; no block, nothing withdrawn."""
    p = get_preset("hfref")
    P = p.vector()[None, :]
    assert br.withdraw_support(p.model, P, np.array([20.0]), held=("HR",))[1] is None
    out, frac = br.withdraw_support(p.model, P, np.array([60.0]), held=("LV.EA", "RV.EA"))
    assert frac[0] == 0.0 and np.array_equal(out, P)


def test_the_esmolol_row_is_a_prediction_whatever_the_fitted_venous_constant(monkeypatch):
    """No magnitude is fitted to the esmolol row since physio12; it passes across the whole
    sourced range of the one β-blocker constant fitted (to the metoprolol row)."""
    row = next(r for r in ev.load_rows() if r.id == "esmolol-16mg-min")
    assert row.fitted == ""
    lo, hi = 0.0, 1.0 / (1.0 - drugs.RVEN_DROP_BETA_MAX) - 1.0
    for value in (lo, hi):
        monkeypatch.setattr(drugs, "BB_RVEN_RISE", value)
        assert ev.run_row(row).status == "pass", value


def test_a_stored_regulated_result_follows_the_support_constant(monkeypatch):
    """The support is part of the regulated what-if's code, so a stored result computed
    with another SUPPORT_HF is not shown as current (constants_digest)."""
    from twinviewer.interventions.constants_digest import scenario_digest

    sc = _bb(5.0)
    before = scenario_digest(sc)
    monkeypatch.setattr(br, "SUPPORT_HF", 0.3)
    assert scenario_digest(sc) != before
