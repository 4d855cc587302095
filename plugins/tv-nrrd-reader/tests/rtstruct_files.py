"""RT Structure Sets written with pydicom for the tests, as planning systems export them
(patient, study and operator attributes included, so de-identification can be checked)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

RTSTRUCT = "1.2.840.10008.5.1.4.1.1.481.3"
#: Written into every file; none may come out of the reader.
IDENTIFYING = ("Doe^Jane", "PAT-12345", "19700101", "St Elsewhere", "Dr^Who", "left ankle")


def write_rtstruct(path: Path, rois: dict[str, list[np.ndarray]], *,
                   sop_class: str = RTSTRUCT, geometric_type: str = "CLOSED_PLANAR") -> Path:
    """An RT Structure Set: ``rois`` maps each ROI name to its contours, ``(n, 3)`` LPS mm."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, meta.MediaStorageSOPInstanceUID
    ds.Modality = "RTSTRUCT"
    ds.PatientName, ds.PatientID, ds.PatientBirthDate = "Doe^Jane", "PAT-12345", "19700101"
    ds.StudyDate, ds.InstitutionName, ds.OperatorsName = "19700101", "St Elsewhere", "Dr^Who"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.FrameOfReferenceUID = generate_uid()
    ds.StructureSetLabel = "PAT-12345 ROIs"
    ds.StructureSetROISequence = Sequence()
    ds.ROIContourSequence = Sequence()
    for n, (name, contours) in enumerate(rois.items(), start=1):
        roi = Dataset()
        roi.ROINumber, roi.ROIName = n, name
        roi.ROIDescription = "drawn for Doe^Jane, left ankle"
        roi.ReferencedFrameOfReferenceUID = ds.FrameOfReferenceUID
        ds.StructureSetROISequence.append(roi)
        rc = Dataset()
        rc.ReferencedROINumber = n
        rc.ROIDisplayColor = [255, 0, 0]
        rc.ContourSequence = Sequence()
        for pts in contours:
            c = Dataset()
            c.ContourGeometricType = geometric_type
            c.NumberOfContourPoints = len(pts)
            c.ContourData = [f"{v:.4f}" for v in np.asarray(pts, float).ravel()]
            rc.ContourSequence.append(c)
        ds.ROIContourSequence.append(rc)
    ds.save_as(path, enforce_file_format=True)
    return path


def contours_of(mask_zyx: np.ndarray, affine: np.ndarray) -> list[np.ndarray]:
    """Contours (LPS mm) of a ``(z, y, x)`` mask, slice by slice, traced by scikit-image's
    marching squares at the 0.5 level (closed; the planning systems' way of drawing)."""
    from skimage.measure import find_contours

    out = []
    for k in range(mask_zyx.shape[0]):
        padded = np.pad(mask_zyx[k].astype(float), 1)  # closes contours at the border
        for c in find_contours(padded, 0.5):
            kji = np.column_stack([np.full(len(c), k), c - 1])
            out.append(kji @ affine[:3, :3].T + affine[:3, 3])
    return out
