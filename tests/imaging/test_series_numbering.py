"""The import notes name a series as the listing above them does (review14b #9): the listing
put the CT first while a note called it "series 3" (its SeriesNumber, read as a place)."""

from __future__ import annotations

import re
import shutil

import pydicom

from twinviewer.imaging.cli_import import run_import

KEY = b"numbering-test-key-0123456789abc"


def test_the_notes_number_the_series_as_the_listing_does(demo_study, tmp_path, capsys):
    folder = tmp_path / "study"  # the CT alone (its segmentations would cost a meshing)
    shutil.copytree(demo_study.folder / "ct", folder / "ct")
    ct = sorted((folder / "ct").glob("*.dcm"))
    ds = pydicom.dcmread(ct[0])  # the reviewer's study: a file without SliceThickness ...
    del ds.SliceThickness
    ds.save_as(ct[0])
    (folder / "ct" / "readme.txt").write_text("not DICOM")  # ... and a text file beside
    assert run_import(folder, tmp_path / "store", key=KEY) == 0
    text = capsys.readouterr().out
    listing = text.split("\n\n")[0].splitlines()
    assert listing[0] == "Found 1 series (#n: SeriesNumber, as the notes below name them):"
    (ct_row,) = [r for r in listing if r.lstrip().startswith("CT ")]
    assert "(#3)" in ct_row  # the demo writer's SeriesNumber
    notes = [n for n in text.splitlines() if n.startswith("note: ")]
    named = [n for n in notes if "series '" in n]
    assert len(named) >= 2 and not any(re.search(r"series \d", n) for n in notes)
    for note in named:  # every series a note names is named the same way in the listing
        for desc in re.findall(r"series ('[^']*'(?: \(#\d+\))?)", note):
            assert any(desc in row for row in listing), (desc, listing)
    assert any("SliceThickness missing" in n and "(#3)" in n for n in notes)
    assert any("skipped file #" in n and "(#3)" in n for n in notes)
