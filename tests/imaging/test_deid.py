"""De-identification: no identifying value survives in written bytes; keyed, stable mappings."""

from __future__ import annotations

import os
import re
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
from pydicom.datadict import dictionary_VR, keyword_dict
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

from twinviewer.imaging.deid import (
    IDENTIFYING_KEYWORDS,
    clean_descriptor,
    deidentify,
    identifiers_in,
    installation_key,
    new_uid,
    pseudonym,
    redact,
)
from twinviewer.imaging.demo import DEMO_IDENTIFIERS, PHASE_TIMING

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


def _bytes_of(ds: Dataset, path: Path) -> bytes:
    pydicom.dcmwrite(path, ds, enforce_file_format=True)
    return path.read_bytes()


def _secret_value(vr: str, i: int):
    """A distinctive value of VR ``vr`` (string values are unique in a file's bytes)."""
    if vr == "PN":
        return f"SCRTPN{i:04d}^GIVEN{i:04d}"
    if vr == "DA":
        return f"1950{1 + i % 12:02d}{1 + i % 28:02d}"
    if vr == "TM":
        return f"1{i % 10}{i % 60:02d}17.{i:06d}"
    if vr == "DT":
        return f"1951{1 + i % 12:02d}{1 + i % 28:02d}1017{i % 60:02d}.{i:06d}"
    if vr == "UI":
        return f"1.2.826.0.1.999.{i}"
    if vr == "IS":
        return str(900000 + i)
    if vr == "DS":
        return f"98765.{i}"
    if vr in ("US", "SS", "UL", "SL"):
        return i
    if vr in ("FL", "FD"):
        return float(i)
    if vr in ("OB", "OW", "UN"):
        return f"SCRTBYTES{i:05d}X".encode()
    if vr == "AE":
        return f"SCRTAE{i:04d}"
    if vr == "AS":
        return "045Y"
    if vr == "CS":
        return f"SCRTCS{i:04d}"
    return f"SCRT{vr}{i:04d}"  # LO, SH, LT, ST, UT, UC, ...


