"""Clinical sanity of the library on the presets, checked against REFERENCE.md and
INTERVENTIONS.md (numbers in the docstrings)."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.interventions import apply_scenario, run_scenarios, scenario_table
from twinviewer.physiology import simulate

from .conftest import one_step


def _point(point_baseline, preset, scenario):
    model, v, base = point_baseline(preset)
    P = apply_scenario(model, v, scenario, point=True)
    r = simulate(model, P, warm_start=base.final_state)
    assert r.ok.all(), r.errors()
    return base.metrics, r.metrics


def test_tavi_18_on_severe_as_gives_a_prosthetic_gradient_and_unloads_the_lv(point_baseline):
    """TAVI EOA 1.5–2.0 cm², mean gradient ~8–12 mmHg (REFERENCE.md); accept 8–15 since the
    model's gradient is Doppler-like (no pressure recovery)."""
    base, r = _point(point_baseline, "severe_as", one_step("tavi", eoa=1.8))
    assert base["AV_mean_gradient"][0] >= 40  # severe before
    assert 8.0 <= r["AV_mean_gradient"][0] <= 15.0
    assert r["LVSP"][0] < base["LVSP"][0] - 30


def test_tavi_18_ensemble_median_gradient_in_range(ensemble_baseline):
    model, base = ensemble_baseline("severe_as", 32)
    res = run_scenarios(model, base, [one_step("tavi", eoa=1.8)])
    table = scenario_table(base, res, ["AV_mean_gradient", "LVSP"])
    mg = table.cells["AV_mean_gradient"]["tavi"]
    # REFERENCE.md's "~8–12"; the ASE by-size tables (INTERVENTIONS.md §2) have 7.5 (Evolut
    # R 26, EOA 1.69 cm²) to 10.6 mmHg (SAPIEN 3 26, 1.74 cm²) near this EOA. Model 3.1
    # (source resistance, rounder ejection) gives a median of 7.7 over 32 members (3.0: 8+)
    assert 7.5 <= mg.scenario.median <= 15.0
    assert mg.improved == 1.0
    assert table.cells["LVSP"]["tavi"].difference.hi < 0  # lower in 95 % of twins at least


def test_smaller_prosthesis_leaves_a_higher_gradient(point_baseline):
    """SAPIEN 3 20 mm vs ≥ 23 mm: MG 15.7 vs 11.7 at discharge (STS/ACC TVT)."""
    _, small = _point(point_baseline, "severe_as", one_step("tavi_sapien3", size=20))
    _, large = _point(point_baseline, "severe_as", one_step("tavi_sapien3", size=29))
    assert small["AV_mean_gradient"][0] > large["AV_mean_gradient"][0] + 5


def test_paravalvular_leak_adds_aortic_regurgitation(point_baseline):
    _, none = _point(point_baseline, "severe_as", one_step("tavi", eoa=1.8, pvl=0))
    _, mod = _point(point_baseline, "severe_as", one_step("tavi", eoa=1.8, pvl=2))
    assert none["AR_volume"][0] < 1.0
    assert mod["AR_volume"][0] > 10.0
    assert mod["LVEDP"][0] > none["LVEDP"][0]


def test_clip_to_01_cuts_regurgitant_fraction_below_30_and_lowers_la_pressure(point_baseline):
    """Residual MR ≤ 2+ after M-TEER (PMC6662353): RF < 30 % is at most moderate."""
    base, r = _point(point_baseline, "severe_mr", one_step("mitral_teer", residual_eroa=0.1))
    assert base["MR_fraction"][0] >= 50
    assert r["MR_fraction"][0] < 30
    assert r["LAP"][0] < base["LAP"][0] - 2


def test_clip_raises_the_mitral_gradient(point_baseline):
    """Mean MV gradient 1.6 → 3.1 mmHg after M-TEER (PMC6662353): it rises (the old model
    showed a fall, 6.3 → 5.5); the default area loss was set from this rise, so only the
    direction and the stenosis bound are checked here."""
    base, clip = _point(point_baseline, "severe_mr", one_step("mitral_teer"))
    _, plain = _point(point_baseline, "severe_mr", one_step("mitral_teer", mva_reduction=0))
    assert clip["MV_mean_gradient"][0] > base["MV_mean_gradient"][0] + 1.0
    assert plain["MV_mean_gradient"][0] < base["MV_mean_gradient"][0]  # less flow, same area
    assert clip["MV_mean_gradient"][0] < 5.0 + 1.0  # not iatrogenic stenosis
    assert base["MV_mean_gradient"][0] < 4.0  # severe-MR baseline was 6.3 (4× too high)


