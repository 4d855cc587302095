"""The cohort runner: one row per patient and scenario, paired differences that agree with
the what-if engine, Dask equal to in-process, persisted chunks and resume."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.cohort.conftest import TINY
from twinviewer.cohort.population import member_ensemble, virtual_population
from twinviewer.cohort.runner import read_results, run_cohort
from twinviewer.cohort.spec import SpecError, parse_spec
from twinviewer.cohort.work import patient_scenario
from twinviewer.core.twin import Scenario
from twinviewer.interventions.compare import run_scenarios, scenario_table
from twinviewer.physiology import simulate


def test_one_row_per_patient_and_scenario(reference_table):
    t = reference_table
    assert len(t) == 6 * 2
    assert set(zip(t["patient"], t["scenario"], strict=True)) == {
        (p, s) for p in range(6) for s in ("tavi", "savr")}
    assert (t["members"] == 4).all() and (t["n_paired"] <= 4).all()
    for m in TINY["metrics"]:
        assert (t[f"{m}:diff_lo"] <= t[f"{m}:diff_median"]).all()
        assert (t[f"{m}:diff_median"] <= t[f"{m}:diff_hi"]).all()
    # a valve replacement relieves severe AS in every patient
    assert (t["AV_mean_gradient:diff_median"] < -10).all()
    assert t["id"].str.fullmatch(r"virtual-\d{6}").all()


def test_rows_agree_with_the_whatif_engine_run_patient_by_patient(reference_table):
    """Patient 3 alone, through interventions.compare (the app's what-if path)."""
    spec = parse_spec(TINY)
    model, pop = virtual_population(spec)
    ens = member_ensemble(model, pop[3], spec.members, seed=spec.seed, patient=3)
    base = simulate(model, ens)
    # the cohort seeds each patient's device draws (patient_scenario); the what-if engine
    # is given the same seeds
    res = run_scenarios(model, base, [patient_scenario(Scenario(s.name, s.steps), spec.seed, 3)
                                      for s in spec.scenarios])
    table = scenario_table(base, res, spec.metrics, level=spec.level)
    for sc in ("tavi", "savr"):
        row = reference_table.query("patient == 3 and scenario == @sc").iloc[0]
        for m in spec.metrics:
            c = table.cells[m][sc]
            assert row[f"{m}:diff_median"] == pytest.approx(c.difference.median, abs=1e-9)
            assert row[f"{m}:diff_lo"] == pytest.approx(c.difference.lo, abs=1e-9)
            assert row[f"{m}:improved"] == pytest.approx(c.improved, abs=1e-12)
            assert row[f"{m}:baseline_median"] == pytest.approx(table.baseline[m].median,
                                                                 abs=1e-9)


def test_local_cluster_equals_in_process(tmp_path, reference_table):
    run = run_cohort(parse_spec(TINY), tmp_path / "d.parquet", workers=2, processes=False)
    pd.testing.assert_frame_equal(run.table, reference_table, check_exact=True)
    assert run.workers == 2 and run.chunks_total == 3 and run.chunks_reused == 0


def test_output_carries_units_spec_and_notice(tmp_path):
    run_cohort(parse_spec(TINY), tmp_path / "r.parquet", in_process=True)
    table, meta = read_results(tmp_path / "r.parquet")
    assert meta["units"]["CO:diff_median"] == "L/min"
    assert meta["units"]["AV_mean_gradient:baseline_lo"] == "mmHg"
    assert meta["units"]["param:AV.EOA"] == "cm^2"
    assert meta["spec"]["metrics"] == TINY["metrics"]
    assert "not for clinical decisions" in meta["notice"]
    assert len(table) == 12


def test_interrupted_run_resumes_from_persisted_chunks(tmp_path, reference_table):
    out = tmp_path / "r.parquet"
    seen: list[int] = []

    def interrupt(index: int) -> None:
        seen.append(index)
        if len(seen) == 2:
            raise KeyboardInterrupt  # the user pressed Ctrl-C after two chunks

    with pytest.raises(KeyboardInterrupt):
        run_cohort(parse_spec(TINY), out, in_process=True, chunk_hook=interrupt)
    assert not out.exists()
    again = run_cohort(parse_spec(TINY), out, in_process=True)
    assert again.chunks_reused == 2 and again.chunks_total == 3
    pd.testing.assert_frame_equal(again.table, reference_table, check_exact=True)
    spec_json = json.loads((again.run_dir / "spec.json").read_text())
    assert spec_json["population"]["seed"] == 7


def test_torn_chunk_is_recomputed_and_changed_spec_gets_its_own_run(tmp_path, reference_table):
    out = tmp_path / "r.parquet"
    first = run_cohort(parse_spec(TINY), out, in_process=True)
    (first.run_dir / "chunk-000001.parquet").write_bytes(b"PAR1 torn")
    again = run_cohort(parse_spec(TINY), out, in_process=True)
    assert again.chunks_reused == 2
    pd.testing.assert_frame_equal(again.table, reference_table, check_exact=True)
    other = run_cohort(parse_spec({**TINY, "members": 3}), out, in_process=True)
    assert other.run_dir != first.run_dir and other.chunks_reused == 0
    assert (other.table["members"] == 3).all()


def test_bad_output_paths_are_named(tmp_path):
    with pytest.raises(SpecError, match="must be a .parquet file"):
        run_cohort(parse_spec(TINY), tmp_path / "r.csv", in_process=True)
    with pytest.raises(SpecError, match="its folder does not exist"):
        run_cohort(parse_spec(TINY), tmp_path / "no" / "r.parquet", in_process=True)


def test_read_results_refuses_foreign_and_broken_files(tmp_path):
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "x.parquet")
    with pytest.raises(SpecError, match="not a TwinViewer cohort table"):
        read_results(tmp_path / "x.parquet")
    (tmp_path / "y.parquet").write_bytes(b"nonsense")
    with pytest.raises(SpecError, match="y.parquet: not a readable Parquet file"):
        read_results(tmp_path / "y.parquet")
    with pytest.raises(SpecError, match="z.parquet: file not found"):
        read_results(tmp_path / "z.parquet")


