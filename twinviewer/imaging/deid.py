"""De-identification of DICOM datasets before anything is written, logged or shown.

What is applied
---------------
The DICOM PS3.15 Annex E *Basic Application Level Confidentiality Profile* with these options
(declared in DeidentificationMethodCodeSequence):

* **Retain Patient Characteristics** (113108): PatientSex, PatientAge (capped at 90Y),
  PatientSize and PatientWeight stay, because the twin indexes volumes by body size.
* **Retain Longitudinal Temporal Information with Modified Dates** (113107): every date is
  shifted by a per-patient keyed offset of 1–11 years into the past, so intervals between the
  same patient's studies survive; times of day are set to 000000. Cardiac timing
  (TriggerTime, NominalPercentageOfCardiacPhase, ...) is not a date and stays.
* **Clean Descriptors** (113105): study/series/segment descriptions and the protocol name
  are kept (segment import matches on them) after :func:`clean_descriptor`: every
  identifying value found in the dataset is redacted from them as a whole token, and so are
  dates, numbers of 6+ digits and titled names ('Dr X'); free text of VR LT/ST/UT (comments,
  histories, reports) is removed.

Rules, applied to the dataset and every nested sequence item:

* PatientName and PatientID become a keyed pseudonym (HMAC-SHA256, per-installation key).
* Elements in :data:`IDENTIFYING_KEYWORDS` are removed, or emptied where they are Type 2 in
  the image modules we write (e.g. AccessionNumber, ReferringPhysicianName, PatientBirthDate).
* Every element of VR PN (any person name) is emptied, AE (network names) and UN removed.
* Every UID (VR UI) that is not a registered DICOM UID (SOP classes, transfer syntaxes, ...)
  is replaced by ``2.25.<uuid>`` derived from HMAC(key, old UID): the same UID maps to the same
  new UID under one key, so Study/Series/Frame-of-Reference structure and the references of a
  SEG to its CT stay consistent across files and sessions.
* All private tags, overlays (60xx) and curves (50xx) are removed.

Why not a library: ``deid`` needs recipe files and does not derive UIDs from a secret key;
``dicognito`` replaces names with random fake names and its UID/ID mapping is seeded by a
string salt rather than an HMAC key we manage, and it keeps private tags; ``dicom-anonymizer``
maps UIDs through an in-process random dictionary, so a SEG and its CT de-identified in two
sessions would lose their link. The rules above are a short walk over pydicom's dataset.
"""

from __future__ import annotations

import copy
import datetime as _dt
import functools
import hashlib
import hmac
import os
import re
import secrets
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from twinviewer.core.privacy import register_identifiers
from twinviewer.imaging.dicom_stack import (
    DataElement,
    Dataset,
    UID_dictionary,
    pydicom,
    sr_codes,
)

__all__ = ["IDENTIFYING_KEYWORDS", "acquisition_clock", "clean_descriptor", "deidentify",
           "identifiers_in", "installation_key", "new_uid", "pseudonym", "redact"]

KEY_FILE_NAME = "deidentification.key"
KEY_BYTES = 32
_MIN_KEY_BYTES = 16

# Replaced by the pseudonym.
_PSEUDONYMISED = ("PatientName", "PatientID")
# Emptied (Type 2 in modules the project reads or writes); everything else listed is removed.
_EMPTIED = ("PatientBirthDate", "ReferringPhysicianName", "AccessionNumber", "StudyID",
            "ContentCreatorName")

