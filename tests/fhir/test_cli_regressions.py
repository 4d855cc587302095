"""Regressions found by a new user on the merged main: a twin made by ``calibrate`` (as
``twin create`` makes it) survives ``visit add``; every in-place rewrite is loaded back before
it replaces the file; ``calibrate --day``; ``fhir export`` of CLI-made twins; ``--json``."""

import json
from pathlib import Path

import numpy as np
import pytest

from twinviewer.cli import main
from twinviewer.core.measurement import Measurement as M
from twinviewer.io.errors import TwinFileError
from twinviewer.io.twinfile import load_twin, save_twin
from twinviewer.personalize.measurements import save_measurements
from twinviewer.personalize.timeline import drift_for
from twinviewer.twins import twin_from_preset


def _files(tmp: Path) -> tuple[Path, Path, Path]:
    sets = ([M("SBP", 126, "mmHg", 6), M("DBP", 81, "mmHg", 5), M("HR", 70, "1/min", 3)],
            [M("SBP", 131, "mmHg", 6), M("DBP", 84, "mmHg", 5), M("HR", 74, "1/min", 3)],
            [M("SBP", 140, "mmHg", 6), M("DBP", 88, "mmHg", 5)])
    paths = tuple(tmp / f"v{i}.json" for i in (1, 2, 3))
    for ms, p in zip(sets, paths, strict=True):
        save_measurements(ms, p)
    return paths


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    """A twin calibrated twice by ``twinviewer calibrate``."""
    tmp = tmp_path_factory.mktemp("regress")
    first, second, third = _files(tmp)
    path = save_twin(tmp / "p.twin", twin_from_preset("healthy", n=8))
    assert main(["calibrate", str(path), "--measurements", str(first), "-n", "16",
                 "--iterations", "8"]) == 0
    assert main(["calibrate", str(path), "--measurements", str(second), "-n", "16",
                 "--iterations", "8", "--day", "7"]) == 0
    return path, third


def test_visit_add_after_cli_calibration_keeps_the_file_loadable(calibrated, tmp_path,
                                                                  capsys):
    path, third = calibrated
    out = tmp_path / "v.twin"
    # `calibrate` now records the start; a file written before it did has none
    assert load_twin(path).twin.visits[0].start_params is not None
    old = load_twin(path).twin
    for v in old.visits:
        v.start_params = None
    path = save_twin(tmp_path / "old.twin", old)
    assert main(["visit", "add", str(path), "--measurements", str(third), "--day", "30",
                 "-n", "16", "-o", str(out)]) == 0
    t = load_twin(out).twin  # raised "start_params has shape (1,)" before the fix
    assert [v.day for v in t.visits] == [0, 7, 30]
    assert all(v.start_params is None for v in t.visits)
    capsys.readouterr()
    assert main(["info", str(out)]) == 0
    assert main(["timeline", str(out)]) == 0


def test_calibrate_day_defaults_to_a_recalibration_of_the_last_visit(calibrated, tmp_path,
                                                                     capsys):
    path, third = calibrated
    t = load_twin(path).twin
    assert [v.day for v in t.visits] == [0, 7]
    copy = tmp_path / "c.twin"
    copy.write_bytes(path.read_bytes())
    same_day = tmp_path / "again.json"
    save_measurements([M("SBP", 132, "mmHg", 6), M("DBP", 85, "mmHg", 5)], same_day)
    capsys.readouterr()
    assert main(["calibrate", str(copy), "--measurements", str(same_day), "-n", "16"]) == 0
    out = capsys.readouterr().out
    assert "day 7: re-calibration of day 7" in out
    t = load_twin(copy).twin
    # the day-7 visit is re-done from the day-0 posterior (with the 7-day drift it had) and
    # replaced: never stacked on its own posterior as "days 0, 7, 7"
    assert [v.day for v in t.visits] == [0, 7]
    assert t.visits[-1].label == "re-calibration of day 7"
    assert t.audit[-1].details["drift"] == pytest.approx(drift_for(7))
    assert t.audit[-1].details["replaces_visit"] is True
    # the visit's earlier HR is kept beside the file's new SBP/DBP
    assert {m.name for m in t.visits[-1].measurements} >= {"SBP", "DBP", "HR"}
    # a day before the last visit is refused and the file is untouched
    before = copy.read_bytes()
    assert main(["calibrate", str(copy), "--measurements", str(third), "--day", "3"]) == 2
    assert "before the last visit (day 7)" in capsys.readouterr().err
    assert copy.read_bytes() == before


