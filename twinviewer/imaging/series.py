"""Scan a folder of mixed files and group the DICOM objects into studies and series.

Nothing identifying leaves the function that reads a file: a header yields its geometry,
UIDs remapped by :func:`twinviewer.imaging.deid.new_uid`, and the patient and description
elements passed through :func:`twinviewer.imaging.deid.deidentify` (pseudonym, redacted
description). Whole datasets are de-identified by :func:`read_dicom`.
"""

from __future__ import annotations

import functools
import hashlib
import math
import mmap
import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from twinviewer.imaging.dicom_stack import UID, Dataset, InvalidDicomError, pydicom
from twinviewer.imaging.errors import (
    ImagingError,
    bounded,
    private_warnings,
    safe_detail,
    shown,
)

SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
#: Header-derived limits, checked before any pixel buffer is allocated.
MAX_SIDE = 8192  # rows or columns of one frame
MAX_FRAMES = 8192  # frames of one multi-frame file
MAX_FILE_PIXEL_BYTES = 2 * 1024**3  # rows × cols × frames × bytes per pixel of one file
MAX_SPACING_MM = 1000.0  # a pixel wider than a metre is not a medical image
MAX_ABS_RESCALE = 1e6  # |RescaleSlope| and |RescaleIntercept|
SUPPORTED = ("supported: CT, MR and PET greyscale images with patient geometry "
             "(ImagePositionPatient, ImageOrientationPatient, PixelSpacing), classic or "
             "enhanced multi-frame, and DICOM SEG")
Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]


def n_workers() -> int:
    """Threads for file reading: I/O and zlib/JPEG decoders release the GIL."""
    return min(8, (os.cpu_count() or 2) * 2)


@dataclass
class FrameRef:
    """Geometry and timing of one 2D frame (a single-frame file or one frame of a multi-frame).

    Positions are patient LPS mm; ``orientation`` is ImageOrientationPatient (row then column
    direction cosines); ``pixel_spacing`` is (between rows, between columns) mm.
    """

    path: Path
    frame: int | None
    sop_uid: str
    position: np.ndarray
    orientation: np.ndarray
    pixel_spacing: tuple[float, float]
    rows: int
    cols: int
    slope: float = 1.0
    intercept: float = 0.0
    trigger_ms: float = math.nan
    temporal_id: float = math.nan
    nominal_pct: float = math.nan
    bits_stored: int = 16
    signed: bool = True
    bits_allocated: int = 16
    float_pixels: bool = False


@dataclass
class SeriesInfo:
    """One DICOM series as found on disk (UIDs are the de-identified ones)."""

    study_uid: str
    series_uid: str
    modality: str
    description: str
    kind: str  # 'image' or 'seg'
    files: list[Path] = field(default_factory=list)
    frames: list[FrameRef] = field(default_factory=list)
    slice_thickness_mm: float | None = None
    nominal_interval_ms: float | None = None
    patient: str = ""  # the pseudonym deid put in PatientID
    referenced_series: set[str] = field(default_factory=set)  # for a SEG
    note: str = ""
    root: Path | None = None  # the chosen folder: a file's tag in messages is keyed below it
    burned_in: bool = False  # kept although BurnedInAnnotation = YES (explicit option)
    damaged: list[str] = field(default_factory=list)  # notes on its files that were skipped
    series_number: int | None = None  # SeriesNumber (not identifying)
    no_thickness: int = 0  # files of the series without a usable SliceThickness
    # when acquired, seconds on a keyed per-patient clock (deid.acquisition_clock): for the
    # order of repeated acquisitions only, never shown
    acquired_s: float | None = None

    def where(self, path: Path) -> str:
        """``path`` as messages show it: a tag, no folder or file name (:func:`shown`)."""
        return shown(path, self.root)

    @property
    def n_phases(self) -> int:
        """Number of cardiac phases (distinct timing keys among the frames)."""
        return len({phase_key(f) for f in self.frames}) if self.frames else 0

    @property
    def shape(self) -> tuple[int, int, int]:
        """(slices per phase, rows, columns) — approximate until the volume is built."""
        if not self.frames:
            return (0, 0, 0)
        n = len(self.frames) // max(self.n_phases, 1)
        return (n, self.frames[0].rows, self.frames[0].cols)

    def summary(self) -> str:
        """One line for listings, e.g. ``'CT  "Cardiac 0-90%"  2 phases × 90 × 160 × 160'``."""
        if self.kind == "seg":
            return f"SEG {self.description!r}  {len(self.files)} file(s)"
        z, y, x = self.shape
        mark = "  [BURNED-IN ANNOTATION: may show patient text]" if self.burned_in else ""
        return (f"{self.modality:<3} {self.description!r}  {self.n_phases} phase(s) × "
                f"{z} × {y} × {x}  ({len(self.files)} file(s)){mark}")


