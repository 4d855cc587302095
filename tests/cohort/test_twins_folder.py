"""A cohort over a folder of saved twins: each twin's own ensemble, named failures."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.cohort.runner import run_cohort
from twinviewer.cohort.spec import SpecError, parse_spec
from twinviewer.cohort.work import patient_scenario
from twinviewer.core.twin import Scenario
from twinviewer.interventions.compare import run_scenarios, scenario_table
from twinviewer.interventions.scenario import parse_step
from twinviewer.io.twinfile import save_twin
from twinviewer.physiology import simulate
from twinviewer.twins import model_of, twin_from_preset


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "registry"
    d.mkdir()
    for k, preset in enumerate(("severe_as", "moderate_as", "severe_as")):
        twin = twin_from_preset(preset, n=5, seed=k, pseudonym=f"virtual-reg{k}")
        save_twin(d / f"p{k}.twin", twin)
    return d


def _spec(folder, members=4):
    return parse_spec({"population": {"twins": str(folder)}, "members": members,
                       "scenarios": [{"name": "tavi", "steps": ["tavi_sapien3:size=26"]}],
                       "metrics": ["AV_mean_gradient", "CO"], "chunk": 2})


def test_folder_of_twins_uses_each_twins_own_ensemble(folder, tmp_path):
    run = run_cohort(_spec(folder), tmp_path / "r.parquet", in_process=True)
    t = run.table
    assert list(t["id"]) == ["virtual-reg0", "virtual-reg1", "virtual-reg2"]
    assert (t["members"] == 4).all()
    # features: the parameters that differ between the twins (the presets' AS grade)
    assert "param:AV.EOA" in t and t["param:AV.EOA"].tolist()[1] == 1.1
    # patient 1 recomputed directly through the what-if engine from its file's ensemble
    twin = twin_from_preset("moderate_as", n=5, seed=1)
    base = simulate(model_of(twin), twin.ensemble[:4])
    sc = Scenario("tavi", (parse_step("tavi_sapien3:size=26"),))
    sc = patient_scenario(sc, _spec(folder).seed, 1)  # the cohort's per-patient device seed
    table = scenario_table(base, run_scenarios(model_of(twin), base, [sc]),
                           ["AV_mean_gradient"])
    assert t.loc[1, "AV_mean_gradient:diff_median"] == pytest.approx(
        table.cells["AV_mean_gradient"]["tavi"].difference.median, abs=1e-9)
    assert np.isfinite(t["CO:improved"]).all()


def test_changed_file_is_a_new_run_and_bad_files_are_named(folder, tmp_path):
    first = run_cohort(_spec(folder), tmp_path / "r.parquet", in_process=True)
    save_twin(folder / "p2.twin", twin_from_preset("severe_as", n=5, seed=9,
                                                   pseudonym="virtual-reg2"))
    second = run_cohort(_spec(folder), tmp_path / "r.parquet", in_process=True)
    assert second.run_dir != first.run_dir
    assert "registry" not in (second.run_dir / "spec.json").read_text()  # no folder names
    (folder / "p1.twin").write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(SpecError, match="p1.twin"):
        run_cohort(_spec(folder), tmp_path / "r.parquet", in_process=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SpecError, match="holds no .twin files"):
        run_cohort(_spec(empty), tmp_path / "r.parquet", in_process=True)
