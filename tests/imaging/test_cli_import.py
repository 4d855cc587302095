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
    assert run_import(cine.root, tmp_path / "o", key=KEY, meshes=tmp_path / "m") == 0
    text = capsys.readouterr().out  # the rates in words, never their code names
    assert "LV peak ejection rate" in text and "RV peak filling rate" in text
    assert "LV_PER" not in text and "_PFR" not in text
    export_vtk(tmp_path / "m7", frames=range(7))
    assert run_import(cine.root, tmp_path / "o", key=KEY, meshes=tmp_path / "m7") == 2
    assert "7 frames, the image 10 phases" in capsys.readouterr().err


def test_the_users_mesh_series_wins_over_the_automatic_segmentation(cine, tmp_path, capsys):
    """review 8, finding 13: meshes the user names replace the auto-segmentation's; the
    segmentation fills only the structures they lack; notes and --json say which is which."""
    export_vtk(tmp_path / "m", frames=range(10))
    assert run_import(cine.root, tmp_path / "o", key=KEY, as_json=True) == 0
    auto = _json(capsys)
    assert {"lv_blood", "lv_myocardium"} <= set(auto["structures"])  # segmented here
    assert all(s["source"] == "automatic segmentation" for s in auto["structures"].values())
    assert run_import(cine.root, tmp_path / "o2", key=KEY, meshes=tmp_path / "m",
                      as_json=True) == 0
    d = _json(capsys)
    lv, myo = d["structures"]["lv_blood"], d["structures"]["lv_myocardium"]
    assert lv["source"] == "imported mesh time series"
    assert {v["source"] for v in lv["volumes_ml"]} == {"imported mesh time series"}
    assert [v["value"] for v in lv["volumes_ml"]] != \
        [v["value"] for v in auto["structures"]["lv_blood"]["volumes_ml"]]
    assert myo["source"] == "automatic segmentation" and len(myo["meshed_phases"]) == 10
    assert not [n for n in d["notes"] if "imported time series is not used" in n]
    assert "lv_blood: from the imported mesh time series (10 frames), chosen over the " \
           "automatic segmentation (its lv_blood meshes and volumes are not used)" in d["notes"]
    said = next(n for n in d["notes"] if n.startswith("structures: "))
    assert "lv_myocardium from the automatic segmentation" in said
    assert "lv_blood" in said.split(" from the imported mesh time series")[0]
    # the LV numbers are the user's meshes', once each; no LV coverage note of the dropped
    # segmentation; LV mass stays the segmentation's
    by = {m["name"]: m for m in d["measurements"]}
    assert [m["name"] for m in d["measurements"]].count("LVEDV") == 1
    assert by["LVEDV"]["source"].startswith("imported mesh time series")
    assert by["LVEDV"]["value"] == pytest.approx(max(v["value"] for v in lv["volumes_ml"]))
    assert by["LVmass"]["source"].startswith("MR segmentation")
    assert not [n for n in d["notes"] if n.startswith(("LV base not covered",
                                                       "LV apex not covered"))]


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


def test_mesh_only_ed_es_follow_the_lv_volume():
    """review10 #6: biv-me's frame 0 (174.5 mL) was printed "ED" while LVEDV = 179 mL is
    frame 24. Without image timing, ED is the largest LV volume and ES the smallest."""
    from twinviewer.core.anatomy import Anatomy, Structure
    from twinviewer.core.measurement import Measurement
    from twinviewer.imaging.cli_import import ed_es_note, ed_es_phases, phase_name

    vols = {0: 174.5, 9: 72.0, 12: 88.1, 24: 179.0}
    lv = Structure("lv_blood", "LV blood pool", (1, 0, 0), volumes={
        p: Measurement("lv_blood volume", v, "mL", 5.0, "mesh") for p, v in vols.items()})
    a = Anatomy("virtual-p", structures={"lv_blood": lv})
    assert ed_es_phases(a) == (24, 9, "volume")
    assert [phase_name(a, p) for p in vols] == ["phase0", "ES", "phase12", "ED"]
    assert "largest LV blood-pool volume" in ed_es_note(a)
    single = Anatomy("virtual-p", structures={"lv_blood": Structure(
        "lv_blood", "LV blood pool", (1, 0, 0), volumes={0: lv.volumes[0]})})
    assert phase_name(single, 0) == "ED" and "assumed" in ed_es_note(single)
