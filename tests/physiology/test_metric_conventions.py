"""Event-based metric conventions (metrics.py) on the cases where volume extremes mislead:
TAVI with a severe paravalvular leak, LVAD backflow at 3000 rpm, severe MR (issue 12)."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions import apply_scenario
from twinviewer.physiology import get_preset, simulate
from twinviewer.physiology.metrics import end_systole_index, onset_index


def _run(preset: str, step: InterventionStep | None = None):
    p = get_preset(preset)
    v = p.vector()
    if step is not None:
        v = apply_scenario(p.model, v, Scenario("x", (step,)), point=True)
    r = simulate(p.model, v)
    assert r.ok.all(), r.errors()
    return r


def _pressure_at_mitral_closure(r) -> float:
    """LV pressure where the LA–LV pressure difference turns negative around ventricular
    onset: the valve starts to close. (With valve inertance, model 3.0, the forward flow
    itself runs on for some ms into the LV pressure rise, so its end is no longer the
    closing point.)"""
    q = r.series["p_LA"][0] - r.series["p_LV"][0]
    p = r.series["p_LV"][0]
    n = q.size
    for k in range(n):  # first forward → not-forward transition from the end of diastole
        j = (k - n // 4) % n
        if q[j] > 0.0 and q[(j + 1) % n] <= 0.0:
            return float(p[(j + 1) % n])
    raise AssertionError("no mitral closure found")


def test_lvedp_with_severe_paravalvular_leak_is_the_filling_pressure():
    """Issue 12: the old volume-based convention gave 32.1 mmHg with mitral closure at 17.0.

    With a severe leak the LV keeps filling from the aorta after the mitral valve closes
    (premature mitral closure of acute severe AR), so LVEDP may exceed the pressure at mitral
    closure by a few mmHg, but it must not include the isovolumic upstroke: the largest LV
    volume comes later at a far higher pressure."""
    r = _run("severe_as", InterventionStep("tavi", {"eoa": 1.8, "pvl": 3}))
    m = {k: float(v[0]) for k, v in r.metrics.items()}
    assert r.metrics["AR_volume"][0] > 20  # the leak is there
    closure = _pressure_at_mitral_closure(r)
    assert closure - 1.0 <= m["LVEDP"] <= closure + 8.0
    i_max = int(np.argmax(r.series["V_LV"][0]))
    assert r.series["p_LV"][0][i_max] > m["LVEDP"] + 10.0


def test_lvedp_without_a_leak_is_the_pressure_at_mitral_closure():
    r = _run("severe_as", InterventionStep("tavi", {"eoa": 1.8, "pvl": 0}))
    assert r.metrics["LVEDP"][0] == pytest.approx(_pressure_at_mitral_closure(r), abs=1.5)
    assert r.metrics["LVEDP"][0] == pytest.approx(r.metrics["LAP"][0], abs=3.0)


def test_lvedp_with_lvad_backflow_is_near_left_atrial_pressure():
    """Issue 12: LVAD at 3000 rpm regurgitates in diastole; LVEDP was 28.3 with LAP 16.7."""
    r = _run("hfref", InterventionStep("lvad", {"speed": 3000}))
    m = {k: float(v[0]) for k, v in r.metrics.items()}
    assert r.series["Q_VAD"][0].min() < 0  # backflow through the pump
    assert abs(m["LVEDP"] - m["LAP"]) < 4.0


def _aortic_closure(q: np.ndarray) -> int:
    """Last sample of forward aortic flow in the ejection holding the peak flow."""
    i = int(q.argmax())
    while q[(i + 1) % q.size] > 0.0:
        i = (i + 1) % q.size
    return i


@pytest.mark.parametrize("preset", ["severe_mr", "severe_ar", "healthy", "hfref"])
def test_end_systole_is_never_after_aortic_closure(preset):
    """Issue 12 item 1: end-systole is maximal elastance or the end of ejection, whichever
    comes first. In severe MR maximal p/(V − V0) fell 61 ms after aortic closure (review8)."""
    r = _run(preset)
    s = r.series
    v0 = r.params[:, r.model.index("LV.V0")]
    i_es = int(end_systole_index(s["p_LV"], s["V_LV"], v0, s["Q_AV"])[0])
    i_open = int(np.flatnonzero(s["Q_AV"][0] > 0.0)[0])
    i_close = _aortic_closure(s["Q_AV"][0])
    assert i_open <= i_es <= i_close, (i_open, i_es, i_close)
    # the metric uses the same instant
    p_es = s["p_LV"][0][i_es]
    assert float(r.metrics["Ea"][0]) == pytest.approx(p_es / float(r.metrics["LVSV"][0]))


def test_ea_in_severe_mr_is_taken_at_the_end_of_ejection():
    """Issue 12: Ea was 0.20 mmHg/mL, then 0.57 with end-systole 61 ms after aortic closure
    (review8); about 0.75 expected (end-systolic pressure ~ 110 mmHg over a total stroke
    volume ~ 150 mL). At closure it is about 0.65: within 20 % of the issue's figure."""
    r = _run("severe_mr")
    m = {k: float(v[0]) for k, v in r.metrics.items()}
    assert m["Ea"] == pytest.approx(0.75, rel=0.2)
    i_close = _aortic_closure(r.series["Q_AV"][0])
    assert m["Ea"] == pytest.approx(r.series["p_LV"][0][i_close] / m["LVSV"], rel=1e-9)


