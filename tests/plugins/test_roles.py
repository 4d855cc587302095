"""Roles drive calibration quantities, interventions and cycle signals: the single-ventricle
example plugin (one ventricle, three-element Windkessel) gets what its roles allow and is told
plainly what it cannot do."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from twinviewer.core.measurement import Measurement as M
from twinviewer.interventions.intervention import InterventionError
from twinviewer.interventions.library import LIBRARY
from twinviewer.plugins.checks import check_declaration

EXAMPLE = Path(__file__).resolve().parents[2] / "plugins" / "tv-single-ventricle"


@pytest.fixture
def sv():
    sys.path.insert(0, str(EXAMPLE))
    from tv_single_ventricle.model import MODEL

    yield MODEL
    sys.path.remove(str(EXAMPLE))


def test_parameter_roles_are_declared_and_checked(sv):
    from dataclasses import replace

    assert check_declaration(sv) == []
    assert sv.role("SYS.R_AR") == "WK.R" and sv.role("HR") == "HR" and sv.role("RV.EA") is None
    wrong = replace(sv, roles={**sv.roles, "SYS.R_AR": "WK.C"})  # a compliance as resistance
    assert any("SYS.R_AR needs a quantity in mmHg*s/mL" in p for p in check_declaration(wrong))
    unknown = replace(sv, roles={"LV.XX": "V.EA"})
    assert any("neither a series role" in p for p in check_declaration(unknown))


def test_interventions_act_through_parameter_roles(sv):
    P = np.tile(sv.default_vector(), (3, 1))
    col = {n: sv.index(n) for n in sv.parameter_names}
    out = LIBRARY["vasodilator"].apply(sv, P)
    changed = {n for n, j in col.items() if not np.allclose(out[:, j], P[:, j])}
    assert changed == {"WK.R", "WK.C"}  # SYS.R_AR and SYS.C_AR, as in the built-in model
    assert (out[:, col["WK.R"]] < P[:, col["WK.R"]]).all()
    assert {n for n, j in col.items()
            if not np.allclose(LIBRARY["diuretic"].apply(sv, P)[:, j], P[:, j])} == {"V_total"}
    for name, role in [("beta_blocker", "RV.EA"), ("tavi", "AV.EOA"), ("lvad", "VAD.speed")]:
        with pytest.raises(InterventionError, match=f"no parameter playing the role '{role}'"):
            LIBRARY[name].apply(sv, P)


def test_calibration_quantities_through_roles(sv):
    from twinviewer.personalize.quantities import predict, supported

    n = 2
    t = np.linspace(0, 1, 50)[None, :].repeat(n, 0)
    res = SimpleNamespace(model=sv, params=np.tile(sv.default_vector(), (n, 1)),
                          ok=np.ones(n, bool), metrics={"SBP": np.array([120.0, 125.0])},
                          series={"V_V": 100 + 20 * np.cos(t), "p_V": t}, time=t)
    assert supported("SBP", res) is None and supported("HR", res) is None
    np.testing.assert_array_equal(predict("HR", res), sv.default_vector()[sv.index("HR")])
    assert "no parameter playing the role AV.EOA" in supported("AVA", res)
    assert "needs the role(s) p_RV, p_RA" in supported("TR_velocity", res)
    assert "does not compute RVEDV" in supported("RVEDV", res)


def test_cycle_signals_through_roles(sv):
    from twinviewer.gui import cycle  # numpy only: no Qt

    res = SimpleNamespace(model=sv, series={"p_V": np.zeros((2, 4)), "V_V": np.ones((2, 4))},
                          ok=np.ones(2, bool), time=np.zeros((2, 4)))
    p, v = cycle.STRUCTURE_SIGNALS["lv_blood"]
    assert cycle.series_name(res, p) == "p_V" and cycle.series_name(res, v) == "V_V"
    assert cycle.signal(res, "p_RV") is None  # the RV is left uncoloured, not invented
    assert cycle.percentile_at(res, "V_LV", 0.5) == 1.0


@pytest.mark.slow
def test_a_single_ventricle_twin_is_calibrated_and_takes_a_vasodilator(plugin_registry):
    """End to end in the worker: calibration moves the Windkessel towards the measured
    pressures; the vasodilator (SYS.R_AR → WK.R) lowers MAP by about what the Windkessel's
    mass balance says (mean P_AR − P_VEN = Q̄·R)."""
    from twinviewer.personalize.calibrate import MeasurementError, calibrate
    from twinviewer.twins import simulate_twin, twin_from_preset

    plugin_registry(EXAMPLE, entry_points=[])
    twin = twin_from_preset("teaching_single_ventricle", n=24)
    base = simulate_twin(twin)
    sbp0 = float(np.nanmedian(base.metrics["SBP"]))
    res = calibrate(twin, [M("SBP", sbp0 + 25, "mmHg", 5), M("DBP", 95, "mmHg", 5),
                           M("HR", 70, "bpm", 1)], n=24, point_estimate=False)
    fit = {r.name: r for r in res.fit}
    assert sbp0 < fit["SBP"].median < sbp0 + 25 + 5  # moved towards the measurement
    with pytest.raises(MeasurementError, match="no parameter playing the role AV.EOA"):
        calibrate(twin, [M("AVA", 1.0, "cm^2", 0.1)], n=24)

    from twinviewer.physiology.simulate import simulate

    model = base.model
    after = simulate(model, LIBRARY["vasodilator"].apply(model, twin.ensemble))
    ok = base.ok & after.ok
    assert (after.metrics["MAP"][ok] < base.metrics["MAP"][ok]).all()
    for r in (base, after):
        q = r.series["Q_OUT"][ok].mean(1)
        p_ar, p_ven = r.series["P_AR"][ok].mean(1), r.series["P_VEN"][ok].mean(1)
        R = r.params[ok, model.index("WK.R")]
        np.testing.assert_allclose(p_ar - p_ven, q * R, rtol=0.03)