@dataclass
class FolderScan:
    """Result of :func:`scan_folder`: the series found and notes on everything skipped.

    ``objects`` keeps the readable DICOM objects that hold no image (RT Structure Sets,
    SR, …) by SOP Class UID, each with the note that says it was skipped, so a plugin reader
    claiming that SOP class can read them (:func:`twinviewer.imaging.study.import_study`).
    """

    series: list[SeriesInfo]
    notes: list[str]
    objects: dict[str, list[tuple[Path, str]]] = field(default_factory=dict)

    def images(self) -> list[SeriesInfo]:
        return [s for s in self.series if s.kind == "image"]

    def segs(self) -> list[SeriesInfo]:
        return [s for s in self.series if s.kind == "seg"]


class Skip(str):
    """A note on a skipped file, with the (de-identified) series UIDs it may belong to."""

    series: frozenset[str] = frozenset()
    sop_class: str = ""  # of a readable object that holds no image (a plugin may read it)
    path: Path | None = None

    @classmethod
    def of(cls, note: str, series: Iterable[str] = (), *, sop_class: str = "",
           path: Path | None = None) -> Skip:
        out = cls(note)
        out.series = frozenset(u for u in series if u)
        out.sop_class, out.path = sop_class, path
        return out


_UID_BYTES = re.compile(rb"[0-9]{1,20}(?:\.[0-9]{1,20}){3,40}")


def _uids_in(path: Path, key: bytes) -> set[str]:
    """De-identified forms of the UID-like strings in the first 64 kB of an unreadable file,
    so a damaged slice can still be matched to its series (nothing identifying is kept)."""
    from twinviewer.imaging.deid import new_uid

    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError:
        return set()
    return {new_uid(m.decode(), key) for m in set(_UID_BYTES.findall(head))}


def phase_key(f: FrameRef) -> tuple[float, float, float]:
    """Hashable timing key; NaN replaced so that frames without timing share one phase."""
    return tuple(-1.0 if math.isnan(v) else round(v, 3)
                 for v in (f.temporal_id, f.trigger_ms, f.nominal_pct))


def _float(ds: Dataset | None, keyword: str, default: float = math.nan) -> float:
    if ds is None:
        return default
    v = ds.get(keyword)
    if v is None or v == "":
        return default
    try:
        f = float(v)
    except (TypeError, ValueError, OverflowError):
        return default
    return f if math.isfinite(f) else default


def _first(seq_parent: Dataset | None, keyword: str) -> Dataset | None:
    if seq_parent is None or keyword not in seq_parent:
        return None
    seq = seq_parent.get(keyword)
    try:
        item = seq[0] if seq else None
    except (TypeError, IndexError, KeyError):
        return None
    return item if isinstance(item, Dataset) else None


def _group(ds: Dataset, per: Dataset | None, shared: Dataset | None, keyword: str
           ) -> Dataset | None:
    """A functional group macro, per-frame first, then shared."""
    return _first(per, keyword) or _first(shared, keyword)


def _vector(value, n: int, what: str) -> list[float]:
    """``n`` finite numbers from a DICOM multi-value, or ValueError naming ``what``."""
    try:
        v = [float(x) for x in value]
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{what} is not {n} numbers") from None
    if len(v) != n or not all(map(math.isfinite, v)):
        raise ValueError(f"{what} should be {n} finite numbers, found {len(v)} value(s)"
                         + ("" if len(v) != n else " with NaN or infinity"))
    return v


def _geometry(position, orientation, spacing, slope: float, intercept: float
              ) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """Validated geometry of one frame: finite position, orthonormal orientation, finite
    positive spacing, finite non-zero rescale (ValueError says which one is wrong).
    Plain floats: numpy's per-call overhead would dominate for 3-vectors."""
    pos = _vector(position, 3, "ImagePositionPatient")
    ori = _vector(orientation, 6, "ImageOrientationPatient")
    rx, ry, rz, cx, cy, cz = ori
    if not (abs(math.hypot(rx, ry, rz) - 1) < 1e-2 and abs(math.hypot(cx, cy, cz) - 1) < 1e-2
            and abs(rx * cx + ry * cy + rz * cz) < 1e-2):
        raise ValueError(f"ImageOrientationPatient {[round(v, 4) for v in ori]} is not two "
                         "orthonormal directions")
    ps = _vector(spacing, 2, "PixelSpacing")
    if not all(0 < v <= MAX_SPACING_MM for v in ps):
        raise ValueError(f"PixelSpacing {ps} mm should be positive and at most "
                         f"{MAX_SPACING_MM:g} mm")
    if not (slope != 0 and abs(slope) <= MAX_ABS_RESCALE and abs(intercept) <= MAX_ABS_RESCALE):
        raise ValueError(f"RescaleSlope {slope:g} / RescaleIntercept {intercept:g} should be "
                         f"finite, the slope non-zero, both within ±{MAX_ABS_RESCALE:g}")
    return np.array(pos), np.array(ori), (ps[0], ps[1])


