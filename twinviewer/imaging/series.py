"""Scan a folder of mixed files and group the DICOM objects into studies and series.

Nothing identifying leaves the function that reads a file: a header yields its geometry,
UIDs remapped by :func:`twinviewer.imaging.deid.new_uid`, and the patient and description
elements passed through :func:`twinviewer.imaging.deid.deidentify` (pseudonym, redacted
description). Whole datasets are de-identified by :func:`read_dicom`.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID

from twinviewer.imaging.errors import ImagingError

SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
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
        return (f"{self.modality:<3} {self.description!r}  {self.n_phases} phase(s) × "
                f"{z} × {y} × {x}  ({len(self.files)} file(s))")


@dataclass
class FolderScan:
    """Result of :func:`scan_folder`: the series found and notes on everything skipped."""

    series: list[SeriesInfo]
    notes: list[str]

    def images(self) -> list[SeriesInfo]:
        return [s for s in self.series if s.kind == "image"]

    def segs(self) -> list[SeriesInfo]:
        return [s for s in self.series if s.kind == "seg"]


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
        return float(v)
    except (TypeError, ValueError):
        return default


def _first(seq_parent: Dataset | None, keyword: str) -> Dataset | None:
    if seq_parent is None or keyword not in seq_parent:
        return None
    seq = seq_parent.get(keyword)
    return seq[0] if seq else None


def _group(ds: Dataset, per: Dataset | None, shared: Dataset | None, keyword: str
           ) -> Dataset | None:
    """A functional group macro, per-frame first, then shared."""
    return _first(per, keyword) or _first(shared, keyword)


def frames_of(ds: Dataset, path: Path, sop: str | None = None) -> list[FrameRef]:
    """Frame geometry records of one dataset; classic or enhanced multi-frame.

    ``sop`` is the (remapped) SOP Instance UID to record; default the dataset's own.

    Raises
    ------
    ImagingError
        If a geometry attribute is missing or malformed.
    """
    sop = str(ds.get("SOPInstanceUID", "")) if sop is None else sop
    try:
        if "PerFrameFunctionalGroupsSequence" in ds:
            shared = _first(ds, "SharedFunctionalGroupsSequence")
            out = []
            for n, per in enumerate(ds.PerFrameFunctionalGroupsSequence):
                pos = _group(ds, per, shared, "PlanePositionSequence")
                ori = _group(ds, per, shared, "PlaneOrientationSequence")
                pix = _group(ds, per, shared, "PixelMeasuresSequence")
                pvt = _group(ds, per, shared, "PixelValueTransformationSequence")
                car = _group(ds, per, shared, "CardiacSynchronizationSequence")
                fc = _first(per, "FrameContentSequence")
                if pos is None or ori is None or pix is None:
                    raise KeyError("PlanePosition/PlaneOrientation/PixelMeasures functional group")
                out.append(FrameRef(
                    path, n, sop, np.asarray(pos.ImagePositionPatient, float),
                    np.asarray(ori.ImageOrientationPatient, float),
                    tuple(float(v) for v in pix.PixelSpacing), int(ds.Rows), int(ds.Columns),
                    _float(pvt, "RescaleSlope", 1.0), _float(pvt, "RescaleIntercept", 0.0),
                    _float(car, "NominalCardiacTriggerDelayTime"),
                    _float(fc, "TemporalPositionIndex"),
                    _float(car, "NominalPercentageOfCardiacPhase")))
            return out
        return [FrameRef(
            path, None, sop, np.asarray(ds.ImagePositionPatient, float),
            np.asarray(ds.ImageOrientationPatient, float),
            tuple(float(v) for v in ds.PixelSpacing), int(ds.Rows), int(ds.Columns),
            _float(ds, "RescaleSlope", 1.0), _float(ds, "RescaleIntercept", 0.0),
            _float(ds, "TriggerTime"), _float(ds, "TemporalPositionIdentifier"),
            _float(ds, "NominalPercentageOfCardiacPhase", _float(ds, "CardiacPhase")))]
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ImagingError(f"{path}: missing or malformed image geometry ({exc})") from exc


def read_dicom(path: Path, key: bytes, *, pixels: bool) -> Dataset:
    """Read and de-identify one file; the identified dataset never leaves this function.

    Raises
    ------
    ImagingError
        Naming the file: not DICOM, truncated or unreadable.
    """
    from twinviewer.imaging.deid import deidentify

    try:
        raw = pydicom.dcmread(path, stop_before_pixels=not pixels)
    except InvalidDicomError as exc:
        raise ImagingError(f"{path}: not a DICOM file") from exc
    except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise ImagingError(f"{path}: unreadable or truncated DICOM ({type(exc).__name__}: "
                           f"{exc})") from exc
    try:
        return deidentify(raw, key)
    finally:
        del raw


# Patient-module and descriptive elements de-identified per file (small: fast to walk).
_IDENTITY_GROUPS = (0x0010,)
_DESCRIPTIVE = ("SeriesDescription", "StudyInstanceUID", "PatientIdentityRemoved")
_IDENT_CACHE: dict[bytes, tuple[str, str]] = {}


def _header(path: Path, key: bytes) -> SeriesInfo | str:
    """One file's header as a one-file SeriesInfo, or a note saying why it was skipped."""
    from twinviewer.imaging.deid import deidentify, new_uid

    try:
        raw = pydicom.dcmread(path, stop_before_pixels=True)
    except InvalidDicomError:
        return f"skipped {path}: not a DICOM file"
    except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError) as exc:
        return f"skipped {path}: unreadable or truncated DICOM ({type(exc).__name__})"
    kind = _kind(raw)
    if kind is None:
        return f"skipped {path}: {_sop_name(raw)} is not an image or segmentation"
    if kind == "image" and "LOCALIZER" in [str(v).upper() for v in raw.get("ImageType", [])]:
        return f"skipped {path}: localizer image"
    ident = Dataset()
    for elem in raw:
        if elem.tag.group in _IDENTITY_GROUPS or elem.keyword in _DESCRIPTIVE:
            ident.add(elem)
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
        uid("StudyInstanceUID"), uid("SeriesInstanceUID"), str(raw.get("Modality", "")),
        description, kind, [path],
        slice_thickness_mm=_float(raw, "SliceThickness", None),
        nominal_interval_ms=_float(raw, "NominalInterval", None) or None,
        patient=patient,
        referenced_series={new_uid(str(r.SeriesInstanceUID), key)
                           for r in raw.get("ReferencedSeriesSequence", [])
                           if r.get("SeriesInstanceUID")})
    if kind == "image":
        try:
            rec.frames = frames_of(raw, path, uid("SOPInstanceUID"))
        except ImagingError as exc:
            rec.note = f"skipped {exc}"
    return rec


