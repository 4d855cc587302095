"""The whole pipeline on the demo study, the CLI import and the demo-mesh builder."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import pyvista as pv

from twinviewer.imaging.build_demo_meshes import build
from twinviewer.imaging.cli_import import run_import
from twinviewer.imaging.demo import DEMO_IDENTIFIERS
from twinviewer.imaging.errors import ImagingError
from twinviewer.imaging.meshing import check_surface
from twinviewer.imaging.study import import_study

KEY = b"study-test-key-0123456789abcdefg"
SECRETS = [v for k, v in DEMO_IDENTIFIERS.items() if k not in ("StudyTime",)]


@pytest.fixture(scope="module")
def imported(demo_study):
    ticks: list[tuple[float, str]] = []
    anatomy = import_study(demo_study.folder, key=KEY,
                           progress=lambda f, m: ticks.append((f, m)))
    return anatomy, ticks


def test_volumes_equal_ground_truth_and_clinical_numbers(demo_study, imported):
    a, _ = imported
    assert (a.image.ed_index, a.image.es_index) == (0, 1)
    for phase, p in (("ED", 0), ("ES", 1)):
        truth = demo_study.volumes_ml(phase)
        for key, s in a.structures.items():
            assert s.volumes[p].value == pytest.approx(truth[key], rel=1e-9)
            assert 0 < s.volumes[p].uncertainty < 0.3 * truth[key]
        np.testing.assert_array_equal(a.labels[p], demo_study.labels[phase])
    ed, es = demo_study.volumes_ml("ED"), demo_study.volumes_ml("ES")
    m = {x.name: x for x in a.measurements}
    assert m["LVEDV"].value == pytest.approx(ed["lv_blood"])
    assert m["LVESV"].value == pytest.approx(es["lv_blood"])
    assert m["LVEF"].value == pytest.approx(100 * (1 - es["lv_blood"] / ed["lv_blood"]))
    assert m["LVmass"].value == pytest.approx(1.05 * ed["lv_myocardium"])
    assert 50 < m["LVEF"].value < 75 and m["LVEF"].unit == "%"


def test_meshes_for_both_phases(imported):
    a, _ = imported
    for s in a.structures.values():
        assert set(s.meshes) == {0, 1}
        for mesh in s.meshes.values():
            assert check_surface(mesh.points, mesh.faces) == []
            assert mesh.uncertainty_mm.min() > 0
    assert a.structures["lv_blood"].name == "LV blood pool"


def test_progress_is_monotonic_and_complete(imported):
    _, ticks = imported
    fractions = [f for f, _ in ticks]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(ticks) > 5


def test_nothing_identifying_in_the_anatomy(imported):
    a, _ = imported
    assert a.pseudonym.startswith("TW-")
    text = json.dumps({"notes": a.notes, "image": a.image.description,
                       "m": [str(m) for m in a.measurements]})
    for secret in SECRETS:
        assert secret not in text


def test_cancel_stops_the_import(demo_study):
    with pytest.raises(ImagingError, match="cancelled"):
        import_study(demo_study.folder, key=KEY, cancel=lambda: True)


def test_image_without_segmentation(demo_study):
    a = import_study(demo_study.folder / "ct", key=KEY)
    assert a.structures == {} and a.labels is None
    assert any("no segmentation found" in n for n in a.notes)


def test_cli_import_stores_deidentified_study(demo_study, tmp_path, capsys):
    out = tmp_path / "store"
    assert run_import(demo_study.folder, out, key=KEY) == 0
    text = capsys.readouterr().out
    assert "Found 3 series" in text and "LVEF" in text and "mL" in text and "±" in text
    assert len(list((out / "dicom").glob("*.dcm"))) == len(demo_study.ct_files) + 2
    meshes = sorted(p.name for p in (out / "meshes").glob("*.vtp"))
    assert "lv_blood_ED.vtp" in meshes and "lv_blood_ES.vtp" in meshes and len(meshes) == 14
    assert "uncertainty_mm" in pv.read(out / "meshes" / "la_ES.vtp").point_data
    blob = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    for secret in SECRETS:
        assert secret.encode() not in blob, secret
    assert "DOE" not in text


def test_cli_import_bad_folder(tmp_path, capsys):
    assert run_import(tmp_path, tmp_path / "out", key=KEY) == 2
    assert "folder is empty" in capsys.readouterr().err


def test_build_demo_meshes_records_provenance(tmp_path):
    prov = build(tmp_path, shape=(48, 80, 80), spacing=(3.4, 2.0, 2.0), seed=1)
    assert prov["seed"] == 1 and prov["shape_zyx"] == [48, 80, 80]
    assert prov["meshing"]["smoothing_iterations"] == 16 and "vtk" in prov["versions"]
    assert len(prov["files"]) == 20  # 7 structures of the CT study + 3 veins, ED and ES
    assert {"svc_ED.vtp", "ivc_ES.vtp", "pulmonary_veins_ED.vtp"} <= set(prov["files"])
    on_disk = json.loads((tmp_path / "provenance.json").read_text())
    assert on_disk["files"] == prov["files"]
    lv = pv.read(tmp_path / "lv_blood_ED.vtp")
    assert lv.volume / 1000 == pytest.approx(prov["volumes_ml"]["lv_blood"]["ED"]["value"],
                                             rel=0.06)


def test_nifti_label_map_beside_the_dicom(demo_study, tmp_path):
    import nibabel as nib

    from twinviewer.imaging.segmentation import LPS_FROM_RAS

    folder = tmp_path / "study"
    shutil.copytree(demo_study.folder / "ct", folder / "ct")
    both = np.stack([demo_study.labels["ED"], demo_study.labels["ES"]], axis=-1)
    data = np.ascontiguousarray(both.transpose(2, 1, 0, 3))  # (i, j, k, phase)
    ras = np.linalg.inv(LPS_FROM_RAS) @ demo_study.affine[:, [2, 1, 0, 3]]
    nib.save(nib.Nifti1Image(data, ras), str(folder / "labels.nii.gz"))
    a = import_study(folder, key=KEY)
    assert a.measurement("LVEDV").value == pytest.approx(demo_study.volumes_ml("ED")["lv_blood"])
    assert a.measurement("LVESV").value == pytest.approx(demo_study.volumes_ml("ES")["lv_blood"])
    assert not any("not a DICOM file" in n for n in a.notes)
