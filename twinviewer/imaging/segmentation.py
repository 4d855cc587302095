"""Segmentations onto the image grid: DICOM SEG (highdicom), NIfTI label maps (nibabel), meshes.

Every label map is brought onto the image's voxel grid by geometry alone: the two affines must
agree up to an axis permutation/flip and a whole-voxel shift (a SEG that covers only some
slices is fine); anything else — resampled, rotated, other spacing — is refused with a message
naming the file, because silently resampling labels would change the measured volumes.

Internal label values are ``LABEL_VALUES`` (vocabulary order, 1..7).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from twinviewer.core.anatomy import ImageVolume, SurfaceMesh
from twinviewer.imaging.dicom_stack import Dataset, highdicom
from twinviewer.imaging.errors import ImagingError
from twinviewer.imaging.vocabulary import (
    KEYS,
    MESH_ONLY,
    VOCABULARY,
    load_mapping,
    match_segment,
)

LABEL_VALUES: dict[str, int] = {k: n + 1 for n, k in enumerate(
    k for k in KEYS if k not in MESH_ONLY)}
MESH_SUFFIXES = (".vtp", ".vtk", ".stl", ".obj", ".ply")
NIFTI_SUFFIXES = (".nii", ".nii.gz")
LPS_FROM_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])


@dataclass
class LabelSet:
    """Label maps on an image grid, one per phase index, in :data:`LABEL_VALUES`."""

    labels: dict[int, np.ndarray] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def merge(self, other: LabelSet, name: str) -> None:
        for phase, lab in other.labels.items():
            if phase in self.labels:
                mine = self.labels[phase]
                clash = (mine > 0) & (lab > 0) & (mine != lab)
                if clash.any():
                    self.notes.append(f"{name}: {int(clash.sum())} voxels already labelled "
                                      f"differently in phase {phase}; later file wins")
                np.copyto(mine, lab, where=lab > 0)
            else:
                self.labels[phase] = lab
        self.notes.extend(other.notes)


def align_to_image(array: np.ndarray, affine: np.ndarray, image: ImageVolume, name: str,
                   *, tol_mm: float = 0.05) -> np.ndarray:
    """Place a 3D label array with its own affine onto ``image``'s ``(z, y, x)`` grid.

    Parameters
    ----------
    array : 3D ndarray
        Labels indexed ``(a0, a1, a2)``.
    affine : (4, 4) ndarray
        Maps ``(a0, a1, a2, 1)`` to patient LPS mm.
    image : ImageVolume
    name : str
        File name for messages.
    tol_mm : float, default: 0.05
        Largest tolerated misplacement of a voxel centre.

    Raises
    ------
    ImagingError
        If the grids differ by more than an axis permutation/flip and whole-voxel shift, or
        labels fall outside the image.
    """
    t = np.linalg.solve(image.affine, np.asarray(affine, float))  # src index -> image index
    m, off = t[:3, :3], t[:3, 3]
    perm = np.argmax(np.abs(m), axis=1)
    signs = np.sign(m[np.arange(3), perm])
    ideal = np.zeros((3, 3))
    ideal[np.arange(3), perm] = signs
    spacing = np.asarray(image.spacing)
    shape = np.asarray(array.shape)
    corner = np.abs((m - ideal) @ (shape - 1)) * spacing
    if sorted(perm) != [0, 1, 2] or corner.max() > tol_mm or \
            np.any(np.abs(off - np.round(off)) * spacing > tol_mm):
        src_spacing = np.linalg.norm(np.asarray(affine, float)[:3, :3], axis=0)
        raise ImagingError(
            f"{name}: label map geometry does not match the image (spacing "
            f"{np.round(src_spacing, 3).tolist()} mm vs image {np.round(spacing, 3).tolist()} "
            f"mm, origin {np.round(np.asarray(affine)[:3, 3], 2).tolist()} vs "
            f"{np.round(image.affine[:3, 3], 2).tolist()}); resample it onto the image first")
    # dst axis a takes src axis perm[a], flipped where signs[a] < 0
    src = np.transpose(array, perm)
    off = np.round(off).astype(int)
    for a in range(3):
        if signs[a] < 0:
            src = np.flip(src, axis=a)
            off[a] -= src.shape[a] - 1
    out = np.zeros(image.shape, np.uint8)
    lo = np.maximum(off, 0)
    hi = np.minimum(off + np.asarray(src.shape), image.shape)
    if np.any(hi <= lo):
        raise ImagingError(f"{name}: label map lies entirely outside the image")
    src_sl = tuple(slice(lo[a] - off[a], hi[a] - off[a]) for a in range(3))
    inside = src[src_sl]
    if np.count_nonzero(inside) != np.count_nonzero(src):
        raise ImagingError(f"{name}: {np.count_nonzero(src) - np.count_nonzero(inside)} "
                           "labelled voxels fall outside the image")
    out[tuple(slice(lo[a], hi[a]) for a in range(3))] = inside
    return out


def _lut(mapping: dict[int, str], name: str, notes: list[str]) -> np.ndarray:
    lut = np.zeros(max([*mapping, 0]) + 1, np.uint8)
    for value, key in mapping.items():
        lut[value] = LABEL_VALUES[key]
    dup = [k for k, n in Counter(mapping.values()).items() if n > 1]
    if dup:
        notes.append(f"{name}: several segments map to {dup}; merged")
    return lut


def read_seg(ds: Dataset, image: ImageVolume, *, series_uid: str, sop_phase: dict[str, int],
             name: str, mapping: dict[str, str] | None = None) -> LabelSet:
    """A (de-identified) DICOM SEG as labels on ``image``'s grid.

    Segments map to the vocabulary by SNOMED code, else label text, else ``mapping``
    (see :func:`twinviewer.imaging.vocabulary.match_segment`). The phase is the one of the
    image instances the SEG references.

    Raises
    ------
    ImagingError
        If the SEG does not reference ``series_uid``, no segment matches the vocabulary, or
        its geometry does not fit the image.
    """
    hd = highdicom()

    refs = [str(s.SeriesInstanceUID) for s in ds.get("ReferencedSeriesSequence", [])]
    if series_uid not in refs:
        raise ImagingError(f"{name}: segmentation does not reference the image series "
                           f"(it references {len(refs)} other series)")
    inst = [str(i.ReferencedSOPInstanceUID) for s in ds.ReferencedSeriesSequence
            if str(s.SeriesInstanceUID) == series_uid
            for i in s.get("ReferencedInstanceSequence", [])]
    phases = Counter(sop_phase[u] for u in inst if u in sop_phase)
    n_phases = image.n_phases
    if phases:
        phase = phases.most_common(1)[0][0]
    elif n_phases == 1:
        phase = 0
    else:
        raise ImagingError(f"{name}: segmentation references none of the image's instances, "
                           "so its cardiac phase is unknown")
    try:
        seg = hd.seg.Segmentation.from_dataset(ds, copy=False)
    except (AttributeError, KeyError, ValueError, TypeError) as exc:
        raise ImagingError(f"{name}: not a valid DICOM Segmentation ({exc})") from exc
    notes: list[str] = []
    by_number: dict[int, str] = {}
    for n in seg.segment_numbers:
        d = seg.get_segment_description(n)
        ptype = d.segmented_property_type
        texts = tuple(str(t) for t in (d.segment_label, d.get("SegmentDescription", ""),
                                       ptype.meaning) if t)
        key = match_segment(code=str(ptype.value), scheme=str(ptype.scheme_designator),
                            labels=texts, mapping=mapping)
        if key is None:
            notes.append(f"{name}: segment {n} {d.segment_label!r} is not in the vocabulary; "
                         "ignored (map it in a segment mapping JSON)")
        else:
            by_number[n] = key
    if not by_number:
        raise ImagingError(f"{name}: no segment matches the cardiac vocabulary "
                           f"({list(KEYS)}); provide a segment mapping JSON")
    try:
        vol = seg.get_volume(segment_numbers=sorted(by_number), combine_segments=True,
                             relabel=False, skip_overlap_checks=True, dtype=np.uint8,
                             allow_missing_positions=True)
    except (ValueError, RuntimeError) as exc:
        raise ImagingError(f"{name}: segmentation frames do not form a volume ({exc})") from exc
    lut = _lut(by_number, name, notes)
    arr = lut[np.asarray(vol.array)]
    return LabelSet({phase: align_to_image(arr, vol.affine, image, name)}, notes)


def read_nifti(path: Path, image: ImageVolume, *, mapping: dict[str, str] | None = None
               ) -> LabelSet:
    """A NIfTI label map (3D, or 4D with one volume per image phase) on the image grid.

    Label values are read with ``mapping`` (``{"1": "lv_blood", ...}``) if given, else as
    TwinViewer's :data:`LABEL_VALUES`.

    Raises
    ------
    ImagingError
        Unreadable file, non-integer labels, phase count or geometry not matching the image.
    """
    import nibabel as nib

    try:
        img = nib.load(str(path))
        data = np.asanyarray(img.dataobj)
    except Exception as exc:  # nibabel raises many types for broken files
        raise ImagingError(f"{path.name}: cannot read NIfTI ({type(exc).__name__}: {exc})") from exc
    if data.ndim not in (3, 4) or not np.all(np.isfinite(data)) or \
            not np.array_equal(data, np.round(data)) or data.min() < 0 or data.max() > 255:
        raise ImagingError(f"{path.name}: not a 3D/4D label map of integers 0..255 "
                           f"(shape {data.shape}, dtype {data.dtype})")
    notes: list[str] = []
    values = {int(v) for v in np.unique(data)} - {0}
    if mapping:
        by_value = {int(k): v for k, v in mapping.items() if str(k).strip().isdigit()}
    else:
        by_value = {v: k for k, v in LABEL_VALUES.items()}
        notes.append(f"{path.name}: labels read as TwinViewer values "
                     f"{ {v: k for k, v in by_value.items() if k in values} }")
    unknown = values - set(by_value)
    if unknown:
        notes.append(f"{path.name}: label values {sorted(unknown)} not mapped; ignored")
    lut = np.zeros(256, np.uint8)
    lut[list(by_value)] = [LABEL_VALUES[k] for k in by_value.values()]
    affine = LPS_FROM_RAS @ img.affine
    vols = [data] if data.ndim == 3 else [data[..., t] for t in range(data.shape[3])]
    if len(vols) not in (1, image.n_phases):
        raise ImagingError(f"{path.name}: {len(vols)} label volumes for an image of "
                           f"{image.n_phases} phases")
    phases = [image.ed_index] if len(vols) == 1 else list(range(len(vols)))
    return LabelSet({p: align_to_image(lut[v.astype(np.uint8)], affine, image, path.name)
                     for p, v in zip(phases, vols, strict=True)}, notes)


def read_label_volume(volume, image: ImageVolume, *, name: str,
                      mapping: dict[str, str] | None = None) -> LabelSet:
    """Labels returned by a plugin reader (``opens = "labels"``) on ``image``'s grid.

    ``volume`` has ``array`` (3D integers, indexed ``(i, j, k)``), ``affine`` ((4, 4), index
    → patient LPS mm) and ``segments`` (segment name → label value). Segments map to the
    vocabulary by name (``mapping`` first); without segment names the values are read as
    TwinViewer's :data:`LABEL_VALUES`.

    Raises
    ------
    ImagingError
        Naming ``name``: a missing field, a non-integer or non-3D array, a bad affine, or
        geometry not matching the image.
    """
    try:
        array = np.asarray(volume.array)
        affine = np.asarray(volume.affine, dtype=float)
        segments = dict(getattr(volume, "segments", {}) or {})
    except (AttributeError, TypeError, ValueError) as exc:
        raise ImagingError(f"{name}: the reader returned no label volume (needs array, affine "
                           f"and segments: {exc})") from None
    if array.ndim != 3 or array.dtype.kind not in "iub" or array.size == 0:
        raise ImagingError(f"{name}: not a 3D integer label map (shape {array.shape}, dtype "
                           f"{array.dtype})")
    if affine.shape != (4, 4) or not np.all(np.isfinite(affine)) or \
            abs(np.linalg.det(affine[:3, :3])) < 1e-9:
        raise ImagingError(f"{name}: the label map's affine is not an invertible 4×4 matrix")
    notes: list[str] = []
    if segments:
        by_value: dict[int, str] = {}
        for seg, value in segments.items():
            key = match_segment(labels=(str(seg),), mapping=mapping)
            if key is None:
                notes.append(f"{name}: segment {seg!r} (label {value}) matches no structure; "
                             "ignored (give a mapping)")
            else:
                by_value[int(value)] = key
    else:
        by_value = {v: k for k, v in LABEL_VALUES.items()}
        notes.append(f"{name}: no segment names; labels read as TwinViewer values")
    values = {int(v) for v in np.unique(array)} - {0}
    lut = np.zeros(max([*values, *by_value, 0]) + 1, np.uint8)
    for value, key in by_value.items():
        lut[value] = LABEL_VALUES[key]
    if array.min() < 0:
        raise ImagingError(f"{name}: negative label values")
    return LabelSet({image.ed_index: align_to_image(lut[array], affine, image, name)}, notes)


def read_mesh(path: Path, *, mapping: dict[str, str] | None = None,
              notes: list[str] | None = None) -> tuple[str, SurfaceMesh]:
    """A surface mesh file (VTP/VTK/STL/OBJ/PLY) as ``(vocabulary key, SurfaceMesh)``.

    The structure is named by the file stem (``lv_blood.stl``, ``Left atrium.obj``...) or
    ``mapping``. Units and orientation are repaired where safe
    (:func:`twinviewer.imaging.meshing.from_polydata`).

    Raises
    ------
    ImagingError
        Unreadable file, no triangles, or a stem that names no vocabulary structure.
    """
    import pyvista as pv

    from twinviewer.imaging.meshing import from_polydata

    path = Path(path)
    stem = path.name[: -len("".join(path.suffixes))] if path.suffixes else path.name
    key = match_segment(labels=(stem,), mapping=mapping)
    if key is None:
        raise ImagingError(f"{path.name}: file name does not name a structure of the vocabulary "
                           f"{list(KEYS)}; rename it or map it in a segment mapping JSON")
    try:
        poly = pv.read(path)
    except Exception as exc:  # VTK/meshio readers raise many types
        raise ImagingError(f"{path.name}: cannot read mesh ({type(exc).__name__}: {exc})") from exc
    return key, from_polydata(poly, path.name, notes)


def mapping_from(path: Path | None) -> dict[str, str] | None:
    """Load a segment mapping JSON if given (``ValueError`` -> ``ImagingError``)."""
    if path is None:
        return None
    try:
        return load_mapping(path)
    except ValueError as exc:
        raise ImagingError(str(exc)) from exc


def display(key: str) -> tuple[str, tuple[float, float, float]]:
    """Display name and colour of a vocabulary key."""
    t = VOCABULARY[key]
    return t.name, t.color
