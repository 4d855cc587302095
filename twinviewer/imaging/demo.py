"""The demo study: a synthetic gated contrast CT of a four-chamber heart, as real DICOM, with SEG.

It lets the whole pipeline (import, de-identification, segmentation import, meshing, volumes)
run and be tested without patient data. The anatomy and CT intensities come from
:mod:`twinviewer.imaging.phantom`; this module writes them as

* one CT Image Storage series, one file per slice per phase, both phases (end-diastole and
  end-systole) in the same series, told apart by TriggerTime, TemporalPositionIdentifier and
  NominalPercentageOfCardiacPhase; file names are random, never in slice order, so readers
  must sort by geometry;
* one DICOM Segmentation (highdicom, BINARY, SNOMED CT coded segments) per phase, each
  referencing that phase's CT slices;
* a FAKE patient identity (:data:`DEMO_IDENTIFIERS`), including a private tag and free-text
  comments, which import must strip.

Layout: ``folder/ct/*.dcm`` and ``folder/seg/*.dcm``.

Run ``python -m twinviewer.imaging.demo OUTDIR`` to write the study.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import highdicom as hd
import numpy as np
from pydicom.sr.codedict import codes

from twinviewer.imaging import phantom
from twinviewer.imaging.dicom_stack import (
    CTImageStorage,
    Dataset,
    ExplicitVRLittleEndian,
    FileMetaDataset,
    generate_uid,
    pydicom,
)
from twinviewer.imaging.phantom import LABEL_VALUES, PHASES

__all__ = ["DEMO_IDENTIFIERS", "STRUCTURE_CODES", "DemoStudy", "make_demo_labels",
           "write_demo_study", "PHASE_TIMING"]

# Every identifying value the demo writes (keyword -> value). All FAKE. De-identification must
# remove each of these from every file; tests scan written bytes for them.
DEMO_IDENTIFIERS: dict[str, str] = {
    "PatientName": "DOE^JANE^DEMO",
    "PatientID": "DEMO-12345",
    "PatientBirthDate": "19600101",
    "PatientAddress": "42 Nowhere Lane, Springfield, XY 99999",
    "PatientTelephoneNumbers": "+1-555-0100-DEMO",
    "OtherPatientIDs": "DEMO-OTHER-67890",
    "MedicalRecordLocator": "MRN-DEMO-24680",
    "PatientComments": "Demo patient JANE DOE, allergy to penicillin",
    "InstitutionName": "Demo General Hospital",
    "InstitutionAddress": "1 Hospital Road, Demoville",
    "InstitutionalDepartmentName": "Demo Cardiac Imaging Unit",
    "ReferringPhysicianName": "WHO^REFERRING^DR",
    "PerformingPhysicianName": "WHO^PERFORMING^DR",
    "OperatorsName": "OPERATOR^DEMO",
    "AccessionNumber": "ACC-DEMO-0042",
    "StudyID": "STUDYDEMO7",
    "StudyDate": "20240315",
    "StudyTime": "081532",
    "StationName": "CTDEMOSTATION01",
    "DeviceSerialNumber": "SN-DEMO-31337",
    "ImageComments": "Scanned for DOE^JANE^DEMO by Demo General Hospital",
    "PrivateTag": "DEMO-PRIVATE-SECRET-12345",
}

# SNOMED CT codes of the segmented property type per vocabulary key (scheme, code, meaning),
# from pydicom's DICOM code dictionary (PS3.16). The category of all is "Anatomical Structure".
STRUCTURE_CODES: dict[str, tuple[str, str, str]] = {
    key: (c.scheme_designator, c.value, c.meaning) for key, c in {
        "lv_blood": codes.SCT.LeftVentricle,
        "lv_myocardium": codes.SCT.LeftVentricleMyocardium,
        "rv_blood": codes.SCT.RightVentricle,
        "la": codes.SCT.LeftAtrium,
        "ra": codes.SCT.RightAtrium,
        "aorta": codes.SCT.Aorta,
        "pulmonary_artery": codes.SCT.PulmonaryArtery,
    }.items()
}
_CATEGORY = codes.cid7150.AnatomicalStructure

_SEGMENT_LABELS = {
    "lv_blood": "LV blood pool", "lv_myocardium": "LV myocardium", "rv_blood": "RV blood pool",
    "la": "Left atrium", "ra": "Right atrium", "aorta": "Aorta",
    "pulmonary_artery": "Pulmonary artery",
}

HEART_RATE_BPM = 70.0
# Phase -> (percentage of the R-R interval, trigger time in ms after the R wave).
PHASE_TIMING: dict[str, tuple[float, float]] = {
    "ED": (0.0, 0.0),
    "ES": (35.0, round(0.35 * 60000.0 / HEART_RATE_BPM, 1)),
}

_PRIVATE_CREATOR = "TWINVIEWER DEMO"
_RESCALE_INTERCEPT = -1024.0


@dataclass
class DemoStudy:
    """What :func:`write_demo_study` wrote.

    Attributes
    ----------
    folder : Path
        Study folder; CT files in ``folder/ct``, SEG files in ``folder/seg``.
    ct_files : list of Path
        All CT files, both phases, in no particular (and not slice) order.
    seg_files : list of Path
        One DICOM SEG per phase, in :data:`PHASES` order (ED, ES).
    labels : dict of str to (z, y, x) uint8 ndarray
        Ground-truth label map per phase (``'ED'``, ``'ES'``), values :attr:`label_values`.
    label_values : dict of str to int
        Vocabulary key -> integer label (= SEG segment number).
    affine : (4, 4) float64 ndarray
        Maps the index column vector ``(k, j, i, 1)`` — slice, row, column, the array order of
        :attr:`labels` — to patient LPS ``(x, y, z, 1)`` in mm.
    spacing : tuple of float
        ``(slice, row, column)`` spacing in mm.
    trigger_times_ms : dict of str to float
        TriggerTime written for each phase.
    """

    folder: Path
    ct_files: list[Path]
    seg_files: list[Path]
    labels: dict[str, np.ndarray]
    label_values: dict[str, int]
    affine: np.ndarray
    spacing: tuple[float, float, float] = (1.8, 1.0, 1.0)
    trigger_times_ms: dict[str, float] = field(default_factory=dict)

    def volumes_ml(self, phase: str) -> dict[str, float]:
        """Ground-truth volume (mL) per structure by voxel counting."""
        return phantom.volumes_ml(self.labels[phase], self.spacing)


def make_demo_labels(shape: Sequence[int] = (90, 160, 160),
                     spacing: Sequence[float] = (1.8, 1.0, 1.0),
                     phase: str = "ED") -> np.ndarray:
    """Ground-truth label map of the demo heart.

    Parameters
    ----------
    shape : (3,) ints, default: (90, 160, 160)
        ``(slices, rows, columns)``.
    spacing : (3,) floats, default: (1.8, 1.0, 1.0)
        ``(slice, row, column)`` spacing in mm; the anatomy is fixed in mm, so a coarser grid
        gives the same heart with fewer voxels.
    phase : {'ED', 'ES'}, default: 'ED'

    Returns
    -------
    (z, y, x) uint8 ndarray
        Integer labels (:data:`~twinviewer.imaging.phantom.LABEL_VALUES`), 0 for background.

    Examples
    --------
    >>> labels = make_demo_labels((60, 96, 96), (2.7, 1.7, 1.7), phase="ED")
    >>> lv_ml = (labels == 1).sum() * 2.7 * 1.7 * 1.7 / 1000
    >>> bool(110 < lv_ml < 150)
    True
    """
    return phantom.make_labels(shape, spacing, phase)


def _uid(seed: int, *parts: object) -> str:
    """Deterministic UID from the seed and a role, so the same seed writes identical files."""
    return generate_uid(entropy_srcs=["twinviewer-demo", str(seed), *map(str, parts)])


def _identity(ds: Dataset) -> None:
    ids = DEMO_IDENTIFIERS
    for keyword in ("PatientName", "PatientID", "PatientBirthDate", "PatientAddress",
                    "PatientTelephoneNumbers", "OtherPatientIDs", "MedicalRecordLocator",
                    "PatientComments", "InstitutionName", "InstitutionAddress",
                    "InstitutionalDepartmentName", "ReferringPhysicianName",
                    "PerformingPhysicianName", "OperatorsName", "AccessionNumber", "StudyID",
                    "StudyDate", "StudyTime", "StationName", "DeviceSerialNumber",
                    "ImageComments"):
        setattr(ds, keyword, ids[keyword])
    ds.PatientSex = "F"
    ds.PatientAge = "064Y"
    for prefix in ("Series", "Acquisition", "Content"):
        setattr(ds, f"{prefix}Date", ids["StudyDate"])
        setattr(ds, f"{prefix}Time", ids["StudyTime"])
    # An identifier hidden in a nested sequence, as vendors do.
    item = Dataset()
    item.IssuerOfPatientID = ids["InstitutionName"]
    item.PatientID = ids["OtherPatientIDs"]
    ds.OtherPatientIDsSequence = [item]
    block = ds.private_block(0x0011, _PRIVATE_CREATOR, create=True)
    block.add_new(0x01, "LO", ids["PrivateTag"])


def _ct_slice(*, seed: int, phase: str, k: int, hu_slice: np.ndarray, affine: np.ndarray,
              spacing: Sequence[float], n_slices: int) -> Dataset:
    percent, trigger_ms = PHASE_TIMING[phase]
    phase_index = PHASES.index(phase)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = _uid(seed, "ct", phase, k)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = _uid(seed, "study")
    ds.SeriesInstanceUID = _uid(seed, "ct-series")
    ds.FrameOfReferenceUID = _uid(seed, "frame-of-reference")
    ds.PositionReferenceIndicator = ""
    ds.Modality = "CT"
    ds.Manufacturer = "TwinViewer"
    ds.ManufacturerModelName = "Synthetic demo heart"
    ds.SoftwareVersions = "twinviewer.imaging.demo"
    ds.SeriesDescription = "Demo cardiac CTA, gated, ED+ES"
    ds.StudyDescription = "Demo cardiac CT"
    ds.BodyPartExamined = "HEART"
    ds.SeriesNumber = 3
    ds.AcquisitionNumber = 1
    ds.InstanceNumber = phase_index * n_slices + k + 1
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.PatientPosition = "HFS"
    _identity(ds)

    position = affine[:3, :3] @ np.array([k, 0.0, 0.0]) + affine[:3, 3]
    ds.ImagePositionPatient = [round(float(v), 4) for v in position]
    ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    ds.PixelSpacing = [float(spacing[1]), float(spacing[2])]  # row spacing, column spacing
    ds.SliceThickness = float(spacing[0])
    ds.SpacingBetweenSlices = float(spacing[0])
    ds.SliceLocation = round(float(position[2]), 4)
    ds.KVP = 100.0
    ds.ConvolutionKernel = "SOFT"
    ds.ContrastBolusAgent = "Iodinated contrast"

    # Cardiac gating: both phases in one series.
    ds.TriggerTime = trigger_ms
    ds.NominalPercentageOfCardiacPhase = percent
    ds.NominalCardiacTriggerDelayTime = trigger_ms
    ds.TemporalPositionIdentifier = phase_index + 1
    ds.NumberOfTemporalPositions = len(PHASES)
    ds.CardiacNumberOfImages = len(PHASES)
    ds.HeartRate = int(HEART_RATE_BPM)
    ds.CardiacSynchronizationTechnique = "RETROSPECTIVE"

    rows, cols = hu_slice.shape
    ds.Rows, ds.Columns = rows, cols
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.RescaleIntercept = _RESCALE_INTERCEPT
    ds.RescaleSlope = 1.0
    ds.RescaleType = "HU"
    ds.WindowCenter = 300.0
    ds.WindowWidth = 900.0
    stored = np.clip(np.rint(hu_slice - _RESCALE_INTERCEPT), 0, 4095).astype(np.uint16)
    ds.PixelData = stored.tobytes()
    return ds


def _segmentation(seed: int, phase: str, sources: list[Dataset],
                  labels: np.ndarray) -> hd.seg.Segmentation:
    algorithm = hd.AlgorithmIdentificationSequence(
        name="TwinViewer demo phantom", version="1",
        family=codes.cid7162.MorphologicalOperations)
    descriptions = []
    for key, number in sorted(LABEL_VALUES.items(), key=lambda kv: kv[1]):
        scheme, code, meaning = STRUCTURE_CODES[key]
        descriptions.append(hd.seg.SegmentDescription(
            segment_number=number, segment_label=_SEGMENT_LABELS[key],
            segmented_property_category=_CATEGORY,
            segmented_property_type=hd.sr.CodedConcept(code, scheme, meaning),
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
            algorithm_identification=algorithm,
            tracking_id=f"{key}-{phase}",
            tracking_uid=_uid(seed, "tracking", key, phase)))
    seg = hd.seg.Segmentation(
        source_images=sources,
        pixel_array=labels,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions,
        series_instance_uid=_uid(seed, "seg-series", phase),
        series_number=100 + PHASES.index(phase),
        sop_instance_uid=_uid(seed, "seg", phase),
        instance_number=1,
        manufacturer="TwinViewer",
        manufacturer_model_name="Synthetic demo heart",
        software_versions="twinviewer.imaging.demo",
        device_serial_number=DEMO_IDENTIFIERS["DeviceSerialNumber"],
        content_description=f"Ground truth {phase}",
        content_label=f"HEART_{phase}",
        series_description=f"Demo heart segmentation {phase}",
    )
    # highdicom stamps "now" and a random dimension-organisation UID; fixed values keep the
    # output deterministic and carry the demo's study date, like a real SEG made on scan day.
    date, time = DEMO_IDENTIFIERS["StudyDate"], DEMO_IDENTIFIERS["StudyTime"]
    for prefix in ("Content", "Series", "InstanceCreation"):
        setattr(seg, f"{prefix}Date", date)
        setattr(seg, f"{prefix}Time", time)
    dim_uid = _uid(seed, "dimension-organisation", phase)

    def fix(ds: Dataset, elem: pydicom.DataElement) -> None:
        if elem.keyword == "DimensionOrganizationUID":
            elem.value = dim_uid
        elif elem.keyword == "ContributionDateTime":
            elem.value = date + time

    seg.walk(fix)
    seg.TriggerTime = PHASE_TIMING[phase][1]
    seg.TemporalPositionIdentifier = PHASES.index(phase) + 1
    return seg


def write_demo_study(folder: Path, *, shape: Sequence[int] = (90, 160, 160),
                     spacing: Sequence[float] = (1.8, 1.0, 1.0), seed: int = 0) -> DemoStudy:
    """Write the demo gated CT (ED + ES in one series) and one DICOM SEG per phase.

    Parameters
    ----------
    folder : Path
        Output folder (created); ``ct/`` and ``seg/`` subfolders are written inside.
    shape : (3,) ints, default: (90, 160, 160)
        ``(slices, rows, columns)`` per phase. Each of ``shape * spacing`` must be >= 120 mm.
    spacing : (3,) floats, default: (1.8, 1.0, 1.0)
        ``(slice, row, column)`` spacing in mm.
    seed : int, default: 0
        Seeds the image noise, UIDs and file names; the same seed writes identical CT files.

    Returns
    -------
    DemoStudy

    Examples
    --------
    >>> import tempfile
    >>> study = write_demo_study(Path(tempfile.mkdtemp()), shape=(48, 80, 80),
    ...                          spacing=(3.4, 2.0, 2.0))
    >>> len(study.ct_files), len(study.seg_files)
    (96, 2)
    """
    shape = tuple(int(s) for s in shape)
    spacing = tuple(float(s) for s in spacing)
    folder = Path(folder)
    ct_dir, seg_dir = folder / "ct", folder / "seg"
    try:
        ct_dir.mkdir(parents=True, exist_ok=True)
        seg_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(f"cannot create demo study folders in {folder}: {exc.strerror}") from exc

    rng = np.random.default_rng(seed)
    affine = phantom.grid_affine(shape, spacing)
    labels: dict[str, np.ndarray] = {}
    ct_files: list[Path] = []
    seg_files: list[Path] = []
    for phase in PHASES:
        labels[phase] = make_demo_labels(shape, spacing, phase)
        hu = phantom.ct_hounsfield(labels[phase], spacing, rng=rng)
        slices = []
        for k in range(shape[0]):
            ds = _ct_slice(seed=seed, phase=phase, k=k, hu_slice=hu[k], affine=affine,
                           spacing=spacing, n_slices=shape[0])
            path = ct_dir / f"{rng.integers(0, 2**63):016x}.dcm"
            pydicom.dcmwrite(path, ds, enforce_file_format=True)
            ct_files.append(path)
            slices.append(ds)
        seg = _segmentation(seed, phase, slices, labels[phase])
        seg_path = seg_dir / f"seg_{phase}.dcm"
        seg.save_as(seg_path)
        seg_files.append(seg_path)
    return DemoStudy(folder=folder, ct_files=ct_files, seg_files=seg_files, labels=labels,
                     label_values=dict(LABEL_VALUES), affine=affine, spacing=spacing,
                     trigger_times_ms={p: PHASE_TIMING[p][1] for p in PHASES})


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m twinviewer.imaging.demo OUTDIR [--size small|full]``."""
    parser = argparse.ArgumentParser(prog="python -m twinviewer.imaging.demo",
                                     description="Write the synthetic demo cardiac CT + SEG.")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--shape", type=int, nargs=3, default=(90, 160, 160),
                        metavar=("SLICES", "ROWS", "COLS"))
    parser.add_argument("--spacing", type=float, nargs=3, default=(1.8, 1.0, 1.0),
                        metavar=("DZ", "DY", "DX"), help="mm")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        study = write_demo_study(args.outdir, shape=args.shape, spacing=args.spacing,
                                 seed=args.seed)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for phase in PHASES:
        vols = ", ".join(f"{k} {v:.0f} mL" for k, v in study.volumes_ml(phase).items())
        print(f"{phase}: {vols}")
    print(f"wrote {len(study.ct_files)} CT files and {len(study.seg_files)} SEG files "
          f"to {study.folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
