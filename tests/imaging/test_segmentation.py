"""Segmentations onto the image grid: DICOM SEG by code / label / mapping, NIfTI, mesh files."""

from __future__ import annotations

import json
import re
import shutil

import nibabel as nib
import numpy as np
import pydicom
import pytest
import pyvista as pv
from pydicom.uid import generate_uid

from twinviewer.imaging.errors import ImagingError, shown
from twinviewer.imaging.segmentation import (
    LABEL_VALUES,
    LPS_FROM_RAS,
    align_to_image,
    mapping_from,
    read_mesh,
    read_nifti,
    read_seg,
)
from twinviewer.imaging.series import read_dicom, scan_folder
from twinviewer.imaging.study import import_study
from twinviewer.imaging.volume import load_volume

KEY = b"segmentation-test-key-0123456789"


@pytest.fixture(scope="module")
def loaded(demo_study):
    scan = scan_folder(demo_study.folder / "ct", KEY)
    return load_volume(scan.images()[0])


def _seg(demo_study, loaded, path=None, mapping=None):
    ds = read_dicom(path or demo_study.seg_files[1], KEY, pixels=True)
    return read_seg(ds, loaded.image, series_uid=loaded.series_uid, sop_phase=loaded.sop_phase,
                    name="seg.dcm", mapping=mapping)


def test_demo_values_equal_vocabulary_values(demo_study):
    """The CT study's labels and the phantom's veins (meshed apart) use the vocabulary's."""
    from twinviewer.imaging.phantom import VEIN_LABEL_VALUES

    assert {**demo_study.label_values, **VEIN_LABEL_VALUES} == LABEL_VALUES


def test_seg_by_snomed_code_lands_on_its_phase(demo_study, loaded):
    out = _seg(demo_study, loaded)
    assert list(out.labels) == [1]  # the ES SEG references the ES instances
    np.testing.assert_array_equal(out.labels[1], demo_study.labels["ES"])


def _edit_segments(src, dst, *, code=None, label=None):
    ds = pydicom.dcmread(src)
    for n, item in enumerate(ds.SegmentSequence):
        if code is not None:
            c = item.SegmentedPropertyTypeCodeSequence[0]
            c.CodeValue, c.CodingSchemeDesignator = f"{code}{n}", "99TEST"
            if label is not None:
                c.CodeMeaning = f"{label} type {n}"
        if label is not None:
            item.SegmentLabel = f"{label} {n + 1}"
    ds.save_as(dst)
    return dst


def test_seg_by_label_text_when_codes_unknown(demo_study, loaded, tmp_path):
    p = _edit_segments(demo_study.seg_files[0], tmp_path / "s.dcm", code="C")
    out = _seg(demo_study, loaded, p)
    np.testing.assert_array_equal(out.labels[0], demo_study.labels["ED"])


def test_seg_needs_mapping_when_neither_code_nor_label_known(demo_study, loaded, tmp_path):
    p = _edit_segments(demo_study.seg_files[0], tmp_path / "s.dcm", code="C", label="Region")
    with pytest.raises(ImagingError, match="no segment matches the cardiac vocabulary"):
        _seg(demo_study, loaded, p)
    mfile = tmp_path / "map.json"
    mfile.write_text(json.dumps({f"Region {v}": k for k, v in LABEL_VALUES.items()}))
    out = _seg(demo_study, loaded, p, mapping=mapping_from(mfile))
    np.testing.assert_array_equal(out.labels[0], demo_study.labels["ED"])


def test_bad_mapping_file(tmp_path):
    (tmp_path / "m.json").write_text('{"Region 1": "left_kidney"}')
    with pytest.raises(ImagingError, match=r"m.json: unknown vocabulary keys \['left_kidney'\]"):
        mapping_from(tmp_path / "m.json")
    (tmp_path / "n.json").write_text("{not json")
    with pytest.raises(ImagingError, match="n.json: cannot read segment mapping JSON"):
        mapping_from(tmp_path / "n.json")


def test_seg_not_referencing_the_series(demo_study, tmp_path):
    folder = tmp_path / "study"
    shutil.copytree(demo_study.folder / "ct", folder / "ct")
    ds = pydicom.dcmread(demo_study.seg_files[0])
    ds.ReferencedSeriesSequence[0].SeriesInstanceUID = generate_uid()
    (folder / "seg").mkdir()
    ds.save_as(folder / "seg" / "other.dcm")
    tag = re.escape(shown(folder / "seg" / "other.dcm", folder))  # review13 #5: no names
    with pytest.raises(ImagingError, match=tag + ": segmentation does not reference the "
                                           "image series"):
        import_study(folder, key=KEY)


