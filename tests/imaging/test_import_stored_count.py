"""review12b #9: the DICOM import listed "2 phase(s) × 48 slice(s) (94 file(s))", imported one
phase, and said "Stored … 96 DICOM file(s)": the stored count included files the import did not
use. The stored files are those the imported study is made of; the message says what was
left out and why, and the counts add up."""

from __future__ import annotations

import re
import shutil

import pydicom
import pytest

from tests.imaging.test_damaged_file import KEY
from twinviewer.imaging.assembly import plan_stack
from twinviewer.imaging.cli_import import _used_files, run_import
from twinviewer.imaging.series import scan_folder


def _damaged(demo_study, tmp_path):
    """The demo CT with one ES slice's pixels cut (review12 #6's case)."""
    root = tmp_path / "study"
    shutil.copytree(demo_study.folder, root)
    files = sorted((root / "ct").glob("*.dcm"))
    phase = {p: int(pydicom.dcmread(p, stop_before_pixels=True).TemporalPositionIdentifier)
             for p in files}
    bad = next(p for p in files if phase[p] == 2)
    bad.write_bytes(bad.read_bytes()[:3000])
    return root, files, phase


def test_the_files_of_a_left_out_phase_are_not_stored(demo_study, tmp_path):
    root, files, phase = _damaged(demo_study, tmp_path)
    scan = scan_folder(root, KEY)
    plan = plan_stack(scan, None)
    listed = [p for s in plan.stack for p in s.files] + [p for s in scan.segs() for p in s.files]
    used, why = _used_files(listed, plan, KEY)
    ed = {p for p in files if phase[p] == 1}
    assert {p for p in used if p.parent.name == "ct"} == ed
    assert [p.name for p in used if p.parent.name != "ct"] == ["seg_ED.dcm"]
    assert why == [f"{sum(1 for p in files if phase[p] == 2) - 1} image file(s) of the "
                   "phase(s) left out of the import", "1 segmentation(s) of those phases only"]
    # an intact study: everything listed is stored
    plan = plan_stack(scan_folder(demo_study.folder, KEY), None)
    intact = [p for s in plan.stack for p in s.files]
    assert _used_files(intact, plan, KEY) == (intact, [])


@pytest.mark.slow  # a whole import with meshing: ~100 s on the loaded 2-core machine
def test_the_stored_count_is_what_the_import_used(demo_study, tmp_path, capsys):
    root, files, phase = _damaged(demo_study, tmp_path)
    out = tmp_path / "out"
    assert run_import(root, out, key=KEY) == 0
    text = capsys.readouterr().out
    stored = len(list((out / "dicom").glob("*.dcm")))
    m = re.search(r"Stored de-identified in .*?: (\d+) DICOM file\(s\) in dicom/", text)
    assert m and int(m.group(1)) == stored, text
    ed_files = sum(1 for p in files if phase[p] == 1)
    assert stored == ed_files + 1, (stored, ed_files)  # the ED phase and its segmentation
    es_files = sum(1 for p in files if phase[p] == 2) - 1  # the truncated one is not listed
    listed = re.search(r"CT .*\((\d+) file\(s\)\)", text)
    assert listed and int(listed.group(1)) == ed_files + es_files, text
    # what was not stored, and why: the rest of the left-out phase, its segmentation and the
    # unreadable file; the listed counts add up to the stored ones and these
    line = next(ln for ln in text.splitlines() if ln.startswith("Not stored: "))
    assert f"{es_files} image file(s) of the phase(s) left out of the import" in line, line
    assert "1 segmentation(s) of those phases only" in line, line
    assert "1 file(s) skipped as unreadable" in line, line
