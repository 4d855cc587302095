"""Series scanning and volume building: geometry from positions, phases, codecs, bad input."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import JPEGBaseline8Bit, JPEGLSLossless, RLELossless

from twinviewer.imaging.demo import DEMO_IDENTIFIERS
from twinviewer.imaging.errors import ImagingError, shown
from twinviewer.imaging.series import scan_folder
from twinviewer.imaging.volume import load_volume

from .dicom_factory import volume, write_enhanced, write_series

KEY = b"volume-test-key-0123456789abcdef"


def tag(path: Path) -> str:
    """How messages name a file of the scanned folder: a tag, never its name (review13 #5)."""
    return shown(path, path.parent)


def load(folder: Path):
    scan = scan_folder(folder, KEY)
    return scan, load_volume(scan.images()[0])


def test_demo_series_geometry_phases_and_hu(demo_study):
    scan, lv = load(demo_study.folder / "ct")
    img = lv.image
    assert len(scan.images()) == 1 and scan.images()[0].n_phases == 2
    assert img.array.shape == (2, *demo_study.labels["ED"].shape)
    np.testing.assert_allclose(img.affine, demo_study.affine, atol=1e-3)
    np.testing.assert_allclose(img.spacing, demo_study.spacing, atol=1e-4)
    assert img.phase_times_ms == [demo_study.trigger_times_ms["ED"],
                                  demo_study.trigger_times_ms["ES"]]
    assert (img.ed_index, img.es_index) == (0, 1)
    # contrast-filled LV blood pool 250-450 HU, myocardium 40-100 HU (centre voxels)
    for phase, p in (("ED", 0), ("ES", 1)):
        lab = demo_study.labels[phase]
        from scipy import ndimage
        core = ndimage.binary_erosion(lab == 1, iterations=2)
        assert 250 < np.median(img.array[p][core]) < 450
        myo = ndimage.binary_erosion(lab == 2, iterations=1)
        assert 40 < np.median(img.array[p][myo]) < 130


def test_scan_deidentifies_and_lists(demo_study):
    scan = scan_folder(demo_study.folder, KEY)
    assert {s.kind for s in scan.series} == {"image", "seg"}
    text = repr(scan)
    for value in ("DOE^JANE^DEMO", "DEMO-12345", DEMO_IDENTIFIERS["AccessionNumber"]):
        assert value not in text
    assert scan.images()[0].patient.startswith("TW-")
    assert "2 phase(s) × 60 × 110 × 110" in scan.images()[0].summary()


def test_slices_sorted_by_position_not_filename_and_rescaled(tmp_path):
    hu = volume((7, 6, 5))
    # oblique orientation: geometry must come from the normal, not from z
    c, s = np.cos(0.4), np.sin(0.4)
    ori = (c, s, 0.0, 0.0, 0.0, -1.0)
    write_series(tmp_path, hu, orientation=ori, slope=0.5, spacing=(2.5, 0.8, 0.9))
    _, lv = load(tmp_path)
    np.testing.assert_allclose(lv.image.array[0], hu, atol=0.5)
    normal = np.cross(ori[:3], ori[3:])
    np.testing.assert_allclose(lv.image.affine[:3, 0], 2.5 * normal, atol=1e-6)
    np.testing.assert_allclose(lv.image.affine[:3, 1], 0.8 * np.array(ori[3:]), atol=1e-6)
    np.testing.assert_allclose(lv.image.affine[:3, 2], 0.9 * np.array(ori[:3]), atol=1e-6)
    assert lv.image.spacing == pytest.approx((2.5, 0.8, 0.9))


def test_spacing_from_positions_not_slice_thickness(tmp_path):
    files = write_series(tmp_path, volume((5, 4, 4)), spacing=(3.0, 1.0, 1.0))
    for f in files:  # thickness says 1 mm; positions say 3 mm
        ds = pydicom.dcmread(f)
        ds.SliceThickness = 1.0
        ds.save_as(f)
    _, lv = load(tmp_path)
    assert lv.image.spacing[0] == pytest.approx(3.0)
    assert lv.image.slice_thickness_mm == pytest.approx(1.0)


def test_gated_phases_and_ed_es_from_trigger_time(tmp_path):
    hu = volume((4, 6, 5, 5))
    write_series(tmp_path, hu, phases=4, trigger_ms=[0.0, 250.0, 500.0, 750.0])
    _, lv = load(tmp_path)
    assert lv.image.n_phases == 4
    np.testing.assert_allclose(lv.image.array, hu)
    # R-R estimated 1000 ms: ES = phase nearest 40 % = 500 ms (0.10 away) not 250 ms (0.15)
    assert lv.image.ed_index == 0 and lv.image.es_index == 2


def test_enhanced_multiframe(tmp_path):
    hu = volume((2, 5, 6, 7))
    write_enhanced(tmp_path / "enh.dcm", hu)
    _, lv = load(tmp_path)
    np.testing.assert_allclose(lv.image.array, hu)
    assert lv.image.spacing[0] == pytest.approx(2.0)
    assert (lv.image.ed_index, lv.image.es_index) == (0, 1)


@pytest.mark.parametrize("syntax", [RLELossless, JPEGLSLossless])
def test_compressed_transfer_syntaxes(tmp_path, syntax):
    hu = volume((3, 16, 16))
    write_series(tmp_path, hu, transfer_syntax=syntax)
    _, lv = load(tmp_path)
    np.testing.assert_allclose(lv.image.array[0], hu)


def test_undecodable_pixel_data_names_file_and_syntax(tmp_path):
    files = write_series(tmp_path, volume((3, 8, 8)))
    ds = pydicom.dcmread(files[1])
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.PixelData = pydicom.encaps.encapsulate([b"\xff\xd8 not a jpeg"])
    ds.save_as(files[1], enforce_file_format=True)
    with pytest.raises(ImagingError, match=rf"{re.escape(tag(files[1]))}.*JPEG Baseline"):
        load(tmp_path)


# ---- bad input ---------------------------------------------------------------------------

def test_empty_folder(tmp_path):
    with pytest.raises(ImagingError, match="folder is empty"):
        scan_folder(tmp_path, KEY)


def test_missing_folder(tmp_path):
    with pytest.raises(ImagingError, match="no such file or folder"):
        scan_folder(tmp_path / "nope", KEY)


def test_non_dicom_files_only(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(ImagingError, match=r"no readable DICOM image series.*not a DICOM file"):
        scan_folder(tmp_path, KEY)


def test_non_dicom_files_beside_a_series_are_noted(tmp_path):
    write_series(tmp_path, volume((3, 4, 4)))
    (tmp_path / "readme.txt").write_text("hello")
    scan = scan_folder(tmp_path, KEY)
    assert any(tag(tmp_path / "readme.txt") in n and n.endswith(": not a DICOM file")
               for n in scan.notes)
    assert not any("readme" in n for n in scan.notes)  # review13 #5: files by tag only


def test_non_image_object_is_skipped_with_note(tmp_path):
    write_series(tmp_path, volume((3, 4, 4)))
    ds = pydicom.dcmread(next(tmp_path.glob("*.dcm")))
    for kw in ("PixelData", "Rows", "Columns", "ImagePositionPatient"):
        delattr(ds, kw)
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.88.22"
    ds.Modality = "SR"
    ds.save_as(tmp_path / "report.dcm", enforce_file_format=True)
    scan = scan_folder(tmp_path, KEY)
    assert any(tag(tmp_path / "report.dcm") in n and "Enhanced SR" in n for n in scan.notes)


def test_truncated_file(tmp_path):
    files = write_series(tmp_path, volume((4, 16, 16)))
    data = files[2].read_bytes()
    files[2].write_bytes(data[: len(data) - 200])  # cut inside the pixel data
    scan = scan_folder(tmp_path, KEY)
    with pytest.raises(ImagingError, match=re.escape(tag(files[2]))):
        load_volume(scan.images()[0])


def test_truncated_header_is_noted_and_the_gap_refused(tmp_path):
    files = write_series(tmp_path, volume((6, 8, 8)))
    first = sorted(files, key=lambda f: pydicom.dcmread(f).ImagePositionPatient[2])
    first[3].write_bytes(first[3].read_bytes()[:300])
    scan = scan_folder(tmp_path, KEY)
    assert any(tag(first[3]) in n for n in scan.notes)
    with pytest.raises(ImagingError, match=r"about 1 slice\(s\) missing or unreadable") as e:
        load_volume(scan.images()[0])  # never interpolated quietly
    assert tag(first[2]) in str(e.value) and tag(first[4]) in str(e.value)
    assert str(tmp_path) not in str(e.value) and first[2].name not in str(e.value)


def test_missing_slice_is_refused_not_interpolated(tmp_path):
    hu = np.zeros((6, 4, 4), np.int16) + np.arange(6, dtype=np.int16)[:, None, None] * 100
    pos = [np.array([0.0, 0.0, 2.0 * k]) for k in range(6)]
    keep = [0, 1, 2, 4, 5]
    write_series(tmp_path, hu[keep], positions=[pos[k] for k in keep])
    with pytest.raises(ImagingError, match=r"gap of 4.00 mm .*median spacing 2.00 mm.*"
                                           r"refused rather than filled by interpolation"):
        load(tmp_path)


def test_large_gap_is_refused(tmp_path):
    pos = [np.array([0.0, 0.0, z]) for z in (0, 2, 4, 6, 20, 22)]
    write_series(tmp_path, volume((6, 4, 4)), positions=pos)
    with pytest.raises(ImagingError, match=r"gap of 14.00 mm .*about 6 slice\(s\) missing"):
        load(tmp_path)


def test_mixed_orientations_in_one_series(tmp_path):
    files = write_series(tmp_path, volume((4, 6, 6)))
    ds = pydicom.dcmread(files[1])
    ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 0.0, -1.0]
    ds.save_as(files[1])
    with pytest.raises(ImagingError, match=r"orientation .* differs .* mixed orientations") as e:
        load(tmp_path)
    assert tag(files[1]) in str(e.value)


def test_duplicate_positions_without_timing(tmp_path):
    files = write_series(tmp_path, volume((4, 6, 6)))
    z = pydicom.dcmread(files[0]).ImagePositionPatient
    ds = pydicom.dcmread(files[1])
    ds.ImagePositionPatient = z
    ds.save_as(files[1])
    with pytest.raises(ImagingError, match="share position"):
        load(tmp_path)


def test_cancel(tmp_path):
    write_series(tmp_path, volume((4, 6, 6)))
    with pytest.raises(ImagingError, match="cancelled"):
        scan_folder(tmp_path, KEY, cancel=lambda: True)


def test_does_not_modify_input(tmp_path, demo_study):
    src = tmp_path / "ct"
    shutil.copytree(demo_study.folder / "ct", src)
    before = {p.name: p.read_bytes() for p in src.iterdir()}
    load(src)
    assert before == {p.name: p.read_bytes() for p in src.iterdir()}


def test_a_study_linked_in_by_a_symbolic_link_is_found(tmp_path):
    """Studies linked from a shared drive: folder links are followed, loops end."""
    real = tmp_path / "shared" / "ct"
    write_series(real, volume())
    links = tmp_path / "links"
    links.mkdir()
    (links / "patient").symlink_to(real)
    (real / "up").symlink_to(tmp_path)  # a loop back up the tree
    scan, lv = load(links)
    assert len(scan.series) == 1 and lv.image.array.shape[-3:] == volume().shape
