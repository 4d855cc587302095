"""svZeroDSolver JSON import: the five reference cases and bad input.

Tolerance for the reference cases
---------------------------------
The importer reproduces svZeroDSolver's equations row by row and its integrator
(generalized-alpha, rho_inf from the file or 0.5, Newton until max |residual| < atol), so
the answers agree to round-off, not merely to discretisation error. Each variable and
column must satisfy

    |y - y_ref| <= 1e-6 * range(y_ref) + 1e-10

The 1e-10 term is the resolution of the stored results (pandas ``to_json`` keeps 10
decimals), which matters only for the SI case whose volumes are ~1e-5 m^3. Observed
errors are ~1e-8 of the range (cgs cases) and at the storage resolution (SI case); a
different integrator (e.g. BDF, RK45) would typically miss this bound by orders of
magnitude, so the test pins the scheme as well as the equations.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from twinviewer.physiology.svzerod import (
    SvZeroDConfigError,
    SvZeroDSolveError,
    load_config,
    simulate,
    supported_types,
    to_clinical_units,
    to_dataframe_like,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "svzerodsolver"
CASES = ["valve_tanh", "pulsatileFlow_R_RCR", "chamber_elastance_inductor",
         "closedLoopHeart_singleVessel", "closed_loop_two_hill"]
REL_TOL = 1e-6
ABS_TOL = 1e-10  # stored results carry 10 decimals


def _case(name: str) -> dict:
    return json.loads((DATA / "cases" / f"{name}.json").read_text())


def _reference(name: str) -> dict:
    return json.loads((DATA / "results" / f"result_{name}.json").read_text())


def _assert_matches_reference(case: str) -> None:
    ref = _reference(case)
    result = simulate(DATA / "cases" / f"{case}.json")
    np.testing.assert_allclose(result["time"], ref["time"], rtol=0, atol=1e-9)
    vessel_based = ref["columns"] != ["y"]
    assert len(result) - 1 == len(ref["values"]) * (4 if vessel_based else 1)
    for name, columns in ref["values"].items():
        for column, expected in columns.items():
            key = f"{column}:{name}" if vessel_based else name
            expected = np.asarray(expected)
            got = result[key]
            bound = REL_TOL * np.ptp(expected) + ABS_TOL
            err = float(np.max(np.abs(got - expected)))
            assert err <= bound, f"{case} {key}: error {err:.3g} > {bound:.3g}"


def test_valve_tanh_matches_svzerodsolver():
    """RC vessel -> tanh valve -> RC vessel -> R, pulsatile pressure, steady start."""
    _assert_matches_reference("valve_tanh")


def test_pulsatile_flow_r_rcr_matches_svzerodsolver():
    """Flow table -> R vessel -> RCR; all ten cycles output (output_all_cycles)."""
    _assert_matches_reference("pulsatileFlow_R_RCR")


def test_chamber_elastance_inductor_matches_svzerodsolver():
    """Pressure -> tanh valve -> half-cosine chamber with inertance -> valve -> RC -> R."""
    _assert_matches_reference("chamber_elastance_inductor")


def test_closed_loop_heart_single_vessel_matches_svzerodsolver():
    """ClosedLoopHeartAndPulmonary around one aortic vessel and a ClosedLoopRCR."""
    _assert_matches_reference("closedLoopHeart_singleVessel")


def test_closed_loop_two_hill_matches_svzerodsolver():
    """Regazzoni-type four-chamber loop in SI units (two-hill activation, piecewise valves)."""
    _assert_matches_reference("closed_loop_two_hill")


def test_two_hill_loop_in_clinical_units_gives_published_beat():
    """REFERENCE.md: at beat 3, LV EDV/ESV 114.2/40.7 mL, EF 64 %, aortic 104/54 mmHg."""
    res = to_clinical_units(simulate(DATA / "cases" / "closed_loop_two_hill.json"), "SI")
    v = res["Vc:LV"]
    assert v.max() == pytest.approx(114.2, abs=0.05)
    assert v.min() == pytest.approx(40.7, abs=0.05)
    assert (v.max() - v.min()) / v.max() == pytest.approx(0.64, abs=0.005)
    p_ao = res["pressure:AV:AR_SYS"]
    assert p_ao.max() == pytest.approx(104.0, abs=0.5)
    assert p_ao.min() == pytest.approx(54.0, abs=0.5)


def test_dataframe_like_layout_matches_svzerodsolver_columns():
    res = simulate(DATA / "cases" / "closedLoopHeart_singleVessel.json")
    table = to_dataframe_like(res)
    assert list(table) == ["name", "time", "flow_in", "flow_out", "pressure_in", "pressure_out"]
    assert set(table["name"]) == {"branch0_seg0"}
    np.testing.assert_array_equal(table["pressure_in"], res["pressure_in:branch0_seg0"])
    res = simulate(DATA / "cases" / "valve_tanh.json")
    table = to_dataframe_like(res)
    assert list(table) == ["name", "time", "y"]
    assert table["y"].size == (len(res) - 1) * res["time"].size


def test_variable_based_override_lists_every_variable():
    res = simulate(DATA / "cases" / "pulsatileFlow_R_RCR.json", variable_based=True)
    assert "pressure_c:OUT" in res and "flow:INFLOW:branch0_seg0" in res


def test_plain_python_path_gives_the_same_answer():
    """TWINVIEWER_NUMBA=0 runs the uncompiled kernel; results must be identical in value."""
    code = ("import json,sys;from twinviewer.physiology.svzerod import simulate;"
            "r=simulate(sys.argv[1]);print(json.dumps(r['pressure:upstream_vessel:valve']"
            ".tolist()))")
    env = dict(os.environ, TWINVIEWER_NUMBA="0")
    out = subprocess.run([sys.executable, "-c", code, str(DATA / "cases" / "valve_tanh.json")],
                         env=env, capture_output=True, text=True, check=True, timeout=120)
    plain = np.array(json.loads(out.stdout))
    jitted = simulate(DATA / "cases" / "valve_tanh.json")["pressure:upstream_vessel:valve"]
    np.testing.assert_allclose(plain, jitted, rtol=1e-12, atol=1e-12)


def test_supported_types_lists_the_reference_blocks():
    types = supported_types()
    assert "ClosedLoopHeartAndPulmonary" in types["closed_loop_blocks"]
    assert "LinearElastanceChamber" in types["chambers"]


# ----------------------------------------------------------------------------- bad input


def _load_error(cfg: dict) -> str:
    with pytest.raises(SvZeroDConfigError) as info:
        load_config(cfg)
    return str(info.value)


def test_unknown_vessel_type_names_block_and_type():
    cfg = _case("valve_tanh")
    cfg["vessels"][1]["zero_d_element_type"] = "BloodVesselRCRL"
    msg = _load_error(cfg)
    assert "downstream_vessel" in msg and "BloodVesselRCRL" in msg and "BloodVessel" in msg


def test_unknown_chamber_type_names_block_and_type():
    cfg = _case("closed_loop_two_hill")
    cfg["chambers"][1]["type"] = "ChamberSphere"
    msg = _load_error(cfg)
    assert "'LV'" in msg and "ChamberSphere" in msg


def test_unknown_activation_function_is_named():
    cfg = _case("chamber_elastance_inductor")
    cfg["chambers"][0]["activation_function"]["type"] = "gaussian"
    msg = _load_error(cfg)
    assert "ventricle" in msg and "gaussian" in msg


def test_missing_parameter_names_block_and_field():
    cfg = _case("closed_loop_two_hill")
    del cfg["vessels"][2]["zero_d_element_values"]["R_poiseuille"]
    msg = _load_error(cfg)
    assert "AR_PUL" in msg and "R_poiseuille" in msg


def test_missing_valve_connection_names_valve_and_field():
    cfg = _case("closed_loop_two_hill")
    del cfg["valves"][1]["params"]["downstream_block"]
    msg = _load_error(cfg)
    assert "'AV'" in msg and "downstream_block" in msg


def test_missing_simulation_field_is_named():
    cfg = _case("valve_tanh")
    del cfg["simulation_parameters"]["number_of_time_pts_per_cardiac_cycle"]
    assert "number_of_time_pts_per_cardiac_cycle" in _load_error(cfg)


def test_misspelt_parameter_is_named_with_suggestion():
    cfg = _case("valve_tanh")
    cfg["valves"][0]["params"]["Steepnes"] = cfg["valves"][0]["params"].pop("Steepness")
    msg = _load_error(cfg)
    assert "Steepnes" in msg and "did you mean 'Steepness'" in msg and "'valve'" in msg


def test_connection_to_missing_block_is_named():
    cfg = _case("closed_loop_two_hill")
    cfg["junctions"][0]["outlet_blocks"] = ["VEN_SYSTEMIC"]
    msg = _load_error(cfg)
    assert "VEN_SYSTEMIC" in msg and "J0" in msg


def test_unconnected_block_is_named():
    cfg = _case("valve_tanh")
    cfg["boundary_conditions"].append(
        {"bc_name": "SPARE", "bc_type": "RESISTANCE", "bc_values": {"R": 1.0, "Pd": 0.0}})
    msg = _load_error(cfg)
    assert "SPARE" in msg and "connection" in msg


def test_non_finite_or_non_numeric_value_is_named():
    cfg = _case("valve_tanh")
    cfg["vessels"][0]["zero_d_element_values"]["C"] = float("nan")
    assert "upstream_vessel" in _load_error(cfg) and "'C'" in _load_error(cfg)
    cfg = _case("valve_tanh")
    cfg["vessels"][0]["zero_d_element_values"]["C"] = "1e-4"
    assert "must be a number" in _load_error(cfg)


def test_table_length_mismatch_is_named():
    cfg = _case("valve_tanh")
    cfg["boundary_conditions"][0]["bc_values"]["P"].pop()
    msg = _load_error(cfg)
    assert "INLET" in msg and "'P'" in msg and "'t'" in msg


def test_inconsistent_cardiac_period_is_refused():
    cfg = _case("valve_tanh")
    cfg["simulation_parameters"]["cardiac_period"] = 0.8
    assert "cardiac period" in _load_error(cfg)


def test_unsupported_setting_is_refused_not_ignored():
    cfg = _case("valve_tanh")
    cfg["simulation_parameters"]["use_cycle_to_cycle_error"] = True
    assert "use_cycle_to_cycle_error" in _load_error(cfg)


def test_unknown_initial_condition_variable_is_named():
    cfg = copy.deepcopy(_case("closed_loop_two_hill"))
    cfg["initial_condition"]["Vc:LVV"] = 1e-4
    with pytest.raises(SvZeroDConfigError, match=r"Vc:LVV.*did you mean 'Vc:LV'"):
        simulate(cfg)


def test_malformed_json_names_file_and_position(tmp_path):
    path = tmp_path / "broken_model.json"
    path.write_text('{"simulation_parameters": {"number_of_cardiac_cycles": 3,,}}')
    with pytest.raises(SvZeroDConfigError, match=r"broken_model\.json: not valid JSON \(line 1"):
        load_config(path)


def test_missing_file_is_named_without_directories(tmp_path):
    with pytest.raises(SvZeroDConfigError) as info:
        load_config(tmp_path / "private_dir" / "model.json")
    assert "model.json" in str(info.value) and "private_dir" not in str(info.value)


def test_newton_failure_raises_with_time():
    cfg = _case("valve_tanh")
    cfg["simulation_parameters"]["maximum_nonlinear_iterations"] = 1
    with pytest.raises(SvZeroDSolveError, match=r"t = .*Newton did not converge"):
        simulate(cfg)


def test_singular_network_raises_clear_error():
    """Flow imposed at both ends of a resistor leaves the pressure level undetermined."""
    cfg = {
        "simulation_parameters": {"number_of_cardiac_cycles": 1,
                                  "number_of_time_pts_per_cardiac_cycle": 5,
                                  "steady_initial": False},
        "boundary_conditions": [
            {"bc_name": "IN", "bc_type": "FLOW", "bc_values": {"Q": 1.0}},
            {"bc_name": "OUT", "bc_type": "FLOW", "bc_values": {"Q": 1.0}}],
        "vessels": [{"vessel_id": 0, "vessel_name": "v", "zero_d_element_type": "BloodVessel",
                     "zero_d_element_values": {"R_poiseuille": 1.0},
                     "boundary_conditions": {"inlet": "IN", "outlet": "OUT"}}],
    }
    with pytest.raises(SvZeroDSolveError, match="singular"):
        simulate(cfg)


def test_clinical_units_rejects_unknown_system():
    with pytest.raises(ValueError, match="source_units"):
        to_clinical_units({"time": np.zeros(1)}, "imperial")


def test_steady_start_of_closed_loop_is_refused():
    cfg = _case("closedLoopHeart_singleVessel")
    del cfg["simulation_parameters"]["steady_initial"]  # default: true
    msg = _load_error(cfg)
    assert "steady_initial" in msg and "ClosedLoopHeartAndPulmonary" in msg


def test_table_where_svzerodsolver_takes_a_number_is_refused():
    cfg = _case("valve_tanh")
    t = cfg["boundary_conditions"][0]["bc_values"]["t"]
    cfg["boundary_conditions"][1]["bc_values"] = {"R": [1000.0] * len(t), "Pd": 1.0, "t": t}
    msg = _load_error(cfg)
    assert "OUTLET" in msg and ("'t'" in msg or "'R'" in msg)


def _variants() -> list[tuple[str, dict]]:
    out = []
    cfg = _case("pulsatileFlow_R_RCR")
    cfg["vessels"][0]["zero_d_element_values"].update(
        {"stenosis_coefficient": 50.0, "C": 1e-4, "L": 0.5})
    out.append(("stenosis", cfg))
    cfg = _case("pulsatileFlow_R_RCR")
    cfg["vessels"][0]["zero_d_element_type"] = "BloodVesselCRL"
    cfg["vessels"][0]["zero_d_element_values"].update({"C": 1e-4, "L": 0.5})
    cfg["simulation_parameters"].update({"output_variable_based": True, "output_interval": 3})
    out.append(("crl", cfg))
    cfg = _case("closed_loop_two_hill")
    for ch in cfg["chambers"]:
        ventricle = ch["name"] in ("LV", "RV")
        ch["activation_function"] = {
            "type": "piecewise_cosine", "contract_start": 0.1 if ventricle else 0.55,
            "relax_start": 0.35 if ventricle else 0.65, "contract_duration": 0.25,
            "relax_duration": 0.3}
    cfg["simulation_parameters"].update({"steady_initial": True, "rho_infty": 0.2})
    out.append(("piecewise_cosine", cfg))
    return out


@pytest.mark.parametrize("label,cfg", _variants(), ids=lambda v: v if isinstance(v, str) else "")
def test_variants_agree_with_installed_svzerodsolver(label, cfg):
    """Paths the five cases do not reach (stenosis, CRL vessel, output_interval,
    piecewise-cosine activation, steady start of chambers, another rho_inf), checked against
    svzerod when it is installed (it is an optional 'bench' dependency)."""
    svzerod = pytest.importorskip("svzerod")
    ref = svzerod.simulate(copy.deepcopy(cfg))
    res = simulate(cfg)
    table = to_dataframe_like(res)
    names = np.array(list(ref["name"]), dtype=object)
    assert list(table["name"]) == list(names)
    for column in table:
        if column == "name":
            continue
        expected = ref[column].to_numpy()
        for name in dict.fromkeys(names):
            rows = names == name
            bound = REL_TOL * np.ptp(expected[rows]) + 1e-12
            err = np.max(np.abs(table[column][rows] - expected[rows]))
            assert err <= bound, (label, name, column, err)
