"""Small synthetic DICOM series for reader tests (classic and enhanced, any geometry)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

ENHANCED_CT = "1.2.840.10008.5.1.4.1.1.2.1"
AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)


def volume(shape: Sequence[int] = (8, 12, 10), seed: int = 0) -> np.ndarray:
    """Distinct HU values per voxel so any mis-ordering shows."""
    rng = np.random.default_rng(seed)
    return rng.integers(-1000, 1500, size=tuple(shape)).astype(np.int16)


def _base(study: str, series: str, uid: str, sop_class: str = CTImageStorage) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = uid
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, uid
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
    ds.FrameOfReferenceUID = generate_uid(prefix=None, entropy_srcs=[study])
    ds.Modality = "CT"
    ds.PatientName, ds.PatientID = "TEST^PATIENT^SECRET", "PID-SECRET-9"
    ds.SeriesDescription = "test series"
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit, ds.PixelRepresentation = 15, 1
    ds.RescaleSlope, ds.RescaleIntercept = 1.0, 0.0
    return ds


def write_series(folder: Path, hu: np.ndarray, *, spacing=(2.0, 1.0, 1.0),
                 orientation: Sequence[float] = AXIAL, origin=(10.0, -20.0, -100.0),
                 positions: Sequence[np.ndarray] | None = None, phases: int = 1,
                 trigger_ms: Sequence[float] | None = None, slope: float = 1.0,
                 transfer_syntax: str | None = None, series_uid: str | None = None,
                 study_uid: str | None = None) -> list[Path]:
    """Write a classic single-frame series ``hu`` (phases, z, y, x) or (z, y, x).

    Positions follow ``origin + k * spacing[0] * normal`` unless ``positions`` is given.
    File names are shuffled so that readers cannot rely on them.
    """
    hu = hu if hu.ndim == 4 else hu[None]
    folder.mkdir(parents=True, exist_ok=True)
    study, series = study_uid or generate_uid(), series_uid or generate_uid()
    row, col = np.asarray(orientation[:3], float), np.asarray(orientation[3:], float)
    normal = np.cross(row, col)
    rng = np.random.default_rng(1)
    out = []
    for p in range(hu.shape[0]):
        for k in range(hu.shape[1]):
            ds = _base(study, series, generate_uid())
            pos = (positions[k] if positions is not None
                   else np.asarray(origin) + k * spacing[0] * normal)
            ds.ImagePositionPatient = [float(v) for v in pos]
            ds.ImageOrientationPatient = [float(v) for v in orientation]
            ds.PixelSpacing = [float(spacing[1]), float(spacing[2])]
            ds.SliceThickness = float(spacing[0])
            ds.InstanceNumber = int(rng.integers(1, 1000))  # deliberately meaningless
            if phases > 1 or trigger_ms is not None:
                ds.TriggerTime = float(trigger_ms[p] if trigger_ms else 100.0 * p)
                ds.TemporalPositionIdentifier = p + 1
            ds.Rows, ds.Columns = hu.shape[2], hu.shape[3]
            ds.RescaleSlope = slope
            ds.PixelData = np.round(hu[p, k] / slope).astype(np.int16).tobytes()
            if transfer_syntax is not None:
                ds.compress(transfer_syntax)
            path = folder / f"{rng.integers(0, 2**40):012x}.dcm"
            ds.save_as(path, enforce_file_format=True)
            out.append(path)
    return out


def write_enhanced(path: Path, hu: np.ndarray, *, spacing=(2.0, 1.0, 1.0),
                   origin=(10.0, -20.0, -100.0)) -> Path:
    """An enhanced CT (one multi-frame file), frames stored in reverse slice order."""
    hu = hu if hu.ndim == 4 else hu[None]
    ds = _base(generate_uid(), generate_uid(), generate_uid(), ENHANCED_CT)
    shared = Dataset()
    ori, pix, pvt = Dataset(), Dataset(), Dataset()
    ori.ImageOrientationPatient = list(AXIAL)
    pix.PixelSpacing = [float(spacing[1]), float(spacing[2])]
    pix.SliceThickness = float(spacing[0])
    pvt.RescaleSlope, pvt.RescaleIntercept, pvt.RescaleType = 1.0, -1024.0, "HU"
    shared.PlaneOrientationSequence = [ori]
    shared.PixelMeasuresSequence = [pix]
    shared.PixelValueTransformationSequence = [pvt]
    ds.SharedFunctionalGroupsSequence = [shared]
    frames, per = [], []
    for p in range(hu.shape[0]):
        for k in reversed(range(hu.shape[1])):
            item, pos, fc, car = Dataset(), Dataset(), Dataset(), Dataset()
            pos.ImagePositionPatient = [origin[0], origin[1], origin[2] + k * spacing[0]]
            fc.TemporalPositionIndex = p + 1
            car.NominalCardiacTriggerDelayTime = 400.0 * p
            car.NominalPercentageOfCardiacPhase = 40.0 * p
            item.PlanePositionSequence = [pos]
            item.FrameContentSequence = [fc]
            item.CardiacSynchronizationSequence = [car]
            per.append(item)
            frames.append(hu[p, k] + 1024)
    ds.PerFrameFunctionalGroupsSequence = per
    ds.NumberOfFrames = len(frames)
    ds.Rows, ds.Columns = hu.shape[2], hu.shape[3]
    ds.PixelData = np.stack(frames).astype(np.int16).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def read_back(path: Path) -> Dataset:
    return pydicom.dcmread(path)
