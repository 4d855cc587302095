"""No folder or file name of a study, and no identifying value read from its DICOM, in what
the import prints (CLI), stores (.twin) or shows (notes) — review13 #5: an export folder
named '19480713_MRN-9988776_Dr Hibbert_Springfield' leaked through the "skipped ..." notes.

The layout is the reviewer's: a Siemens-like cine study below an identifying folder, every
file carrying the patient's name, ID, birth date, institution, physicians, station and
accession; a text file and a Basic Text SR beside the images, in folders with names of
their own."""

from __future__ import annotations

import io
import json
import re
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from tests.imaging.cine_factory import write_cine_study
from twinviewer.core.anatomy import Anatomy
from twinviewer.core.privacy import clear_identifiers
from twinviewer.imaging.cli_import import run_import
from twinviewer.imaging.study import import_study
from twinviewer.io.twinfile import twin_bytes
from twinviewer.twins import twin_from_preset

KEY = b"paths-private-key-0123456789abcdef"
SMALL = {"rows": 40, "cols": 36, "pixel_mm": 7.0, "n_phases": 8, "la_views": ("4ch",)}
TAGS = {"PatientName": "Smithers^Montgomery^Q", "PatientID": "MRN-9988776",
        "PatientBirthDate": "19480713", "InstitutionName": "Springfield General Hospital",
        "InstitutionAddress": "742 Evergreen Terrace", "ReferringPhysicianName":
        "Hibbert^Julius", "OperatorsName": "Nick^Riviera", "StationName": "SPRGEN-MR3",
        "AccessionNumber": "ACC55501", "StudyID": "SMITHERS1",
        "PerformingPhysicianName": "Frink^John"}
# What may never appear (whole words, any case); the folder names' words are added per case.
SECRETS = ["Smithers", "Montgomery", "9988776", "19480713", "1948-07-13", "13.07.1948",
           "Springfield", "Evergreen", "Hibbert", "Julius", "Riviera", "SPRGEN", "ACC55501",
           "SMITHERS1", "Frink"]
FOLDERS = ["19480713_MRN-9988776_Dr Hibbert_Springfield", "SMITHERS_MONTGOMERY_1948",
           "Smithers Montgomery (13.07.1948)", "Pt 9988776 - Hibbert, Julius",
           "montgomery.smithers@springfield"]


def _study(root: Path, folder: str) -> Path:
    study = root / folder
    lay = write_cine_study(study, **SMALL)
    for p in lay.files:
        ds = pydicom.dcmread(p)
        for k, v in TAGS.items():
            setattr(ds, k, v)
        ds.save_as(p)
    (study / "S001" / "Smithers_referral_1948.txt").write_text(
        "Patient Smithers MRN-9988776 referred by Dr Hibbert")
    sr = Dataset()
    sr.file_meta = FileMetaDataset()
    sr.file_meta.MediaStorageSOPClassUID = sr.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.11"
    sr.file_meta.MediaStorageSOPInstanceUID = sr.SOPInstanceUID = generate_uid()
    sr.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    sr.PatientName, sr.PatientID, sr.Modality = TAGS["PatientName"], TAGS["PatientID"], "SR"
    sr.StudyInstanceUID = pydicom.dcmread(lay.files[0]).StudyInstanceUID
    sr.SeriesInstanceUID = generate_uid()
    (study / "SR Hibbert").mkdir()
    sr.save_as(study / "SR Hibbert" / "Smithers report.dcm", enforce_file_format=True)
    return study


def _leaks(text: str, folder: str) -> list[str]:
    words = {w for w in re.split(r"[^A-Za-z0-9]+", folder) if len(w) >= 4}
    found = [s for s in [*SECRETS, *words, "S001", "IMG0", "referral", "SR Hibbert"]
             if re.search(rf"(?<![A-Za-z0-9]){re.escape(s)}(?![A-Za-z0-9])", text, re.I)]
    return found


@pytest.mark.parametrize("folder", FOLDERS)
def test_cli_output_stored_twin_and_notes_hold_no_folder_name_or_identifier(tmp_path, folder):
    clear_identifiers()  # a fresh process: nothing registered before this study is read
    top = tmp_path / "export"
    _study(top, folder)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = run_import(top, tmp_path / "stored", key=KEY, as_json=True)
    printed = out.getvalue() + err.getvalue()
    assert rc == 0, printed
    notes = json.loads(out.getvalue())["notes"]
    # the skipped files are still reported, by tag and the series they sit beside
    assert any(re.fullmatch(r"skipped file #[0-9a-f]{6} \(\.txt\) in the folder of series "
                            r"'cine_trufi_retro_sa_1' \(#1\): not a DICOM file", n)
               for n in notes)
    assert any(n.startswith("skipped file #") and "Basic Text SR" in n for n in notes)
    assert _leaks(printed, folder) == []
    # text output (not JSON) too
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        assert run_import(top, tmp_path / "stored2", key=KEY) == 0
    assert "note: skipped file #" in out.getvalue() and _leaks(out.getvalue(), folder) == []

    anatomy = import_study(top, key=KEY)
    assert _leaks("\n".join(anatomy.notes), folder) == []
    twin = twin_from_preset("healthy", n=2, pseudonym=anatomy.pseudonym, anatomy=anatomy)
    with zipfile.ZipFile(io.BytesIO(twin_bytes(twin))) as zf:
        stored = "\n".join(zf.read(n).decode("latin-1") for n in zf.namelist()
                           if n.endswith(".json"))
    assert "not a DICOM file" in stored and _leaks(stored, folder) == []


def test_notes_of_old_twin_files_lose_the_study_paths_on_open():
    old = {"pseudonym": "TW-0123456789", "notes": [
        "skipped 19480713_MRN-9988776_Dr Hibbert_Springfield/S001/notes.txt: not a DICOM file",
        "SMITHERS_MONTGOMERY_1948/SEG/seg.dcm: segmentation of a phase left out of the "
        "import; not used",
        "IMG0006.dcm in series 'sa_3': two images of one slice share TriggerTime 40 ms",
        "stack assembled from 6 series: 6 slices × 20 phases"]}
    notes = Anatomy.from_dict(old).notes
    assert notes == ["skipped a file: not a DICOM file",
                     "a file: segmentation of a phase left out of the import; not used",
                     "a file in series 'sa_3': two images of one slice share TriggerTime 40 ms",
                     "stack assembled from 6 series: 6 slices × 20 phases"]