def _rescale(ds: Dataset | None) -> tuple[float, float]:
    """Slope and intercept; a present but non-finite or malformed value is an error."""
    out = []
    for keyword, default in (("RescaleSlope", 1.0), ("RescaleIntercept", 0.0)):
        v = _float(ds, keyword, math.nan)
        if math.isnan(v):
            if ds is not None and ds.get(keyword) not in (None, ""):
                raise ValueError(f"{keyword} is not a finite number")
            v = default
        out.append(v)
    return out[0], out[1]


def check_pixel_header(ds: Dataset) -> tuple[int, int, int, int, bool, int, bool]:
    """Rows, columns, frames, bits stored, signedness, bits allocated and whether the pixels
    are floating point, from the header, within limits.

    Validates before anything is allocated: positive sizes up to :data:`MAX_SIDE` ×
    :data:`MAX_SIDE` × :data:`MAX_FRAMES` and :data:`MAX_FILE_PIXEL_BYTES`; greyscale
    (SamplesPerPixel 1); BitsAllocated 8, 16 or 32 (or float pixel data).

    Raises
    ------
    ValueError
        Saying which attribute is missing or out of range.
    """
    def whole(keyword: str, default: int | None = None) -> int:
        v = ds.get(keyword, default)
        if v is None or v == "":
            if default is None:
                raise ValueError(f"{keyword} is missing")
            return default
        try:
            i = int(v)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{keyword} is not a whole number") from None
        return i

    rows, cols = whole("Rows"), whole("Columns")
    frames = whole("NumberOfFrames", 1) or 1
    if not (1 <= rows <= MAX_SIDE and 1 <= cols <= MAX_SIDE):
        raise ValueError(f"Rows × Columns {rows} × {cols} outside 1–{MAX_SIDE}")
    if not 1 <= frames <= MAX_FRAMES:
        raise ValueError(f"NumberOfFrames {frames} outside 1–{MAX_FRAMES}")
    spp = whole("SamplesPerPixel", 1)
    if spp != 1:
        raise ValueError(f"SamplesPerPixel {spp}: colour images are not supported "
                         "(greyscale CT/MR/PET only)")
    floats = "FloatPixelData" in ds or "DoubleFloatPixelData" in ds
    bits = 64 if "DoubleFloatPixelData" in ds else whole("BitsAllocated", 16)
    if bits not in (8, 16, 32, 64) or (bits == 64 and not floats):
        raise ValueError(f"BitsAllocated {bits} is not supported (8, 16 or 32)")
    stored = whole("BitsStored", bits)
    if not 1 <= stored <= bits:
        raise ValueError(f"BitsStored {stored} outside 1–{bits}")
    if rows * cols * frames * bits // 8 > MAX_FILE_PIXEL_BYTES:
        raise ValueError(f"{rows} × {cols} × {frames} pixels of {bits} bits exceed the "
                         f"{MAX_FILE_PIXEL_BYTES // 1024**3} GiB limit per file")
    signed = whole("PixelRepresentation", 0)
    if signed not in (0, 1):
        raise ValueError(f"PixelRepresentation {signed} should be 0 or 1")
    return rows, cols, frames, stored, bool(signed) or floats, bits, floats


def frames_of(ds: Dataset, path: Path, sop: str | None = None, *,
              root: Path | None = None) -> list[FrameRef]:
    """Frame geometry records of one dataset; classic or enhanced multi-frame.

    ``sop`` is the (remapped) SOP Instance UID to record; default the dataset's own. Every
    frame's geometry is validated (finite position, orthonormal orientation, finite positive
    spacing, finite rescale) and the pixel header checked against the size limits, before
    any pixel is read.

    Raises
    ------
    ImagingError
        If a geometry attribute is missing or malformed, naming the file (relative to
        ``root``) and the attribute.
    """
    sop = str(ds.get("SOPInstanceUID", "")) if sop is None else sop
    try:
        rows, cols, n_frames, bits, signed, alloc, floats = check_pixel_header(ds)
        if "PerFrameFunctionalGroupsSequence" in ds:
            shared = _first(ds, "SharedFunctionalGroupsSequence")
            per_frame = ds.PerFrameFunctionalGroupsSequence
            if len(per_frame) != n_frames:
                raise ValueError(f"{len(per_frame)} per-frame functional groups for "
                                 f"NumberOfFrames {n_frames}")
            out = []
            for n, per in enumerate(per_frame):
                pos = _group(ds, per, shared, "PlanePositionSequence")
                ori = _group(ds, per, shared, "PlaneOrientationSequence")
                pix = _group(ds, per, shared, "PixelMeasuresSequence")
                pvt = _group(ds, per, shared, "PixelValueTransformationSequence")
                car = _group(ds, per, shared, "CardiacSynchronizationSequence")
                fc = _first(per, "FrameContentSequence")
                if pos is None or ori is None or pix is None:
                    raise ValueError(
                        f"frame {n + 1} has no patient geometry (PlanePositionSequence, "
                        "PlaneOrientationSequence, PixelMeasuresSequence)")
                slope, intercept = _rescale(pvt)
                p, o, sp = _geometry(pos.get("ImagePositionPatient"),
                                     ori.get("ImageOrientationPatient"),
                                     pix.get("PixelSpacing"), slope, intercept)
                out.append(FrameRef(
                    path, n, sop, p, o, sp, rows, cols, slope, intercept,
                    _float(car, "NominalCardiacTriggerDelayTime"),
                    _float(fc, "TemporalPositionIndex"),
                    _float(car, "NominalPercentageOfCardiacPhase"), bits, signed, alloc,
                    floats))
            return out
        if n_frames != 1:
            raise ValueError(f"NumberOfFrames {n_frames} without per-frame geometry "
                             "(PerFrameFunctionalGroupsSequence)")
        slope, intercept = _rescale(ds)
        p, o, sp = _geometry(ds.get("ImagePositionPatient"), ds.get("ImageOrientationPatient"),
                             ds.get("PixelSpacing"), slope, intercept)
        return [FrameRef(
            path, None, sop, p, o, sp, rows, cols, slope, intercept,
            _float(ds, "TriggerTime"), _float(ds, "TemporalPositionIdentifier"),
            _float(ds, "NominalPercentageOfCardiacPhase", _float(ds, "CardiacPhase")),
            bits, signed, alloc, floats)]
    except ImagingError:
        raise
    except Exception as exc:  # noqa: BLE001 - pydicom raises many kinds on malformed values
        raise ImagingError(f"{shown(path, root)}: missing or malformed image geometry or "
                           f"pixel header ({safe_detail(exc)})") from None


