"""svZeroDSolver configurations as ModelSpec models, run by the one ensemble engine.

Checked against svZeroDSolver's own stored results (the regression result shipped with its
source, tests/data/svzerodsolver) and against the generalised-α replica of that solver at a
finer step: the engine integrates the same equations, so both differences shrink with the
reference's step.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from twinviewer.physiology import Settings, sample_prior, simulate
from twinviewer.physiology import integrator as ig
from twinviewer.physiology.jit import HAVE_NUMBA
from twinviewer.physiology.svzerod import SvZeroDConfigError
from twinviewer.physiology.svzerod import simulate as genalpha_simulate
from twinviewer.physiology.svzerod.model import (
    UNIT_SYSTEMS,
    model_from_config,
    svzerod_variables,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "svzerodsolver"
TWO_HILL = DATA / "cases" / "closed_loop_two_hill.json"
FP, FV = UNIT_SYSTEMS["SI"]


@pytest.fixture(scope="module")
def model():
    return model_from_config(TWO_HILL)


def _three_beats(model, steps: int, method: str = "auto") -> np.ndarray:
    """States over beat 3 from the file's initial condition, 688 samples."""
    P = model.default_vector()[None]
    status = np.full(1, -1, dtype=np.int64)
    rec, beats, _ = ig.integrate_to_periodic(
        model.rhs, model.initial_state(P), P, model.index("HR"), steps=steps, samples=688,
        min_beats=3, max_beats=3, atol=np.full(len(model.states), 1e-12), status=status,
        accelerate=False, method=method, drivers=model.drivers, n_drivers=model.n_drivers)
    assert beats[0] == 3
    return rec[0]


def _scale(state: str) -> float:
    return FP if state.startswith("p_") else FV


def _worst_error(model, rec: np.ndarray, reference: dict, stride: int = 1) -> float:
    names = svzerod_variables(model)
    worst = 0.0
    for j, s in enumerate(model.state_names):
        exp = np.asarray(reference[names[s]])[:-1:stride][:688] * _scale(s)
        worst = max(worst, float(np.max(np.abs(rec[j] - exp)) / np.ptp(exp)))
    return worst


def test_declaration_has_units_ranges_and_roles(model):
    assert model.state_names[:2] == ("p_VEN_SYS", "p_VEN_PUL")
    assert {"V_LA", "V_LV", "V_RA", "V_RV", "p_AR_SYS", "Q_AR_SYS"} <= set(model.state_names)
    assert {"p_LV", "Q_AV", "Q_MV", "p_AO"} <= set(model.output_names)
    assert model.unit_of("LV.Emax") == "mmHg/mL"
    assert model.unit_of("AR_SYS.C") == "mL/mmHg"
    assert model.unit_of("AV.Rmax") == "mmHg*s/mL"
    # 3.33878537e8 Pa/m^3 is 2.504 mmHg/mL; the file's period 0.689655 s is 87 bpm.
    assert model.parameter("LV.Emax").default == pytest.approx(2.5043, rel=1e-4)
    assert model.parameter("HR").default == pytest.approx(87.0, rel=1e-5)
    lo, hi = model.parameter("LV.Emax").plausible
    assert lo < model.parameter("LV.Emax").default < hi
    assert svzerod_variables(model)["V_LV"] == "Vc:LV"
    assert len(model.equation_hash) == 16


def test_engine_matches_stored_svzerodsolver_result_to_its_step(model):
    # The stored result is svZeroDSolver's generalised-α solution at 689 points per beat;
    # its own step error is about 4e-4 of each variable's range (see the next test).
    ref = json.loads((DATA / "results" / "result_closed_loop_two_hill.json").read_text())
    values = {k: v["y"] for k, v in ref["values"].items()}
    assert _worst_error(model, _three_beats(model, 688 * 4), values) < 5e-4


