"""A twin of an svZeroDSolver configuration carries its model: it reopens in any session, the
equation lock refuses a changed configuration, and interventions act through its roles."""

import copy
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions import InterventionError, get_intervention
from twinviewer.interventions.scenario import apply_scenario
from twinviewer.io import load_twin, save_twin
from twinviewer.physiology import MODELS, ModelError, Settings, simulate
from twinviewer.physiology.svzerod.model import model_from_source, model_source
from twinviewer.twins import model_of, twin_from_svzerod

DATA = Path(__file__).resolve().parents[1] / "data" / "svzerodsolver" / "cases"
TWO_HILL = DATA / "closed_loop_two_hill.json"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def twin():
    return twin_from_svzerod(TWO_HILL, n=4, seed=1)


def test_twin_stores_the_configuration_without_its_comments_or_file_name(twin):
    source = twin.model_source
    assert source["kind"] == "svzerod" and source["units"] == "SI"
    assert "_comment" not in source["config"]  # free text may name a patient
    assert [c["name"] for c in source["config"]["chambers"]] == ["LA", "LV", "RA", "RV"]
    assert "closed_loop_two_hill" not in json.dumps(source)
    assert model_source(model_of(twin)) == source


@pytest.mark.slow  # a new interpreter (~5 s CPU); the gate has the in-process case below
def test_saved_twin_reopens_in_a_fresh_process(twin, tmp_path):
    path = save_twin(tmp_path / "imported.twin", twin)
    # A new interpreter has never imported the file: the model comes from the twin alone.
    code = (
        "import sys\n"
        "from twinviewer.io import load_twin\n"
        "from twinviewer.physiology import MODELS, Settings\n"
        "from twinviewer.twins import simulate_twin\n"
        "doc = load_twin(sys.argv[1])\n"
        "assert doc.twin.model_name not in MODELS\n"
        "r = simulate_twin(doc.twin, ensemble=False, settings=Settings(steps_per_beat=800))\n"
        "print(r.model.name, round(float(r.metrics['LVEDV'][0]), 2))\n")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                         text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr
    name, lvedv = out.stdout.split()
    assert name == twin.model_name
    # Regazzoni et al. 2022 (REFERENCE.md): LVEDV 114.2 mL.
    assert float(lvedv) == pytest.approx(114.2, abs=0.5)


def test_reopened_twin_rebuilds_its_model_when_the_session_lost_it(twin, tmp_path):
    path = save_twin(tmp_path / "imported.twin", twin)
    MODELS.pop(twin.model_name)
    doc = load_twin(path)
    assert doc.twin.model_source == twin.model_source
    model = model_of(doc.twin)
    assert model.name == twin.model_name and model.equation_hash == twin.equation_hash
    assert MODELS[twin.model_name] is model


def test_changed_configuration_is_refused_by_the_lock(twin, tmp_path):
    changed = copy.deepcopy(twin.model_source)
    # The activation timing is part of the equations (parameter values are not: the twin
    # keeps its own).
    changed["config"]["chambers"][1]["activation_function"]["t_shift"] = 0.25
    path = save_twin(tmp_path / "changed.twin", twin.__class__(**{
        **twin.__dict__, "model_source": changed}))
    MODELS.pop(twin.model_name, None)
    doc = load_twin(path)
    with pytest.raises(ModelError, match="configuration was changed"):
        model_of(doc.twin)


@pytest.mark.parametrize("source, match", [
    ({"kind": "plugin", "config": {}}, "kind 'plugin'"),
    ({"kind": "svzerod", "config": [], "units": "SI"}, "malformed"),
    ({"kind": "svzerod", "config": {}, "units": "furlongs"}, "furlongs"),
    ({"kind": "svzerod", "config": {"vessels": "x"}, "units": "SI"}, "cannot be rebuilt"),
])
def test_bad_stored_definition_is_named(source, match):
    with pytest.raises(ModelError, match=match):
        model_from_source(source, "svzerod-0123456789")


def test_intervention_acts_through_the_imported_models_roles(twin):
    model = model_of(twin)
    assert model.role("SYS.R_AR") == "AR_SYS.R" and model.role("LV.EA") == "LV.Emax"
    base = twin.params
    step = InterventionStep("vasodilator", {"level": 3.0})
    treated = apply_scenario(model, base, Scenario("vasodilator", (step,)), point=True)
    # Level 3: systemic arterial resistance −VASO_HIGH_R_DROP (fitted: about −50 %),
    # compliance +15 % (drugs.py).
    from twinviewer.interventions.drugs import VASO_HIGH_R_DROP

    ratio = treated[0] / base
    assert ratio[model.index("AR_SYS.R")] == pytest.approx(1.0 - VASO_HIGH_R_DROP)
    assert ratio[model.index("AR_SYS.C")] == pytest.approx(1.15)
    changed = np.flatnonzero(~np.isclose(ratio, 1.0))
    assert sorted(model.parameter_names[j] for j in changed) == ["AR_SYS.C", "AR_SYS.R"]
    r = simulate(model, np.vstack([base, treated[0]]), settings=Settings(steps_per_beat=800))
    assert r.ok.all()
    assert r.metrics["MAP"][1] < r.metrics["MAP"][0] - 10.0  # afterload falls
    assert r.metrics["LVSV"][1] > r.metrics["LVSV"][0]  # the LV ejects more


def test_intervention_without_its_role_is_refused_naming_it(twin):
    model = model_of(twin)
    with pytest.raises(InterventionError, match="AV.EOA"):
        get_intervention("tavi").apply(model, twin.params)


def test_cli_names_only_the_metrics_the_imported_model_lacks(capsys):
    from twinviewer.cli import main

    main(["simulate", "--svzerod", str(TWO_HILL)])
    out = capsys.readouterr().out
    # No EOA parameter, so no peak velocity; every other metric is computed and shown.
    assert "Not provided by this model (1): AV_peak_velocity" in out
    assert "LVEDV" in out


@pytest.mark.parametrize("source, match", [
    ("a string", "model.source"),
    ({"config": {}}, "missing field 'kind'"),
])
def test_malformed_stored_definition_in_the_file_is_named(twin, source, match):
    from tests.io.zips import rezip, unzip
    from twinviewer.io import TwinFileError, twin_bytes
    from twinviewer.io.twinfile import load_twin_bytes

    members, manifest = unzip(twin_bytes(twin))
    tree = json.loads(members["twin.json"])
    tree["model"]["source"] = source
    members["twin.json"] = json.dumps(tree).encode()
    with pytest.raises(TwinFileError, match=match):
        load_twin_bytes(rezip(members, manifest), name="edited.twin")


@pytest.mark.parametrize("name", ["beta_blocker", "vasodilator", "ace_inhibitor", "diuretic",
                                  "inotrope", "milrinone", "nitroprusside", "furosemide"])
def test_each_applicable_intervention_changes_only_parameters_playing_its_roles(twin, name):
    model = model_of(twin)
    item = get_intervention(name)
    out = item.apply(model, twin.params)[0]
    changed = {model.parameter_names[j] for j in np.flatnonzero(~np.isclose(out, twin.params))}
    playing = {model.role(role) for role in item.parameters} | {"V_total"}
    assert changed and changed <= playing, (changed, playing)