IDENTIFYING_KEYWORDS: tuple[str, ...] = _PSEUDONYMISED + _EMPTIED + (
    # Patient
    "OtherPatientIDs", "OtherPatientIDsSequence", "OtherPatientNames", "PatientBirthName",
    "PatientBirthTime", "PatientMotherBirthName", "PatientAddress", "PatientTelephoneNumbers",
    "PatientTelecomInformation", "PatientComments", "PatientState", "PatientReligiousPreference",
    "PatientInstitutionResidence", "PatientInsurancePlanCodeSequence",
    "PatientPrimaryLanguageCodeSequence", "PatientPrimaryLanguageModifierCodeSequence",
    "PatientTransportArrangements", "IssuerOfPatientID", "IssuerOfPatientIDQualifiersSequence",
    "MedicalRecordLocator", "ReferencedPatientSequence", "ReferencedPatientAliasSequence",
    "CountryOfResidence", "RegionOfResidence", "MilitaryRank", "BranchOfService", "Occupation",
    "EthnicGroup", "AdditionalPatientHistory", "MedicalAlerts", "Allergies", "SpecialNeeds",
    "SmokingStatus", "PregnancyStatus", "LastMenstrualDate", "InsurancePlanIdentification",
    "ResponsiblePerson", "ResponsibleOrganization", "PersonName", "PersonAddress",
    "PersonTelephoneNumbers", "PersonIdentificationCodeSequence",
    # Visit / request / procedure step
    "AdmissionID", "IssuerOfAdmissionID", "AdmittingDiagnosesDescription",
    "AdmittingDiagnosesCodeSequence", "DischargeDiagnosisDescription", "ServiceEpisodeID",
    "ServiceEpisodeDescription", "IssuerOfServiceEpisodeID", "CurrentPatientLocation",
    "VisitComments", "ReasonForStudy", "RequestingPhysician", "RequestingService",
    "RequestedProcedureID", "RequestedProcedureDescription", "RequestedProcedureComments",
    "RequestedProcedureLocation", "RequestedContrastAgent", "ReasonForTheRequestedProcedure",
    "RequestAttributesSequence", "ImagingServiceRequestComments", "OrderEnteredBy",
    "OrderEntererLocation", "OrderCallbackPhoneNumber",
    "PlacerOrderNumberImagingServiceRequest", "FillerOrderNumberImagingServiceRequest",
    "ScheduledProcedureStepID", "ScheduledProcedureStepDescription",
    "ScheduledProcedureStepLocation", "ScheduledPerformingPhysicianName",
    "ScheduledStationName", "ScheduledStationAETitle", "ScheduledStudyLocation",
    "ScheduledStudyLocationAETitle", "ScheduledPatientInstitutionResidence",
    "ScheduledHumanPerformersSequence", "PerformedProcedureStepID",
    "PerformedProcedureStepDescription", "CommentsOnThePerformedProcedureStep",
    "PerformedLocation", "PerformedStationName", "PerformedStationAETitle",
    "PerformedStationNameCodeSequence", "PerformedStationGeographicLocationCodeSequence",
    "ActualHumanPerformersSequence", "StudyIDIssuer", "StudyComments",
    # Staff
    "PerformingPhysicianName", "PerformingPhysicianIdentificationSequence",
    "NameOfPhysiciansReadingStudy", "PhysiciansReadingStudyIdentificationSequence",
    "PhysiciansOfRecord", "PhysiciansOfRecordIdentificationSequence",
    "ReferringPhysicianAddress", "ReferringPhysicianTelephoneNumbers",
    "ReferringPhysicianIdentificationSequence", "ConsultingPhysicianName",
    "ConsultingPhysicianIdentificationSequence", "OperatorsName",
    "OperatorIdentificationSequence", "ContentCreatorIdentificationCodeSequence",
    "HumanPerformerName", "HumanPerformerOrganization", "AuthorObserverSequence",
    "ParticipantSequence", "VerifyingObserverName", "VerifyingObserverSequence",
    "VerifyingObserverIdentificationCodeSequence", "VerifyingOrganization",
    "PhysicianApprovingInterpretation", "InterpretationAuthor", "InterpretationRecorder",
    "InterpretationTranscriber", "InterpretationApproverSequence",
    "NamesOfIntendedRecipientsOfResults",
    "IntendedRecipientsOfResultsIdentificationSequence", "DistributionName",
    "DistributionAddress",
    # Institution and device
    "InstitutionName", "InstitutionAddress", "InstitutionCodeSequence",
    "InstitutionalDepartmentName", "InstitutionalDepartmentTypeCodeSequence",
    "StationName", "DeviceSerialNumber", "DeviceUID", "DetectorID", "GantryID", "GeneratorID",
    "CassetteID", "PlateID", "ModifyingDeviceID", "ModifyingDeviceManufacturer",
    "SourceApplicationEntityTitle", "CustodialOrganizationSequence",
    # Free text and embedded content
    "ImageComments", "FrameComments", "AcquisitionComments", "IdentifyingComments",
    "TextComments", "TextString", "ResultsComments", "Impressions", "InterpretationText",
    "InterpretationDiagnosisDescription", "DerivationDescription", "ContributionDescription",
    "AcquisitionDeviceProcessingDescription", "ImagePresentationComments",
    "TopicAuthor", "TopicKeywords", "TopicSubject", "TopicTitle", "IconImageSequence",
    "OriginalAttributesSequence", "ModifiedAttributesSequence", "DataSetTrailingPadding",
    "DigitalSignaturesSequence", "ContentSequence",
    # Dates and times (handled by VR: shifted / zeroed; listed for completeness)
    "StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate", "AcquisitionDateTime",
    "InstanceCreationDate", "StudyTime", "SeriesTime", "AcquisitionTime", "ContentTime",
    "InstanceCreationTime",
)

