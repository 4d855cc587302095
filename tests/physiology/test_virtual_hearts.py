"""Every virtual heart grades as it claims (ESC/ASE criteria; Qp:Qs for the shunts), and the
septal-defect shunts behave as orifices should."""

import numpy as np
import pytest

from twinviewer.physiology import PRESETS, simulate
from twinviewer.physiology.four_chamber import MODEL
from twinviewer.physiology.model import ModelError
from twinviewer.physiology.virtual_hearts import HEARTS, get_heart, library

REQUIRED = {"healthy", "moderate_as", "severe_as", "severe_ar", "severe_mr", "mitral_stenosis",
            "hfref", "hfpef", "hypertensive_heart", "asd", "vsd", "pulmonary_hypertension"}


def _metrics(values):
    r = simulate(MODEL, MODEL.vector(values))
    assert r.ok.all(), r.errors()
    return {k: float(v[0]) for k, v in r.metrics.items()}


def test_library_has_the_required_hearts_with_text():
    names = {h.name for h in HEARTS}
    assert len(HEARTS) >= 12 and REQUIRED <= names
    for h in HEARTS:
        assert len(h.description) > 60 and len(h.look_for) > 40, h.name
        assert h.criteria, h.name
        assert all(c.source for c in h.criteria), h.name
        assert h.name in PRESETS  # the CLI, what-if and GUI pickers see them
    assert [d["name"] for d in library()] == [h.name for h in HEARTS]


@pytest.mark.parametrize("heart", HEARTS, ids=lambda h: h.name)
def test_heart_grades_as_it_claims(heart):
    m = _metrics(heart.values)
    failed = [f"{c.text()} (got {v:.3g}; {c.source})" for c, v, ok in heart.grade(m) if not ok]
    assert not failed, f"{heart.name}: " + "; ".join(failed)


def test_grading_can_fail():
    # The healthy heart does not grade as a shunt, nor severe AS as moderate.
    m = _metrics({})
    assert any(not ok for _, _, ok in get_heart("asd").grade(m))
    assert any(not ok for _, _, ok in get_heart("vsd").grade(m))
    m_sev = _metrics(get_heart("severe_as").values)
    assert any(not ok for _, _, ok in get_heart("moderate_as").grade(m_sev))


def test_unknown_heart_names_the_choices():
    with pytest.raises(ModelError, match="unknown virtual heart 'asd2'.*choose one of: healthy"):
        get_heart("asd2")


def test_no_shunt_without_a_defect():
    m = _metrics({})
    assert m["QpQs"] == pytest.approx(1.0, abs=0.005)
    assert abs(m["shunt_flow"]) < 1e-6


def test_shunt_grows_with_area_and_reverses_with_pressure():
    small, large = (_metrics({"ASD.area": a})["QpQs"] for a in (0.3, 1.5))
    assert 1.0 < small < large
    # Eisenmenger-like: a very high pulmonary resistance and a stiff, hypertrophied RV raise
    # the right atrial pressure above the left, so the ASD shunt reverses (right-to-left)
    # and Qp:Qs falls below 1.
    m = _metrics({"ASD.area": 1.5, "PUL.R_AR": 0.8, "RV.EA": 2.0, "RV.KB": 0.03,
                  "RV.EB": 0.02, "PUL.C_AR": 1.0})
    assert m["QpQs"] < 1.0 and m["shunt_flow"] < 0.0


def test_shunt_conserves_blood_volume():
    vec = MODEL.vector({"VSD.area": 0.25})
    r = simulate(MODEL, vec)
    y = np.stack([r.series[s][0] for s in MODEL.state_names], axis=1)
    vol = MODEL.conserved_volume(y, np.tile(vec, (len(y), 1)))
    assert np.ptp(vol) < 0.5 and vol.mean() == pytest.approx(vec[MODEL.index("V_total")], abs=1)