def test_ees_is_the_peak_elastance_of_the_linear_chamber():
    """In the linear time-varying elastance the peak of p/(V − V0) is EA + EB."""
    p = get_preset("regazzoni2022")
    r = simulate(p.model, p.vector())
    ea, eb = p.vector()[p.model.index("LV.EA")], p.vector()[p.model.index("LV.EB")]
    assert r.metrics["Ees"][0] == pytest.approx(ea + eb, rel=0.01)


def test_onset_uses_the_declared_onset_parameter():
    period = np.array([0.8, 0.8])
    assert onset_index({"LV.tC": np.array([0.1, 0.9])}, "LV", period, 200).tolist() == [25, 25]
    assert onset_index({}, "RV", period, 200).tolist() == [0, 0]


def test_collapsed_chamber_does_not_divide_by_zero():
    p = np.array([[5.0, 50.0, 60.0]])
    v = np.array([[10.0, 10.5, 30.0]])  # two samples within 1 mL of V0
    assert end_systole_index(p, v, np.array([10.0])).tolist() == [2]


@pytest.mark.parametrize("preset", ["healthy", "hfref", "pulmonary_hypertension"])
def test_end_diastolic_pressures_meet_the_mean_atrial_pressures(preset):
    """With the atrioventricular valves open at end-diastole, RVEDP ≈ mean RA pressure (CVP)
    and LVEDP ≈ mean LA pressure within 1–2 mmHg (catheter practice; normal RA 2–6 mmHg,
    ../shared/REFERENCE.md). The model's RV pressure at RV onset is checked against the RA
    pressure at the same instant too, so that a timing error cannot hide in the comparison.

    Before the RA/RV passive elastances were corrected RVEDP sat 3 mmHg below CVP (healthy
    1.0 vs 4.0, pulmonary hypertension 1.7 vs 4.8, hfref 1.3 vs 3.5 mmHg)."""
    r = _run(preset)
    m = {k: float(v[0]) for k, v in r.metrics.items()}
    assert m["RVEDP"] == pytest.approx(m["CVP"], abs=1.5)
    assert m["LVEDP"] == pytest.approx(m["LAP"], abs=1.5)
    names = r.model.parameter_names
    onset = {k: r.params[:, names.index(k)] for k in ("RV.tC",) if k in names}
    i_rv = int(onset_index(onset, "RV", 60.0 / r.metrics["HR"], r.series["p_RV"].shape[1])[0])
    # The tricuspid valve is still open (or just closing) at the R wave: RV ≈ RA pressure.
    assert m["RVEDP"] == pytest.approx(float(r.series["p_RA"][0][i_rv]), abs=1.0)
    if preset == "healthy":
        assert 2.0 <= m["RVEDP"] <= 6.0 and 2.0 <= m["CVP"] <= 6.0