# Handled by VR, not removed.
_BY_VR = {"StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate", "AcquisitionDateTime",
          "InstanceCreationDate", "StudyTime", "SeriesTime", "AcquisitionTime", "ContentTime",
          "InstanceCreationTime"}
_REMOVED = frozenset(IDENTIFYING_KEYWORDS) - set(_PSEUDONYMISED) - set(_EMPTIED) - _BY_VR
# Descriptors kept (after redaction) although their VR is free text: segment import needs them.
_KEPT_TEXT = frozenset({"SegmentDescription", "CodeMeaning"})
_FREE_TEXT_VRS = frozenset({"LT", "ST", "UT"})
# Clean Descriptors: identifiers, dates, long numbers and titled names removed from these.
_DESCRIPTORS = frozenset({"StudyDescription", "SeriesDescription", "ProtocolName",
                          "PerformedProcedureStepDescription", "RequestedProcedureDescription",
                          "SegmentDescription", "BodyPartExamined"})
_REDACTED_VRS = frozenset({"LO", "SH", "ST", "UC", "LT"})
_REDACTION = "[redacted]"

# LO holds at most 64 characters; the options are in DeidentificationMethodCodeSequence.
METHOD = "TwinViewer PS3.15 Basic Profile, options coded, keyed pseudonym"


def _check_key(key: bytes) -> bytes:
    if not isinstance(key, bytes | bytearray) or len(key) < _MIN_KEY_BYTES:
        raise ValueError(f"de-identification key must be at least {_MIN_KEY_BYTES} bytes")
    return bytes(key)


def _mac(key: bytes, domain: str, value: str) -> bytes:
    return hmac.new(key, f"{domain}\x00{value}".encode(), hashlib.sha256).digest()


def pseudonym(patient_id: str, key: bytes) -> str:
    """Stable pseudonym of a patient identifier under a key, e.g. ``'TW-3F9A1C2B7D'``.

    Parameters
    ----------
    patient_id : str
        The identifier (whitespace at the ends is ignored, as DICOM pads values).
    key : bytes
        Secret of at least 16 bytes, normally :func:`installation_key`.

    Returns
    -------
    str
        ``'TW-'`` and 10 upper-case hex digits of HMAC-SHA256(key, patient_id) (40 bits).

    Examples
    --------
    >>> pseudonym("DEMO-12345", b"k" * 32) == pseudonym("DEMO-12345 ", b"k" * 32)
    True
    """
    key = _check_key(key)
    if not isinstance(patient_id, str) or not patient_id.strip():
        raise ValueError("patient identifier is empty; cannot derive a pseudonym")
    return "TW-" + _mac(key, "patient", patient_id.strip()).hex()[:10].upper()


def new_uid(uid: str, key: bytes) -> str:
    """The replacement of one UID under a key: ``2.25.<decimal UUID>`` from HMAC(key, uid)."""
    return _new_uid(str(uid).strip(), _check_key(key))


@functools.lru_cache(maxsize=65536)  # a SEG references each CT UID many times
def _new_uid(uid: str, key: bytes) -> str:
    digest = _mac(key, "uid", uid)
    return f"2.25.{uuid.UUID(bytes=digest[:16], version=4).int}"


#: platformdirs application name of every TwinViewer user folder (as the kernel cache).
APP_NAME = "twinviewer"
#: The name earlier versions used for the key's folder; a key found there is moved.
_LEGACY_APP_NAME = "TwinViewer"


def _default_key_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / KEY_FILE_NAME