def test_vsd_flow_is_systolic_and_left_to_right():
    r = simulate(MODEL, MODEL.vector({"VSD.area": 0.25}))
    q = r.series["Q_VSD"][0]
    # mL/s: a restrictive defect, left to right, largest in systole. A brief low-velocity
    # reversal in early diastole, while the relaxing LV falls below the RV's diastolic
    # pressure (1.5 vs 2.4 mmHg here), is allowed: it is small and only when p_LV < p_RV.
    dt = r.time[0, 1] - r.time[0, 0]
    forward, back = (q.clip(0) * dt).sum(), (-q.clip(None, 0) * dt).sum()
    assert q.max() > 80 and back < 0.05 * forward
    lv_below_rv = r.series["p_LV"][0] < r.series["p_RV"][0]
    assert np.all(lv_below_rv[q < 0])
    systole = r.time[0] < 0.45
    assert q[systole].mean() > 2 * q[~systole].mean()
    # Bernoulli: at the peak, the LV–RV pressure difference is 4v² with v = Q/A.
    i = q.argmax()
    dp = r.series["p_LV"][0, i] - r.series["p_RV"][0, i]
    v = q[i] / 0.25 / 100.0
    assert dp == pytest.approx(4 * v * v, rel=0.05)


def test_atrial_fibrillation_loses_the_atrial_kick():
    # No atrial contraction: less LV filling at the same rate. In this model the atrial
    # contribution is small (about 2 mL at 70 bpm; see docs/notes/hearts.md).
    s70 = _metrics({})
    af70 = _metrics({"ATRIA.kick": 0.0})
    assert af70["LVEDV"] < s70["LVEDV"] - 1.0
    # The atrial pressure loses its a-wave: the sinus LA pressure rises above the
    # fibrillating one only while the atria contract (within AVD before the R wave).
    for hr in (70.0, 115.0):
        sinus = simulate(MODEL, MODEL.vector({"HR": hr}))
        af = simulate(MODEL, MODEL.vector({"HR": hr, "ATRIA.kick": 0.0}))
        a_wave = sinus.series["p_LA"][0] - af.series["p_LA"][0]
        i = int(a_wave.argmax())
        t = (i + 0.5) / len(a_wave) * 60.0 / hr
        assert a_wave[i] > 0.5, hr  # mmHg; small in this model (docs/notes/hearts.md)
        assert 60.0 / hr - 0.16 - 0.02 <= t <= 60.0 / hr, (hr, t)


def test_predict_warm_states_give_the_same_predictions(tmp_path):
    from twinviewer.physiology import virtual_hearts as vh

    vh.forget_predictions()
    cold = vh.predict("vsd", 12, memory=False, directory=tmp_path)
    files = list(tmp_path.glob("*.npy"))
    assert len(files) == 1 and "vsd-12-0" in files[0].name
    warm = vh.predict("vsd", 12, memory=False, directory=tmp_path)
    assert warm.beats.mean() < cold.beats.mean()
    for key in ("LVEF", "QpQs", "mPAP"):
        np.testing.assert_allclose(warm.metrics[key], cold.metrics[key], rtol=0.01, atol=0.1)
    assert vh.predict("vsd", 12, directory=tmp_path) is vh.predict("vsd", 12,
                                                                   directory=tmp_path)
    # A damaged or stale state file only costs time.
    files[0].write_bytes(b"not a numpy file")
    again = vh.predict("vsd", 12, memory=False, directory=tmp_path)
    np.testing.assert_allclose(again.metrics["QpQs"], cold.metrics["QpQs"], rtol=0.01)
    np.save(files[0], np.zeros((3, 2)))
    assert vh.predict("vsd", 12, memory=False, directory=tmp_path).ok.all()
    vh.forget_predictions()


@pytest.mark.parametrize("name", ["healthy", "pulmonary_hypertension", "asd"])
def test_pvr_in_wood_units_is_the_pulmonary_resistance(name):
    # (mPAP − LAP) / Qp over the beat equals the series pulmonary resistance
    # R_AR + R_VEN (mmHg·s/mL × 1000/60 = Wood units), whatever the shunt does to Qp.
    h = get_heart(name)
    m = _metrics(h.values)
    vec = h.vector()
    r = vec[MODEL.index("PUL.R_AR")] + vec[MODEL.index("PUL.R_VEN")]
    assert m["PVR"] == pytest.approx(r * 1000.0 / 60.0, rel=0.02)


