"""β-blockade withdraws the failing heart's resting sympathetic support of contractility
(baroreflex.withdraw_support, physio12): none in a normal heart, Haber 1993's Ees −27 % at
LVEF ≤ 25 %, applied by the scenario's parameter transform from each member's baseline LVEF,
acute and regulated alike (physio12b)."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions import SingleTwinPredictor, apply_scenario, drugs, run_scenarios
from twinviewer.interventions import baroreflex as br
from twinviewer.interventions import evidence_table as ev
from twinviewer.interventions.intervention import InterventionError
from twinviewer.interventions.scenario import held_parameters, lvef_of, withdraws_support
from twinviewer.physiology import get_preset, sample_prior, simulate


def _bb(dose: float = 12.0) -> Scenario:
    return Scenario("bb", (InterventionStep("beta_blocker", {"dose": dose}),), "regulated")


def test_the_support_runs_from_none_in_a_normal_heart_to_haber_in_heart_failure():
    assert br.SUPPORT_HF == pytest.approx(1 - 0.64 / 0.88)  # Ees 0.88 → 0.64 (Haber 1993)
    s = br.resting_support(np.array([70.0, 50.0, 37.5, 25.0, 10.0, np.nan]))
    assert s[0] == s[1] == 0.0 and s[-1] == 0.0
    assert s[2] == pytest.approx(br.SUPPORT_HF / 2)
    assert s[3] == s[4] == pytest.approx(br.SUPPORT_HF)


def test_the_drug_itself_sets_no_contractility_cost_in_a_normal_heart():
    """The drug's own constant is 0 (the normal heart at rest: LV volumes unchanged after IV
    metoprolol), so a heart with LVEF ≥ 50 % keeps its contractility, acute or regulated."""
    p = get_preset("healthy")
    ea = p.model.index("LV.EA")
    assert drugs.BB_EA_DROP == 0.0
    P = apply_scenario(p.model, p.vector(), _bb())
    assert P[0, ea] == p.vector()[ea]


def test_acute_beta_blockade_withdraws_the_support_of_a_failing_heart():
    """Resting tone is part of any baseline: blocking β1 removes it without a reflex too, so
    the acute what-if of a failing heart loses contractility and ejection fraction."""
    p = get_preset("hfref")
    v = p.vector()
    base = simulate(p.model, v[None, :])
    lvef = float(base.metrics["LVEF"][0])
    assert lvef < 45.0
    want = br.resting_support(lvef)
    assert want > 0.05
    P = apply_scenario(p.model, v, Scenario("bb", _bb().steps, "acute"))
    for name in ("LV.EA", "RV.EA"):
        j = p.model.index(name)
        assert P[0, j] == pytest.approx(v[j] * (1 - want))
    acute = simulate(p.model, P, warm_start=base.final_state)
    assert acute.metrics["LVEF"][0] < lvef - 2.0


def test_regulated_beta_blockade_does_not_withdraw_the_support_twice():
    p = get_preset("hfref")
    v = p.vector()
    base = simulate(p.model, v[None, :])
    want = br.resting_support(float(base.metrics["LVEF"][0]))
    sc = _bb()
    P = apply_scenario(p.model, v, sc, baseline_lvef=lvef_of(base))
    reg = br.regulate(p.model, P, base, held=held_parameters(sc))
    for name in ("LV.EA", "RV.EA"):  # held by the block: the reflex leaves them as given
        j = p.model.index(name)
        assert reg.params[0, j] == pytest.approx(P[0, j])
        assert reg.params[0, j] == pytest.approx(v[j] * (1 - want))
    assert reg.results.metrics["LVEF"][0] < base.metrics["LVEF"][0]


def test_regulated_with_the_reflex_gains_at_zero_equals_acute(monkeypatch):
    """With no reflex the regulated what-if is the acute one: the withdrawal sits in the
    transform both share, not in the reflex."""
    p = get_preset("hfref")
    ens = sample_prior(p.model, 3, base=p.vector(), seed=1)
    base = simulate(p.model, ens)
    for g in ("G_HR", "G_EA", "G_R", "G_V_ML"):
        monkeypatch.setattr(br, g, 0.0)
    acute = Scenario("acute", _bb().steps, "acute")
    regulated = Scenario("regulated", _bb().steps, "regulated")
    out = run_scenarios(p.model, base, [acute, regulated])
    a, r = out["acute"], out["regulated"]
    assert a.ok.all() and r.ok.all()
    ea = p.model.index("LV.EA")
    np.testing.assert_allclose(r.params[:, ea], a.params[:, ea], rtol=1e-12)
    assert (a.params[:, ea] < ens[:, ea] * 0.9).all()  # the support is withdrawn in both
    for m in ("LVEF", "CO", "MAP", "LAP", "LVEDV"):
        np.testing.assert_allclose(r.metrics[m], a.metrics[m], rtol=2e-3, err_msg=m)


@pytest.mark.parametrize("mode", ["acute", "regulated"])
def test_the_preview_and_the_full_what_if_give_the_same_numbers(mode):
    """The live preview (SingleTwinPredictor, the twin's point estimate), the ensemble
    what-if (run_scenarios) of that one member and apply_scenario left to find the
    baseline itself (the GUI's side-by-side) all withdraw the same support."""
    p = get_preset("hfref")
    v = p.vector()
    sc = Scenario("bb", _bb(10.0).steps, mode)
    preview = SingleTwinPredictor(p.model, v).predict(sc)
    base = simulate(p.model, v[None, :])
    full = run_scenarios(p.model, base, [sc])["bb"]
    np.testing.assert_allclose(preview.params, full.params, rtol=1e-9)
    for m in ("LVEF", "CO", "MAP", "LAP", "HR"):
        np.testing.assert_allclose(preview.metrics[m], full.metrics[m], rtol=2e-3, err_msg=m)
    if mode == "acute":
        own = simulate(p.model, apply_scenario(p.model, v, sc, point=True))
        np.testing.assert_allclose(own.metrics["LVEF"], full.metrics["LVEF"], rtol=2e-3)


def test_the_withdrawal_follows_the_dose_and_is_applied_once():
    """The support withdrawn is the fraction of full β1-blockade at the dose (Emax,
    drugs.bb_block; review16b #1: it was all of it at any dose above zero), all of it from
    12 mg; two β-blocker steps withdraw that of their summed dose (drugs17: it was the larger
    block), a dose of zero nothing; steps around it keep their order's result."""
    from twinviewer.interventions.drugs import bb_block

    p = get_preset("hfref")
    v = p.vector()
    ea = p.model.index("LV.EA")
    want = br.resting_support(20.0)
    one = apply_scenario(p.model, v, _bb(1.0), baseline_lvef=20.0)
    assert one[0, ea] == pytest.approx(v[ea] * (1 - want * bb_block({"dose": 1.0})))
    assert 0.3 < bb_block({"dose": 1.0}) < 0.4
    full = apply_scenario(p.model, v, _bb(12.0), baseline_lvef=20.0)
    assert full[0, ea] == pytest.approx(v[ea] * (1 - want))
    two = apply_scenario(p.model, v, Scenario("bb2", _bb(5.0).steps * 2), baseline_lvef=20.0)
    assert two[0, ea] == pytest.approx(v[ea] * (1 - want * bb_block({"dose": 10.0})))
    zero = apply_scenario(p.model, v, _bb(0.0), baseline_lvef=20.0)
    assert zero[0, ea] == v[ea]
    assert not withdraws_support(_bb(0.0)) and withdraws_support(_bb(0.5))
    dobu = InterventionStep("inotrope", {"dose": 5.0})
    ab = apply_scenario(p.model, v, Scenario("ab", (dobu, *_bb().steps)), baseline_lvef=20.0)
    ba = apply_scenario(p.model, v, Scenario("ba", (*_bb().steps, dobu)), baseline_lvef=20.0)
    np.testing.assert_allclose(ab, ba, rtol=1e-12)


def test_a_baseline_lvef_of_the_wrong_size_is_refused_by_name():
    p = get_preset("hfref")
    P = np.vstack([p.vector()] * 3)
    with pytest.raises(InterventionError, match=r"'bb': baseline LVEF has 2 value\(s\) for 3"):
        apply_scenario(p.model, P, _bb(), baseline_lvef=np.array([20.0, 30.0]))


def test_the_baseline_is_simulated_once_and_only_for_a_beta_blocker(monkeypatch):
    """apply_scenario without a baseline simulates the untreated members only when a step
    blocks β1, and once for the same parameters."""
    from collections import OrderedDict

    from twinviewer import physiology
    from twinviewer.interventions import scenario

    monkeypatch.setattr(scenario, "_LVEF_MEMO", OrderedDict())
    p = get_preset("hfref")
    P = sample_prior(p.model, 2, base=p.vector(), seed=7)
    calls = []
    real = physiology.simulate

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(physiology, "simulate", counted)
    vaso = Scenario("v", (InterventionStep("vasodilator", {"level": 2.0}),))
    apply_scenario(p.model, P, vaso)
    assert calls == []
    first = apply_scenario(p.model, P, _bb())
    again = apply_scenario(p.model, P, _bb(5.0))
    assert len(calls) == 1
    lvef = lvef_of(real(p.model, P))
    np.testing.assert_array_equal(first, apply_scenario(p.model, P, _bb(), baseline_lvef=lvef))
    assert again.shape == P.shape


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


@pytest.mark.parametrize("mode", ["acute", "regulated"])
def test_a_stored_result_follows_the_support_constant(monkeypatch, mode):
    """The support is part of a β-blocker what-if's code in either mode, so a stored result
    computed with another SUPPORT_HF is not shown as current (constants_digest); a what-if
    without a β-blocker does not depend on it."""
    from twinviewer.interventions.constants_digest import scenario_digest

    sc = Scenario("bb", _bb(5.0).steps, mode)
    vaso = Scenario("v", (InterventionStep("vasodilator", {"level": 2.0}),), "acute")
    before, before_vaso = scenario_digest(sc), scenario_digest(vaso)
    monkeypatch.setattr(br, "SUPPORT_HF", 0.3)
    assert scenario_digest(sc) != before
    assert scenario_digest(vaso) == before_vaso


def test_a_check_of_a_scenario_refuses_what_apply_refuses_and_never_simulates(monkeypatch):
    from twinviewer import physiology
    from twinviewer.interventions.scenario import check_scenario

    def refuse(*args, **kwargs):
        raise AssertionError("simulated")

    monkeypatch.setattr(physiology, "simulate", refuse)
    p = get_preset("hfref")
    P = sample_prior(p.model, 2, base=p.vector(), seed=11)
    check_scenario(p.model, P, _bb())
    bad = Scenario("bad", (*_bb().steps, InterventionStep("vasodilator", {"level": 9.0})))
    with pytest.raises(InterventionError, match="'bad', step 2") as caught:
        check_scenario(p.model, P, bad)
    with pytest.raises(InterventionError) as again:
        apply_scenario(p.model, P, bad)
    assert str(again.value) == str(caught.value)
