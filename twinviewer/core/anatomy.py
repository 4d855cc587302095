"""The patient's heart as the imaging pipeline hands it on: image, labels, meshes, volumes.

Plain dataclasses over numpy arrays (no VTK here), so the ``.twin`` writer, the GUI and tests can
use them without a rendering stack.

Coordinate conventions
----------------------
Patient coordinates are DICOM LPS millimetres (x to the patient's left, y posterior, z head).
Image arrays are indexed ``[phase, k, j, i]`` = ``[phase, slice, row, column]``. The 4×4 affine
maps an index column vector ``(k, j, i, 1)`` (slice, row, column — the array order) to patient
``(x, y, z, 1)`` in mm; the same convention as ``highdicom.Volume``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twinviewer.core.measurement import Measurement
from twinviewer.core.privacy import without_study_paths


@dataclass
class SurfaceMesh:
    """A closed triangle surface in patient mm with per-vertex boundary uncertainty.

    Parameters
    ----------
    points : (n, 3) float64 ndarray
        Vertex positions, patient LPS mm.
    faces : (m, 3) int32 ndarray
        Triangles as vertex indices, counter-clockwise seen from outside (normals point out).
    uncertainty_mm : (n,) float64 ndarray
        Half-width (mm) of the interval the image supports for each vertex's position along
        the surface normal; zero where unknown (e.g. an imported mesh).
    cap_mask : (m,) bool ndarray, optional
        True for triangles that only close an opening (valve annulus caps): counted in the
        volume, drawn only when asked.
    """

    points: np.ndarray
    faces: np.ndarray
    uncertainty_mm: np.ndarray | None = None
    cap_mask: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.points = np.ascontiguousarray(self.points, dtype=np.float64).reshape(-1, 3)
        self.faces = np.ascontiguousarray(self.faces, dtype=np.int32).reshape(-1, 3)
        if self.uncertainty_mm is None:
            self.uncertainty_mm = np.zeros(len(self.points))
        self.uncertainty_mm = np.asarray(self.uncertainty_mm, dtype=np.float64).reshape(-1)
        if len(self.uncertainty_mm) != len(self.points):
            raise ValueError(f"uncertainty_mm has {len(self.uncertainty_mm)} values for "
                             f"{len(self.points)} points")
        if self.cap_mask is not None:
            self.cap_mask = np.asarray(self.cap_mask, dtype=bool).reshape(-1)
            if len(self.cap_mask) != len(self.faces):
                raise ValueError(f"cap_mask has {len(self.cap_mask)} values for "
                                 f"{len(self.faces)} faces")
        if len(self.faces) and (self.faces.min() < 0 or self.faces.max() >= len(self.points)):
            raise ValueError("faces index points that do not exist")

    @property
    def n_points(self) -> int:
        return len(self.points)

    @property
    def n_faces(self) -> int:
        return len(self.faces)

    def volume_ml(self) -> float:
        """Enclosed volume (mL) by the divergence theorem; negative if the faces point inwards."""
        a, b, c = (self.points[self.faces[:, n]] for n in range(3))
        cross = np.stack([b[:, 1] * c[:, 2] - b[:, 2] * c[:, 1],
                          b[:, 2] * c[:, 0] - b[:, 0] * c[:, 2],
                          b[:, 0] * c[:, 1] - b[:, 1] * c[:, 0]], axis=1)
        signed = np.einsum("ij,ij->", a, cross) / 6.0
        return float(signed) / 1000.0  # mm³ -> mL

    def area_mm2(self) -> float:
        """Surface area (mm²)."""
        p = self.points[self.faces]
        return float(0.5 * np.linalg.norm(np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]),
                                          axis=1).sum())

    def to_dict(self) -> dict[str, np.ndarray]:
        """Arrays by name, for an array-friendly file format."""
        d = {"points": self.points, "faces": self.faces, "uncertainty_mm": self.uncertainty_mm}
        if self.cap_mask is not None:
            d["cap_mask"] = self.cap_mask
        return d

    def without_caps(self) -> SurfaceMesh:
        """The surface as acquired: cap triangles dropped (points kept, so indices hold)."""
        if self.cap_mask is None or not self.cap_mask.any():
            return self
        return SurfaceMesh(self.points, self.faces[~self.cap_mask], self.uncertainty_mm)

    @classmethod
    def from_dict(cls, d: dict) -> SurfaceMesh:
        return cls(np.asarray(d["points"]), np.asarray(d["faces"]),
                   np.asarray(d["uncertainty_mm"]) if "uncertainty_mm" in d else None,
                   np.asarray(d["cap_mask"], dtype=bool) if "cap_mask" in d else None)


@dataclass
class Structure:
    """One labelled anatomical structure, with a mesh and a volume per cardiac phase.

    Parameters
    ----------
    key
        Vocabulary key, e.g. ``'lv_blood'``.
    name
        Display name, e.g. ``'LV blood pool'``.
    color
        RGB in 0..1.
    meshes
        Surface per phase index (index into :attr:`ImageVolume.phase_times_ms`).
    volumes
        Volume per phase index as a :class:`~twinviewer.core.Measurement` in mL.
    """

    key: str
    name: str
    color: tuple[float, float, float]
    meshes: dict[int, SurfaceMesh] = field(default_factory=dict)
    volumes: dict[int, Measurement] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"key": self.key, "name": self.name, "color": list(self.color),
                "meshes": {str(k): m.to_dict() for k, m in self.meshes.items()},
                "volumes": {str(k): v.to_dict() for k, v in self.volumes.items()}}

    @classmethod
    def from_dict(cls, d: dict) -> Structure:
        return cls(d["key"], d["name"], tuple(d["color"]),
                   {int(k): SurfaceMesh.from_dict(m) for k, m in d.get("meshes", {}).items()},
                   {int(k): Measurement.from_dict(v) for k, v in d.get("volumes", {}).items()})


#: Most slabs :attr:`ImageVolume.missing_slabs` may count at one end. A short-axis cine stack
#: has about 8–20 slices (one series each), so no import leaves out more; the bound keeps the
#: coverage model's extrapolation over them finite (an unbounded count overflowed it).
MAX_MISSING_SLABS = 100


def slab_counts(value: Any) -> tuple[int, int]:
    """``value`` as :attr:`ImageVolume.missing_slabs`: two whole numbers 0…MAX_MISSING_SLABS.

    Raises
    ------
    ValueError
        Saying what is wrong (a negative count, one number or three, text, true/false,
        a fraction, a count beyond the bound); nothing is coerced.

    Examples
    --------
    >>> slab_counts([1, 0])
    (1, 0)
    >>> slab_counts([-2, 0])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: missing_slabs should be two whole numbers of slabs from 0 to 100 ..., found [-2, 0]
    """
    ok = (isinstance(value, list | tuple) and len(value) == 2
          and all(isinstance(n, numbers.Integral) and not isinstance(n, bool)
                  and 0 <= n <= MAX_MISSING_SLABS for n in value))
    if not ok:
        try:
            shown = repr(value)
        except ValueError:  # an integer too long to print
            shown = f"a {type(value).__name__}"
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        raise ValueError(f"missing_slabs should be two whole numbers of slabs from 0 to "
                         f"{MAX_MISSING_SLABS} (left out before the first slice, after the "
                         f"last), found {shown}")
    return int(value[0]), int(value[1])


@dataclass
class ImageVolume:
    """A (possibly gated, 4D) image on a regular grid.

    Parameters
    ----------
    array : (phases, z, y, x) float32 or int16 ndarray
        Values in HU (CT) or scanner signal units, ``[phase, slice k, row j, column i]``;
        int16 when whole and within its range (a DICOM CT, a reopened .twin's CT).
    affine : (4, 4) float64 ndarray
        Maps ``(k, j, i, 1)`` to patient LPS ``(x, y, z, 1)`` mm (see module docstring).
    spacing : tuple of float
        ``(slice, row, column)`` spacing in mm, from positions (not SliceThickness).
    phase_times_ms
        Trigger time of each phase (ms after the R wave); NaN where unknown.
    ed_index, es_index
        Phase indices of end-diastole and end-systole (equal for a single phase).
    modality, description
        DICOM Modality and SeriesDescription (no identifiers).
    slice_thickness_mm
        Reconstructed slice thickness (mm) if given; enters the mesh-blur term, not geometry.
    missing_slabs
        Slabs of the acquired stack left out before the first slice and after the last one
        (an end series that could not be used): the volumes are extrapolated over them.
        Two whole numbers 0…:data:`MAX_MISSING_SLABS` (:func:`slab_counts`; ValueError
        otherwise).
    """

    array: np.ndarray
    affine: np.ndarray
    spacing: tuple[float, float, float]
    phase_times_ms: list[float] = field(default_factory=lambda: [float("nan")])
    ed_index: int = 0
    es_index: int = 0
    modality: str = ""
    description: str = ""
    slice_thickness_mm: float | None = None
    missing_slabs: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        if self.array.ndim == 3:
            self.array = self.array[None]
        if self.array.ndim != 4:
            raise ValueError(f"image array must be (phases, z, y, x), got shape {self.array.shape}")
        self.affine = np.asarray(self.affine, dtype=np.float64)
        self.spacing = tuple(float(s) for s in self.spacing)
        self.missing_slabs = slab_counts(self.missing_slabs)

    @property
    def n_phases(self) -> int:
        return int(self.array.shape[0])

    @property
    def shape(self) -> tuple[int, int, int]:
        """Spatial shape ``(z, y, x)``."""
        return tuple(int(s) for s in self.array.shape[1:])

    def index_to_patient(self, kji: np.ndarray) -> np.ndarray:
        """``(n, 3)`` continuous indices ``(k, j, i)`` → ``(n, 3)`` patient mm."""
        kji = np.asarray(kji, dtype=np.float64).reshape(-1, 3)
        return kji @ self.affine[:3, :3].T + self.affine[:3, 3]

    def patient_to_index(self, xyz: np.ndarray) -> np.ndarray:
        """``(n, 3)`` patient mm → ``(n, 3)`` continuous indices ``(k, j, i)``."""
        xyz = np.asarray(xyz, dtype=np.float64).reshape(-1, 3)
        return np.linalg.solve(self.affine[:3, :3], (xyz - self.affine[:3, 3]).T).T

    def to_dict(self) -> dict:
        return {"array": self.array, "affine": self.affine, "spacing": list(self.spacing),
                "phase_times_ms": list(self.phase_times_ms), "ed_index": self.ed_index,
                "es_index": self.es_index, "modality": self.modality,
                "description": self.description, "slice_thickness_mm": self.slice_thickness_mm,
                "missing_slabs": [int(n) for n in self.missing_slabs]}

    @classmethod
    def from_dict(cls, d: dict) -> ImageVolume:
        """The volume of :meth:`to_dict`'s ``d``: an int16 array (a CT in whole HU, as a
        DICOM CT is loaded and a .twin stores it) is kept int16, any other float32."""
        a = np.asarray(d["array"])
        return cls(a if a.dtype == np.int16 else a.astype(np.float32, copy=False),
                   np.asarray(d["affine"]),
                   tuple(d["spacing"]), list(d["phase_times_ms"]), int(d["ed_index"]),
                   int(d["es_index"]), d.get("modality", ""), d.get("description", ""),
                   d.get("slice_thickness_mm"),
                   d.get("missing_slabs", (0, 0)))


@dataclass
class ImagePlane:
    """A long-axis (or any other) cine plane kept at its true position beside the stack.

    Parameters
    ----------
    view
        ``'2CH'``, ``'3CH'``, ``'4CH'``, ``'RVOT'``, ``'axial'``, ``'oblique'``...
    image
        ``(phases, 1, rows, columns)`` image; its affine places the plane in patient mm and
        its ``phase_times_ms`` put each phase on the cycle.
    series_uid
        De-identified series UID.
    """

    view: str
    image: ImageVolume
    series_uid: str = ""

    def to_dict(self) -> dict:
        return {"view": self.view, "image": self.image.to_dict(), "series_uid": self.series_uid}

    @classmethod
    def from_dict(cls, d: dict) -> ImagePlane:
        return cls(d["view"], ImageVolume.from_dict(d["image"]), d.get("series_uid", ""))


@dataclass
class Anatomy:
    """Everything the imaging pipeline derives for one (pseudonymised) patient.

    Parameters
    ----------
    pseudonym
        Keyed pseudonym of the patient; never the real identifier.
    structures
        By vocabulary key.
    image
        The image the labels live on, if any (a mesh-only import has none).
    labels
        Phase index → ``(z, y, x)`` uint8 label map on ``image``'s grid (only labelled
        phases); values are in :attr:`label_values`.
    label_values
        Vocabulary key → integer label in :attr:`labels`.
    measurements
        Derived clinical numbers (LVEDV, LVESV, LVEF, LV mass...).
    notes
        Human-readable remarks from import (skipped files, assumptions, repairs).
    planes
        Long-axis cine planes at their true position (in step with the stack by phase time).
    phase_times_ms
        Time of each phase index after the R wave (ms) when there is no image to carry them
        (a mesh time series); ``None`` to use :attr:`ImageVolume.phase_times_ms`.
    rr_ms
        R-R interval (ms) of the cycle the phases cover, if known.
    ed_es_assumed
        True when ED/ES come from timing alone (not from segmented volumes).
    predicted
        True when the meshes are not a patient's: a virtual heart's anatomy deformed to its
        model's volumes (a prediction), or a base heart standing in for it. No measured
        volume or volume curve is taken from them.
    """

    pseudonym: str
    structures: dict[str, Structure] = field(default_factory=dict)
    image: ImageVolume | None = None
    labels: dict[int, np.ndarray] | None = None
    label_values: dict[str, int] = field(default_factory=dict)
    measurements: list[Measurement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    planes: list[ImagePlane] = field(default_factory=list)
    phase_times_ms: list[float] | None = None
    rr_ms: float | None = None
    ed_es_assumed: bool = False
    predicted: bool = False

    def cycle_times_ms(self) -> list[float]:
        """Time after R (ms) of each phase index: from the mesh series, else the image."""
        if self.phase_times_ms is not None:
            return list(self.phase_times_ms)
        return list(self.image.phase_times_ms) if self.image is not None else [0.0]

    def measurement(self, name: str) -> Measurement:
        """The measurement called ``name`` (KeyError if absent)."""
        for m in self.measurements:
            if m.name == name:
                return m
        raise KeyError(name)

    def to_dict(self) -> dict:
        return {"pseudonym": self.pseudonym,
                "structures": {k: s.to_dict() for k, s in self.structures.items()},
                "image": None if self.image is None else self.image.to_dict(),
                "labels": None if self.labels is None else {
                    str(p): a for p, a in self.labels.items()},
                "label_values": dict(self.label_values),
                "measurements": [m.to_dict() for m in self.measurements],
                "notes": list(self.notes),
                "planes": [p.to_dict() for p in self.planes],
                "phase_times_ms": self.phase_times_ms, "rr_ms": self.rr_ms,
                "ed_es_assumed": self.ed_es_assumed, "predicted": self.predicted}

    @classmethod
    def from_dict(cls, d: dict) -> Anatomy:
        return cls(d["pseudonym"],
                   {k: Structure.from_dict(s) for k, s in d.get("structures", {}).items()},
                   None if d.get("image") is None else ImageVolume.from_dict(d["image"]),
                   None if d.get("labels") is None else {
                    int(p): np.asarray(a, dtype=np.uint8) for p, a in d["labels"].items()},
                   dict(d.get("label_values", {})),
                   [Measurement.from_dict(m) for m in d.get("measurements", [])],
                   [without_study_paths(str(n)) for n in d.get("notes", [])],
                   [ImagePlane.from_dict(p) for p in d.get("planes", [])],
                   d.get("phase_times_ms"), d.get("rr_ms"), bool(d.get("ed_es_assumed", False)),
                   bool(d.get("predicted", False)))
