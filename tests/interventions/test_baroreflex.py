"""The short-term arterial baroreflex of regulated what-ifs (interventions/baroreflex.py)."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions import (
    InterventionError,
    SingleTwinPredictor,
    apply_scenario,
    parse_scenario,
    run_scenarios,
)
from twinviewer.interventions.baroreflex import effectors, regulate
from twinviewer.interventions.scenario import shown_name
from twinviewer.physiology import get_preset, simulate


@pytest.fixture(scope="module")
def healthy():
    p = get_preset("healthy")
    return p.model, p.vector(), simulate(p.model, p.vector())


def _vaso(level=3.0, mode="acute"):
    return Scenario("v", (InterventionStep("vasodilator", {"level": level}),), mode)


def test_regulation_buffers_a_fall_in_pressure(healthy):
    model, v, base = healthy
    P = apply_scenario(model, v, _vaso())
    acute = simulate(model, P, warm_start=base.final_state)
    reg = regulate(model, P, base, acute=acute)
    drop_acute = base.metrics["MAP"][0] - acute.metrics["MAP"][0]
    drop_reg = base.metrics["MAP"][0] - reg.results.metrics["MAP"][0]
    assert drop_acute > 10
    assert 0 < drop_reg < 0.6 * drop_acute  # buffered, not abolished
    assert reg.results.metrics["HR"][0] > base.metrics["HR"][0]  # reflex tachycardia
    # closed-loop equation met: effectors correspond to the remaining error
    assert reg.error[0] == pytest.approx(reg.results.metrics["MAP"][0]
                                         - base.metrics["MAP"][0], abs=1e-9)
    assert 1.0 <= reg.open_loop_gain[0] <= 3.5


def test_effectors_move_against_the_error_and_are_bounded(healthy):
    model, v, _ = healthy
    up = effectors(model, v[None, :], np.array([20.0]))[0]
    down = effectors(model, v[None, :], np.array([-20.0]))[0]
    for name in ("HR", "LV.EA", "RV.EA", "SYS.R_AR", "V_total"):
        j = model.index(name)
        assert down[j] > v[j] > up[j], name
    huge = effectors(model, v[None, :], np.array([-1e4]))[0]
    assert huge[model.index("HR")] == pytest.approx(1.7 * v[model.index("HR")])
    assert huge[model.index("V_total")] == pytest.approx(1.15 * v[model.index("V_total")])


def test_regulated_scenarios_run_in_the_ensemble_and_the_single_path(healthy):
    model, v, base = healthy
    res = run_scenarios(model, base, [_vaso(mode="acute"), Scenario(
        "r", _vaso().steps, "regulated")])
    assert res["r"].metrics["MAP"][0] > res["v"].metrics["MAP"][0] + 5
    fast = SingleTwinPredictor(model, v)
    one = fast.predict(Scenario("r", _vaso().steps, "regulated"))
    assert one.metrics["MAP"][0] == pytest.approx(res["r"].metrics["MAP"][0], abs=0.5)


def test_the_choice_is_stored_and_shown_with_the_scenario():
    sc = parse_scenario("vasodilator:level=3 @regulated")
    # the mode is data; every reader's name carries it (review9 #5)
    assert sc.regulation == "regulated" and "regulated" not in sc.name
    assert shown_name(sc).endswith("[baroreflex regulated]")
    assert Scenario.from_dict(sc.to_dict()) == sc
    acute = parse_scenario("vasodilator:level=3")
    assert acute.regulation == "acute" and "regulated" not in acute.name
    assert "regulation" not in acute.to_dict()  # acute scenarios are saved as before
    with pytest.raises(InterventionError, match="regulation 'sometimes' is not one of"):
        parse_scenario("vasodilator:level=3 @sometimes")


def test_a_model_without_the_effectors_is_refused(healthy):
    from dataclasses import replace

    model, v, base = healthy
    crippled = replace(model, parameters=tuple(p for p in model.parameters
                                               if p.name != "V_total"))
    with pytest.raises(InterventionError, match=r"has no parameter playing blood volume "
                                                r"\(V_total\)"):
        regulate(crippled, v, base)


def test_regulated_lvad_keeps_pressure_in_range():
    """Issue 12: without a baroreflex, LVAD at high speed pushed MAP to 130–171 mmHg."""
    p = get_preset("hfref")
    base = simulate(p.model, p.vector())
    P = apply_scenario(p.model, p.vector(), Scenario(
        "x", (InterventionStep("lvad", {"speed": 8000}),)))
    reg = regulate(p.model, P, base)
    assert reg.results.metrics["MAP"][0] < 115


def test_the_reflex_is_blunted_in_heart_failure_with_reduced_ef(healthy):
    """Davies 1999 (HR limb: BRS 4.4 vs 19.8 ms/mmHg) and JACC 1994 (pressure limb: 0.19 vs
    0.30 mmHg/mmHg): the gains fall with the member's own baseline LVEF."""
    from twinviewer.interventions.baroreflex import (
        BLUNT_HF_HR,
        BLUNT_HF_SYMPATHETIC,
        hf_blunting,
    )
    from twinviewer.interventions.evidence_table import patient_values

    assert hf_blunting(np.array([70.0]))[0] == 1.0
    assert hf_blunting(np.array([15.0]))[0] == pytest.approx(4.4 / 19.8)
    assert hf_blunting(np.array([15.0]), BLUNT_HF_SYMPATHETIC)[0] == pytest.approx(0.19 / 0.30)
    assert hf_blunting(np.array([np.nan]))[0] == 1.0  # no EF: the intact reflex
    model, v, base = healthy
    # same MAP error: the HF member's heart rate moves 0.22× as much
    hr = model.index("HR")
    d_ok = effectors(model, v[None, :], np.array([-10.0]), np.array([60.0]))[0, hr] - v[hr]
    d_hf = effectors(model, v[None, :], np.array([-10.0]), np.array([15.0]))[0, hr] - v[hr]
    assert d_hf == pytest.approx(BLUNT_HF_HR * d_ok)
    # closed loop: a vasodilator in the EF-15 % patient is buffered less than in a healthy one
    preset, values = patient_values("hfref_decompensated")
    vh = preset.model.vector(values)
    bh = simulate(preset.model, vh)
    assert bh.metrics["LVEF"][0] < 25
    gains = []
    for m, vec, b in ((model, v, base), (preset.model, vh, bh)):
        P = apply_scenario(m, vec, _vaso())
        gains.append(regulate(m, P, b).open_loop_gain[0])
    assert gains[1] < 0.75 * gains[0], gains