def test_engine_and_generalised_alpha_converge_to_the_same_solution(model):
    cfg = json.loads(TWO_HILL.read_text())
    cfg["simulation_parameters"]["number_of_time_pts_per_cardiac_cycle"] = 688 * 8 + 1
    fine = genalpha_simulate(cfg)
    err = _worst_error(model, _three_beats(model, 688 * 8), fine, stride=8)
    assert err < 5e-5  # vs 4.2e-4 at the file's own step: the equations are the same


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba off (TWINVIEWER_NUMBA=0)")
def test_numba_and_numpy_paths_agree(model):
    P = sample_prior(model, 4, seed=2)
    a = simulate(model, P, settings=Settings(method="numba", steps_per_beat=800))
    b = simulate(model, P, settings=Settings(method="numpy", steps_per_beat=800))
    assert a.ok.all() and b.ok.all()
    np.testing.assert_array_equal(a.beats, b.beats)
    for name in ("LVEDV", "LVESV", "SBP", "LVEDP", "CO", "PASP"):
        np.testing.assert_allclose(a.metrics[name], b.metrics[name], rtol=1e-9, atol=1e-9)


def test_ensemble_gives_clinical_metrics_of_the_published_beat(model):
    r = simulate(model, model.default_vector(), settings=Settings(steps_per_beat=800))
    assert r.ok.all()
    # Regazzoni et al. 2022 / REFERENCE.md: LV EDV/ESV 114.2/40.7 mL, aortic 104/54 mmHg.
    assert r.metrics["LVEDV"][0] == pytest.approx(114.2, abs=0.5)
    assert r.metrics["LVESV"][0] == pytest.approx(40.7, abs=0.5)
    assert r.metrics["SBP"][0] == pytest.approx(104.0, abs=1.0)
    assert r.metrics["DBP"][0] == pytest.approx(54.0, abs=1.0)
    # Blood volume is conserved.
    assert model.conserved_volume(r.final_state, r.params)[0] == pytest.approx(
        model.default_vector()[model.index("V_total")], rel=1e-9)


def test_parameter_change_acts_like_an_intervention(model):
    base = model.default_vector()
    stiffer = base.copy()
    stiffer[model.index("AV.Rmin")] *= 20.0  # a stenotic aortic valve
    r = simulate(model, np.stack([base, stiffer]), settings=Settings(steps_per_beat=800))
    assert r.ok.all()
    assert r.metrics["AV_mean_gradient"][1] > r.metrics["AV_mean_gradient"][0] + 5.0
    assert r.metrics["LVSP"][1] > r.metrics["LVSP"][0]


def test_unsupported_block_is_named():
    cfg = json.loads((DATA / "cases" / "pulsatileFlow_R_RCR.json").read_text())
    with pytest.raises(SvZeroDConfigError, match="cannot be run by the ensemble engine"):
        model_from_config(cfg)


def test_unknown_unit_system_is_refused():
    with pytest.raises(ValueError, match="units must be one of"):
        model_from_config(TWO_HILL, units="imperial")


def test_non_positive_parameter_is_named():
    cfg = json.loads(TWO_HILL.read_text())
    cfg["chambers"][1]["values"]["Emax"] = -1.0
    with pytest.raises(SvZeroDConfigError, match="LV.Emax"):
        model_from_config(cfg)


def test_cli_runs_an_svzerod_file(capsys):
    from twinviewer.cli import main

    code = main(["simulate", "--svzerod", str(TWO_HILL), "--json"])
    out = json.loads(capsys.readouterr().out)
    # Named by a digest of its equations, never by the file name (it may identify a patient).
    assert code == 0 and out["model"].startswith("svzerod-")
    assert "closed_loop" not in json.dumps(out)
    row = {r["metric"]: r for r in out["metrics"]}["LVEDV"]
    assert row["unit"] == "mL" and row["median"] == pytest.approx(114.2, abs=0.5)