def _identified_dataset() -> tuple[Dataset, list[str]]:
    """A CT-like dataset carrying every identifying keyword, nested and private copies."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.999.77.1"
    ds.file_meta.SourceApplicationEntityTitle = "SCRTAEMETA"
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = "1.2.826.0.1.999.77.1"
    ds.StudyInstanceUID = "1.2.826.0.1.999.77.2"
    ds.SeriesInstanceUID = "1.2.826.0.1.999.77.3"
    ds.FrameOfReferenceUID = "1.2.826.0.1.999.77.4"
    ds.Modality = "CT"
    ds.SeriesDescription = "Cardiac CT for SCRTPN0001 GIVEN0001"
    secrets_: list[str] = ["1.2.826.0.1.999.77.1", "1.2.826.0.1.999.77.2",
                           "1.2.826.0.1.999.77.3", "1.2.826.0.1.999.77.4", "SCRTAEMETA"]
    for i, keyword in enumerate(IDENTIFYING_KEYWORDS, start=1):
        if keyword_dict[keyword] >> 16 == 0x0002:
            continue  # file meta, set above
        vr = dictionary_VR(keyword_dict[keyword]).split(" or ")[0]
        if vr == "SQ":
            item = Dataset()
            item.PersonName = f"SQPN{i:04d}^NESTED"
            item.InstitutionName = f"SQINST{i:04d}"
            setattr(ds, keyword, [item])
            secrets_ += [f"SQPN{i:04d}", f"SQINST{i:04d}"]
            continue
        value = _secret_value(vr, i)
        setattr(ds, keyword, value)
        if isinstance(value, str) and vr not in ("AS",):
            secrets_.append(value)
        elif isinstance(value, bytes):
            secrets_.append(value.decode())
    # Identifiers nested in sequences the profile keeps.
    ref = Dataset()
    ref.ReferencedSOPClassUID = CTImageStorage
    ref.ReferencedSOPInstanceUID = "1.2.826.0.1.999.77.5"
    ref.OperatorsName = "NESTEDOP^HIDDEN"
    ref.ImageComments = "nested comment SCRTNESTEDCOMMENT"
    block = ref.private_block(0x0029, "SCRT VENDOR", create=True)
    block.add_new(0x10, "LO", "SCRTNESTEDPRIVATE")
    ds.ReferencedImageSequence = [ref]
    equipment = Dataset()
    equipment.Manufacturer = "Vendor"
    equipment.InstitutionName = "SCRTEQUIPINST"
    equipment.ContributionDateTime = "19520505101010"
    ds.ContributingEquipmentSequence = [equipment]
    top = ds.private_block(0x0011, "SCRT VENDOR", create=True)
    top.add_new(0x01, "LO", "SCRTTOPPRIVATE")
    top.add_new(0x02, "UN", b"SCRTUNPRIVATE")
    ds.add_new(0x60003000, "OW", b"SCRTOVERLAY!")
    secrets_ += ["1.2.826.0.1.999.77.5", "NESTEDOP", "SCRTNESTEDCOMMENT", "SCRTNESTEDPRIVATE",
                 "SCRTEQUIPINST", "19520505", "SCRTTOPPRIVATE", "SCRTUNPRIVATE", "SCRTOVERLAY",
                 "SCRT VENDOR"]
    return ds, secrets_


def test_every_identifying_keyword_is_a_dicom_keyword():
    unknown = [k for k in IDENTIFYING_KEYWORDS if k not in keyword_dict]
    assert unknown == []


def test_no_identifying_value_survives_in_the_written_file(tmp_path):
    ds, secrets_ = _identified_dataset()
    raw_before = _bytes_of(ds, tmp_path / "before.dcm")
    for value in secrets_:
        assert value.encode() in raw_before, value  # the test would catch a leak
    raw = _bytes_of(deidentify(ds, KEY), tmp_path / "after.dcm")
    leaked = [value for value in secrets_ if value.encode() in raw]
    assert leaked == []
    # Numeric identifiers cannot be scanned for; check them structurally.
    out = pydicom.dcmread(tmp_path / "after.dcm")
    for keyword in IDENTIFYING_KEYWORDS:
        if keyword in out and keyword not in ("PatientName", "PatientID"):
            value = out[keyword].value
            assert value in ("", None, "000000") or keyword.endswith(("Date", "DateTime")), (
                keyword, value)


def test_deidentified_copy_is_marked_and_input_untouched(tmp_path):
    ds, _ = _identified_dataset()
    ds.PatientID, ds.PatientName = "MRN-1", "DOE^JOHN"
    ds.SeriesDescription = "Cardiac CT for John Doe (MRN-1)"
    out = deidentify(ds, KEY)
    assert ds.PatientName == "DOE^JOHN" and ds.OperatorsName  # input unchanged
    assert out.PatientIdentityRemoved == "YES"
    assert out.DeidentificationMethod
    assert "113100" in {item.CodeValue for item in out.DeidentificationMethodCodeSequence}
    assert str(out.PatientName) == out.PatientID == pseudonym("MRN-1", KEY)
    assert not any(tag.is_private for tag in out.keys())
    assert out.SeriesDescription == "Cardiac CT for [redacted] ([redacted])"


def test_dates_shift_per_patient_and_cardiac_timing_stays():
    a, b = Dataset(), Dataset()
    for ds, date in ((a, "20240315"), (b, "20240415")):
        ds.PatientID, ds.StudyDate, ds.StudyTime = "P1", date, "081500"
        ds.TriggerTime, ds.NominalPercentageOfCardiacPhase = 300.0, 35.0
        ds.PatientAge, ds.PatientSex, ds.PatientWeight, ds.PatientSize = "095Y", "F", 70, 1.7
    oa, ob = deidentify(a, KEY), deidentify(b, KEY)
    da = np.datetime64(f"{oa.StudyDate[:4]}-{oa.StudyDate[4:6]}-{oa.StudyDate[6:]}")
    db = np.datetime64(f"{ob.StudyDate[:4]}-{ob.StudyDate[4:6]}-{ob.StudyDate[6:]}")
    assert int((db - da) / np.timedelta64(1, "D")) == 31  # interval kept
    assert oa.StudyDate < "20240315"
    assert oa.StudyTime == "000000"
    assert float(oa.TriggerTime) == 300.0 and float(oa.NominalPercentageOfCardiacPhase) == 35.0
    assert oa.PatientAge == "090Y" and oa.PatientSex == "F" and float(oa.PatientWeight) == 70
    other = Dataset()
    other.PatientID, other.StudyDate = "P2", "20240315"
    assert deidentify(other, KEY).StudyDate != oa.StudyDate


def test_pseudonym_is_stable_per_key_and_differs_across_keys_and_patients():
    p = pseudonym("DEMO-12345", KEY)
    assert re.fullmatch(r"TW-[0-9A-F]{10}", p)
    assert p == pseudonym("DEMO-12345", KEY)
    assert p != pseudonym("DEMO-12345", OTHER_KEY)
    assert p != pseudonym("DEMO-12346", KEY)


@pytest.mark.parametrize(("patient_id", "key", "message"), [
    ("", KEY, "patient identifier is empty"),
    ("  ", KEY, "patient identifier is empty"),
    ("P1", b"short", "at least 16 bytes"),
    ("P1", "not-bytes-not-bytes", "at least 16 bytes"),
])
def test_pseudonym_rejects_bad_input(patient_id, key, message):
    with pytest.raises(ValueError, match=message):
        pseudonym(patient_id, key)


def test_deidentify_rejects_bad_input():
    with pytest.raises(TypeError, match="pydicom Dataset"):
        deidentify({"PatientName": "x"}, KEY)
    with pytest.raises(ValueError, match="at least 16 bytes"):
        deidentify(Dataset(), b"")


def test_dataset_without_patient_id_is_pseudonymised_from_its_name():
    ds = Dataset()
    ds.PatientName = "DOE^JANE"
    assert deidentify(ds, KEY).PatientID == pseudonym("DOE^JANE", KEY)
    anonymous = Dataset()
    anonymous.StudyInstanceUID = "1.2.3.4"
    assert deidentify(anonymous, KEY).PatientID.startswith("TW-")


def test_uid_mapping_is_keyed_and_consistent():
    uid = "1.2.826.0.1.3680043.8.498.123"
    assert new_uid(uid, KEY) == new_uid(uid, KEY)
    assert new_uid(uid, KEY) != new_uid(uid, OTHER_KEY)
    assert new_uid(uid, KEY) != new_uid(uid + "4", KEY)
    assert re.fullmatch(r"2\.25\.\d{1,39}", new_uid(uid, KEY))
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, uid
    out = deidentify(ds, KEY)
    assert out.SOPClassUID == CTImageStorage  # registered UIDs are not identifiers
    assert out.SOPInstanceUID == new_uid(uid, KEY)


@pytest.fixture(scope="module")
def deidentified_demo(demo_study, tmp_path_factory):
    """The demo study de-identified file by file into a new folder."""
    out_dir = tmp_path_factory.mktemp("deid_demo")
    ct, seg = [], []
    for i, path in enumerate(demo_study.ct_files + demo_study.seg_files):
        out = deidentify(pydicom.dcmread(path), KEY)
        target = out_dir / f"{i:04d}.dcm"
        pydicom.dcmwrite(target, out, enforce_file_format=True)
        (seg if path in demo_study.seg_files else ct).append(target)
    return ct, seg


def test_demo_identifiers_all_vanish(demo_study, deidentified_demo):
    ct, seg = deidentified_demo
    originals = pydicom.dcmread(demo_study.ct_files[0], stop_before_pixels=True)
    uids = [originals.StudyInstanceUID, originals.SeriesInstanceUID,
            originals.FrameOfReferenceUID, originals.SOPInstanceUID]
    for path in ct + seg:
        raw = path.read_bytes()
        leaked = [k for k, v in DEMO_IDENTIFIERS.items() if v.encode() in raw]
        leaked += [u for u in uids if u.encode() in raw]
        assert leaked == [], (path.name, leaked)


def test_seg_still_references_its_ct_after_deidentification(demo_study, deidentified_demo):
    ct, seg = deidentified_demo
    cts = [pydicom.dcmread(p, stop_before_pixels=True) for p in ct]
    assert len({ds.StudyInstanceUID for ds in cts}) == 1
    assert len({ds.SeriesInstanceUID for ds in cts}) == 1
    assert len({ds.PatientID for ds in cts}) == 1
    ed = sorted((ds for ds in cts if float(ds.TriggerTime) == PHASE_TIMING["ED"][1]),
                key=lambda ds: float(ds.ImagePositionPatient[2]))
    seg_ed = hd.seg.segread(seg[0])
    assert seg_ed.StudyInstanceUID == cts[0].StudyInstanceUID
    assert seg_ed.FrameOfReferenceUID == cts[0].FrameOfReferenceUID
    assert seg_ed.PatientID == cts[0].PatientID
    labels = seg_ed.get_pixels_by_source_instance(
        [ds.SOPInstanceUID for ds in ed], combine_segments=True)
    np.testing.assert_array_equal(labels, demo_study.labels["ED"])


def test_redact_scrubs_names_in_any_order_and_case():
    text = "Failed to load DOE^JANE^DEMO: jane doe, id demo-12345, born 19600101"
    out = redact(text, ["DOE^JANE^DEMO", "DEMO-12345", "19600101", "", "ab"])
    for value in ("DOE", "JANE", "12345", "19600101"):
        assert value.lower() not in out.lower()
    assert out.startswith("Failed to load [redacted]")
    assert redact("nothing to hide", []) == "nothing to hide"
    assert redact("keep ab here", ["ab"]) == "keep ab here"  # too short to redact safely


def test_installation_key_is_created_once_private_and_reused(tmp_path):
    path = tmp_path / "sub" / "key.bin"
    key = installation_key(path)
    assert len(key) == 32 and installation_key(path) == key
    if os.name == "posix":
        assert path.stat().st_mode & 0o777 == 0o600
        path.chmod(0o644)
        assert installation_key(path) == key
        assert path.stat().st_mode & 0o777 == 0o600
    assert installation_key(tmp_path / "other.bin") != key


def test_installation_key_default_lives_in_the_user_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    if os.name != "posix":
        pytest.skip("XDG_DATA_HOME only steers platformdirs on Linux")
    key = installation_key()
    files = list(tmp_path.rglob("*.key"))
    assert len(files) == 1 and files[0].read_bytes() == key


def test_installation_key_rejects_a_corrupt_or_unreachable_file(tmp_path):
    bad = tmp_path / "bad.key"
    bad.write_bytes(b"too short")
    with pytest.raises(ValueError, match=r"bad\.key holds 9 bytes"):
        installation_key(bad)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError, match="cannot read or create the de-identification key"):
        installation_key(blocker / "key")


def test_installation_key_lives_under_twinviewer_and_adopts_the_old_folders_key(
        tmp_path, monkeypatch):
    """Earlier versions kept the key under "TwinViewer"; it is moved, not replaced, so the
    installation keeps its pseudonyms."""
    import sys

    if sys.platform != "linux":
        pytest.skip("XDG_DATA_HOME only steers platformdirs on Linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    old = tmp_path / "TwinViewer" / "deidentification.key"
    old.parent.mkdir()
    old.write_bytes(b"k" * 32)
    assert installation_key() == b"k" * 32
    new = tmp_path / "twinviewer" / "deidentification.key"
    assert new.read_bytes() == b"k" * 32 and not old.exists()
    old.write_bytes(b"x" * 32)  # once adopted, the new file wins
    assert installation_key() == b"k" * 32


@pytest.mark.parametrize(("name", "text"), [
    ("DOE^PETER", "Patient does not tolerate beta blockers. No caution does not mean all is "
                  "well."),
    ("MAY^ANNA", "Patient may need a larger valve; Mayo criteria."),
    ("WILL^JOHN", "We will review; willing to consider TAVI."),
    ("MARK^EVA", "Marked LVH; remarkable septum; bookmark."),
    ("TOSHIBA^KEN", "Manufacturer TOSHIBA_MEC, model Aquilion."),
])
def test_redaction_matches_whole_tokens_only(name, text):
    """Names that are common words or parts of words do not change clinical meaning."""
    surname = name.split("^")[0]
    kept = text.replace("may", "can").replace("will", "shall") if surname in ("MAY", "WILL") \
        else text
    assert redact(kept, [name]) == kept
    assert redact(f"seen by {surname.title()} today", [name]) == "seen by [redacted] today"
    assert identifiers_in(f"{surname.lower()}.", [name]) == [surname.lower()]


def test_redaction_finds_names_in_file_names_and_dates_as_written():
    ids = ["DOE^JANE", "19620512"]
    assert redact("skipped DOE_JANE_001.dcm", ids) == "skipped [redacted]_001.dcm"
    assert redact("born 1962-05-12 or 12.05.1962", ids) == "born [redacted] or [redacted]"


def test_clean_descriptors_keep_clinical_words():
    ids = ["DOE^JANE"]
    assert clean_descriptor("Cardiac CTA 0-90% Jane Doe", ids) == "Cardiac CTA 0-90% [redacted]"
    assert clean_descriptor("MR Angio Dr Smith 15.03.2024 #1234567", ids) == \
        "MR Angio [redacted] [redacted] #[redacted]"


def test_installation_key_created_by_many_at_once_is_one_whole_key(tmp_path):
    """Processes creating the key at once (the app and its file-writer helper) never read a
    half-written key: every caller gets the same 32 bytes (a crash-recovery test once read
    the file while it held 0 bytes)."""
    import subprocess
    import sys

    path = tmp_path / "k" / "deidentification.key"
    code = ("import sys; from pathlib import Path; from twinviewer.imaging.deid import "
            "installation_key; print(installation_key(Path(sys.argv[1])).hex())")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(6)]
    outs = [p.communicate(timeout=120) for p in procs]
    keys = {o.strip() for o, _ in outs}
    assert all(p.returncode == 0 for p in procs), [e for _, e in outs]
    assert len(keys) == 1 and len(next(iter(keys))) == 64
    assert installation_key(path).hex() in keys
    assert [q.name for q in path.parent.iterdir()] == ["deidentification.key"]  # no temp left
