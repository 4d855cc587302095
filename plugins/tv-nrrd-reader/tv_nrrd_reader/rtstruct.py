"""DICOM RT Structure Sets (RTSTRUCT): contours drawn in planning systems, as a label map.

An RT Structure Set holds, per region of interest (ROI), closed planar contours in patient
coordinates (LPS mm), one per image slice. They are filled (even-odd rule at pixel centres)
on the grid of the study's image, so the labels sit exactly on it. Only the ROI names and
the contours are kept: no patient, study, operator or institution attribute, no ROI
description, no referenced UID.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: SOP Class UID of RT Structure Set Storage (DICOM PS3.4).
RTSTRUCT_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.481.3"
#: How far (in slices) a contour may lie off the nearest image slice.
SLICE_TOL = 0.25


class RTStructError(ValueError):
    """An RT Structure Set that cannot be read or placed (the message names the file)."""


@dataclass
class ContourLabels:
    """Labels of an RT Structure Set on an image's grid.

    ``array`` is ``(z, y, x)`` integer labels, ``affine`` maps ``(k, j, i, 1)`` to LPS mm
    (the image's), ``segments`` maps each ROI name to its label value.
    """

    array: np.ndarray
    affine: np.ndarray
    segments: dict[str, int]


def fill_polygon(shape: tuple[int, int], rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Pixels ``(row, col)`` whose centre lies inside a closed polygon (even-odd rule).

    Examples
    --------
    >>> fill_polygon((4, 4), np.array([0.5, 0.5, 2.5, 2.5]), np.array([0.5, 2.5, 2.5, 0.5])
    ...              ).astype(int).tolist()
    [[0, 0, 0, 0], [0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]]
    """
    mask = np.zeros(shape, bool)
    y0, x0 = rows, cols
    y1, x1 = np.roll(rows, -1), np.roll(cols, -1)
    for r in range(max(0, int(np.floor(rows.min()))), min(shape[0], int(rows.max()) + 1)):
        edge = ((y0 <= r) & (r < y1)) | ((y1 <= r) & (r < y0))
        if not edge.any():
            continue
        xc = np.sort(x0[edge] + (r - y0[edge]) * (x1[edge] - x0[edge]) /
                     (y1[edge] - y0[edge]))
        for a, b in zip(xc[0::2], xc[1::2], strict=False):
            lo, hi = max(0, int(np.ceil(a))), min(shape[1], int(np.ceil(b)))
            mask[r, lo:hi] ^= True
    return mask


def read_rtstruct(path: str | Path, image) -> ContourLabels:
    """Read an RT Structure Set onto ``image``'s grid (``image.affine``, ``image.shape``).

    Raises
    ------
    RTStructError
        Naming the file: not DICOM, not an RT Structure Set, no ROI or contours, a contour
        that is not closed and planar, or one off the image's slices or outside its grid.

    Examples
    --------
    >>> read_rtstruct("heart_rtstruct.dcm", study_image).segments  # doctest: +SKIP
    {'LV blood pool': 1, 'Left ventricle myocardium': 2}
    """
    import pydicom
    from pydicom.errors import InvalidDicomError

    path = Path(path)
    try:
        ds = pydicom.dcmread(path)
    except (InvalidDicomError, OSError) as exc:
        raise RTStructError(f"{path.name}: not a readable DICOM file ({exc})") from None
    if str(ds.get("SOPClassUID", "")) != RTSTRUCT_SOP_CLASS:
        raise RTStructError(f"{path.name}: not an RT Structure Set (SOP class "
                            f"{ds.get('SOPClassUID', 'missing')})")
    names = {int(r.ROINumber): str(r.ROIName) for r in ds.get("StructureSetROISequence", [])
             if "ROINumber" in r and "ROIName" in r}
    if not names:
        raise RTStructError(f"{path.name}: no regions of interest (StructureSetROISequence)")
    shape = tuple(int(s) for s in image.shape)
    affine = np.asarray(image.affine, float)
    out = np.zeros(shape, np.uint8)
    segments: dict[str, int] = {}
    for roi in ds.get("ROIContourSequence", []):
        name = names.get(int(roi.get("ReferencedROINumber", -1)))
        if name is None:
            raise RTStructError(f"{path.name}: contours of ROI {roi.get('ReferencedROINumber')} "
                                "which the structure set does not name")
        value = segments.setdefault(name, len(segments) + 1)
        for c in roi.get("ContourSequence", []):
            _fill(out, c, value, affine, shape, f"{path.name}: ROI {name!r}")
    if not segments or not out.any():
        raise RTStructError(f"{path.name}: no contour falls on the image")
    return ContourLabels(out, affine, segments)


def _fill(out: np.ndarray, contour, value: int, affine: np.ndarray, shape, where: str) -> None:
    kind = str(contour.get("ContourGeometricType", ""))
    if kind == "POINT":
        return  # a marker, not a region
    if kind != "CLOSED_PLANAR":
        raise RTStructError(f"{where}: contour type {kind or 'missing'!r} is not "
                            "CLOSED_PLANAR")
    xyz = np.asarray(contour.get("ContourData", []), float)
    if xyz.size < 9 or xyz.size % 3:
        raise RTStructError(f"{where}: a contour has {xyz.size} coordinates (needs 3 per point, "
                            "at least 3 points)")
    kji = np.linalg.solve(affine[:3, :3], (xyz.reshape(-1, 3) - affine[:3, 3]).T).T
    k = int(np.round(kji[:, 0].mean()))
    if np.abs(kji[:, 0] - k).max() > SLICE_TOL or not 0 <= k < shape[0]:
        raise RTStructError(f"{where}: a contour lies off the image's slices (at slice index "
                            f"{kji[:, 0].mean():.2f}); resample the structure set onto the "
                            "image first")
    mask = fill_polygon(shape[1:], kji[:, 1], kji[:, 2])
    out[k][mask] = value
