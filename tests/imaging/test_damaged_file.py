"""review12 #6: one truncated DICOM file of a gated CT is skipped by name and why, the
phase it leaves incomplete is left out and the rest imported; a file missing from a phase is
named as missing, and the timing tags are blamed only when the timing is wrong."""

from __future__ import annotations

import shutil

import pydicom
import pytest

from twinviewer.imaging.errors import ImagingError, shown
from twinviewer.imaging.series import scan_folder
from twinviewer.imaging.study import import_study
from twinviewer.imaging.volume import load_volume

KEY = b"damaged-file-test-key-0123456789abcd"


def _copy(demo_study, tmp_path):
    root = tmp_path / "study"
    shutil.copytree(demo_study.folder, root)
    files = sorted((root / "ct").glob("*.dcm"))
    phase = {p: int(pydicom.dcmread(p, stop_before_pixels=True).TemporalPositionIdentifier)
             for p in files}
    return root, files, phase


def test_truncated_file_is_named_and_its_phase_left_out(demo_study, tmp_path):
    root, files, phase = _copy(demo_study, tmp_path)
    bad = next(p for p in files if phase[p] == 2)  # an ES slice, header intact, pixels cut
    bad.write_bytes(bad.read_bytes()[:3000])
    scan = scan_folder(root, KEY)
    rel = shown(bad, root)  # a tag: folder and file names may be the patient's (review13 #5)
    said = [n for n in scan.notes if rel in n]
    assert said and "pixel data truncated" in said[0], scan.notes
    series = scan.images()[0]
    lv = load_volume(series)
    assert lv.image.n_phases == 1  # ED kept: the intact phase
    note = next(n for n in lv.notes if "left out" in n)
    assert rel in note and "phase(s) 1 (counted from 0, of 2)" in note, lv.notes
    # whole import: the ES segmentation is not put on the ED phase
    anatomy = import_study(root, key=KEY)
    text = "\n".join(anatomy.notes)
    assert "segmentation of a phase left out" in text and "seg_ES" not in text, text
    assert anatomy.image.n_phases == 1


def test_a_missing_slice_is_named_missing_not_a_timing_fault(demo_study, tmp_path):
    root, files, phase = _copy(demo_study, tmp_path)
    gone = next(p for p in files if phase[p] == 2)
    gone.write_bytes(b"garbage\n")  # unreadable: no series can be told from it
    scan = scan_folder(root, KEY)
    assert any(shown(gone, root) in n and "not a DICOM file" in n for n in scan.notes)
    with pytest.raises(ImagingError) as err:
        load_volume(scan.images()[0])
    msg = str(err.value)
    assert "phase 1 (counted from 0, of 2) has" in msg and "missing" in msg, msg
    assert "timing tags" not in msg


def test_wrong_timing_is_still_blamed_on_the_timing_tags(demo_study, tmp_path):
    root, files, phase = _copy(demo_study, tmp_path)
    moved = next(p for p in files if phase[p] == 2)
    ds = pydicom.dcmread(moved)
    ds.TemporalPositionIdentifier = 1  # an ES slice labelled ED: timing wrong, no file lost
    ds.TriggerTime = 0.0
    ds.save_as(moved)
    with pytest.raises(ImagingError, match="timing tags"):
        load_volume(scan_folder(root, KEY).images()[0])
