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


def test_a_stray_file_is_placed_in_the_folder_of_the_series_most_of_it_holds(tmp_path):
    """review15 #8: one copied file of another series in a slice's folder named the folder
    after that series, so a junk file there was said to sit "in the folder of" the wrong one."""
    from tests.imaging.cine_factory import write_cine_study
    from twinviewer.imaging.series import scan_folder

    write_cine_study(tmp_path, n_phases=4, rows=24, cols=20, pixel_mm=8.0,
                     sa_positions_mm=(12, 24), la_views=("4ch",))
    sa, la = tmp_path / "S001", tmp_path / "S003"  # short-axis slice 1, four-chamber
    for n, stray in enumerate(sorted(sa.glob("*.dcm"))[:2]):  # a series listed before 4ch
        shutil.move(stray, la / f"{'az'[n]}_moved_from_sa_1.dcm")
    (la / "junk.bin").write_bytes(b"\x00not dicom" * 20)
    scan = scan_folder(tmp_path, KEY)
    (junk,) = [str(n) for n in scan.notes if "not a DICOM file" in str(n)]
    assert "in the folder of series 'cine_trufi_retro_4ch'" in junk, junk
