"""A reopened calibrated twin brings its calibration back: fit table, misfit flags and the
volume-curve fit, whether the GUI or the command line calibrated it."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.anatomy import Anatomy, Structure
from twinviewer.core.measurement import Measurement as M
from twinviewer.document import Document, latest_calibration, recomputed_curve_fit
from twinviewer.io import audit_log, save_twin
from twinviewer.personalize.synthetic import patients
from twinviewer.personalize.volume_curve import synthetic_curve
from twinviewer.pipeline import calibrate_file
from twinviewer.twins import twin_from_preset


def _curve_twin():
    """A prior twin whose anatomy holds a 25-phase LV volume curve of a model patient."""
    truth = patients("own", 1, seed=5)
    rng = np.random.default_rng(5)
    curve, _ = synthetic_curve(truth.results, 0, "LV", rng, source="synthetic MR segmentation")
    a = Anatomy("virtual-curve")
    st = Structure("lv_blood", "LV blood pool", (1.0, 0.0, 0.0))
    st.volumes = {p: M("LV volume", float(v), "mL", float(s), curve.source)
                  for p, (v, s) in enumerate(zip(curve.volumes_ml, curve.sd_ml, strict=True))}
    a.structures["lv_blood"] = st
    a.phase_times_ms, a.rr_ms = curve.times_ms.tolist(), curve.rr_ms
    twin = twin_from_preset("healthy", n=1, anatomy=a)
    twin.measurements.append(M("SBP", truth.truth("SBP", 0), "mmHg", 6, "cuff"))
    twin.measurements.append(M("DBP", 30.0, "mmHg", 2, "cuff"))  # missed: a misfit flag
    return twin


@pytest.mark.slow
def test_command_line_calibration_comes_back_on_open(tmp_path):
    path = tmp_path / "p.twin"
    save_twin(path, _curve_twin())
    # 16 members may miss a measurement: kept and flagged (the test is about reopening)
    step, result = calibrate_file(path, None, n=16, accept_misfit=True)
    doc = Document()
    doc.open_file(path)
    cal = doc.calibration
    assert cal is not None and not cal.get("partial")
    assert [f["name"] for f in cal["fit"]] == [f.name for f in result.fit]
    # the misfits come back as they were (SBP and the curve here; DBP 30 is judged against
    # the wider predictive interval, model error included, since session 3)
    assert cal["misfits"] == result.misfits and cal["misfits"]
    lv = cal["volume_curves"][0]
    assert lv["chamber"] == "LV" and len(lv["per_phase"]["measured"]) == 25
    np.testing.assert_allclose(lv["per_phase"]["median"], result.curve_fit[0].median)
    # an entry that kept numbers only: the same summary recomputed from the ensemble's run
    again = recomputed_curve_fit(doc.twin, result.results)
    assert again[0]["recomputed"] and again[0]["chamber"] == "LV"
    assert again[0]["rms_z"] == pytest.approx(lv["rms_z"], rel=1e-6)
    assert recomputed_curve_fit(doc.twin, None) == []


def test_an_entry_without_its_summary_still_shows_what_it_holds():
    """Files written before the summary was kept (the review's demo and `twin create`)."""
    twin = twin_from_preset("healthy", n=2)
    audit_log(twin).record(twin, "calibration", {
        "method": "EKI", "members": 200, "measurements": ["LVEDV", "HR"],
        "calibrated": ["LV.EA"], "command": "twin create",
        "volume_curves": [{"chamber": "LV", "phases": 25, "rms_z": 0.45,
                           "chi2_per_phase": 0.2, "missed_phases": 0}]})
    cal = latest_calibration(twin)
    assert cal["partial"] and cal["command"] == "twin create" and cal["n_members"] == 200
    assert cal["volume_curves"][0]["rms_z"] == 0.45