def test_rewrite_that_would_not_load_back_keeps_the_original(calibrated, tmp_path,
                                                             monkeypatch, capsys):
    import twinviewer.io.verified_save as vs

    path, third = calibrated
    copy = tmp_path / "k.twin"
    copy.write_bytes(path.read_bytes())
    before = copy.read_bytes()

    def broken(data, *, name, passphrase=None):
        raise TwinFileError(f"{name}: twin.json living-twin data is malformed (test)")

    monkeypatch.setattr(vs, "load_twin_bytes", broken)
    assert main(["visit", "add", str(copy), "--measurements", str(third), "-n", "16"]) == 2
    err = capsys.readouterr().err
    assert "would not load back" in err and "k.twin is unchanged" in err
    assert copy.read_bytes() == before
    assert main(["calibrate", str(copy), "--measurements", str(third), "-n", "16"]) == 2
    assert copy.read_bytes() == before


def test_writer_refuses_and_reader_recovers_a_nan_start(calibrated, tmp_path):
    from dataclasses import replace

    from twinviewer.io.timeline_file import from_tree

    t = load_twin(calibrated[0]).twin
    bad = replace(t, visits=[replace(v, start_params=np.array([np.nan])) for v in t.visits])
    with pytest.raises(TwinFileError, match="start_params has shape"):
        save_twin(tmp_path / "bad.twin", bad)
    # a file written by the faulty version (NaN placeholder) loads, the start unknown
    tree = {"visits": [{"living": {"start_params": [np.nan]}} for _ in t.visits]}
    fixed = from_tree(t, tree, lambda a, what: np.asarray(a, dtype=float), "x.twin")
    assert all(v.start_params is None for v in fixed.visits)


def test_fhir_export_of_a_cli_calibrated_twin(calibrated, tmp_path, capsys):
    path, _ = calibrated
    # since session 17 the CLI's calibrate keeps a visit's predictions (timeline.record_check);
    # the export must still work from a file written before, whose last visit holds none
    doc = load_twin(path)
    assert doc.twin.visits[-1].predicted
    doc.twin.visits[-1].predicted = {}
    path = save_twin(tmp_path / "no_predictions.twin", doc.twin)
    assert not load_twin(path).twin.visits[-1].predicted
    out = tmp_path / "b.json"
    capsys.readouterr()
    assert main(["fhir", "export", str(path), "-o", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["resources"] >= 3
    bundle = json.loads(out.read_text())
    obs = [e["resource"] for e in bundle["entry"]
           if e["resource"]["resourceType"] == "Observation"]
    assert any(o.get("code", {}).get("text", "").startswith("SBP") or "SBP" in json.dumps(o)
               for o in obs)
    # an uncalibrated twin still has nothing to export, said as JSON
    prior = save_twin(tmp_path / "prior.twin", twin_from_preset("healthy", n=2))
    assert main(["fhir", "export", str(prior), "-o", str(out), "--json"]) == 2
    err = json.loads(capsys.readouterr().out)
    assert "nothing to export" in err["error"]


def test_json_on_info_and_visit_add_including_errors(calibrated, tmp_path, capsys):
    path, third = calibrated
    capsys.readouterr()
    assert main(["info", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert [v["day"] for v in info["visits"]] == [0, 7]
    assert info["audit"]["ok"] is True
    junk = tmp_path / "junk.twin"
    junk.write_bytes(b"not a zip")
    assert main(["info", str(junk), "--json"]) == 2
    assert "junk.twin" in json.loads(capsys.readouterr().out)["error"]
    out = tmp_path / "j.twin"
    assert main(["visit", "add", str(path), "--measurements", str(third), "--day", "40",
                 "-n", "16", "-o", str(out), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["visit"]["day"] == 40 and rep["visit"]["checked"] is True
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    assert main(["visit", "add", str(path), "--measurements", str(bad), "--json"]) == 2
    err = json.loads(capsys.readouterr().out)
    assert err["unchanged"] is True and err["error"]