def refuse_non_dicom(path: Path) -> None:
    """Raise :class:`ImagingError` if the file a user chose is not DICOM (its header is
    read and dropped; nothing is kept), naming it by :func:`shown`.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "scan.dcm"
    >>> _ = f.write_bytes(b"\\xff\\xd8\\xff\\xe0 a JPEG")
    >>> try:
    ...     refuse_non_dicom(f)
    ... except ImagingError as e:
    ...     print(str(e).split(": ", 1)[1])
    not a DICOM file
    """
    private_warnings()
    try:
        with bounded(path) as fh:
            pydicom.dcmread(fh, stop_before_pixels=True)
    except InvalidDicomError:
        raise ImagingError(f"{shown(path, None)}: not a DICOM file") from None
    except Exception as exc:  # noqa: BLE001 - pydicom/zlib/struct errors on damaged files
        raise ImagingError(f"{shown(path, None)}: unreadable or truncated DICOM "
                           f"({safe_detail(exc)})") from None


def read_dicom(path: Path, key: bytes, *, pixels: bool, root: Path | None = None) -> Dataset:
    """Read and de-identify one file; the identified dataset never leaves this function.

    Raises
    ------
    ImagingError
        Naming the file (relative to ``root``): not DICOM, truncated or unreadable.
    """
    from twinviewer.imaging.deid import deidentify

    private_warnings()
    try:
        with bounded(path) as fh:
            raw = pydicom.dcmread(fh, stop_before_pixels=not pixels)
    except InvalidDicomError as exc:
        raise ImagingError(f"{shown(path, root)}: not a DICOM file") from exc
    except Exception as exc:  # noqa: BLE001 - pydicom/zlib/struct errors on damaged files
        raise ImagingError(f"{shown(path, root)}: unreadable or truncated DICOM "
                           f"({safe_detail(exc)})") from None
    try:
        return deidentify(raw, key)
    except Exception as exc:  # noqa: BLE001 - a malformed value met while de-identifying
        raise ImagingError(f"{shown(path, root)}: malformed DICOM header, cannot be "
                           f"de-identified ({type(exc).__name__})") from None
    finally:
        del raw


# Patient-module and descriptive elements de-identified per file (small: fast to walk).
_IDENTITY_GROUPS = (0x0010,)
_DESCRIPTIVE = ("SeriesDescription", "StudyDescription", "ProtocolName", "StudyInstanceUID",
                "PatientIdentityRemoved")
_DESCRIPTIVE_TAGS = frozenset(pydicom.datadict.tag_for_keyword(k) for k in _DESCRIPTIVE)
_IDENT_CACHE: dict[bytes, tuple[str, str]] = {}
# Any of these makes an object an image (perhaps a damaged one); pixels are not read here.
_IMAGE_ATTRIBUTES = ("Rows", "Columns", "BitsAllocated", "ImagePositionPatient",
                     "ImageOrientationPatient", "PixelSpacing")


