"""The headless pipeline on saved twins: create → calibrate → whatif → report, scripted
through the ``twinviewer`` command, with every step audited and bad input refused."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from twinviewer.cli import main
from twinviewer.io.twinfile import load_twin

pytestmark = pytest.mark.slow  # imports a small CT study and calibrates it (~40 s)

MEASUREMENTS = Path(__file__).resolve().parents[1] / "assets/examples/severe_as_measurements.json"


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    from twinviewer.imaging.demo import write_demo_study

    folder = tmp_path_factory.mktemp("pipeline") / "DOE_JANE_1234"  # an identifying name
    write_demo_study(folder, shape=(40, 64, 64), spacing=(4.0, 2.5, 2.5))
    return folder


@pytest.fixture(scope="module")
def created(study, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("twins") / "patient.twin"
    assert main(["twin", "create", "--dicom", str(study), "--members", "20", "-o",
                 str(out)]) == 0
    return out


def test_create_calibrate_whatif_report(created, tmp_path, capsys):
    path = tmp_path / "p.twin"
    path.write_bytes(created.read_bytes())
    doc = load_twin(path)
    assert doc.twin.ensemble_kind == "posterior" and doc.twin.anatomy is not None
    assert [e.action for e in doc.audit.entries] == ["import", "calibration"]
    assert "baseline" in doc.results and doc.chain.ok
    assert "DOE" not in path.read_bytes().decode("latin-1")  # folder name never stored

    capsys.readouterr()
    assert main(["calibrate", str(path), "--measurements", str(MEASUREMENTS), "-n", "20",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["written"] and out["n_members"] == 20
    doc = load_twin(path)
    # the same day (default): that visit is re-done from its prior and replaced, not stacked
    assert [v.label for v in doc.twin.visits] == ["re-calibration of day 0"]
    assert doc.audit.entries[-1].action == "calibration"
    assert doc.twin.measurement("HR").value == 72  # the clinical measurements were stored

    assert main(["whatif", str(path), "-i", "tavi_sapien3:size=26", "-s",
                 "beta_blocker:dose=5", "--metrics", "CO,LVEDP", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["members"] == 20 and out["written"]
    doc = load_twin(path)
    names = [s.name for s in doc.twin.scenarios]
    # the response mode is data, not part of the name (review9 #5)
    assert names == ["tavi_sapien3(size=26)", "beta_blocker(dose=5)"]
    assert [s.regulation for s in doc.twin.scenarios] == ["regulated"] * 2  # whatif's default
    assert set(names) <= set(doc.results) and doc.results[names[0]]["CO"].shape == (20,)
    assert [e.action for e in doc.audit.entries][-2:] == ["scenario", "scenario"]
    assert doc.chain.ok
    # the same scenario again replaces, never duplicates
    assert main(["whatif", str(path), "-i", "tavi_sapien3:size=26", "--json"]) == 0
    capsys.readouterr()
    assert [s.name for s in load_twin(path).twin.scenarios] == [names[1], names[0]]

    assert main(["report", str(path), "-o", str(tmp_path / "r.pdf")]) == 0
    assert (tmp_path / "r.pdf").read_bytes()[:5] == b"%PDF-"
    capsys.readouterr()
    assert main(["report", str(path), "-o", str(tmp_path / "j.pdf"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["pages"] >= 1
    assert main(["report", str(tmp_path / "none.twin"), "-o", str(tmp_path / "n.pdf"),
                 "--json"]) == 2
    assert "none.twin: no such twin file" in capsys.readouterr().err


def test_bad_input_is_named_and_leaves_the_twin_unchanged(created, study, tmp_path, capsys):
    path = tmp_path / "p.twin"
    path.write_bytes(created.read_bytes())
    before = path.read_bytes()
    capsys.readouterr()
    assert main(["twin", "create", "--dicom", str(study), "-o", str(path)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["twin", "create", "--dicom", str(tmp_path / "nope"), "-o",
                 str(tmp_path / "n.twin")]) == 2
    assert "--dicom: the folder given does not exist" in capsys.readouterr().err
    assert main(["twin", "create", "--dicom", str(study), "-o", str(tmp_path / "n.zip")]) == 2
    assert "must be a .twin file" in capsys.readouterr().err
    bad = tmp_path / "m.json"
    bad.write_text("{not json")
    assert main(["twin", "create", "--dicom", str(study), "--measurements", str(bad), "-o",
                 str(tmp_path / "n.twin")]) == 2
    assert "m.json" in capsys.readouterr().err and not (tmp_path / "n.twin").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["twin", "create", "--dicom", str(empty), "-o", str(tmp_path / "n.twin")]) == 2
    assert "--dicom" in capsys.readouterr().err
    assert main(["twin"]) == 2
    capsys.readouterr()

    assert main(["calibrate", str(path), "--measurements", str(bad)]) == 2
    assert "m.json" in capsys.readouterr().err
    assert main(["calibrate", str(tmp_path / "x.twin"), "--measurements",
                 str(MEASUREMENTS)]) == 2
    assert "x.twin: no such twin file" in capsys.readouterr().err
    assert main(["whatif", str(path), "-i", "tavi_sapien3:size=99"]) == 2
    assert "size" in capsys.readouterr().err
    torn = tmp_path / "torn.twin"
    torn.write_bytes(before[: len(before) // 2])
    assert main(["whatif", str(torn), "-i", "tavi_sapien3:size=26"]) == 2
    assert "torn.twin" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_encrypted_twin_stays_encrypted(created, tmp_path, capsys, monkeypatch):
    from twinviewer.io import crypto
    from twinviewer.io.twinfile import save_twin

    doc = load_twin(created)
    path = save_twin(tmp_path / "e.twin", doc.twin, passphrase="s3cret")
    monkeypatch.delenv("TWINVIEWER_PASSPHRASE", raising=False)
    assert main(["whatif", str(path), "-i", "tavi_sapien3:size=26"]) == 2
    assert "TWINVIEWER_PASSPHRASE" in capsys.readouterr().err
    monkeypatch.setenv("TWINVIEWER_PASSPHRASE", "s3cret")
    assert main(["whatif", str(path), "-i", "tavi_sapien3:size=26", "--json"]) == 0
    assert crypto.is_encrypted(path.read_bytes())
    assert load_twin(path, passphrase="s3cret").audit.entries[-1].action == "scenario"


def test_create_with_separate_meshes_and_mapping(created, study, tmp_path, capsys):
    from twinviewer.imaging.cli_import import write_meshes

    meshes = tmp_path / "meshes"
    files = write_meshes(load_twin(created).twin.anatomy, meshes)
    for f in files:
        if "_ES" in f.name:
            f.unlink()
    mapping = tmp_path / "map.json"
    keys = ["lv_blood", "lv_myocardium", "rv_blood", "la", "ra", "aorta", "pulmonary_artery"]
    mapping.write_text(json.dumps({f"{k}_ED": k for k in keys}))
    out = tmp_path / "m.twin"
    capsys.readouterr()
    assert main(["twin", "create", "--dicom", str(study / "ct"), "--meshes", str(meshes),
                 "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--meshes: " in err and "_ED.vtp" in err and str(meshes) not in err
    assert main(["twin", "create", "--dicom", str(study / "ct"), "--meshes", str(meshes),
                 "--mapping", str(mapping), "--members", "10", "-o", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert sorted(doc["structures"]) == sorted(keys) and "calibration" not in doc
    twin = load_twin(out).twin
    assert twin.ensemble_kind == "prior" and len(twin.anatomy.structures["aorta"].meshes) == 1


def test_prior_use_of_measurements_and_scenarios_after_recalibration(study, tmp_path, capsys,
                                                                      monkeypatch):
    """Review F15/F19/F20/F21 on one twin: the chosen prior in --json, each measurement's use,
    the width ratio of unmeasured predictions, stored scenario results recomputed (or, when
    they cannot be, removed and said so) by `calibrate`."""
    from twinviewer.interventions.intervention import InterventionError
    from twinviewer.io.cli import info_dict
    from twinviewer.report.pdf import write_report

    path = tmp_path / "as.twin"
    capsys.readouterr()
    assert main(["twin", "create", "--dicom", str(study), "--measurements", str(MEASUREMENTS),
                 "--members", "20", "-o", str(path), "--json"]) == 0
    cal = json.loads(capsys.readouterr().out)["calibration"]
    assert cal["prior"]["preset"] == "severe_as" and not cal["prior"]["overridden"]
    assert cal["prior"]["reason"].startswith("aortic stenosis: AVA 0.8")
    assert cal["unmeasured_informed"]["LVEDP"]["flag"] in ("", "not informed by these data")

    uses = info_dict(load_twin(path), path.name)["measurement_use"]
    lvedv = {(u["origin"], u["status"]) for u in uses if u["name"] == "LVEDV"}
    assert lvedv == {("given", "used"), ("images", "replaced")}  # the CT file won

    assert main(["whatif", str(path), "-i", "tavi_sapien3:size=26", "--json"]) == 0
    name = json.loads(capsys.readouterr().out)["scenarios"][0]["name"]
    old = load_twin(path).results[name]["CO"]
    co = tmp_path / "co.json"
    co.write_text(json.dumps({"schema": "twinviewer.measurements/1", "measurements": [
        {"name": "CO", "value": 5.2, "unit": "L/min", "uncertainty": 0.4,
         "source": "thermodilution"}]}))
    assert main(["calibrate", str(path), "--measurements", str(co), "-n", "20"]) == 0
    out = capsys.readouterr().out
    assert (f"1 scenario result computed on the previous calibration was recomputed on the "
            f"new posterior: {name}") in out
    assert "how much the data narrowed each unmeasured prediction" in out
    doc = load_twin(path)
    assert name in doc.results and doc.results[name]["CO"].shape == (20,)
    assert not np.allclose(doc.results[name]["CO"], old)  # a new ensemble, new results
    record = doc.audit.entries[-1].details
    assert record["scenario_results"] == {"recomputed": [name], "removed": {}}
    assert set(record["unmeasured_informed"]) == set(record["summary"]
                                                     ["unmeasured_predictions"])

    info = write_report(doc, tmp_path / "r.pdf", simulate=False)
    text = " ".join(info.text)
    assert "replaced [" in text and "LVEDV" in text and "(images): replaced by LVEDV 118" in text
    assert "Unmeasured predictions of the last calibration" in text

    def broken(*a, **k):
        raise InterventionError("tavi_sapien3: no valve of that size")

    # the package exports a function named `compare`: patch the module itself
    monkeypatch.setattr(sys.modules["twinviewer.interventions.compare"], "run_scenarios", broken)
    assert main(["calibrate", str(path), "-n", "20", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scenario_results"]["removed"] == {
        name: "InterventionError: tavi_sapien3: no valve of that size"}
    doc = load_twin(path)
    assert name not in doc.results and [s.name for s in doc.twin.scenarios] == [name]
    assert main(["calibrate", str(path), "-n", "20"]) == 0  # nothing stale left: no line
    assert "scenario result" not in capsys.readouterr().out