def _legacy_key_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(_LEGACY_APP_NAME, appauthor=False)) / KEY_FILE_NAME


def _adopt_legacy_key(path: Path, legacy: Path) -> None:
    """Move a key from the old folder name to ``path`` so existing pseudonyms stay valid.

    Nothing happens if ``path`` exists (on a case-insensitive file system the two names are
    one file) or there is no old key.
    """
    if path.exists() or not legacy.is_file():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(legacy, path)
        except OSError:  # another file system: copy, keeping the old key in place
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(legacy.read_bytes())
    except FileExistsError:
        return  # another process adopted it first
    except OSError as exc:
        raise OSError(f"cannot move the de-identification key file {legacy} to {path}: "
                      f"{exc.strerror or exc}") from exc


def installation_key(path: Path | None = None) -> bytes:
    """Load, or create on first use, this installation's 32-byte de-identification key.

    Parameters
    ----------
    path : Path, optional
        Key file; default ``<platformdirs user data dir>/twinviewer/deidentification.key``.
        A key left by earlier versions under ``.../TwinViewer/`` is moved there first, so
        the installation keeps its pseudonyms. A new file is created with mode 0600 (owner
        read/write only).

    Returns
    -------
    bytes
        32 random bytes, the same on every call for the same file.

    Raises
    ------
    ValueError
        If the file exists but does not hold exactly 32 bytes.
    OSError
        If the file cannot be read or created (message names the path).
    """
    if path is None:
        path = _default_key_path()
        _adopt_legacy_key(path, _legacy_key_path())
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = _read_key(path) if path.exists() else _create_key(path)
    except OSError as exc:
        raise OSError(f"cannot read or create the de-identification key file {path}: "
                      f"{exc.strerror or exc}") from exc
    if len(data) != KEY_BYTES:
        raise ValueError(f"de-identification key file {path} holds {len(data)} bytes, expected "
                         f"{KEY_BYTES}; delete it to create a new key (pseudonyms will change)")
    return data


def _create_key(path: Path) -> bytes:
    """A new key written whole to a private temporary file, then linked to ``path``: another
    process (the file-writer helper, a second window) never reads a half-written key; if it
    created the key first, its key is the one kept."""
    data = secrets.token_bytes(KEY_BYTES)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
            return data
        except FileExistsError:
            return _read_key(path)
        except OSError:  # no hard links here: exclusive create, the reader waits for it
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return _read_key(path)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            return data
    finally:
        tmp.unlink(missing_ok=True)


def _read_key(path: Path) -> bytes:
    """The key in ``path``; a file still short is re-read for up to 1 s (its creator is
    writing it where hard links are not available)."""
    deadline = time.monotonic() + 1.0
    while True:
        data = path.read_bytes()
        if len(data) >= KEY_BYTES or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    if os.name == "posix" and path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)  # a key readable by others is tightened, not trusted less
    return data


def _variants(identifier: str) -> set[str]:
    text = identifier.strip()
    out = {text} if len(text) >= 3 else set()
    if "^" in text or "=" in text:
        parts = [p.strip() for p in re.split(r"[\^=]", text) if p.strip()]
        out.add(" ".join(parts))
        out.add(" ".join(reversed(parts[:2])))
        out.add("_".join(parts[:2]))  # folder and file names: DOE_JANE_001.dcm
        out.update(p for p in parts if len(p) >= 3)
    if re.fullmatch(r"\d{8}", text):  # a DICOM date also as written in text
        out.update({f"{text[:4]}-{text[4:6]}-{text[6:]}", f"{text[6:]}.{text[4:6]}.{text[:4]}",
                    f"{text[6:]}/{text[4:6]}/{text[:4]}"})
    return {v for v in out if len(v) >= 3}


@functools.lru_cache(maxsize=256)
def _pattern(variants: frozenset[str]) -> re.Pattern[str]:
    """One regex of whole-token alternatives, longest first.

    A token may not continue a word: single words (a name component such as 'Doe' or
    'Toshiba') need a regex word boundary on both sides, so 'does' and 'TOSHIBA_MEC' stay;
    multi-part values (full names, IDs, dates) need no letter or digit on either side, so
    the name in a file name 'DOE_JANE_001.dcm' is found.
    """
    parts = []
    for v in sorted(variants, key=len, reverse=True):
        e = re.escape(v)
        if re.fullmatch(r"[^\W_]+", v) and not v.isdigit():  # one word: regex \b
            parts.append(rf"\b{e}\b")
        else:
            parts.append(rf"(?<![A-Za-z0-9]){e}(?![A-Za-z0-9])")
    return re.compile("|".join(parts), re.IGNORECASE)


