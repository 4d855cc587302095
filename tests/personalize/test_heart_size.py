"""A prior the size of the patient's heart (fit7): the demo's biv-me LV (EDV 179 mL) sat at
+2.9 prior SD of the healthy prior, which pulled its twin's SV to 90 of a measured 107 mL."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.measurement import Measurement as M
from twinviewer.personalize.heart_size import (
    MAX_SCALE,
    measured_lvedv,
    scaled,
    size_matched,
)
from twinviewer.physiology import simulate
from twinviewer.physiology.presets import get_preset


def test_a_scaled_heart_keeps_its_pressures_and_scales_its_volumes():
    """The size symmetry the prior's centre relies on, checked by simulating the model."""
    p = get_preset("healthy")
    res = simulate(p.model, np.array([p.vector(), scaled(p.model, p.vector(), 1.37),
                                      scaled(p.model, p.vector(), 0.8)]))
    assert res.ok.all()
    met = {k: np.asarray(res.metrics[k]) for k in ("LVEDV", "LVSV", "RVEDV", "SBP", "DBP",
                                                    "LVEDP", "LAP", "LVEF")}
    for k in ("LVEDV", "LVSV", "RVEDV"):
        assert met[k][1:] / met[k][0] == pytest.approx([1.37, 0.8], rel=0.01), k
    for k in ("SBP", "DBP", "LVEDP", "LAP"):
        assert met[k][1:] == pytest.approx(met[k][0], rel=0.02), k
    assert met["LVEF"][1:] == pytest.approx(met["LVEF"][0], abs=0.2)


def test_only_volumes_elastances_compliances_resistances_and_areas_scale():
    p = get_preset("healthy")
    x = scaled(p.model, p.vector(), 1.5)
    ratio = dict(zip(p.model.parameter_names, x / np.where(p.vector() == 0, 1, p.vector()),
                     strict=True))
    assert ratio["LV.V0"] == pytest.approx(1.5) and ratio["SYS.C_AR"] == pytest.approx(1.5)
    assert ratio["AV.EOA"] == pytest.approx(1.5)
    assert ratio["LV.EA"] == pytest.approx(1 / 1.5) and ratio["LV.KB"] == pytest.approx(1 / 1.5)
    assert ratio["SYS.R_AR"] == pytest.approx(1 / 1.5)
    assert ratio["SYS.L_AR"] == pytest.approx(1 / 1.5)
    for name in ("HR", "AVD", "LV.TC", "LV.TR", "ATRIA.kick", "FFR"):
        assert ratio[name] == pytest.approx(1.0), name


def test_the_prior_centre_takes_the_measured_lvedv():
    p = get_preset("healthy")
    base, size = size_matched(p.model, p.vector(), [M("LVEDV", 179.0, "mL", 8.5, "CT")])
    assert 1.3 < size.scale < 1.4 and "LVEDV 179 mL (CT)" in size.reason
    edv = float(np.asarray(simulate(p.model, base[None]).metrics["LVEDV"])[0])
    assert edv == pytest.approx(179.0, rel=0.01)


def test_no_measured_size_or_an_implausible_one_leaves_the_prior_and_says_why():
    p = get_preset("healthy")
    x = p.vector()
    base, size = size_matched(p.model, x, [M("SBP", 120.0, "mmHg", 8)])
    assert size.scale == 1.0 and "no measured LV end-diastolic volume" in size.reason
    assert np.array_equal(base, x)
    huge = 132.0 * (MAX_SCALE + 0.5)
    base, size = size_matched(p.model, x, [M("LVEDV", huge, "mL", 10)])
    assert size.scale == 1.0 and f"beyond ×{MAX_SCALE:g}" in size.reason
    assert np.array_equal(base, x)


def test_the_curve_gives_the_size_before_a_single_lvedv():
    from twinviewer.personalize.volume_curve import CurveData

    c = CurveData("LV", np.array([0.0, 0.4, 0.7]), np.array([170.0, 70.0, 150.0]),
                  np.array([8.0, 5.0, 7.0]), 860.0, "mesh")
    assert measured_lvedv([M("LVEDV", 150.0, "mL", 8)], [c])[0] == 170.0
    assert measured_lvedv([M("LVEDV", 150.0, "mL", 8)])[0] == 150.0
    assert measured_lvedv([]) is None


def test_a_calibration_with_heart_size_names_the_scaling_in_its_prior():
    from twinviewer.personalize.calibrate import calibrate
    from twinviewer.twins import twin_from_preset

    twin = twin_from_preset("healthy", n=1)
    ms = [M("LVEDV", 180.0, "mL", 9.0, "CT"), M("LVESV", 72.0, "mL", 6.0, "CT")]
    r = calibrate(twin, ms, n=32, seed=1, point_estimate=False, heart_size=True)
    assert r.prior_choice.size_scale > 1.3
    assert "scaled to the patient's heart size" in r.prior_choice.describe()
    assert "scaled to the patient's heart size" in r.summary()
    plain = calibrate(twin, [M("SBP", 120, "mmHg", 8)], n=32, seed=1, point_estimate=False,
                      heart_size=True)
    assert plain.prior_choice.size_scale == 1.0
    assert any("no measured LV end-diastolic volume" in w for w in plain.warnings)


def test_a_size_matched_twin_is_judged_against_the_scaled_prior():
    """Judged against the unscaled preset, the demo twin's valve areas and V_total (×1.35)
    read 'beyond the 99 % interval of the population prior'; its prior was the scaled one."""
    from twinviewer.explain.validity import parameter_warnings, prior_of
    from twinviewer.personalize.calibrate import calibrate, updated_twin
    from twinviewer.twins import model_of, twin_from_preset

    twin = twin_from_preset("healthy", n=1)
    ms = [M("LVEDV", 200.0, "mL", 9.0, "CT"), M("LVESV", 80.0, "mL", 6.0, "CT")]
    r = calibrate(twin, ms, n=32, seed=1, point_estimate=False, heart_size=True)
    t = updated_twin(twin, r, day=0, accept_misfit=True)
    model = model_of(t)
    prior, name = prior_of(t, model, "V_total")
    assert "heart size" in name
    assert prior.loc == pytest.approx(1162.6 * r.prior_choice.size_scale, rel=0.01)
    assert not [w for w in parameter_warnings(t, model) if w.kind == "prior"]
