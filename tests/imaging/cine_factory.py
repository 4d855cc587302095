"""A synthetic Siemens-like ``cine_trufi_retro`` study written with pydicom.

The layout of a real 3 T cine MR exam: every short-axis slice is its own series of 25 phases
(retrospective gating, one TriggerTime per image, a slightly different R-R per series), plus
2CH, 3CH, 4CH, RVOT and a second RVOT long-axis series, each a single plane over 25 phases:
11 series, 275 files in one folder per series. As on the scanner, SeriesNumber counts the
series in acquisition order, SeriesDate/SeriesTime give each series' start (one breath-hold
every 40 s) and AcquisitionTime each image's; a slice acquired again (``repeats``) is a new
series at the same position, after all the others. Geometry tags (ImagePositionPatient,
ImageOrientationPatient, PixelSpacing, SliceThickness) are those of planes through
:class:`twinviewer.imaging.cine_phantom.CineHeart`, whose pixels they carry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

from twinviewer.imaging.cine_phantom import CineHeart, Nuisance, U, V, W, plane_points, render


@dataclass
class CineLayout:
    """What :func:`write_cine_study` wrote (for assertions)."""

    root: Path
    sa_series: list[str] = field(default_factory=list)  # original SeriesInstanceUIDs, base first
    la_series: dict[str, str] = field(default_factory=dict)  # view -> original UID
    sa_positions_mm: list[float] = field(default_factory=list)  # a along U of each SA slice
    rr_ms: list[float] = field(default_factory=list)  # per SA series
    files: list[Path] = field(default_factory=list)
    repeat_series: dict[int, str] = field(default_factory=dict)  # SA index -> repeat's UID


def _unit(v) -> np.ndarray:
    v = np.asarray(v, float)
    return v / np.linalg.norm(v)


LA_VIEWS: dict[str, tuple[np.ndarray, np.ndarray]] = {  # view -> (row dir, column dir)
    "2ch": (W, U),
    "3ch": (_unit(0.5 * V + 0.87 * W), U),
    "4ch": (V, U),
    "rvot": (_unit(V - 0.4 * U), _unit(W + 0.3 * U)),
    "rvot_cor": (_unit(0.7 * V + 0.7 * W - 0.3 * U), _unit(U + 0.2 * V)),
}


def _clock(seconds: float) -> str:
    """DICOM TM ``HHMMSS.FFFFFF`` of seconds after midnight."""
    h, rest = divmod(seconds, 3600)
    m, sec = divmod(rest, 60)
    return f"{int(h):02d}{int(m):02d}{sec:09.6f}"


def _dataset(study: str, series: str, patient: str, description: str) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    sop = generate_uid()
    ds.file_meta.MediaStorageSOPClassUID = MRImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = sop
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = MRImageStorage, sop
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
    ds.FrameOfReferenceUID = generate_uid(entropy_srcs=[study, "for"])
    ds.Modality, ds.Manufacturer = "MR", "SIEMENS"
    ds.PatientName, ds.PatientID = f"{patient}^SECRET", f"PID-{patient}"
    ds.SeriesDescription = ds.ProtocolName = description
    ds.SequenceName = "*tfi2d1_12"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "RETRO", "DIS2D"]
    ds.MagneticFieldStrength = 3.0
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.CardiacNumberOfImages = 25
    return ds


def write_cine_study(root: Path, *, heart: CineHeart | None = None, n_phases: int = 25,
                     sa_positions_mm: Sequence[float] = (12, 24, 36, 48, 60, 72),
                     la_views: Sequence[str] = tuple(LA_VIEWS), rows: int = 144,
                     cols: int = 128, pixel_mm: float = 2.0, thickness_mm: float = 8.0,
                     rr_ms: float = 860.0, nuisance: Nuisance | None = None, sub: int = 1,
                     patient: str = "DOE", study_uid: str | None = None,
                     skip: Sequence[tuple[int, int]] = (),
                     one_series: bool = False, repeats: Sequence[int] = (),
                     repeat_gain: float = 0.8) -> CineLayout:
    """Write the study under ``root`` (one folder per series); returns what was written.

    ``skip`` lists ``(sa slice index, phase)`` images left out (to test gap handling);
    ``one_series`` stores all SA slices in one series (the GE / Philips layout);
    ``repeats`` lists SA slice indices acquired again, each as one more series at the
    same position after all others, its pixels scaled by ``repeat_gain`` (so a test can tell
    which acquisition a stack holds).
    """
    heart = heart or CineHeart()
    nuisance = nuisance or Nuisance()
    study = study_uid or generate_uid()
    rng = np.random.default_rng(7)
    out = CineLayout(Path(root), sa_positions_mm=list(sa_positions_mm))
    centre = np.asarray(heart.base_centre) + 12.0 * V
    planes: list[tuple[str, np.ndarray, np.ndarray, np.ndarray, str]] = []
    for n, a in enumerate(sa_positions_mm):
        planes.append((f"cine_trufi_retro_sa_{n + 1}", centre + a * U, V, W, f"sa{n}"))
    for view in la_views:
        r, c = LA_VIEWS[view]
        c = _unit(c - (c @ r) * r)  # DICOM needs orthonormal row and column directions
        planes.append((f"cine_trufi_retro_{view}", np.asarray(heart.base_centre) + 45 * U,
                       r, c, view))
    for n in repeats:  # the same protocol run again: same description and position
        planes.append((f"cine_trufi_retro_sa_{n + 1}", centre + sa_positions_mm[n] * U, V, W,
                       f"re{n}"))
    sa_uid = generate_uid()
    for s, (desc, mid, row, col, tag) in enumerate(planes):
        series = sa_uid if one_series and tag.startswith("sa") else generate_uid()
        rr = rr_ms + float(rng.uniform(-12, 12))
        offset = float(rng.uniform(0, 4))
        if tag.startswith("sa"):
            out.sa_series.append(series)
            out.rr_ms.append(rr)
        elif tag.startswith("re"):
            out.repeat_series[int(tag[2:])] = series
        else:
            out.la_series[tag] = series
        gain = repeat_gain if tag.startswith("re") else 1.0
        start_s = 9.5 * 3600 + 40.0 * s  # this series' breath-hold
        origin = mid - (cols / 2) * pixel_mm * row - (rows / 2) * pixel_mm * col
        normal = np.cross(row, col)
        pts = plane_points(origin, [*row, *col], (pixel_mm, pixel_mm), rows, cols)
        folder = Path(root) / f"S{s + 1:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        for p in range(n_phases):
            if tag.startswith("sa") and (int(tag[2:]), p) in skip:
                continue
            t = p / n_phases
            img = render(heart, pts, normal, t, thickness_mm=thickness_mm, pixel_mm=pixel_mm,
                         nuisance=nuisance, sub=sub)
            ds = _dataset(study, series, patient, desc)
            ds.SeriesNumber, ds.InstanceNumber = s + 1, p + 1
            ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = "20260315"
            ds.StudyTime = "093000"
            ds.SeriesTime = _clock(start_s)
            ds.ImagePositionPatient = [round(float(v), 4) for v in origin]
            ds.ImageOrientationPatient = [round(float(v), 6) for v in (*row, *col)]
            ds.PixelSpacing = [pixel_mm, pixel_mm]
            ds.SliceThickness = thickness_mm
            ds.SliceLocation = round(float(origin @ normal), 3)
            ds.TriggerTime = round(offset + p * rr / n_phases, 2)
            ds.NominalInterval = round(rr)
            ds.Rows, ds.Columns = rows, cols
            ds.AcquisitionTime = ds.ContentTime = _clock(start_s + float(ds.TriggerTime) / 1000)
            ds.PixelData = np.clip(img * 1000 * gain, 0, 4095).astype(np.uint16).tobytes()
            path = folder / f"IMG{p + 1:04d}.dcm"
            ds.save_as(path, enforce_file_format=True)
            out.files.append(path)
    return out