def identifiers_in(text: str, identifiers: Iterable[str]) -> list[str]:
    """The identifying values found in ``text`` as whole tokens (as written in ``text``).

    For clinician text, which is never rewritten: the caller tells the user what to edit.

    Examples
    --------
    >>> identifiers_in("Patient does not tolerate beta blockers", ["DOE^PETER"])
    []
    >>> identifiers_in("Discussed with Mr Doe", ["DOE^PETER"])
    ['Doe']
    """
    variants: set[str] = set()
    for ident in identifiers:
        if ident is not None:
            variants |= _variants(str(ident))
    if not variants or not text:
        return []
    return [m.group(0) for m in _pattern(frozenset(variants)).finditer(text)]


def redact(text: str, identifiers: Iterable[str]) -> str:
    """Replace every whole-token occurrence of known identifying values by ``'[redacted]'``.

    Matching ignores case and respects word boundaries (see :func:`_pattern`): 'Doe' is
    redacted, 'does' and 'Doer' are not; 'TOSHIBA_MEC' keeps a patient 'Toshiba' out of the
    manufacturer. Person names (``'DOE^JANE'``) are also matched as ``'DOE JANE'``, ``'JANE
    DOE'``, ``'DOE_JANE'`` and by each component of 3 or more characters; 8-digit dates also
    as ``YYYY-MM-DD``, ``DD.MM.YYYY`` and ``DD/MM/YYYY``. Values shorter than 3 characters are
    ignored. Use it on values the application inserts (file names, DICOM descriptors, log
    arguments), never on the clinician's own text (see :func:`identifiers_in`).

    Examples
    --------
    >>> redact("Cannot read study of Jane Doe (DEMO-12345)", ["DOE^JANE", "DEMO-12345"])
    'Cannot read study of [redacted] ([redacted])'
    >>> redact("No caution does not mean all is well", ["DOE^PETER"])
    'No caution does not mean all is well'
    """
    variants: set[str] = set()
    for ident in identifiers:
        if ident is not None:
            variants |= _variants(str(ident))
    if not variants or not text:
        return text
    return _pattern(frozenset(variants)).sub(_REDACTION, text)


_DATE_IN_TEXT = re.compile(r"(?<!\d)(?:(?:19|20)\d{2}[-./]?[01]\d[-./]?[0-3]\d|"
                           r"[0-3]?\d[./][01]?\d[./](?:19|20)\d{2})(?!\d)")
_NUMBER_ID = re.compile(r"(?<![\w.])\d{6,}(?![\w.])")
_TITLED_NAME = re.compile(r"\b(?:Dr|Prof|Mr|Mrs|Ms)\.?\s+[A-Z][\w'-]+")  # not 'MR angio'


def clean_descriptor(text: str, identifiers: Iterable[str]) -> str:
    """Clean Descriptors (PS3.15 option 113105) for a study/series/protocol description.

    Known identifiers are redacted as whole tokens; so are dates, numbers of 6 or more
    digits (accession and record numbers) and titled names ('Dr Smith'), which the dataset
    may not list anywhere else. Clinical words ('Cardiac CTA 0-90%') stay.

    Examples
    --------
    >>> clean_descriptor("CTA heart Dr Smith 2024-03-15 acc 12345678", [])
    'CTA heart [redacted] [redacted] acc [redacted]'
    """
    text = redact(text, identifiers)
    for pattern in (_TITLED_NAME, _DATE_IN_TEXT, _NUMBER_ID):
        text = pattern.sub(_REDACTION, text)
    return text


def _date_offset_days(patient_key: str, key: bytes) -> int:
    """Keyed per-patient shift: 365–4014 days into the past."""
    return 365 + int.from_bytes(_mac(key, "date", patient_key)[:4], "big") % 3650