def test_shipped_states_match_the_model_and_are_converged():
    from twinviewer.physiology import virtual_hearts as vh

    for h in HEARTS:
        warm = vh.shipped_states(h.name)
        assert warm is not None and warm.shape == (200, len(MODEL.states)), (
            f"{h.name}: shipped states missing or stale; regenerate them "
            "(virtual_hearts.write_shipped_states)")
    # A warm start from them is periodic within a few beats.
    P = vh.heart_ensemble("asd", 200)[:20]
    r = simulate(MODEL, P, warm_start=vh.shipped_states("asd")[:20])
    assert r.ok.all() and r.beats.max() <= 4


def test_vsd_shunts_while_the_lv_is_pressurised_and_loads_the_left_heart():
    # R8: the shunt follows the LV–RV pressure difference (four_chamber.shunt_flow on
    # p_LV − p_RV), which is large only while the LV is pressurised (isovolumic contraction,
    # ejection, isovolumic relaxation): ≥ 80 % of the shunted volume (model: 88 %). Its extra
    # pulmonary flow returns to the LA and LV, which enlarge (ESC 2020 ACHD: LV volume
    # overload). The RV enlarges too (152 vs 131 mL): see docs/notes/physio6.md.
    healthy = simulate(MODEL, MODEL.vector())
    r = simulate(MODEL, MODEL.vector({"VSD.area": 0.25}))
    q, p_lv = r.series["Q_VSD"][0], r.series["p_LV"][0]
    pressurised = q[p_lv > 15.0].clip(0).sum() / q.clip(0).sum()
    assert pressurised >= 0.8, pressurised
    la = [x.series["V_LA"][0].max() for x in (healthy, r)]
    lv = [x.metrics["LVEDV"][0] for x in (healthy, r)]
    # LV +6.1 % on model 3.0, +4.9 % on 3.1: the VSD heart's LVEDV is the same (140.2 vs
    # 140.9 mL, shunt 3.37 vs 3.31 L/min) but 3.1's healthy heart fills 2.3 mL more (the
    # 5 % of 3.0's test was not from a source; ESC 2020 says only "LV volume overload")
    assert la[1] > 1.1 * la[0] and lv[1] > 1.04 * lv[0], (la, lv)
    assert r.metrics["QpQs"][0] >= 1.5


# review15 #2: the open-loop MR, MS and HFrEF hearts read 92–95 / 63–67 mmHg (MAP 79), so a
# class learned that these lesions lower the blood pressure. Compensated MR and MS are
# normotensive; HFrEF trial baselines sit at SBP ≈ 115–125 mmHg (advanced HFrEF 100–110).
@pytest.mark.parametrize("name, metric, low, high", [
    ("severe_mr", "MAP", 85, 105), ("mitral_stenosis", "MAP", 85, 105)])
def test_lesion_hearts_are_not_hypotensive(name, metric, low, high):
    heart = get_heart(name)
    # The bound is part of what the heart claims (so `twinviewer validate` checks it too) ...
    assert any(c.metric == metric and c.low == low and c.high == high for c in heart.criteria)
    # ... and the simulated heart meets it, with the normal diastolic pressure of an adult.
    m = _metrics(heart.values)
    assert low <= m[metric] <= high, (name, metric, m[metric])
    assert 60 <= m["DBP"] <= 90 and m["MAP"] >= 80, (name, m["SBP"], m["DBP"], m["MAP"])


def test_the_open_loop_hfref_heart_says_it_is_shown_without_reflex_compensation():
    """hfref stays at ≈ 92/67 mmHg (the interventions' checks are calibrated on it, see its
    comment): its description and the heart-failure lesson say why the pressure is low."""
    from twinviewer.teaching.lesson import lesson_files, load_lesson

    heart = get_heart("hfref")
    m = _metrics(heart.values)
    assert m["SBP"] < 100  # if it is made normotensive, give it a pressure criterion instead
    assert "without reflex compensation" in heart.description
    hf = [load_lesson(f) for f in lesson_files() if "heart_failure" in f.name]
    assert hf and "without reflex compensation" in hf[0].steps[0].text