@functools.cache
def _identifying_tags() -> frozenset:
    """Identifying elements outside the patient module that a series' files share
    (institution, physicians, station, accession, ...): de-identified with the patient
    module, so every value is registered for redaction (:mod:`twinviewer.core.privacy`)
    and a description naming the hospital or the referrer is cleaned. Dates, times and
    sequences are left to :func:`read_dicom` (they differ per file: the cache would miss)."""
    from twinviewer.imaging.deid import IDENTIFYING_KEYWORDS

    tags = (pydicom.datadict.tag_for_keyword(k) for k in IDENTIFYING_KEYWORDS
            if not k.endswith(("Sequence", "Date", "Time", "DateTime")))
    return frozenset(t for t in tags if t is not None)


def _header(path: Path, key: bytes, root: Path | None = None,
            keep_burned_in: bool = False) -> SeriesInfo | Skip:
    """One file's header as a one-file SeriesInfo, or a note saying why it was skipped."""
    where = shown(path, root)
    try:
        rec = _header_unchecked(path, key, root, keep_burned_in)
    except ImagingError as exc:
        return Skip.of(f"skipped {exc}", _uids_in(path, key))
    except Exception as exc:  # noqa: BLE001 - one bad file is a note, never an abort
        return Skip.of(f"skipped {where}: malformed DICOM header ({safe_detail(exc)})",
                       _uids_in(path, key))
    if isinstance(rec, Skip) and rec.series == {"?"}:  # unreadable: look for its series
        return Skip.of(rec, _uids_in(path, key))
    return rec


def _header_unchecked(path: Path, key: bytes, root: Path | None,
                      keep_burned_in: bool) -> SeriesInfo | str:
    from twinviewer.imaging.deid import acquisition_clock, deidentify, new_uid

    where = shown(path, root)
    try:
        with bounded(path) as fh:
            raw = pydicom.dcmread(fh, stop_before_pixels=True)
            after_header = len(fh) if isinstance(fh, mmap.mmap) else 0
            after_header -= fh.tell()  # bytes left where the pixel data begin
    except InvalidDicomError:
        return Skip.of(f"skipped {where}: not a DICOM file")
    except Exception as exc:  # noqa: BLE001 - pydicom/zlib/struct errors on damaged files
        return Skip.of(f"skipped {where}: unreadable or truncated DICOM ({safe_detail(exc)})",
                       {"?"})

    def own_series() -> set[str]:
        value = raw.get("SeriesInstanceUID")
        return {new_uid(str(value), key)} if value else {"?"}

    kind = _kind(raw)
    if kind is None:
        # An image-like object without geometry is a damaged slice of its series; one without
        # even a SOP class (a body read in the wrong transfer syntax, say) may be any file's:
        # look for its series UID in the bytes. A complete non-image object (SR, KO, PR)
        # damages nothing, even if it references the series.
        image_like = any(k in raw for k in _IMAGE_ATTRIBUTES)
        series = own_series() if image_like else {"?"} if "SOPClassUID" not in raw else ()
        sop = "" if image_like else str(raw.get("SOPClassUID", "") or "")
        return Skip.of(f"skipped {where}: {_why_not(raw)}", series, sop_class=sop, path=path)
    if kind == "image" and "LOCALIZER" in [str(v).upper() for v in raw.get("ImageType", [])]:
        return Skip.of(f"skipped {where}: localizer image")
    if kind == "image" and (short := _pixels_short(raw, after_header)):
        return Skip.of(f"skipped {where}: {short}", own_series(), path=path)
    burned = str(raw.get("BurnedInAnnotation", "") or "").strip().upper() == "YES"
    if burned and kind == "image" and not keep_burned_in:
        return Skip.of(f"skipped {where}: BurnedInAnnotation is YES (patient text may be "
                       "burned into the pixels, which de-identification cannot remove); "
                       "choose 'keep images with burned-in annotation' to import it, marked "
                       "as such", own_series())
    ident = Dataset()
    identifying = _identifying_tags()
    for tag in raw.keys():  # tags only: values are converted just for the few kept
        if tag.group in _IDENTITY_GROUPS or tag in _DESCRIPTIVE_TAGS or tag in identifying:
            ident.add(raw[tag])
    # The files of a series share these elements: de-identify once per distinct content,
    # cached under a keyed hash (the cache holds no identifier).
    digest = hashlib.blake2b(repr([(e.tag, e.value) for e in ident]).encode(),
                             key=key[:64], digest_size=16).digest()
    cached = _IDENT_CACHE.get(digest)
    if cached is None:
        clean = deidentify(ident, key)
        cached = _IDENT_CACHE[digest] = (str(clean.get("SeriesDescription", "")),
                                         str(clean.get("PatientID", "")))
    description, patient = cached
    del ident

    def uid(keyword: str) -> str:
        value = raw.get(keyword)
        return new_uid(str(value), key) if value else ""

    rec = SeriesInfo(
        uid("StudyInstanceUID"), uid("SeriesInstanceUID"), str(raw.get("Modality", ""))[:16],
        description, kind, [path],
        slice_thickness_mm=_positive(_float(raw, "SliceThickness", None)),
        nominal_interval_ms=_positive(_float(raw, "NominalInterval", None)),
        patient=patient, root=root, burned_in=burned,
        series_number=_whole(raw.get("SeriesNumber")), acquired_s=acquisition_clock(raw, key),
        referenced_series={new_uid(str(r.SeriesInstanceUID), key)
                           for r in (raw.get("ReferencedSeriesSequence") or [])
                           if isinstance(r, Dataset) and r.get("SeriesInstanceUID")})
    if kind == "image":
        if not rec.series_uid:
            return f"skipped {where}: image without SeriesInstanceUID"
        try:
            rec.frames = frames_of(raw, path, uid("SOPInstanceUID"), root=root)
        except ImagingError as exc:
            return Skip.of(f"skipped {exc}", {rec.series_uid})
    return rec


