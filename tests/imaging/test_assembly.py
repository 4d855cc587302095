"""Series assembly on a Siemens-like cine_trufi_retro layout (and its GE-like variant)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import ImplicitVRLittleEndian

from tests.imaging.cine_factory import write_cine_study
from twinviewer.imaging.assembly import assemble_study, plan_stack, series_table, view_of
from twinviewer.imaging.cine_phantom import U
from twinviewer.imaging.errors import ImagingError
from twinviewer.imaging.series import scan_folder
from twinviewer.imaging.study import import_study

KEY = b"assembly-test-key-0123456789abcdef"
SMALL = {"rows": 40, "cols": 36, "pixel_mm": 7.0, "n_phases": 10}


@pytest.fixture(scope="module")
def siemens(tmp_path_factory):
    return write_cine_study(tmp_path_factory.mktemp("cine"))


def _edit(files, **tags):
    for p in files:
        ds = pydicom.dcmread(p)
        for k, v in tags.items():
            setattr(ds, k, v)
        ds.save_as(p)


def test_siemens_layout_becomes_one_stack_and_planes(siemens):
    scan = scan_folder(siemens.root, KEY)
    assert len(scan.images()) == 11
    study = assemble_study(scan)
    img = study.loaded.image
    assert img.array.shape == (25, 6, 144, 128)
    assert len(study.plan.stack) == 6
    # slice order by position along the normal: slice spacing 12 mm along +U (the SA normal)
    assert img.spacing[0] == pytest.approx(12.0, abs=1e-3)
    assert abs(img.affine[:3, 0] @ U) == pytest.approx(12.0, abs=1e-3)
    # phase times from TriggerTime over R-R: 25 phases spread over about 860 ms
    t = np.array(img.phase_times_ms)
    assert np.all(np.diff(t) > 0) and t[-1] == pytest.approx(24 / 25 * 860, abs=20)
    assert study.ed_es_assumed and img.ed_index == 0 and img.es_index == 10
    views = sorted(p.view for p in study.planes)
    assert views[:3] == ["2CH", "3CH", "4CH"] and all(v.startswith("RVOT (") for v in views[3:])
    assert len(set(views)) == 5  # review 7 #10: two planes were both "RVOT"
    for p in study.planes:  # planes keep their true position: centre on the LV long axis
        assert p.image.array.shape[:2] == (25, 1)
    # the pixels are where the geometry says: the LV pool is bright at the stack centre
    mid = img.array[0, 2]
    assert mid[72, 64] > 2 * np.median(mid)


def test_planes_sit_at_their_true_position(siemens):
    study = assemble_study(scan_folder(siemens.root, KEY))
    from twinviewer.imaging.cine_phantom import CineHeart
    centre = np.asarray(CineHeart().base_centre) + 45 * U
    for p in study.planes:
        n = p.image.affine[:3, 0] / np.linalg.norm(p.image.affine[:3, 0])
        assert abs((centre - p.image.affine[:3, 3]) @ n) < 0.01  # plane passes the centre


def test_series_table_rows(siemens):
    rows = series_table(scan_folder(siemens.root, KEY))
    views = [r.view for r in rows]
    assert {v.split(" (")[0] for v in views} == {"SA", "2CH", "3CH", "4CH", "RVOT"}
    assert len({v for v in views if v.startswith("RVOT")}) == 2  # told apart
    assert views.count("SA") == 6  # the stack's slices keep their one view
    assert all(r.n_phases == 25 and r.n_slices == 1 and r.modality == "MR" for r in rows)
    assert not any("DOE" in str(r.to_dict()) for r in rows)


def test_ge_layout_many_slices_per_series(tmp_path):
    write_cine_study(tmp_path, one_series=True, la_views=("4ch",), **SMALL)
    study = assemble_study(scan_folder(tmp_path, KEY))
    assert study.loaded.image.array.shape == (10, 6, 40, 36)
    assert len(study.planes) == 1


def test_duplicate_instances_in_another_encoding_are_ignored(tmp_path):
    lay = write_cine_study(tmp_path, la_views=(), **SMALL)
    copy = tmp_path / "copy"
    copy.mkdir()
    for n, p in enumerate(lay.files[:4]):
        ds = pydicom.dcmread(p)
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
        ds.save_as(copy / f"dup{n}.dcm", implicit_vr=True, little_endian=True)
    scan = scan_folder(tmp_path, KEY)
    study = assemble_study(scan)
    assert study.loaded.image.array.shape == (10, 6, 40, 36)
    # the folder scan drops them (a note per series), or else the assembly does
    notes = [*scan.notes, *study.notes]
    dropped = sum(int(n.split("): ")[-1].split(": ")[-1].split()[0]) for n in notes
                  if "duplicate instance(s)" in n)
    assert dropped == 4 or any("4 duplicate image(s)" in n for n in notes), notes


def test_two_patients_are_never_merged(tmp_path):
    write_cine_study(tmp_path / "a", la_views=(), **SMALL)
    write_cine_study(tmp_path / "b", la_views=(), patient="ROE", **SMALL)
    scan = scan_folder(tmp_path, KEY)
    with pytest.raises(ImagingError, match="2 patients.*never merged"):
        plan_stack(scan)
    pick = scan.images()[0]
    plan = plan_stack(scan, pick.series_uid)
    assert {s.patient for s in plan.stack} == {pick.patient}
    assert len(plan.stack) == 6


def test_missing_phase_is_refused_naming_it(tmp_path):
    write_cine_study(tmp_path, la_views=(), skip=[(2, 7)], **SMALL)
    with pytest.raises(ImagingError,
                       match=r"sa_3.*9 phases.*missing phase 7 \(phases counted from 0"):
        plan_stack(scan_folder(tmp_path, KEY))


def test_missing_slice_is_refused_naming_the_gap(tmp_path):
    write_cine_study(tmp_path, la_views=(), sa_positions_mm=(12, 24, 36, 60, 72), **SMALL)
    with pytest.raises(ImagingError, match=r"slice missing.*24\.0 mm.*12\.0 mm apart"):
        plan_stack(scan_folder(tmp_path, KEY))


def test_inconsistent_trigger_times_are_refused(tmp_path):
    lay = write_cine_study(tmp_path, la_views=(), **SMALL)
    ds = pydicom.dcmread(lay.files[13])  # second slice, phase 3 counted from 0 (of 10)
    ds.TriggerTime = float(ds.TriggerTime) + 60.0
    ds.save_as(lay.files[13])
    with pytest.raises(ImagingError,
                       match=r"inconsistent trigger times: phase 3 \(from 0\) of .*sa_2"):
        plan_stack(scan_folder(tmp_path, KEY))


def test_mixed_pixel_spacing_is_refused(tmp_path):
    lay = write_cine_study(tmp_path, la_views=(), **SMALL)
    _edit(lay.files[20:30], PixelSpacing=[7.5, 7.5])
    with pytest.raises(ImagingError, match=r"mixed pixel grid.*sa_3.*7\.5"):
        plan_stack(scan_folder(tmp_path, KEY))


def test_mixed_orientation_is_refused(tmp_path):
    lay = write_cine_study(tmp_path, la_views=(), **SMALL)
    ds = pydicom.dcmread(lay.files[30])
    row, col = np.array(ds.ImageOrientationPatient[:3]), np.array(ds.ImageOrientationPatient[3:])
    c, s = np.cos(np.radians(5)), np.sin(np.radians(5))
    n = np.cross(row, col)
    col2 = c * col + s * n
    _edit(lay.files[30:40], ImageOrientationPatient=[*row.tolist(), *col2.tolist()])
    with pytest.raises(ImagingError, match=r"mixed orientation.*sa_4.*5\.0°"):
        plan_stack(scan_folder(tmp_path, KEY))


def test_import_study_keeps_planes_and_marks_ed_es_assumed(siemens, tmp_path):
    shutil.copytree(siemens.root, tmp_path / "s")
    a = import_study(tmp_path / "s", key=KEY, auto_segment=False)
    assert a.image.array.shape == (25, 6, 144, 128)
    assert len(a.planes) == 5 and a.ed_es_assumed
    assert a.rr_ms == pytest.approx(860, abs=15)
    back = type(a).from_dict(a.to_dict())
    assert [p.view for p in back.planes] == [p.view for p in a.planes]
    assert back.ed_es_assumed and back.rr_ms == a.rr_ms


def test_view_names():
    from twinviewer.imaging.series import SeriesInfo
    for desc, view in [("cine 2CH", "2CH"), ("LVOT cine", "3CH"), ("4ch_cine", "4CH"),
                       ("RVOT", "RVOT"), ("sax stack", "SA")]:
        assert view_of(SeriesInfo("", "", "MR", desc, "image")) == view


def test_factory_writes_275_files(siemens):
    assert len(siemens.files) == 275 and len(list(Path(siemens.root).rglob("*.dcm"))) == 275


def test_import_segments_the_stack_and_finds_ed_es_from_volumes(siemens, tmp_path):
    """The issue's scenario: the Siemens study without SEG becomes a moving heart."""
    shutil.copytree(siemens.root, tmp_path / "s")
    a = import_study(tmp_path / "s", key=KEY)
    assert not a.ed_es_assumed
    lv = a.structures["lv_blood"]
    assert len(lv.meshes) == 25 and len(lv.volumes) == 25
    vols = [lv.volumes[p].value for p in range(25)]
    assert a.image.ed_index == int(np.argmax(vols)) and a.image.es_index == int(np.argmin(vols))
    assert 8 <= a.image.es_index <= 11  # the phantom's end-systole at 35-45 % of R-R
    names = {m.name for m in a.measurements}
    assert {"LVEDV", "LVESV", "LVEF", "RVEF", "LV_PER", "LV_PFR"} <= names
    assert all(m.source.startswith("MR segmentation") for m in a.measurements)


def test_thumbnail_for_the_picker(siemens):
    from twinviewer.imaging.assembly import thumbnail

    scan = scan_folder(siemens.root, KEY)
    for s in scan.images()[:2]:
        t = thumbnail(s, 48)
        assert t.shape == (48, 48) and t.dtype == np.uint8 and t.max() > 200
