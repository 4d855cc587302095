"""The whole measured volume curve as data of the posterior calibration (issue 13 item 4)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from twinviewer.core.anatomy import Anatomy, Structure
from twinviewer.core.measurement import Measurement as M
from twinviewer.imaging.curves import VolumeCurve, curve_measurements
from twinviewer.personalize.calibrate import calibrate
from twinviewer.personalize.cli import json_safe
from twinviewer.personalize.measurements import MeasurementError
from twinviewer.personalize.synthetic import patients
from twinviewer.personalize.volume_curve import (
    CurveData,
    calibration_data,
    curve_covariance,
    observation,
    synthetic_curve,
)
from twinviewer.twins import twin_from_preset


def test_whitening_gives_the_correlated_misfit():
    c = VolumeCurve("LV", np.arange(10) * 80.0, 120 - 50 * np.sin(np.linspace(0, np.pi, 10)),
                    np.full(10, 4.0), 800.0)
    ob = observation(calibration_data(c))
    r = np.random.default_rng(1).normal(size=10) * 5
    w = ob.whiten(ob.data.volumes_ml + r) - ob.y
    assert np.allclose((w ** 2).sum(), r @ np.linalg.solve(ob.cov, r))
    cov, m, a = curve_covariance(ob.data)
    # the common boundary bias correlates the phases: a level shift costs far less than the
    # same residuals counted as independent
    flat = np.full(10, 8.0)
    assert flat @ np.linalg.solve(cov, flat) < 0.8 * (flat ** 2 / np.diag(cov)).sum()


def test_bad_curves_are_refused_by_name():
    twin = twin_from_preset("healthy", n=1)
    short = CurveData("LV", np.array([0.0, 0.5]), np.array([120.0, 60.0]),
                      np.array([3.0, 3.0]), 800.0, "test")
    with pytest.raises(MeasurementError, match="LV volume curve: need .* ≥ 3 phases"):
        calibrate(twin, [M("SBP", 120, "mmHg", 5)], n=16, volume_curves=[short])
    with pytest.raises(ValueError, match="volume_curves='every'"):
        calibrate(twin, [M("SBP", 120, "mmHg", 5)], n=16, volume_curves="every")
    with pytest.raises(ValueError, match="not a CurveData"):
        calibrate(twin, [M("SBP", 120, "mmHg", 5)], n=16, volume_curves=[[1, 2, 3]])


def _anatomy_from(res, i, rng) -> tuple[Anatomy, dict[str, np.ndarray]]:
    """A 25-phase segmentation of synthetic patient ``i`` (volumes only)."""
    a = Anatomy("virtual-curve")
    truths = {}
    for chamber, key in (("LV", "lv_blood"), ("RV", "rv_blood")):
        curve, truth = synthetic_curve(res, i, chamber, rng, source="synthetic MR segmentation")
        st = Structure(key, f"{chamber} blood pool", (1.0, 0.0, 0.0))
        st.volumes = {p: M(f"{chamber} volume", float(v), "mL", float(s), curve.source)
                      for p, (v, s) in enumerate(zip(curve.volumes_ml, curve.sd_ml,
                                                     strict=True))}
        a.structures[key] = st
        a.phase_times_ms = curve.times_ms.tolist()
        a.rr_ms = curve.rr_ms
        a.measurements += [m for m in curve_measurements(curve)
                           if not m.name.endswith(("_PER", "_PFR"))]
        order = np.argsort((curve.times_ms - curve.times_ms[curve.ed_index]) % curve.rr_ms,
                           kind="stable")
        truths[chamber] = truth[order]
    return a, truths


@pytest.mark.slow
def test_twin_fitted_to_its_own_volume_curve():
    truth = patients("own", 1, seed=5)
    rng = np.random.default_rng(5)
    anatomy, truths = _anatomy_from(truth.results, 0, rng)
    twin = twin_from_preset("healthy", n=1, anatomy=anatomy)
    res = calibrate(twin, [M("SBP", truth.truth("SBP", 0), "mmHg", 6, "cuff"),
                           M("DBP", truth.truth("DBP", 0), "mmHg", 5, "cuff")], n=48, seed=1,
                    point_estimate=False)
    assert [c.chamber for c in res.curve_fit] == ["LV", "RV"]
    rows = {r.name: r for r in res.fit}
    # the image volumes are in the curve: shown, not counted a second time
    assert not rows["LVEDV"].used and "whole LV volume curve" in rows["LVEDV"].note
    assert not rows["RVESV"].used
    # the R-R of the curve is the heart rate
    assert rows["HR"].note == "set directly from this measurement"
    assert abs(rows["HR"].measured - truth.truth("HR", 0)) < 1.0
    for c in res.curve_fit:
        inside = (truths[c.chamber] >= c.pred_lo) & (truths[c.chamber] <= c.pred_hi)
        assert inside.mean() >= 0.8, (c.chamber, inside.mean())
        # 1.5 until session 3; the RV curve gives 1.55 after the RA/RV elastance correction
        # with the narrower (Grothues 2002) curve SDs: the closing note names this
        assert c.rms_z < 1.6 and not c.flag
    d = json.loads(json.dumps(json_safe(res.to_dict()), allow_nan=False))
    lv = d["volume_curves"][0]
    assert lv["phases"] == 25 and len(lv["per_phase"]["z"]) == 25
    assert "LV volume curve" in res.summary() and "volume curve" in res.status_line()
    assert any("LV volume curve" in i for p in res.provenance.values() for i in p.inputs)


@pytest.mark.slow
def test_band_covers_a_different_models_curve():
    """Patients from regazzoni2022 (resistive valves, cosine activation), test seed ≠ the
    seed the curve errors were chosen on: the V(t) band covers the truth at most frames,
    and the unmeasured outputs keep honest intervals. Full size: notes/calib.md."""
    from twinviewer.personalize.curve_check import check

    r = check("regazzoni", 6, seed=2026, members=48)
    print(r.table())
    cov = r.coverage()
    frames = np.mean([cov["V_LV(t)"], cov["V_RV(t)"]])
    assert 0.7 <= frames <= 1.0, r.table()
    assert np.mean([cov[k] for k in ("LVEDP", "LAP", "PASP", "SW", "CO")]) >= 0.6, r.table()


def _parse(argv):
    import argparse

    from twinviewer.personalize.cli import add_arguments

    p = argparse.ArgumentParser()
    add_arguments(p)
    return p.parse_args(argv)


def test_cli_volume_curve_needs_a_twin_with_a_curve(tmp_path, capsys):
    from twinviewer.io.twinfile import save_twin
    from twinviewer.personalize.cli import run_calibrate
    from twinviewer.pipeline import run_calibrate_file

    assert run_calibrate(_parse(["--volume-curve"])) == 2
    assert "needs a saved twin" in capsys.readouterr().err
    assert run_calibrate(_parse([])) == 2
    assert "--measurements FILE.json is needed" in capsys.readouterr().err
    path = tmp_path / "p.twin"
    save_twin(path, twin_from_preset("healthy", n=4))
    args = _parse([str(path), "--volume-curve", "--json"])
    assert run_calibrate_file(args) == 2
    err = capsys.readouterr().err
    assert "--volume-curve: p.twin holds no timed volume curve" in err


@pytest.mark.slow
def test_cli_calibrates_a_saved_twin_to_its_curve(tmp_path, capsys):
    from twinviewer.io.twinfile import load_twin, save_twin
    from twinviewer.pipeline import run_calibrate_file

    truth = patients("own", 1, seed=8)
    anatomy, _ = _anatomy_from(truth.results, 0, np.random.default_rng(8))
    path = tmp_path / "p.twin"
    save_twin(path, twin_from_preset("healthy", n=32, anatomy=anatomy))
    assert run_calibrate_file(_parse([str(path), "-n", "32", "--json"])) == 0
    d = json.loads(capsys.readouterr().out)
    curves = {c["chamber"]: c for c in d["volume_curves"]}
    assert set(curves) == {"LV", "RV"}
    assert curves["LV"]["phases"] == 25 and curves["LV"]["missed_phases"] <= 5
    assert len(curves["RV"]["per_phase"]["pred_lo"]) == 25
    twin = load_twin(path).twin
    assert twin.ensemble_kind == "posterior"
    assert [c["chamber"] for c in twin.audit[-1].details["volume_curves"]] == ["LV", "RV"]


def test_only_volumes_of_the_curves_images_are_counted_once():
    from twinviewer.personalize.calibrate import _in_curve

    c = VolumeCurve("LV", [0, 200, 400, 600], [120, 60, 90, 110], [3, 3, 3, 3], 800,
                    "MR segmentation")
    obs = [observation(calibration_data(c))]
    assert _in_curve(M("LVEDV", 120, "mL", 3, "MR segmentation, 4-phase volume curve"), obs)
    assert not _in_curve(M("LVEDV", 118, "mL", 8, "CT segmentation"), obs)
    assert not _in_curve(M("RVEDV", 150, "mL", 8, "MR segmentation"), obs)
    assert not _in_curve(M("LVEF", 55, "%", 5, "echo"), obs)


# -- which curve points the twin misses (calib4) ---------------------------------------------

def _kick_summary(twin_kick: float = 2.0):
    """A measured curve with a 30-mL atrial kick (diastasis 150 mL, ED 180 mL) beside a
    twin that fills to 150 mL and adds only ``twin_kick`` at the end."""
    from twinviewer.personalize.volume_curve import CurveFitSummary

    ph = np.arange(25) / 25
    meas = np.interp(ph, [0, 0.4, 0.72, 0.88, 1.0], [180, 72, 150, 150, 180])
    med = meas.copy()  # the same curve but for the kick
    late = (ph >= 0.88) | (ph == 0)
    med[late] = 150 + twin_kick * np.where(ph[late] == 0, 1.0, (ph[late] - 0.88) / 0.12)
    sd = np.full(25, 8.0)
    return CurveFitSummary("LV", ph, meas, sd, np.full(25, 15.0), med, med - 8, med + 8,
                           med - 25, med + 25, (meas - med) / 17.0, 0.6, 860.0, "mesh",
                           med - 28, med + 28)


def test_the_points_a_twin_misses_are_named_by_part_of_the_beat_and_amount():
    from twinviewer.personalize.volume_curve import CurveFitSummary

    s = _kick_summary()
    gaps = s.gaps()
    assert len(gaps) == 1  # the run over the end of the beat and its start is one gap
    g = gaps[0]
    assert (g.start, g.end, g.phases, g.part) == (0.92, 0.0, 3, "filling, end-diastole")
    assert g.worst_phase == 0.0 and g.difference == pytest.approx(-28.0)
    assert g.text().startswith("LV 0.92–0.00 R-R (filling, end-diastole, 3 phases): ")
    assert "twin 28 mL below the curve at 0.00 R-R (measured 180 ± 8, twin 152 (144–160) mL" \
        in g.text()
    m, t = s.late_filling()
    assert m == pytest.approx(30.0, abs=0.5) and t == pytest.approx(2.0, abs=0.5)
    assert "atrial contraction: curve +30 mL, twin +2 mL" in s.gaps_text()
    # saved and read back (a reopened twin's fit table)
    d = json.loads(json.dumps(json_safe(s.to_dict()), allow_nan=False))
    assert d["gaps"][0]["text"] == g.text() and d["late_filling_ml"]["measured"] == m
    back = CurveFitSummary.from_dict(d)
    assert back.gaps() == gaps and np.array_equal(back.meas_hi, s.meas_hi)
    # a twin with the patient's kick misses nothing
    assert _kick_summary(twin_kick=30.0).gaps() == [] and _kick_summary(30.0).gaps_text() == ""


def test_measured_point_band_is_the_interval_z_is_judged_against():
    """The band drawn beside measured volumes (ensemble ⊕ model ⊕ phase ⊕ segmentation) is
    ±1.645 of the SD that z divides by, and wider than the band of the true curve."""
    from twinviewer.personalize.volume_curve import calibration_data, observation, summarise
    from twinviewer.twins import simulate_twin

    res = simulate_twin(twin_from_preset("healthy", n=24))
    curve, _ = synthetic_curve(res, 3, "LV", np.random.default_rng(3))
    ob = observation(calibration_data(curve))
    v = ob.model_volumes(res)
    s = summarise(ob, v, draws=64)
    tol = 0.05 * (s.pred_hi - s.pred_lo)  # two sets of random draws
    assert np.all(s.meas_lo <= s.pred_lo + tol) and np.all(s.meas_hi >= s.pred_hi - tol)
    assert np.mean(s.meas_hi - s.meas_lo) > np.mean(s.pred_hi - s.pred_lo)
    sd_z = np.sqrt(np.nanvar(v, axis=0) + np.diag(ob.cov))
    half = (s.meas_hi - s.meas_lo) / 2 / np.sqrt(max(1.0, s.chi2))  # without Birge widening
    assert np.allclose(half / 1.645, sd_z, rtol=0.2), np.c_[half / 1.645, sd_z]


def test_a_curve_gap_prints_the_sd_its_z_is_judged_against():
    """newuser17b G4: 'measured 136 ± 7, twin 107 (93–120) mL, z +1.4': by hand from the
    printed numbers z ≈ (136 − 107)/√(7² + 8.2²) = +2.7. z is judged against the twin's
    spread ⊕ model and segmentation error, which was never printed; it is now, and the
    printed numbers give the printed z."""
    import re

    from twinviewer.personalize.volume_curve import CurveGap

    g = CurveGap("LV", 0.52, 0.76, 7, "filling", 0.64, 136.0, 7.0, 107.0, 93.0, 120.0, 1.4)
    text = g.text()
    found = re.search(r"z \+1\.4 over σ (\d+) mL incl\. model error", text)
    assert found, text
    assert (136 - 107) / float(found.group(1)) == pytest.approx(1.4, abs=0.05)