def _pixels_short(ds: Dataset, left: int) -> str:
    """Why the pixel data of an image whose header ends ``left`` bytes before the end of its
    file cannot be whole ('' if they can): a file cut short (a copy or transfer that stopped)
    keeps an intact header, so only the bytes left tell.

    >>> ds = Dataset(); ds.Rows, ds.Columns, ds.BitsAllocated = 80, 80, 16
    >>> _pixels_short(ds, 848).split(":")[0], _pixels_short(ds, 848).endswith("need 12800")
    ('pixel data truncated', True)
    >>> _pixels_short(ds, 12812), _pixels_short(ds, 0)
    ('', 'no pixel data: the file ends after the header')
    """
    if left <= 0:
        return "no pixel data: the file ends after the header"
    meta = getattr(ds, "file_meta", None)
    ts = meta.get("TransferSyntaxUID") if meta is not None else None
    if ts is not None and (not ts.is_transfer_syntax or ts.is_encapsulated):
        return ""  # compressed: the length is not known before decoding
    try:
        frames = max(int(ds.get("NumberOfFrames", 1) or 1), 1)
        need = int(ds.Rows) * int(ds.Columns) * frames * int(ds.BitsAllocated) // 8
    except (AttributeError, TypeError, ValueError):
        return ""  # the volume builder names a header it cannot use
    if left < need:
        return (f"pixel data truncated: the file ends {left} bytes after the header, "
                f"Rows × Columns × frames × bits need {need}")
    return ""


def _whole(v) -> int | None:
    try:
        return int(v) if v not in (None, "") else None
    except (TypeError, ValueError, OverflowError):
        return None


def _positive(v: float | None) -> float | None:
    return v if v is not None and math.isfinite(v) and v > 0 else None


def _kind(ds: Dataset) -> str | None:
    if ds.get("Modality") == "SEG" or str(ds.get("SOPClassUID", "")) == SEG_SOP_CLASS:
        return "seg"
    if "Rows" in ds and ("ImagePositionPatient" in ds
                         or "PerFrameFunctionalGroupsSequence" in ds):
        return "image"
    return None


def _why_not(ds: Dataset) -> str:
    """Why a readable DICOM object is not imported: what is missing, and what is supported."""
    uid = ds.get("SOPClassUID")
    try:
        name = UID(str(uid)).name if uid else ""
    except Exception:  # noqa: BLE001 - a malformed UID value
        name = ""
    if not uid and "Rows" not in ds:
        return ("header incomplete: no SOPClassUID and no image attributes (Rows, "
                "Columns); the file is truncated or is not an image. " + SUPPORTED)
    if "Rows" in ds or "PixelData" in ds:
        what = name or "image"
        return (f"{what} without patient geometry (no ImagePositionPatient or per-frame "
                "PlanePositionSequence), so it cannot be placed in the patient; " + SUPPORTED)
    return f"{name or 'object'} holds no image (no Rows, Columns, PixelData); {SUPPORTED}"


# Handled by the segmentation readers, not DICOM: not reported as skipped.
OTHER_SUFFIXES = (".nii", ".nii.gz", ".vtp", ".vtk", ".stl", ".obj", ".ply", ".json")


def iter_files(root: Path) -> list[Path]:
    """All regular files below ``root``, sorted, hidden files skipped.

    Symbolic links to folders are followed (studies are often linked in from a shared
    drive), each real folder once, so a link loop ends.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); (d / "a").mkdir(); (d / "b").mkdir()
    >>> _ = (d / "a" / "x.dcm").write_bytes(b"")
    >>> (d / "b" / "study").symlink_to(d / "a"); (d / "a" / "loop").symlink_to(d)
    >>> [p.relative_to(d).as_posix() for p in iter_files(d / "b")]
    ['b/study/x.dcm']
    >>> [p.relative_to(d).as_posix() for p in iter_files(d)]
    ['a/x.dcm']
    """
    out: list[Path] = []
    seen: set[str] = set()
    for folder, dirs, names in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:  # a link back up the tree (or a second link to one folder)
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        out.extend(Path(folder, n) for n in names
                   if not n.startswith(".") and os.path.isfile(os.path.join(folder, n)))
    return sorted(out)