def _shift_date(value: str, days: int) -> str:
    try:
        date = _dt.datetime.strptime(value.strip()[:8], "%Y%m%d").date()
    except ValueError:
        return ""  # ranges, partial or malformed dates: remove rather than guess
    return (date - _dt.timedelta(days=days)).strftime("%Y%m%d")


def _identifiers_of(ds: Dataset) -> set[str]:
    """Every string value in ``ds`` that de-identification removes or replaces."""
    found: set[str] = set()

    def collect(_: Dataset, elem: DataElement) -> None:
        if elem.VR == "SQ" or elem.value is None:
            return
        if (elem.keyword in IDENTIFYING_KEYWORDS or elem.VR in ("PN", "DA", "DT", "AE")
                or elem.tag.is_private):
            values = elem.value if isinstance(elem.value, pydicom.multival.MultiValue) else [
                elem.value]
            for v in values:
                if isinstance(v, str | pydicom.valuerep.PersonName):
                    found.add(str(v))

    ds.walk(collect)
    return {v for v in found if v.strip()}


def _patient_source(ds: Dataset) -> str:
    for keyword in ("PatientID", "PatientName"):
        value = str(ds.get(keyword, "") or "").strip()
        if value:
            return value
    # No patient identity at all: the study is the finest unit we can keep together.
    return "study:" + str(ds.get("StudyInstanceUID", "unknown"))


_CLOCK_TAGS = (("SeriesDate", "SeriesTime"), ("AcquisitionDate", "AcquisitionTime"),
               ("ContentDate", "ContentTime"))


def acquisition_clock(ds: Dataset, key: bytes) -> float | None:
    """When a series was acquired, in seconds on a keyed per-patient clock: only the order
    and the intervals between one patient's series survive (never the date or the time of
    day), so repeated acquisitions of one slice can be told apart.

    From SeriesDate/SeriesTime, else AcquisitionDate/AcquisitionTime, else
    ContentDate/ContentTime (StudyDate when the pair has no date); None when no time is
    given. The clock is shifted back by the patient's date shift plus a keyed fraction of a
    day; the value is compared, never shown or written.

    Examples
    --------
    >>> from pydicom import Dataset
    >>> a, b = Dataset(), Dataset()
    >>> a.PatientID = b.PatientID = "12345"
    >>> a.SeriesDate = b.SeriesDate = "20240315"
    >>> a.SeriesTime, b.SeriesTime = "101500", "103000.5"
    >>> acquisition_clock(b, b"k" * 32) - acquisition_clock(a, b"k" * 32)
    900.5
    """
    for date_kw, time_kw in _CLOCK_TAGS:
        time = str(ds.get(time_kw, "") or "").strip()
        date = str(ds.get(date_kw, "") or ds.get("StudyDate", "") or "").strip()
        if not time:
            continue
        try:
            hms = time.replace(":", "")
            seconds = (int(hms[0:2]) * 3600 + int(hms[2:4] or 0) * 60
                       + float(hms[4:] or 0))
            day = (_dt.date.fromisoformat(f"{date[:4]}-{date[4:6]}-{date[6:8]}").toordinal()
                   if len(date) >= 8 else 0)
        except ValueError:
            continue
        source = _patient_source(ds)
        shift = _date_offset_days(source, _check_key(key)) * 86400.0 + (
            int.from_bytes(_mac(key, "clock", source)[:4], "big") % 86400)
        return day * 86400.0 + seconds - shift
    return None


def _is_registered_uid(keyword: str, value: str) -> bool:
    return value in UID_dictionary or keyword.endswith(
        ("ClassUID", "TransferSyntaxUID", "CodingSchemeUID"))


