"""One datum, one z (issue 12 items 5 and 7, review R5): a reviewer's LVEDV 141 mL against
a twin of 111 showed −1.8 in the curve row, −2.2 in the fit table and ``info``, and 2.4 σ in
the report. Every path now shows :func:`~twinviewer.personalize.quantities.predictive_z`
of the calibration's fit table: (measured − predictive median) / √(σ_meas² + σ_pred²)."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.anatomy import Anatomy, Structure
from twinviewer.core.format import number
from twinviewer.core.measurement import Measurement as M
from twinviewer.imaging.curves import VolumeCurve, curve_measurements
from twinviewer.personalize.quantities import fit_check, predictive_sd, predictive_z
from twinviewer.personalize.synthetic import patients
from twinviewer.personalize.volume_curve import synthetic_curve

SOURCE = "synthetic MR segmentation"


def test_the_one_rule_and_its_sign():
    x = np.random.default_rng(0).normal(111.0, 6.0, 400)
    m = M("LVEDV", 141.0, "mL", 9.9, SOURCE)
    for fitted in (False, True):
        c = fit_check(m, x, fitted=fitted)
        sd_pred = predictive_sd(x, 0.05 * 141.0, fitted)
        assert c.z == pytest.approx(predictive_z(141.0, np.median(x), 9.9, sd_pred))
        assert c.z > 2  # measured above the twin: positive
        assert c.sd == pytest.approx(np.hypot(9.9, sd_pred))
    # a datum of the fit drops the spread it produced: only the median's Monte-Carlo error
    assert predictive_sd(x, 0.0, True) == pytest.approx(
        np.sqrt(np.pi / 2 / x.size) * predictive_sd(x, 0.0, False))


@pytest.fixture(scope="module")
def calibrated():
    """A twin fitted to SBP, DBP and an LV volume curve whose end-diastolic frame is 55 mL
    above the rest of the curve's filling (no heart of the model fills like that), with the
    curve's LVEDV among its image measurements: the twin misses that one datum."""
    from twinviewer.io.audit import audit_log
    from twinviewer.personalize import calibration_record, updated_twin
    from twinviewer.personalize.calibrate import calibrate
    from twinviewer.twins import twin_from_preset

    truth = patients("own", 1, seed=5)
    c, _ = synthetic_curve(truth.results, 0, "LV", np.random.default_rng(5), source=SOURCE)
    v = c.volumes_ml.copy()
    v[c.ed_index] += 55.0
    curve = VolumeCurve("LV", c.times_ms, v, c.sd_ml, c.rr_ms, SOURCE)
    a = Anatomy("virtual-curve")
    st = Structure("lv_blood", "LV blood pool", (1.0, 0.0, 0.0))
    st.volumes = {p: M("LV volume", float(x), "mL", float(s), SOURCE)
                  for p, (x, s) in enumerate(zip(curve.volumes_ml, curve.sd_ml, strict=True))}
    a.structures["lv_blood"] = st
    a.phase_times_ms, a.rr_ms = curve.times_ms.tolist(), curve.rr_ms
    a.measurements = [m for m in curve_measurements(curve) if m.name in ("LVEDV", "LVESV")]
    twin = twin_from_preset("healthy", n=1, anatomy=a)
    r = calibrate(twin, [M("SBP", truth.truth("SBP", 0), "mmHg", 6, "cuff"),
                         M("DBP", truth.truth("DBP", 0), "mmHg", 5, "cuff")], n=48, seed=1,
                  point_estimate=False)
    new = updated_twin(twin, r, accept_misfit=True)
    audit_log(new).record(new, "calibration", calibration_record(r, misfits=r.misfits))
    return new, r


def test_one_datum_has_one_z_on_every_path(calibrated):
    # ~2 s CPU (the calibration, 48 members); in the gate
    from twinviewer.explain.summary import plain_summary
    from twinviewer.explain.validity import fit_warnings
    from twinviewer.io.measurement_use import last_calibration, use_of
    from twinviewer.personalize import normalise

    twin, r = calibrated
    row = next(f for f in r.fit if f.name == "LVEDV")
    z = row.z
    txt = f"{z:+.1f}"
    assert row.flag and z > 2 and row.measured > row.median, row  # missed, measured above
    # the curve: its end-diastolic point is this datum
    c = r.curve_fit[0]
    k = int(np.argmax(c.measured))
    assert c.z[k] == pytest.approx(z) and c.measured[k] == pytest.approx(row.measured)
    assert f"(z {txt})" in c.ed_es_text().split(",")[0]
    gap = next(g for g in c.gaps() if g.worst_phase == pytest.approx(c.phase[k]))
    assert gap.z == pytest.approx(z)  # the curve row of the fit table and the panel
    # the status line, the calibration summary and the dict a saved twin keeps
    assert f"LVEDV (z {txt})" in r.status_line()
    assert f"LVEDV measured {number(row.measured)}" in r.summary() and f"z = {txt}" in r.summary()
    # `info`, the Measurements panel and the PDF: the saved calibration record
    lvedv = next(m for m in twin.anatomy.measurements if m.name == "LVEDV")
    use = use_of(normalise(lvedv), last_calibration(twin.audit), given=False)
    assert f"z = {txt}" in use.text()
    # the validity warning of the report (text and PDF) and its plain summary
    from twinviewer.twins import simulate_twin

    res = simulate_twin(twin)
    w = next(x for x in fit_warnings(twin, res) if x.subject == "LVEDV")
    assert f"z = {txt}" in w.text
    text = plain_summary("LVEDV", res.summary("LVEDV"), warnings=[w])
    assert "The twin misses 1 measurement" in text and f"z = {txt}" in text