def is_other(p: Path) -> bool:
    """True for label-map, mesh and mapping files that sit beside the DICOM."""
    return p.name.lower().endswith(OTHER_SUFFIXES)


def scan_folder(root: Path, key: bytes, *, progress: Progress | None = None,
                cancel: Cancel | None = None, keep_burned_in: bool = False,
                other_suffixes: tuple[str, ...] = ()) -> FolderScan:
    """Find every DICOM image and SEG series under ``root`` (recursively).

    Parameters
    ----------
    root : Path
        Folder (or one file).
    key : bytes
        De-identification key (see :func:`twinviewer.imaging.deid.installation_key`).
    progress, cancel : callable, optional
        ``progress(fraction, message)``; ``cancel()`` returning True stops with ImagingError.
    keep_burned_in : bool, default False
        Import images whose BurnedInAnnotation is YES (else skipped with a note); such
        series are marked (``SeriesInfo.burned_in``, shown in ``summary()``).
    other_suffixes : tuple of str
        More suffixes of files that are not DICOM and are read by other readers (plugin
        label maps), so not noted as skipped.

    Returns
    -------
    FolderScan
        Series sorted by study, modality and size; notes name every skipped file (by a
        tag and the series it belongs to or sits beside, never by name) and why. One bad
        file is a note, never an abort. The same instance found twice (same SOP Instance
        UID, e.g. in two transfer syntaxes) is used once.

    Raises
    ------
    ImagingError
        If ``root`` does not exist or holds no readable DICOM image.
    """
    private_warnings()
    root = Path(root)
    label = root.name if root.is_file() else "the chosen folder"
    if not root.exists():
        raise ImagingError(f"{label}: no such file or folder")
    files = [root] if root.is_file() else iter_files(root)
    if not files:
        raise ImagingError(f"{label}: folder is empty")
    others = tuple(s.lower() for s in other_suffixes if s.startswith("."))
    files = [p for p in files if not is_other(p) and not p.name.lower().endswith(others)]
    notes: list[str] = []
    series: dict[tuple[str, str], SeriesInfo] = {}
    seen: dict[tuple[str, str, int | None], Path] = {}
    duplicates: dict[tuple[str, str], int] = {}
    objects: dict[str, list[tuple[Path, str]]] = {}
    located: list[tuple[int, Path]] = []  # notes on skipped files: where, and which file

    with ThreadPoolExecutor(n_workers()) as pool:
        for n, rec in enumerate(pool.map(lambda p: _header(p, key, root, keep_burned_in),
                                         files)):
            if cancel is not None and cancel():
                raise ImagingError(f"{label}: import cancelled")
            if progress is not None and n % 32 == 0:
                progress(n / len(files), f"scanning {n}/{len(files)} files")
            if isinstance(rec, str):
                located.append((len(notes), files[n]))
                notes.append(rec)
                continue
            k = (rec.study_uid, rec.series_uid)
            if rec.note:
                notes.append(rec.note)
            frames = []
            for f in rec.frames:
                dup = (rec.series_uid, f.sop_uid, f.frame)
                if f.sop_uid and dup in seen:
                    duplicates[k] = duplicates.get(k, 0) + 1
                    continue
                seen[dup] = f.path
                frames.append(f)
            if rec.kind == "image" and not frames:
                continue
            s = series.get(k)
            if s is None:
                s = series[k] = SeriesInfo(
                    rec.study_uid, rec.series_uid, rec.modality, rec.description, rec.kind,
                    slice_thickness_mm=rec.slice_thickness_mm,
                    nominal_interval_ms=rec.nominal_interval_ms, patient=rec.patient,
                    root=root, burned_in=rec.burned_in, series_number=rec.series_number)
            s.burned_in |= rec.burned_in
            if s.series_number is None:
                s.series_number = rec.series_number
            if s.slice_thickness_mm is None:
                s.slice_thickness_mm = rec.slice_thickness_mm
            if rec.kind == "image" and rec.slice_thickness_mm is None:
                s.no_thickness += len(rec.files)
            if rec.acquired_s is not None:  # the series began with its first image
                s.acquired_s = rec.acquired_s if s.acquired_s is None else min(
                    s.acquired_s, rec.acquired_s)
            s.files.extend(sorted({f.path for f in frames}) if rec.kind == "image"
                           else rec.files)
            s.referenced_series |= rec.referenced_series
            s.frames.extend(frames)
    _place(notes, located, root, list(series.values()))
    skipped = [note for note in notes if isinstance(note, Skip) and note.series]
    for note in notes:
        if isinstance(note, Skip) and note.sop_class and note.path is not None:
            objects.setdefault(note.sop_class, []).append((note.path, str(note)))
    for note in skipped:  # a skipped file of a series makes that series incomplete
        for s in series.values():
            if s.kind == "image" and s.series_uid in note.series:
                s.damaged.append(str(note))
    for k, count in duplicates.items():
        notes.append(f"{series_name(series[k])}: {count} duplicate instance(s) (the "
                     f"same SOP Instance UID in several files, e.g. in two encodings) used "
                     f"once")
    if progress is not None:
        progress(1.0, f"scanned {len(files)} files")
    out = sorted(series.values(), key=lambda s: (s.study_uid, s.kind, -len(s.frames)))
    notes += [note for s in out if (note := thickness_note(s))]
    for s in out:
        if s.burned_in:
            notes.append(f"{series_name(s)}: BurnedInAnnotation is YES and kept on "
                         "request: the pixels may show patient text")
    if not any(s.kind == "image" and s.frames for s in out):
        detail = f" ({len(notes)} file(s) skipped: {notes[0]}" + (" …)" if len(notes) > 1
                                                                 else ")") if notes else ""
        raise ImagingError(f"{label}: no readable DICOM image series found{detail}")
    return FolderScan(out, notes, objects)


