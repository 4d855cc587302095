"""The intervention library: declarations, purity, stacking and every refusal of bad input."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions import (
    LIBRARY,
    InterventionError,
    apply_scenario,
    get_intervention,
    parse_scenario,
    parse_step,
)
from twinviewer.interventions.prostheses import PROSTHESES
from twinviewer.interventions.valves import draw_eoa, pvl_eroa
from twinviewer.physiology import get_preset
from twinviewer.physiology.regazzoni import MODEL as REGAZZONI
from twinviewer.twins import twin_from_preset

from .conftest import one_step

#: A preset on which each intervention's defaults make sense.
PRESET_FOR = {"mitral_teer": "severe_mr", "lvad": "hfref", "diuretic": "hfref",
              "inotrope": "hfref", "tavi": "severe_as", "tavi_sapien3": "severe_as",
              "tavi_evolut_r": "severe_as", "savr_perimount": "severe_as"}


@pytest.fixture(scope="module")
def ensembles():
    return {name: twin_from_preset(name, n=32, seed=3) for name in
            ("severe_as", "severe_mr", "hfref", "healthy")}


def test_every_intervention_declares_units_evidence_and_a_main_setting():
    for iv in LIBRARY.values():
        assert iv.title and iv.description and iv.evidence and iv.assumptions
        assert iv.main_setting in {s.name for s in iv.settings}
        for s in iv.settings:
            assert s.unit and s.description
            assert s.limits[0] <= s.default <= s.limits[1]
        assert iv.describe().startswith(iv.name)


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_defaults_change_only_declared_parameters_and_never_the_input(name, ensembles):
    iv = get_intervention(name)
    twin = ensembles[PRESET_FOR.get(name, "healthy")]
    model = get_preset("healthy").model
    P = twin.ensemble
    before = P.copy()
    out = iv.apply(model, P, {})
    assert out is not P and out.shape == P.shape
    np.testing.assert_array_equal(P, before)
    changed = {model.parameter_names[j] for j in np.flatnonzero(np.any(out != P, axis=0))}
    assert changed, f"{name} changed nothing"
    assert changed <= set(iv.parameters) | set(iv.optional)


def test_tavi_by_size_draws_eoa_from_the_table_mean_and_sd():
    size = PROSTHESES["sapien3"].size(26)
    eoa = draw_eoa(4000, size.eoa, size.eoa_sd, 3.5, seed=0)
    assert abs(eoa.mean() - 1.74) < 0.02
    assert abs(eoa.std() - 0.35) < 0.03  # truncation at ±2.5 SD trims ~3 %
    assert eoa.min() >= 0.75 and eoa.max() <= 3.5
    model = get_preset("severe_as").model
    P = np.tile(get_preset("severe_as").vector(), (4000, 1))
    out = get_intervention("tavi_sapien3").apply(model, P, {"size": 26, "pvl": 1})
    np.testing.assert_allclose(out[:, model.index("AV.EOA")], eoa)
    assert pvl_eroa(1.0) == 0.05
    assert np.all(out[:, model.index("AV.EROA")] == 0.05)


def test_eoa_draws_pair_members_across_ensemble_sizes_and_seeds_change_them():
    a = draw_eoa(50, 1.74, 0.35, 3.5, seed=4)
    b = draw_eoa(10, 1.74, 0.35, 3.5, seed=4)
    np.testing.assert_array_equal(a[:10], b)
    assert not np.allclose(draw_eoa(10, 1.74, 0.35, 3.5, seed=5), b)


def test_point_mode_gives_the_expected_eoa_to_a_single_twin():
    model, v = get_preset("severe_as").model, get_preset("severe_as").vector()
    sc = one_step("tavi_evolut_r", size=29)
    out = apply_scenario(model, v, sc, point=True)
    assert out[0, model.index("AV.EOA")] == pytest.approx(1.97)


def test_pvl_grade_maps_to_regurgitant_orifice():
    assert [pvl_eroa(g) for g in (0, 1, 2, 3)] == [0.0, 0.05, 0.20, 0.40]
    assert pvl_eroa(1.5) == pytest.approx(0.125)


def test_tavi_and_beta_blocker_commute(ensembles):
    model = get_preset("severe_as").model
    P = ensembles["severe_as"].ensemble
    a = InterventionStep("tavi", {"eoa": 1.8})
    b = InterventionStep("beta_blocker", {"dose": 5.0})
    np.testing.assert_array_equal(apply_scenario(model, P, Scenario("ab", (a, b))),
                                  apply_scenario(model, P, Scenario("ba", (b, a))))


def test_lvad_diuretic_and_vasodilator_commute(ensembles):
    model = get_preset("hfref").model
    P = ensembles["hfref"].ensemble
    steps = [InterventionStep("lvad", {"speed": 6000}), InterventionStep("diuretic", {}),
             InterventionStep("vasodilator", {"level": 1})]
    np.testing.assert_allclose(apply_scenario(model, P, Scenario("x", tuple(steps))),
                               apply_scenario(model, P, Scenario("y", tuple(steps[::-1]))),
                               rtol=1e-12)


def test_pacing_with_a_beta_blocker_holds_the_rate_in_either_order(ensembles):
    # A pacemaker's rate is a lower rate: a beta-blocker slows the heart's own rate, never
    # the paced one, whichever step is listed first (until fix15b a beta-blocker listed after
    # pacing slowed the paced heart below 90; tests/interventions/test_pacing_floor.py).
    model = get_preset("healthy").model
    P = ensembles["healthy"].ensemble
    pace = InterventionStep("pacing", {"rate": 90})
    bb = InterventionStep("beta_blocker", {"dose": 10})
    hr = model.index("HR")
    first = apply_scenario(model, P, Scenario("a", (pace, bb)))
    second = apply_scenario(model, P, Scenario("b", (bb, pace)))
    assert np.all(first[:, hr] == 90) and np.all(second[:, hr] == 90)


def test_parse_step_and_scenario_with_units():
    step = parse_step("lvad:speed=6 krpm")
    assert step.name == "lvad" and step.settings == {"speed": 6000.0}
    assert parse_step("pacing:rate=100,av_delay=0.12 s").settings["av_delay"] == 120.0
    sc = parse_scenario("tavi:eoa=1.8 + beta_blocker:dose=5")
    assert [s.name for s in sc.steps] == ["tavi", "beta_blocker"]
    assert sc.name == "tavi(eoa=1.8) + beta_blocker(dose=5)"


# ------------------------------------------------------------------ refusals
def _apply(name, preset="severe_as", **settings):
    p = get_preset(preset)
    return get_intervention(name).apply(p.model, p.vector(), settings)


@pytest.mark.parametrize("name, preset, settings, pattern", [
    ("tavi", "severe_as", {"eoa": 4.0}, r"'eoa' = 4 cm\^2 is above .*sensible maximum"),
    ("tavi", "severe_as", {"eoa": 0.5}, r"'eoa' .* below .*critical stenosis"),
    ("tavi", "severe_as", {"eoa": 2.5, "annulus": 17}, r"above the native annulus area 2.27"),
    ("tavi", "severe_as", {"pvl": 4}, r"'pvl' = 4 grade is above"),
    ("tavi", "severe_as", {"eoa_sd": -0.1}, r"'eoa_sd' .* below"),
    ("tavi_sapien3", "severe_as", {"size": 24}, r"'size' = 24 mm is not available; choose "
                                                r"one of 20, 23, 26, 29"),
    ("tavi_evolut_r", "severe_as", {"size": 36}, r"'size' = 36 mm is above .*largest size"),
    ("savr_perimount", "severe_as", {"size": 27, "annulus": 15}, r"above the native annulus"),
    ("mitral_teer", "severe_mr", {"residual_eroa": 0.35}, r"'residual_eroa' .* moderate-to"),
    ("mitral_teer", "healthy", {}, r"no regurgitation to repair"),
    ("mitral_teer", "severe_mr", {"mva_reduction": 70}, r"iatrogenic mitral stenosis"),
    ("beta_blocker", "healthy", {"dose": -1}, r"'dose' = -1 mg is below .*cannot be negative"),
    ("beta_blocker", "healthy", {"dose": 20}, r"'dose' = 20 mg is above .*15 mg"),
    ("ace_inhibitor", "healthy", {"dose": -5}, r"cannot be negative"),
    ("vasodilator", "healthy", {"level": -1}, r"cannot be negative"),
    ("diuretic", "healthy", {"level": -0.5}, r"cannot be negative"),
    ("inotrope", "hfref", {"dose": -2}, r"'dose' = -2 ug/kg/min .*cannot be negative"),
    ("inotrope", "hfref", {"dose": 25}, r"above the usual maximum"),
    ("pacing", "healthy", {"rate": 230}, r"'rate' = 230 bpm is above .*220 bpm"),
    ("pacing", "healthy", {"rate": 20}, r"'rate' = 20 bpm is below"),
    ("pacing", "healthy", {"rate": 150, "av_delay": 250}, r"'av_delay' = 250 ms is longer "
                                                          r"than half the RR interval"),
    ("lvad", "hfref", {"speed": 2000}, r"'speed' = 2000 rpm is below .*3000–9000"),
    ("lvad", "hfref", {"speed": 9500}, r"'speed' = 9500 rpm is above .*3000–9000"),
    ("lvad", "hfref", {"speed": float("nan")}, r"not a finite number"),
    ("lvad", "hfref", {"speed": "fast"}, r"'speed' = 'fast' is not a number"),
    ("lvad", "hfref", {"rpm": 5000}, r"unknown setting 'rpm'; its settings are: speed"),
])
def test_bad_settings_are_refused_with_the_setting_named(name, preset, settings, pattern):
    with pytest.raises(InterventionError, match=pattern):
        _apply(name, preset, **settings)


def test_diuretic_refuses_to_drain_a_small_loop():
    model = get_preset("healthy").model
    P = model.vector({"V_total": 600.0})
    with pytest.raises(InterventionError, match=r"removes 300 mL, more than 40 %"):
        get_intervention("diuretic").apply(model, P, {"level": 3})


def test_stacked_result_outside_plausible_range_is_refused_not_clamped():
    from twinviewer.interventions import drugs

    model = get_preset("hfref").model
    # three arterial dilators (six steps of one drug were one dose since drugs17, refused
    # above its maximum): their resistance falls multiply
    steps = (InterventionStep("inotrope", {"dose": 20}),
             InterventionStep("vasodilator", {"level": 3}),
             InterventionStep("milrinone", {"dose": 0.75}),
             InterventionStep("nitroprusside", {"dose": 1}))
    r3 = (get_preset("hfref").vector()[model.index("SYS.R_AR")] * (1 - drugs.INO_R_DROP)
          * (1 - drugs.VASO_HIGH_R_DROP) * (1 - drugs.MIL_R_DROP * drugs._mil_emax(1.5)))
    with pytest.raises(InterventionError, match=r"step 3: milrinone: 1 of 1 ensemble members "
                                                r"would leave the model's plausible range "
                                                rf".*SYS.R_AR = {r3:g}"):
        apply_scenario(model, get_preset("hfref").vector(), Scenario("x", steps))


def test_unknown_intervention_and_model_without_the_parameter():
    with pytest.raises(InterventionError, match=r"unknown intervention 'tavii' \(did you mean "
                                                r"tavi"):
        get_intervention("tavii")
    with pytest.raises(InterventionError, match=r"model 'regazzoni2022' has no parameter "
                                                r"playing the role 'AV.EOA'"):
        get_intervention("tavi").apply(REGAZZONI, REGAZZONI.default_vector(), {})


def test_wrong_parameter_count_is_refused():
    model = get_preset("healthy").model
    with pytest.raises(InterventionError, match=r"expected \d+ parameters"):
        get_intervention("pacing").apply(model, np.ones((2, 3)), {})


@pytest.mark.parametrize("text, pattern", [
    ("tavi:eoa", r"'eoa' is not of the form SETTING=VALUE"),
    ("tavi:eoa=abc", r"setting 'eoa': 'abc' is not a number"),
    ("tavi:eoa=1.8 mmHg", r"setting 'eoa': .*cannot convert"),
    ("beta_blocker:dose=5 grams", r"'dose' = '5 grams' is not a number \(unit mg\)"),
    ("nothing:x=1", r"unknown intervention 'nothing'"),
    ("tavi:eoa=9", r"above its maximum"),
])
def test_parse_refuses_malformed_steps(text, pattern):
    with pytest.raises(InterventionError, match=pattern):
        parse_step(text)


def test_empty_scenario_is_refused():
    with pytest.raises(InterventionError, match="has no intervention"):
        parse_scenario(" + ")


def test_scenario_label_shows_main_and_non_default_settings():
    assert parse_scenario("tavi:eoa=1.8,pvl=1,seed=0").name == "tavi(eoa=1.8,pvl=1)"
    assert parse_scenario("diuretic").name == "diuretic"