def test_cli_names_an_unsupported_svzerod_file(capsys):
    from twinviewer.cli import main

    code = main(["simulate", "--svzerod", str(DATA / "cases" / "valve_tanh.json")])
    err = capsys.readouterr().err
    assert code == 2 and "upstream_vessel" in err and "BloodVessel" in err


def test_twin_of_an_svzerod_file_runs_and_is_explained():
    from twinviewer.explain.local import elasticities
    from twinviewer.twins import model_of, simulate_twin, twin_from_svzerod

    twin = twin_from_svzerod(TWO_HILL, n=8, seed=3)
    model = model_of(twin)
    r = simulate_twin(twin, settings=Settings(steps_per_beat=800))
    assert r.ok.all() and r.n == 8
    med, lo, hi = r.summary("LVEF")
    assert lo < med < hi
    el = elasticities(model, twin.params, ["LVEDV"], names=["LV.Epass", "AR_SYS.R"],
                      settings=Settings(steps_per_beat=800))["LVEDV"]
    values = dict(zip(el.names, el.values, strict=True))
    assert values["LV.Epass"] < 0  # a stiffer LV fills less


@pytest.mark.slow
def test_twin_of_an_svzerod_file_calibrates():
    from twinviewer.core.measurement import Measurement
    from twinviewer.personalize.calibrate import calibrate
    from twinviewer.twins import twin_from_svzerod

    twin = twin_from_svzerod(TWO_HILL, n=1)  # the file's beat: SBP 103.6, DBP 53.7 mmHg
    res = calibrate(twin, [Measurement("SBP", 125, "mmHg", 5),
                           Measurement("DBP", 70, "mmHg", 5)], n=32, point_estimate=False)
    fit = {row.name: row for row in res.fit}
    assert 110 < fit["SBP"].median < 135 and 58 < fit["DBP"].median < 80


def _variant(kind: str) -> dict:
    cfg = json.loads(TWO_HILL.read_text())
    if kind == "tanh_valve":
        av = cfg["valves"][1]
        av["type"] = "ValveTanh"
        av["params"]["Steepness"] = 0.05  # 1/Pa
    elif kind == "cosine_activations":
        for ch in cfg["chambers"]:
            if ch["activation_function"]["t_shift"] > 0.1:  # ventricles
                ch["activation_function"] = {
                    "type": "piecewise_cosine", "contract_start": 0.0, "relax_start": 0.25,
                    "contract_duration": 0.25, "relax_duration": 0.2}
            else:
                ch["activation_function"] = {"type": "half_cosine", "t_active": 0.5,
                                             "t_twitch": 0.18}
    return cfg


@pytest.mark.parametrize("kind", ["tanh_valve", "cosine_activations"])
def test_other_blocks_agree_with_generalised_alpha(kind):
    # The generated equations for ValveTanh and the cosine activations, checked against the
    # generalised-alpha replica of svZeroDSolver (which the five stored cases validate).
    cfg = _variant(kind)
    model = model_from_config(cfg)
    fine_cfg = json.loads(json.dumps(cfg))
    fine_cfg["simulation_parameters"]["number_of_time_pts_per_cardiac_cycle"] = 688 * 8 + 1
    fine = genalpha_simulate(fine_cfg)
    assert _worst_error(model, _three_beats(model, 688 * 8), fine, stride=8) < 1e-4


def test_inductor_into_a_node_without_storage_is_refused_with_the_node():
    cfg = json.loads(TWO_HILL.read_text())
    lv = cfg["chambers"][1]
    v = lv["values"]
    lv["type"] = "ChamberElastanceInductor"
    lv["values"] = {"Emax": v["Emax"] + v["Epass"], "Emin": v["Epass"], "Vrd": v["Vrest"],
                    "Vrs": v["Vrest"], "Impedance": 1e5}
    with pytest.raises(SvZeroDConfigError, match="node LV:AV stores no blood"):
        model_from_config(cfg)
