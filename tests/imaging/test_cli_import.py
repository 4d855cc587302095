"""``twinviewer import PATH [--series UID] [--meshes DIR --mapping FILE] [--json]``."""

from __future__ import annotations

import json

import pytest

from tests.imaging.cine_factory import write_cine_study
from twinviewer.cli import main
from twinviewer.imaging.bivme import export_vtk
from twinviewer.imaging.cli_import import run_import

KEY = b"cli-import-test-key-0123456789abcdef"
SMALL = {"rows": 40, "cols": 36, "pixel_mm": 7.0, "n_phases": 10}


@pytest.fixture(scope="module")
def cine(tmp_path_factory):
    return write_cine_study(tmp_path_factory.mktemp("cine"), la_views=("2ch", "4ch"), **SMALL)


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def test_json_lists_series_stack_and_planes(cine, tmp_path, capsys):
    assert run_import(cine.root, tmp_path / "o", key=KEY, as_json=True) == 0
    d = _json(capsys)
    assert len(d["series"]) == 8
    assert [r["role"] for r in d["series"]].count("stack") == 6
    st = d["stack"]
    assert (st["phases"], st["slices"], st["rows"], st["columns"]) == (10, 6, 40, 36)
    assert st["spacing_mm"][1:] == [7.0, 7.0] and len(st["series"]) == 6
    assert st["ed_es_assumed"] is (not d["structures"]) and len(st["phase_times_ms"]) == 10
    assert sorted(p["view"] for p in d["planes"]) == ["2CH", "4CH"]
    assert d["stored"]["dicom_files"] == 80
    assert "DOE" not in json.dumps(d) and "SECRET" not in json.dumps(d)


def test_series_option_imports_the_chosen_series(cine, tmp_path, capsys):
    run_import(cine.root, tmp_path / "o", key=KEY, as_json=True)
    rows = _json(capsys)["series"]
    four = next(r for r in rows if r["view"] == "4CH")
    assert run_import(cine.root, tmp_path / "o2", key=KEY, series_uid=four["series_uid"],
                      as_json=True) == 0
    d = _json(capsys)
    assert d["stack"]["series"] == [four["series_uid"]] and d["stack"]["slices"] == 1


def test_mesh_time_series_with_volumes_for_every_phase(tmp_path, capsys):
    export_vtk(tmp_path / "m", frames=range(25))
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"LV_ENDOCARDIAL": "lv_blood"}))
    assert main(["import", str(tmp_path / "m"), "--out", str(tmp_path / "o"), "--mapping",
                 str(mapping), "--json"]) == 0
    d = _json(capsys)
    assert d["stack"] is None
    lv = d["structures"]["lv_blood"]
    assert len(lv["volumes_ml"]) == 25 and lv["capped"]
    assert all(v["sd"] > 0 for v in lv["volumes_ml"])
    names = {m["name"] for m in d["measurements"]}
    assert {"LVEDV", "LVESV", "LVEF", "RVEF"} <= names  # untimed: no rates
    assert d["stored"]["mesh_files"] == 75


def test_meshes_beside_an_image_must_match_its_phases(cine, tmp_path, capsys):
    export_vtk(tmp_path / "m", frames=range(10))
    assert run_import(cine.root, tmp_path / "o", key=KEY, meshes=tmp_path / "m",
                      as_json=True) == 0
    d = _json(capsys)
    assert len(d["structures"]["lv_blood"]["volumes_ml"]) == 10
    assert {"LV_PER", "LV_PFR"} <= {m["name"] for m in d["measurements"]}
    export_vtk(tmp_path / "m7", frames=range(7))
    assert run_import(cine.root, tmp_path / "o", key=KEY, meshes=tmp_path / "m7") == 2
    assert "7 frames, the image 10 phases" in capsys.readouterr().err


def test_unknown_structure_in_mapping_fails_cleanly(tmp_path, capsys):
    export_vtk(tmp_path / "m", frames=range(3))
    bad = tmp_path / "map.json"
    bad.write_text(json.dumps({"LV_ENDOCARDIAL": "lv_bloood"}))
    assert run_import(tmp_path / "m", tmp_path / "o", key=KEY, mapping=bad) == 2
    err = capsys.readouterr().err
    assert "map.json" in err and "lv_bloood" in err


def test_two_patients_fail_with_a_choice(tmp_path, capsys):
    write_cine_study(tmp_path / "a", la_views=(), **SMALL)
    write_cine_study(tmp_path / "b", la_views=(), patient="ROE", **SMALL)
    assert run_import(tmp_path, tmp_path / "o", key=KEY) == 2
    assert "2 patients" in capsys.readouterr().err


def test_two_patients_list_the_series_to_choose_from(tmp_path, capsys):
    write_cine_study(tmp_path / "in" / "a", la_views=(), **SMALL)
    write_cine_study(tmp_path / "in" / "b", la_views=(), patient="ROE", **SMALL)
    assert run_import(tmp_path / "in", tmp_path / "o", key=KEY, as_json=True) == 2
    out = capsys.readouterr()
    d = json.loads(out.out)
    assert "2 patients" in d["error"] and "2 patients" in out.err
    assert len({r["patient"] for r in d["series"]}) == 2 and len(d["series"]) == 12
    assert "DOE" not in out.out + out.err and "ROE" not in out.out + out.err
    # a UID from that listing imports that patient's study alone
    # (stored outside the folder: a stored copy there would be one more patient)
    uid = next(r["series_uid"] for r in d["series"] if r["patient"] == d["series"][-1]["patient"])
    assert run_import(tmp_path / "in", tmp_path / "o", key=KEY, series_uid=uid, as_json=True) == 0
    assert len(_json(capsys)["stack"]["series"]) == 6
    # the text listing names each series' UID too
    assert run_import(tmp_path / "in", tmp_path / "o2", key=KEY) == 2
    err = capsys.readouterr().err
    assert err.count("  series 2.25.") == 12, err


def test_many_slices_per_series_lists_phases_per_slice(tmp_path, capsys):
    # GE / Philips: each slice has its own trigger times, so the series holds 60 distinct
    # times for 10 phases × 6 slices; the listing must say 10 phases × 6 slices
    write_cine_study(tmp_path / "s", one_series=True, la_views=(), **SMALL)
    assert run_import(tmp_path / "s", tmp_path / "o", key=KEY, as_json=True) == 0
    (row,) = _json(capsys)["series"]
    assert (row["n_phases"], row["n_slices"]) == (10, 6)
    assert run_import(tmp_path / "s", tmp_path / "o2", key=KEY) == 0
    assert "10 phase(s) × 6 slice(s) × 40 × 36" in capsys.readouterr().out