def test_beta_blocker_lowers_heart_rate_and_output_modestly(point_baseline):
    """Metoprolol ~12 mg IV: HR 90 → 74 (Dell'Italia 1989); CO falls (Iskandrian 1986)."""
    base, r = _point(point_baseline, "healthy", one_step("beta_blocker", dose=12))
    assert r["HR"][0] == pytest.approx(base["HR"][0] * 74 / 90, rel=1e-6)
    drop = 1 - r["CO"][0] / base["CO"][0]
    assert 0.03 <= drop <= 0.25


def test_inotrope_raises_output_and_vasodilator_lowers_afterload(point_baseline):
    base, ino = _point(point_baseline, "hfref", one_step("inotrope", dose=10))
    assert ino["CO"][0] > base["CO"][0] * 1.1 and ino["HR"][0] > base["HR"][0]
    _, vaso = _point(point_baseline, "hfref", one_step("vasodilator", level=3))
    assert vaso["CO"][0] > base["CO"][0] and vaso["MAP"][0] < base["MAP"][0]
    _, diu = _point(point_baseline, "hfref", one_step("diuretic", level=2))
    assert diu["LAP"][0] < base["LAP"][0] - 1


def test_pacing_sets_rate_and_av_delay(point_baseline):
    """Normal heart: CO nearly constant while SV falls with paced rate (scilit)."""
    base, r = _point(point_baseline, "healthy", one_step("pacing", rate=100, av_delay=120))
    assert r["HR"][0] == pytest.approx(100)
    sv = r["CO"][0] / r["HR"][0] * 1000
    assert sv < base["SV_forward"][0]
    assert abs(r["CO"][0] / base["CO"][0] - 1) < 0.15


def test_lvad_speed_up_raises_output_and_lowers_lvedp_until_suction(point_baseline):
    """Ramp: CO up, PCWP down per step (Uriel 2016); suction stops titration (Hayward 2011)."""
    speeds = [4000, 5000, 6000, 7000, 8000, 9000]
    rows = [_point(point_baseline, "hfref", one_step("lvad", speed=s))[1] for s in speeds]
    co = np.array([r["CO"][0] for r in rows])
    lvedp = np.array([r["LVEDP"][0] for r in rows])
    suction = np.array([r["LV_suction"][0] for r in rows])
    first = int(np.argmax(suction > 0.5)) if suction.any() else len(speeds)
    assert suction.any(), "suction never flagged up to 9000 rpm"
    assert first >= 3
    assert np.all(np.diff(co[:first]) > 0)
    assert np.all(np.diff(lvedp[:first]) < 0)
    base = point_baseline("hfref")[2].metrics
    assert co[0] > base["CO"][0] and lvedp[0] < base["LVEDP"][0]
    opening = np.array([r["AV_opening"][0] for r in rows])
    assert opening[0] == 1.0 and opening[-1] == 0.0  # AV stops opening as speed rises


def test_lvad_flags_are_reported_in_the_table(ensemble_baseline):
    model, base = ensemble_baseline("hfref", 16)
    res = run_scenarios(model, base, [one_step("lvad", speed=8500)])
    flags = scenario_table(base, res, ["CO"]).flags["lvad"]
    assert flags.av_closed == 1.0
    assert flags.lv_suction > 0
    assert any("aortic valve no longer opens" in line for line in flags.lines())


@pytest.mark.parametrize("preset", ["healthy", "severe_mr"])
def test_every_setting_at_its_limits_is_applied_or_refused_never_crashes(preset,
                                                                          ensemble_baseline):
    """Every setting at both ends of its range: either a clear InterventionError or a run
    whose members all reach a periodic state (no NaN, no divergence)."""
    from twinviewer.core.twin import InterventionStep, Scenario
    from twinviewer.interventions import LIBRARY, InterventionError

    model, base = ensemble_baseline(preset, 6)
    refused = 0
    for iv in LIBRARY.values():
        for s in iv.settings:
            if s.name == "seed":
                continue
            for v in (sorted(s.choices) if s.only_choices else s.limits):
                sc = Scenario("x", (InterventionStep(iv.name, {s.name: v}),))
                try:
                    r = run_scenarios(model, base, [sc])["x"]
                except InterventionError as exc:
                    assert iv.name in str(exc)
                    refused += 1
                    continue
                assert r.ok.all(), f"{iv.name} {s.name}={v}: {r.errors()[:1]}"
    assert refused < 10  # only the physically refused combinations