def test_the_mean_gradient_ignores_the_closing_valves_trickle():
    """eject8: at 200 steps two samples after aortic closure carried 0.04 and 0.005 mL/s and
    counted as forward flow, pulling severe AS's mean gradient 0.9 mmHg down. Forward flow is
    flow above 0.1 % of the peak (metrics' docstring)."""
    from twinviewer.physiology.metrics import FORWARD_FRACTION, forward_mean

    q = np.array([[0.0, 100.0, 300.0, 100.0, 0.04, 0.005, 0.0, -2.0],
                  [0.0, 100.0, 300.0, 100.0, 0.0, 0.0, 0.0, -2.0],
                  [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -5.0]])
    dp = 4.0 * (q / 100.0) ** 2
    with_trickle, clean, none = forward_mean(dp, q).tolist()
    assert with_trickle == pytest.approx(clean) == pytest.approx(np.mean([4.0, 36.0, 4.0]))
    assert none == 0.0  # no forward flow: no gradient
    # a real forward sample just above the threshold still counts
    q2 = q[1:2].copy()
    q2[0, 4] = 2.0 * FORWARD_FRACTION * 300.0
    assert forward_mean(4.0 * (q2 / 100.0) ** 2, q2)[0] < clean


def test_the_printed_peak_gradient_is_four_vmax_squared():
    """numbers17 F6: the Doppler gradients used ρ/2 = 3.975 mmHg/(m/s)² while every label says
    4v² (the clinical simplified Bernoulli, exactly 4: Baumgartner 2009, INTERVENTIONS.md §1).
    On severe AS Vmax 4.434 m/s printed 78.1 mmHg, not 4·4.434² = 78.6. The mean gradient is
    4·mean(v²) over forward flow, v = Q_AV/EOA, recomputed here from the waveform."""
    r = _run("severe_as")
    m = {k: float(v[0]) for k, v in r.metrics.items()}
    assert m["AV_peak_gradient"] == pytest.approx(4.0 * m["AV_peak_velocity"] ** 2, rel=1e-9)
    eoa = float(r.params[0, r.model.parameter_names.index("AV.EOA")])
    q = r.series["Q_AV"][0]
    fwd = q > 1e-3 * q.max()
    v = q[fwd] / eoa / 100.0   # mL/s over cm²: cm/s, then m/s
    assert m["AV_mean_gradient"] == pytest.approx(4.0 * float(np.mean(v ** 2)), rel=1e-9)
    # the model's own orifice loss is still ρ/2·v² (equations unchanged)
    from twinviewer.physiology.elements import K_BERNOULLI
    assert K_BERNOULLI * 1e4 == pytest.approx(3.975, abs=1e-3)   # per (m/s)²


def test_the_ea_and_ees_descriptions_say_where_end_systole_is_taken():
    """numbers17 F12: in severe MR the printed Ees (1.652) is p/(V − V0) at aortic closure, not
    the maximum over the beat (1.665, later), yet the one-line descriptions that tables and
    tooltips show said "maximal LV elastance … over the beat" and "pressure at maximal
    elastance". They must name the closure cap the code applies."""
    from twinviewer.physiology.metrics import METRIC_BY_NAME

    r = _run("severe_mr")
    s = r.series
    v0 = float(r.params[0, r.model.index("LV.V0")])
    i_close = _aortic_closure(s["Q_AV"][0])
    e = s["p_LV"][0] / np.maximum(s["V_LV"][0] - v0, 1.0)
    ees = float(r.metrics["Ees"][0])
    assert ees == pytest.approx(float(e[i_close]), rel=1e-9)
    assert ees < e.max()  # the cap is in force here, so "maximal … over the beat" was wrong
    for name in ("Ea", "Ees"):
        text = METRIC_BY_NAME[name].description
        assert "aortic closure" in text and "maximal elastance" in text, text
        assert "over the beat" not in text, text


def test_aortic_peak_velocity_is_zero_when_the_valve_never_opens():
    """review17 F7: under full LVAD support the aortic valve stays shut; its largest flow is a
    small backflow, and the peak velocity printed −0.0001 m/s. Peak over forward flow (the
    metric's description): 0 when there is none, as the gradients. Fails before the fix."""
    r = _run("hfref", InterventionStep("lvad", {"speed": 5600.0}))
    assert float(r.series["Q_AV"][0].max()) < 0.0  # the case: no forward aortic flow
    assert float(r.metrics["AV_peak_velocity"][0]) == 0.0
    assert float(r.metrics["AV_peak_gradient"][0]) == 0.0
    # an opening valve is untouched
    m = _run("severe_as").metrics
    assert float(m["AV_peak_velocity"][0]) > 4.0