def test_a_paced_heart_keeps_its_rate_when_the_reflex_acts():
    """The pacemaker holds HR: regulated, the reflex moved a DDD 110 bpm heart to 107 bpm."""
    from twinviewer.interventions.scenario import held_parameters

    p = get_preset("healthy")
    sc = Scenario("pace", (InterventionStep("pacing", {"rate": 110.0, "av_delay": 150.0}),),
                  "regulated")
    assert held_parameters(sc) == ("HR",)
    P = apply_scenario(p.model, p.vector(), sc)
    base = simulate(p.model, p.vector()[None, :])
    hr = p.model.index("HR")
    free = regulate(p.model, P, base)
    held = regulate(p.model, P, base, held=held_parameters(sc))
    assert free.params[0, hr] < 109.0  # without the hold the reflex slows the paced heart
    assert held.params[0, hr] == 110.0
    # the other effectors still act: resistance moves with the pressure error
    r = p.model.index("SYS.R_AR")
    assert held.params[0, r] != P[0, r]


def test_a_beta_blocker_blocks_the_reflex_inotropic_arm_only():
    """Under β1-blockade the reflex cannot restore contractility; HR, resistance and venous
    tone still respond. A zero dose blocks nothing."""
    from twinviewer.interventions.scenario import held_parameters

    p = get_preset("healthy")
    sc = Scenario("bb", (InterventionStep("beta_blocker", {"dose": 12.0}),), "regulated")
    assert held_parameters(sc) == ("LV.EA", "RV.EA")
    none = Scenario("bb0", (InterventionStep("beta_blocker", {"dose": 0.0}),), "regulated")
    assert held_parameters(none) == ()
    P = apply_scenario(p.model, p.vector(), sc)
    base = simulate(p.model, p.vector()[None, :])
    reg = regulate(p.model, P, base, held=held_parameters(sc))
    ea, hr = p.model.index("LV.EA"), p.model.index("HR")
    assert reg.params[0, ea] == P[0, ea]
    assert reg.params[0, hr] > P[0, hr]  # the pressure fall still speeds the heart
    free = regulate(p.model, P, base)
    assert free.params[0, ea] > P[0, ea]  # without the block the reflex restored EA


def test_the_ensemble_and_the_single_path_keep_the_paced_rate(healthy):
    """run_scenarios and SingleTwinPredictor pass the held effectors to the reflex."""
    model, v, base = healthy
    sc = Scenario("pace", (InterventionStep("pacing", {"rate": 110.0, "av_delay": 150.0}),),
                  "regulated")
    hr = model.index("HR")
    ens = run_scenarios(model, base, [sc])["pace"]
    assert ens.ok.all() and np.all(ens.params[:, hr] == 110.0)
    one = SingleTwinPredictor(model, v).predict(sc)
    assert one.params[0, hr] == 110.0


def _renamed(model, old: str, new: str):
    """``model`` with parameter ``old`` called ``new`` and declared as playing ``old``."""
    import dataclasses

    params = tuple(dataclasses.replace(p, name=new) if p.name == old else p
                   for p in model.parameters)
    return dataclasses.replace(model, parameters=params, roles={**model.roles, old: new})


def test_the_reflex_finds_its_effectors_through_the_models_roles():
    """review16 #2: a model naming its resistance its own way but declaring the role is
    regulated (the check looked up literal names), and the reflex moves that parameter."""
    from twinviewer.interventions.baroreflex import regulation_problem

    p = get_preset("healthy")
    model = _renamed(p.model, "SYS.R_AR", "R_periph")
    assert regulation_problem(model) == ""
    P = p.vector()[None, :]
    out = effectors(model, P, np.array([-10.0]))
    j = model.index("R_periph")
    assert out[0, j] / P[0, j] == pytest.approx(1.2)  # 1 − 0.020 × (−10)


def test_a_model_without_a_right_ventricle_is_refused_with_the_reason():
    """A model lacking an effector (a single ventricle: no RV contractility) is refused with
    that reason and the way out (acute), not "no parameter 'LV.EA'"."""
    import dataclasses

    from twinviewer.interventions.baroreflex import regulation_problem

    p = get_preset("healthy")
    model = _renamed(p.model, "RV.EA", "X")  # then declared as playing no role
    model = dataclasses.replace(model, roles={k: v for k, v in model.roles.items()
                                              if k != "RV.EA"})
    why = regulation_problem(model)
    assert "right ventricular contractility (RV.EA)" in why and "acute" in why
    assert "LV.EA" not in why
    with pytest.raises(InterventionError, match="right ventricular contractility"):
        regulate(model, p.vector()[None, :], simulate(p.model, p.vector()[None, :]))
    sv = pytest.importorskip("tv_single_ventricle.model")
    assert "RV.EA" in regulation_problem(sv.MODEL)