def _kind(ds: Dataset) -> str | None:
    if ds.get("Modality") == "SEG" or str(ds.get("SOPClassUID", "")) == SEG_SOP_CLASS:
        return "seg"
    if "Rows" in ds and ("ImagePositionPatient" in ds
                         or "PerFrameFunctionalGroupsSequence" in ds):
        return "image"
    return None


def _sop_name(ds: Dataset) -> str:
    uid = ds.get("SOPClassUID")
    return UID(str(uid)).name if uid else "object without SOPClassUID"


# Handled by the segmentation readers, not DICOM: not reported as skipped.
OTHER_SUFFIXES = (".nii", ".nii.gz", ".vtp", ".vtk", ".stl", ".obj", ".ply", ".json")


def iter_files(root: Path) -> list[Path]:
    """All regular files below ``root``, sorted, hidden files skipped."""
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


def is_other(p: Path) -> bool:
    """True for label-map, mesh and mapping files that sit beside the DICOM."""
    return p.name.lower().endswith(OTHER_SUFFIXES)


def scan_folder(root: Path, key: bytes, *, progress: Progress | None = None,
                cancel: Cancel | None = None) -> FolderScan:
    """Find every DICOM image and SEG series under ``root`` (recursively).

    Parameters
    ----------
    root : Path
        Folder (or one file).
    key : bytes
        De-identification key (see :func:`twinviewer.imaging.deid.installation_key`).
    progress, cancel : callable, optional
        ``progress(fraction, message)``; ``cancel()`` returning True stops with ImagingError.

    Returns
    -------
    FolderScan
        Series sorted by study, modality and size; notes name every skipped file and why.

    Raises
    ------
    ImagingError
        If ``root`` does not exist or holds no readable DICOM image.
    """
    root = Path(root)
    if not root.exists():
        raise ImagingError(f"{root}: no such file or folder")
    files = [root] if root.is_file() else iter_files(root)
    if not files:
        raise ImagingError(f"{root}: folder is empty")
    files = [p for p in files if not is_other(p)]
    notes: list[str] = []
    series: dict[tuple[str, str], SeriesInfo] = {}

    with ThreadPoolExecutor(n_workers()) as pool:
        for n, rec in enumerate(pool.map(lambda p: _header(p, key), files)):
            if cancel is not None and cancel():
                raise ImagingError(f"{root}: import cancelled")
            if progress is not None and n % 32 == 0:
                progress(n / len(files), f"scanning {n}/{len(files)} files")
            if isinstance(rec, str):
                notes.append(rec)
                continue
            k = (rec.study_uid, rec.series_uid)
            s = series.get(k)
            if s is None:
                s = series[k] = SeriesInfo(
                    rec.study_uid, rec.series_uid, rec.modality, rec.description, rec.kind,
                    slice_thickness_mm=rec.slice_thickness_mm,
                    nominal_interval_ms=rec.nominal_interval_ms, patient=rec.patient)
            s.files.extend(rec.files)
            s.referenced_series |= rec.referenced_series
            s.frames.extend(rec.frames)
            if rec.note:
                notes.append(rec.note)
    if progress is not None:
        progress(1.0, f"scanned {len(files)} files")
    out = sorted(series.values(), key=lambda s: (s.study_uid, s.kind, -len(s.frames)))
    if not any(s.kind == "image" and s.frames for s in out):
        detail = f" ({len(notes)} file(s) skipped: {notes[0]}" + (" …)" if len(notes) > 1
                                                                 else ")") if notes else ""
        raise ImagingError(f"{root}: no readable DICOM image series found{detail}")
    return FolderScan(out, notes)


def group_by_phase(frames: Iterable[FrameRef]) -> list[list[FrameRef]]:
    """Frames grouped into cardiac phases, ordered by temporal id, trigger time, then %."""
    groups: dict[tuple[float, float, float], list[FrameRef]] = {}
    for f in frames:
        groups.setdefault(phase_key(f), []).append(f)
    return [groups[k] for k in sorted(groups)]