def deidentify(ds: Dataset, key: bytes) -> Dataset:
    """A de-identified copy of a DICOM dataset (the input is not changed).

    Parameters
    ----------
    ds : pydicom.Dataset
        Any DICOM dataset (CT, SEG, ...), with or without file meta.
    key : bytes
        Secret of at least 16 bytes (:func:`installation_key`); the same key gives the same
        pseudonym, UIDs and date shift, so the files of one study stay consistent.

    Returns
    -------
    pydicom.Dataset
        Copy with PatientName = PatientID = pseudonym, identifying elements removed or emptied,
        UIDs remapped, dates shifted, private tags removed, PatientIdentityRemoved ``'YES'``
        and DeidentificationMethod(CodeSequence) set. See the module docstring for the rules.

    Examples
    --------
    >>> from pydicom import Dataset
    >>> ds = Dataset()
    >>> ds.PatientName, ds.PatientID, ds.StudyDate = "DOE^JANE", "12345", "20240315"
    >>> out = deidentify(ds, b"k" * 32)
    >>> str(out.PatientName) == out.PatientID == pseudonym("12345", b"k" * 32)
    True
    >>> out.PatientIdentityRemoved, out.StudyDate != "20240315"
    ('YES', True)
    """
    key = _check_key(key)
    if not isinstance(ds, Dataset):
        raise TypeError(f"deidentify expects a pydicom Dataset, got {type(ds).__name__}")
    out = copy.deepcopy(ds)
    source = _patient_source(ds)
    alias = pseudonym(source, key)
    days = _date_offset_days(source, key)
    identifiers = _identifiers_of(ds)
    if getattr(ds, "file_meta", None) is not None:
        identifiers |= _identifiers_of(ds.file_meta)
    register_identifiers(identifiers)  # so every writer redacts them, as a second line

    def clean(dataset: Dataset, elem: DataElement) -> None:
        tag, vr, keyword = elem.tag, elem.VR, elem.keyword
        if tag.is_private or (tag.group & 0xFF00) in (0x5000, 0x6000):  # overlays, curves
            del dataset[tag]
        elif keyword in _PSEUDONYMISED:
            elem.value = alias
        elif keyword in _EMPTIED or vr == "PN":
            elem.value = ""
        elif keyword in _REMOVED or vr in ("AE", "UN") or (
                vr in _FREE_TEXT_VRS and keyword not in _KEPT_TEXT):
            del dataset[tag]
        elif elem.value in (None, "") or vr == "SQ":
            return
        elif vr == "UI":
            values = elem.value if elem.VM > 1 else [elem.value]
            mapped = [v if _is_registered_uid(keyword, str(v)) else _new_uid(str(v).strip(), key)
                      for v in values]
            elem.value = mapped if elem.VM > 1 else mapped[0]
        elif vr == "DA":
            values = elem.value if elem.VM > 1 else [elem.value]
            shifted = [_shift_date(str(v), days) for v in values]
            elem.value = shifted if elem.VM > 1 else shifted[0]
        elif vr == "DT":
            date = _shift_date(str(elem.value), days)
            elem.value = date + "000000" if date else ""
        elif vr == "TM":
            elem.value = "000000"
        elif vr == "AS":
            elem.value = _cap_age(str(elem.value))
        elif keyword in _DESCRIPTORS and isinstance(elem.value, str):
            elem.value = clean_descriptor(elem.value, identifiers)
        elif vr in _REDACTED_VRS:
            if elem.VM > 1:
                elem.value = [redact(str(v), identifiers) for v in elem.value]
            else:
                elem.value = redact(str(elem.value), identifiers)

    out.walk(clean)
    if getattr(out, "file_meta", None) is not None:
        out.file_meta.walk(clean)
    out.PatientName = out.PatientID = alias  # Type 2: always present, now the pseudonym
    out.PatientIdentityRemoved = "YES"
    out.DeidentificationMethod = METHOD
    codes = sr_codes()  # a large table: loaded when first needed

    out.DeidentificationMethodCodeSequence = [_code_item(c) for c in (
        codes.DCM.BasicApplicationConfidentialityProfile,
        codes.DCM.RetainPatientCharacteristicsOption,
        codes.DCM.RetainLongitudinalTemporalInformationModifiedDatesOption,
        codes.DCM.CleanDescriptorsOption)]
    out.LongitudinalTemporalInformationModified = "MODIFIED"
    return out


def _cap_age(age: str) -> str:
    match = re.fullmatch(r"(\d{3})([DWMY])", age.strip())
    if match is None:
        return ""
    if match.group(2) == "Y" and int(match.group(1)) >= 90:
        return "090Y"  # ages of 90 and over identify (HIPAA Safe Harbor)
    return age.strip()


def _code_item(code) -> Dataset:
    item = Dataset()
    item.CodeValue = code.value
    item.CodingSchemeDesignator = code.scheme_designator
    item.CodeMeaning = code.meaning
    return item