def thickness_note(s: SeriesInfo) -> str:
    """What a series' missing SliceThickness was replaced by ('' if every file has one).

    Slice positions and spacing always come from ImagePositionPatient; the thickness
    (the partial-volume width of a slice) is taken from the series' other files, else
    assumed equal to the slice spacing.

    >>> s = SeriesInfo("", "", "MR", "sa", "image", slice_thickness_mm=8.0, series_number=3)
    >>> s.files, s.no_thickness = [Path("a")] * 20, 5
    >>> thickness_note(s)[:59]
    "series 'sa' (#3): SliceThickness missing in 5 of 20 file(s)"
    """
    if s.kind != "image" or not s.no_thickness:
        return ""
    head = (f"{series_name(s)}: SliceThickness missing in {s.no_thickness} of "
            f"{len(s.files)} file(s); ")
    if s.slice_thickness_mm is not None:
        return head + (f"{s.slice_thickness_mm:g} mm taken from the series' other files "
                       "(slice positions and spacing come from ImagePositionPatient)")
    return head + ("the slice thickness is assumed equal to the slice spacing computed from "
                   "ImagePositionPatient (no partial-volume widening of the slices)")


def named(s: SeriesInfo) -> str:
    """A series' de-identified description and its SeriesNumber as the import listing shows
    them (:meth:`~twinviewer.imaging.assembly.SeriesRow.summary`): ``'sa_3' (#12)``.

    The number is the scanner's SeriesNumber, marked ``#`` so it is not read as the series'
    place in the listing (review14b #9: "series 3" was the first series listed).

    >>> named(SeriesInfo("", "", "MR", "sa_3", "image", series_number=12))
    "'sa_3' (#12)"
    """
    return repr(s.description) + (f" (#{s.series_number})" if s.series_number is not None
                                  else "")


def series_name(s: SeriesInfo) -> str:
    """A series as messages name it: ``series`` and :func:`named`.

    >>> series_name(SeriesInfo("", "", "MR", "cine_sa_3", "image", series_number=7))
    "series 'cine_sa_3' (#7)"
    """
    return f"series {named(s)}"


def _place(notes: list[str], located: list[tuple[int, Path]], root: Path,
           series: list[SeriesInfo]) -> None:
    """Say where a skipped file belongs without naming a folder: its own series (a damaged
    slice), else the series whose files share its folder (a text file beside the images)."""
    by_uid = {s.series_uid: s for s in series if s.kind == "image"}
    # a folder is named after the series most of its files belong to (review15 #8: a stray
    # copy of another series' file in a slice's folder named the folder after that series)
    counts: dict[Path, dict[str, int]] = {}
    for uid, s in by_uid.items():
        for p in s.files:
            counts.setdefault(p.parent, {}).setdefault(uid, 0)
            counts[p.parent][uid] += 1
    by_dir = {folder: by_uid[max(n, key=lambda u: (n[u], -(by_uid[u].series_number or 0)))]
              for folder, n in counts.items()}
    for i, path in located:
        note = notes[i]
        own = sorted((by_uid[u] for u in getattr(note, "series", ()) if u in by_uid),
                     key=lambda s: s.series_number or 0)
        if own:
            where = f" of {series_name(own[0])}"
        elif path.parent in by_dir:
            where = f" in the folder of {series_name(by_dir[path.parent])}"
        else:
            continue
        tag = shown(path, root)
        text = str(note).replace(tag, tag + where, 1) if tag in note else f"{note}{where}"
        notes[i] = Skip.of(text, note.series, sop_class=note.sop_class, path=note.path) \
            if isinstance(note, Skip) else text


def group_by_phase(frames: Iterable[FrameRef]) -> list[list[FrameRef]]:
    """Frames grouped into cardiac phases, ordered by temporal id, trigger time, then %."""
    groups: dict[tuple[float, float, float], list[FrameRef]] = {}
    for f in frames:
        groups.setdefault(phase_key(f), []).append(f)
    return [groups[k] for k in sorted(groups)]