def test_members_are_not_blended_across_patients(reference_table):
    """Each patient's interval comes from its own members only: patients differ."""
    t = reference_table[reference_table["scenario"] == "tavi"]
    assert t["CO:baseline_median"].nunique() == len(t)
    assert np.all(t["CO:baseline_lo"] < t["CO:baseline_hi"])


def test_a_worker_with_other_equations_refuses_the_chunk():
    from dataclasses import replace

    from twinviewer.cohort.runner import plan_chunks
    from twinviewer.cohort.work import run_chunk
    from twinviewer.physiology import ModelError

    chunk = plan_chunks(parse_spec(TINY))[1][0]
    with pytest.raises(ModelError, match="install the same twinviewer version"):
        run_chunk(replace(chunk, equation_hash="0" * 16))


def test_device_draws_differ_between_patients_unless_the_spec_seeds_them():
    """The prosthesis EOA drawn for member k must not be the same quantile in every patient
    (it was: the intervention's default seed was shared by the whole cohort)."""
    from twinviewer.core.twin import InterventionStep
    from twinviewer.interventions.scenario import apply_scenario
    from twinviewer.physiology import get_preset

    p = get_preset("severe_as")
    ens = np.repeat(p.vector()[None, :], 20, axis=0)
    col = p.model.index("AV.EOA")
    tavi = Scenario("tavi", (InterventionStep("tavi_sapien3", {"size": 26.0}),))
    draws = np.array([apply_scenario(p.model, ens, patient_scenario(tavi, 7, pat))[:, col]
                      for pat in range(40)])
    assert len({tuple(r) for r in draws}) == 40
    # member k's draws across patients are uncorrelated: Spearman ρ between patients ~ 0
    from scipy.stats import spearmanr

    rho = spearmanr(draws.T).statistic[np.triu_indices(40, 1)]
    assert abs(rho.mean()) < 0.05 and rho.std() > 0.1
    # the same patient always gets the same draws (resume, chunking)
    again = apply_scenario(p.model, ens, patient_scenario(tavi, 7, 3))[:, col]
    np.testing.assert_array_equal(again, draws[3])
    # an explicit seed in the spec is the user's choice: kept for every patient
    fixed = Scenario("tavi", (InterventionStep("tavi_sapien3", {"size": 26.0, "seed": 5.0}),))
    assert {patient_scenario(fixed, 7, pat).steps[0].settings["seed"] for pat in range(5)} \
        == {5.0}
    # steps without a seeded draw are unchanged
    other = Scenario("x", (InterventionStep("diuretic", {}),))
    assert patient_scenario(other, 7, 0) == other


def test_a_beta_blocker_withdraws_each_members_support_as_the_whatif_engine_does(tmp_path):
    """The cohort's β-blocker takes each member's baseline LVEF from the chunk's own baseline
    run (physio12b): the same parameters and results as the what-if engine's."""
    spec = parse_spec({**TINY, "population": {"preset": "hfref", "n": 2, "seed": 3},
                       "scenarios": [{"name": "bb", "steps": ["beta_blocker:dose=10"]}],
                       "metrics": ["LVEF", "CO"]})
    table = run_cohort(spec, tmp_path / "bb.parquet", in_process=True).table
    model, pop = virtual_population(spec)
    for k in range(2):
        ens = member_ensemble(model, pop[k], spec.members, seed=spec.seed, patient=k)
        base = simulate(model, ens)
        res = run_scenarios(model, base, [patient_scenario(Scenario(s.name, s.steps),
                                                           spec.seed, k)
                                          for s in spec.scenarios])
        ea = model.index("LV.EA")
        assert (res["bb"].params[:, ea] < ens[:, ea]).any()  # the support is withdrawn
        c = scenario_table(base, res, spec.metrics, level=spec.level).cells["LVEF"]["bb"]
        row = table.query("patient == @k").iloc[0]
        assert row["LVEF:diff_median"] == pytest.approx(c.difference.median, abs=1e-9)
        assert row["LVEF:diff_median"] < 0