def _nifti(labels_zyx, affine_kji, path, scale=1.0):
    data = np.ascontiguousarray(labels_zyx.transpose(2, 1, 0))  # (i, j, k) as most tools write
    a = np.asarray(affine_kji, float)[:, [2, 1, 0, 3]].copy()
    a[:3, :3] *= scale
    nib.save(nib.Nifti1Image(data, np.linalg.inv(LPS_FROM_RAS) @ a), str(path))
    return path


def test_nifti_in_ras_with_other_axis_order(demo_study, loaded, tmp_path):
    p = _nifti(demo_study.labels["ED"], demo_study.affine, tmp_path / "lab.nii.gz")
    out = read_nifti(p, loaded.image)
    np.testing.assert_array_equal(out.labels[loaded.image.ed_index], demo_study.labels["ED"])


def test_nifti_geometry_mismatch(demo_study, loaded, tmp_path):
    p = _nifti(demo_study.labels["ED"], demo_study.affine, tmp_path / "lab.nii.gz", scale=1.1)
    with pytest.raises(ImagingError, match="lab.nii.gz: label map geometry does not match the "
                                           "image"):
        read_nifti(p, loaded.image)


def test_nifti_not_labels(loaded, tmp_path):
    nib.save(nib.Nifti1Image(np.full((4, 4, 4), 0.5, np.float32), np.eye(4)),
             str(tmp_path / "x.nii"))
    with pytest.raises(ImagingError, match="x.nii: not a 3D/4D label map"):
        read_nifti(tmp_path / "x.nii", loaded.image)


def test_align_accepts_partial_slab_and_refuses_outside(loaded):
    img = loaded.image
    slab = np.zeros((5, *img.shape[1:]), np.uint8)
    slab[2, 10, 10] = 4
    a = img.affine.copy()
    a[:3, 3] = img.index_to_patient([[7, 0, 0]])[0]
    out = align_to_image(slab, a, img, "slab")
    assert out[9, 10, 10] == 4 and out.sum() == 4
    a[:3, 3] = img.index_to_patient([[img.shape[0] - 1, 0, 0]])[0]
    with pytest.raises(ImagingError, match="slab: 1 labelled voxels fall outside the image"):
        align_to_image(slab, a, img, "slab")


def test_mesh_files_units_orientation_and_names(tmp_path):
    sphere = pv.Sphere(radius=0.02, theta_resolution=30, phi_resolution=30)  # metres
    inverted = sphere.copy()
    inverted.faces = np.c_[np.full(inverted.n_cells, 3), inverted.regular_faces[:, ::-1]].ravel()
    inverted.save(tmp_path / "Left atrium.stl")
    notes: list[str] = []
    key, mesh = read_mesh(tmp_path / "Left atrium.stl", notes=notes)
    assert key == "la"
    assert mesh.volume_ml() == pytest.approx(4 / 3 * np.pi * 20.0**3 / 1000, rel=0.02)
    assert any("metres" in n for n in notes)


def test_open_mesh_is_filled(tmp_path):
    box = pv.Box(bounds=(0, 30, 0, 30, 0, 30)).triangulate().clean()
    keep = np.ones(box.n_cells, bool)
    keep[0] = False
    box.remove_cells(~keep, inplace=True)
    assert box.n_open_edges > 0
    box.save(tmp_path / "aorta.vtp")
    notes: list[str] = []
    _, mesh = read_mesh(tmp_path / "aorta.vtp", notes=notes)
    assert mesh.volume_ml() == pytest.approx(27.0, rel=1e-6)
    assert any("filled holes" in n for n in notes)


def test_mesh_file_errors(tmp_path):
    pv.Sphere(radius=20).save(tmp_path / "kidney.ply")
    with pytest.raises(ImagingError, match="kidney.ply: file name does not name a structure"):
        read_mesh(tmp_path / "kidney.ply")
    (tmp_path / "rv_blood.stl").write_bytes(b"solid x\nthis is not an stl\n")
    with pytest.raises(ImagingError, match="rv_blood.stl"):
        read_mesh(tmp_path / "rv_blood.stl")
