"""Every output stream is private (issue 14, item 6).

A hostile but readable study — nested sequences, private tags, malformed dates, names in
descriptions, a patient-named folder and file names — is imported with the CLI; stdout,
stderr, the log, and every file written (store, meshes, settings-like JSON) are searched for
every identifying value, including the original UIDs.
"""

from __future__ import annotations

import logging
import stat

import pydicom
import pytest
from pydicom.dataset import Dataset

from twinviewer.imaging.cli_import import run_import
from twinviewer.imaging.series import scan_folder
from twinviewer.io.logs import configure_logging

from .dicom_factory import volume, write_series

KEY = b"private-streams-key-0123456789ab"
NAME, PID = "HOSTILE^VICTIM^SECRETA", "PID-HOSTILE-7788"
VALUES = {
    "PatientBirthDate": "1962-05-12",  # malformed DA: must not leak through a warning
    "AccessionNumber": "ACC99887766",
    "InstitutionName": "Saint Secretive Hospital",
    "ReferringPhysicianName": "WHO^DOCTOR^SECRETB",
    "OtherPatientIDs": "OTHER-ID-5566",
}


def _hostile_study(root):
    folder = root / "HOSTILE_VICTIM_PID-HOSTILE-7788"  # the folder name identifies
    files = write_series(folder, volume((4, 8, 8)))
    uids = set()
    for n, path in enumerate(sorted(files)):
        ds = pydicom.dcmread(path)
        ds.PatientName, ds.PatientID = NAME, PID
        for kw, v in VALUES.items():
            setattr(ds, kw, v)
        ds.StudyDescription = "Cardiac CTA Victim 2024-03-15"
        ds.SeriesDescription = "Secreta heart"
        ds.ProtocolName = "Dr Whodunit protocol 12345678"
        item, inner = Dataset(), Dataset()
        inner.PatientID = PID
        inner.PatientName = NAME
        item.ReferencedPatientSequence = [inner]
        item.RequestedProcedureDescription = "CT for Victim"
        ds.RequestAttributesSequence = [item]
        ds.add_new(0x00291010, "LO", f"private {PID}")
        ds.add_new(0x00291011, "DA", "19620512")
        uids |= {str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID)}
        ds.save_as(folder / f"VICTIM_{n:03d}.dcm", enforce_file_format=True)
        path.unlink()
    return folder, uids


def _secrets(uids: set[str]) -> list[str]:
    out = [NAME, PID, "HOSTILE", "VICTIM", "Victim", "SECRETA", "Secreta", "SECRETB",
           "Whodunit", "1962-05-12", "19620512", "2024-03-15", "12345678", *VALUES.values(),
           *uids]
    return [s for s in out if s]


@pytest.mark.slow
def test_cli_import_leaks_nothing_anywhere(tmp_path, capsys):
    folder, uids = _hostile_study(tmp_path / "in")
    raw = b"".join(p.read_bytes() for p in folder.iterdir())
    assert all(s.encode() in raw for s in (NAME, PID, "1962-05-12", *uids))  # the control
    log_dir = tmp_path / "logs"
    configure_logging(log_dir)
    pydicom_log = logging.getLogger("pydicom")
    pydicom_log.warning("value %s in %s", PID, "19620512")  # what pydicom itself might log
    store = tmp_path / "store"
    assert run_import(folder, store, key=KEY) == 0
    assert run_import(folder / "nope", store, key=KEY) == 2  # an error path too
    captured = capsys.readouterr()
    logging.getLogger("twinviewer").handlers[-1].flush()
    written = [p for p in tmp_path.rglob("*") if p.is_file() and not p.is_relative_to(
        tmp_path / "in")]
    assert any(p.suffix == ".dcm" for p in written) and (log_dir / "twinviewer.log").exists()
    blobs = {str(p.relative_to(tmp_path)): p.read_bytes() for p in written}
    blobs["stdout"] = captured.out.encode()
    blobs["stderr"] = captured.err.encode()
    for secret in _secrets(uids):
        for where, blob in blobs.items():
            assert secret.encode() not in blob, f"{secret!r} in {where}"
            assert secret.lower().encode() not in blob.lower() or len(secret) < 6, \
                f"{secret!r} (any case) in {where}"
    # the store is private: folders 0700, files 0600
    for p in store.rglob("*"):
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode == (0o700 if p.is_dir() else 0o600), (p.name, oct(mode))
    assert stat.S_IMODE(store.stat().st_mode) == 0o700


def test_burned_in_annotation_refused_unless_kept(tmp_path):
    files = write_series(tmp_path, volume((3, 6, 6)))
    for p in files:
        ds = pydicom.dcmread(p)
        ds.BurnedInAnnotation = "YES"
        ds.save_as(p, enforce_file_format=True)
    from twinviewer.imaging.errors import ImagingError

    with pytest.raises(ImagingError, match="BurnedInAnnotation is YES"):
        scan_folder(tmp_path, KEY)
    scan = scan_folder(tmp_path, KEY, keep_burned_in=True)
    assert scan.images()[0].burned_in
    assert "BURNED-IN ANNOTATION" in scan.images()[0].summary()
    assert any("kept on request" in n for n in scan.notes)


def test_messages_name_no_folder_or_file_of_the_chosen_folder(tmp_path):
    from twinviewer.imaging.errors import shown

    folder = tmp_path / "DOE_JANE_12345"
    files = write_series(folder / "sub", volume((3, 6, 6)))
    files[1].write_bytes(files[1].read_bytes()[:200])
    scan = scan_folder(folder, KEY)
    text = " ".join(scan.notes)
    assert shown(files[1], folder) in text and "DOE_JANE" not in text
    assert "sub/" not in text and files[1].name not in text


def test_messages_say_what_is_missing_and_what_is_supported(tmp_path):
    write_series(tmp_path, volume((3, 6, 6)))
    ds = pydicom.dcmread(next(tmp_path.glob("*.dcm")))
    for kw in ("ImagePositionPatient", "ImageOrientationPatient"):
        delattr(ds, kw)
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.6.1"
    ds.SeriesInstanceUID = "1.2.3.4.5.6"
    ds.save_as(tmp_path / "us.dcm", enforce_file_format=True)
    data = (tmp_path / "us.dcm").read_bytes()
    (tmp_path / "cut.dcm").write_bytes(data[:200])
    from twinviewer.imaging.errors import shown

    notes = scan_folder(tmp_path, KEY).notes
    us = next(n for n in notes if shown(tmp_path / "us.dcm", tmp_path) in n)
    assert "Ultrasound Image Storage without patient geometry" in us
    assert "supported: CT, MR and PET greyscale images with patient geometry" in us
    assert any(shown(tmp_path / "cut.dcm", tmp_path) in n for n in notes)
    assert "not an image or segmentation" not in " ".join(notes)
