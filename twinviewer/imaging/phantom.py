"""A synthetic four-chamber heart in a chest: label maps and CT intensities (no DICOM here).

The heart is built from smooth implicit shapes in patient coordinates, so the anatomy does not
depend on the voxel grid: truncated "bullet" superellipsoids for the left ventricle, an
ellipsoid minus the LV epicardium for the crescent-shaped right ventricle, ellipsoids for the
atria, and tubes along polylines for the aorta (root, ascending, arch, descending) and the
pulmonary trunk with its branches.

Conventions
-----------
Patient coordinates are DICOM LPS millimetres (x to the patient's left, y posterior, z head).
Arrays are indexed ``[k, j, i]`` = ``[slice, row, column]``; slices are axial with rows along +y
and columns along +x, so the affine from :func:`grid_affine` maps ``(k, j, i, 1)`` to patient
``(x, y, z, 1)`` (the convention of :mod:`twinviewer.core.anatomy` and ``highdicom.Volume``).

The long axis runs from the mitral-plane centre towards the apex leftward, anteriorly and
inferiorly: 45° off the sagittal plane in the axial plane and 30° below it (Lang et al. 2015).
End-systole shortens the LV long axis by moving the base towards a nearly fixed apex, thickens
the walls at constant myocardial volume, and lets the atria fill.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

PHASES: tuple[str, ...] = ("ED", "ES")

# Integer label of each vocabulary key (also the DICOM SEG segment number).
LABEL_VALUES: dict[str, int] = {
    "lv_blood": 1,
    "lv_myocardium": 2,
    "rv_blood": 3,
    "la": 4,
    "ra": 5,
    "aorta": 6,
    "pulmonary_artery": 7,
}

# Tissue classes of the CT (a superset of the labels: walls, fat, lung, bone have no label).
AIR, BODY_FAT, MUSCLE, LUNG, MEDIASTINAL_FAT, BONE, LV_MYO, OTHER_WALL, LEFT_BLOOD, RIGHT_BLOOD = (
    range(10))

# Mean HU per tissue class (contrast CT, late arterial: left heart brighter than right).
TISSUE_HU: dict[int, float] = {
    AIR: -1000.0,
    BODY_FAT: -100.0,
    MUSCLE: 50.0,
    LUNG: -850.0,
    MEDIASTINAL_FAT: -100.0,
    BONE: 700.0,
    LV_MYO: 75.0,
    OTHER_WALL: 70.0,
    LEFT_BLOOD: 380.0,
    RIGHT_BLOOD: 300.0,
}

# Least fat (mm) between the heart and the chest wall: pericardium plus pericardial fat, which
# on contrast CT separates the myocardium (40-100 HU) from the chest wall (REFERENCE.md:
# fat -100 HU). The normal pericardium is at most 2 mm thick on CT with fat on both sides
# (Wang et al. 2003, RadioGraphics 23:S167); 3 mm in all is my choice, at the thin end.
PERICARDIAL_FAT_MM = 3.0

# Patient position (LPS mm) of the centre of the field of view; deliberately not the origin so
# that readers which ignore ImagePositionPatient are caught.
FOV_CENTRE = np.array([25.0, -12.0, -148.0])
# Centre of the mitral annulus (LV base) at end-diastole, relative to the field-of-view centre.
_BASE_OFFSET = np.array([-12.0, 8.0, -6.0])


def _unit(v: Sequence[float]) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


# Heart frame: u base->apex, v towards the right ventricle (right-anterior), n = u x v.
_AZ, _EL = np.deg2rad(45.0), np.deg2rad(30.0)
U = _unit([np.sin(_AZ) * np.cos(_EL), -np.cos(_AZ) * np.cos(_EL), -np.sin(_EL)])
V = _unit([-1.0, -1.0, 0.0])
N = np.cross(U, V)


@dataclass(frozen=True)
class PhaseShape:
    """Shape parameters (mm) of one cardiac phase."""

    base_shift: float  # LV/RV base moves this far along U (towards the apex)
    lv_radius: float  # LV endocardial radius at the base
    lv_length: float  # LV endocardial length, base plane to apex
    lv_wall: float  # LV free-wall/septal thickness
    rv_centre: tuple[float, float, float]  # RV ellipsoid centre in (u, v, n) from the base
    rv_axes: tuple[float, float, float]  # RV ellipsoid semi-axes along (u, v, n)
    la_axes: tuple[float, float, float]  # LA semi-axes along (x, y, z)
    ra_axes: tuple[float, float, float]  # RA semi-axes along (x, y, z)


_P = 4.0  # superellipsoid exponent along the long axis: a "bullet" LV, volume factor p/(p+1)

SHAPES: dict[str, PhaseShape] = {
    "ED": PhaseShape(base_shift=0.0, lv_radius=25.0, lv_length=82.0, lv_wall=9.0,
                     rv_centre=(34.0, 26.5, 2.0), rv_axes=(59.0, 31.0, 35.0),
                     la_axes=(26.0, 19.0, 21.0), ra_axes=(21.0, 20.0, 25.0)),
    "ES": PhaseShape(base_shift=10.0, lv_radius=16.5, lv_length=70.0, lv_wall=13.5,
                     rv_centre=(38.0, 21.0, 2.0), rv_axes=(48.0, 21.0, 25.0),
                     la_axes=(30.0, 22.0, 24.0), ra_axes=(25.0, 23.0, 28.0)),
}

# --- Parts added for issue 17 (a heart that looks like a heart). Sizes are textbook and
# published normals for adults:
# - LA appendage: a curved finger-like pouch anterolateral to the LA, under the left pulmonary
#   artery, orifice ~15-20 mm, volume of a few mL (Veinot et al., Circulation 1997;96:3112;
#   CT series report ~4-10 mL); the phantom's LAA is ~5 mL (:data:`APPENDAGE_ML`).
# - RA appendage: broad, blunt, triangular, anterior-superior over the aortic root (Ho et al.,
#   Heart 2001 / "Anatomy of the heart", Anderson).
# - Aortic root: sinus of Valsalva diameter 30-35 mm (Roman et al., Am J Cardiol 1989;64:507;
#   Lang et al., JASE 2015;28:1); arch branches ~12 mm (brachiocephalic), ~8 mm (left common
#   carotid), ~10 mm (left subclavian) (Gray's Anatomy, 42nd ed.).
# - Pulmonary veins: four, ostial diameter ~10-13 mm (Kato et al., Circulation 2003;107:2004),
#   entering the LA posteriorly, superior and inferior on each side.
# - Venae cavae: SVC ~20 mm entering the RA from above, IVC ~20 mm from below (IVC <= 21 mm
#   normal, Rudski et al., JASE 2010;23:685).
# Offsets are (x, y, z) mm in patient LPS from the atrium's centre (appendages, veins) or from
# the aortic root centre (branches).
_LAA_PATH = ((12.0, -8.0, 6.0), (26.0, -16.0, 12.0), (34.0, -26.0, 10.0), (36.0, -34.0, 6.0))
_LAA_RADII = (8.0, 7.0, 5.5, 4.5)
_RAA_PATH = ((-2.0, -14.0, 12.0), (-4.0, -26.0, 18.0), (-6.0, -32.0, 16.0))
_RAA_RADII = (11.0, 9.0, 7.0)
#: Appendage volumes (mL) the phantom is held to (tests measure them at ED): LA from the
#: references above; RA of the same order (no established normal; an assumption).
APPENDAGE_ML: dict[str, tuple[float, float]] = {"la": (4.0, 6.0), "ra": (4.0, 10.0)}
SINUS_RADIUS = 12.0  # three sinus spheres 6.5 mm off the root axis, 37 mm across them
#: Arch branch -> (origin inside the arch, rise, radius at the origin), mm from the root centre.
ARCH_BRANCHES: dict[str, tuple[tuple[float, ...], tuple[float, ...], float]] = {
    "brachiocephalic": ((-2.0, 6.0, 57.0), (-10.0, -2.0, 32.0), 6.0),
    "left common carotid": ((4.0, 16.0, 58.0), (1.0, 0.0, 32.0), 4.0),
    "left subclavian": ((9.0, 26.0, 59.0), (8.0, 4.0, 30.0), 5.0),
}
_PV = 6.0  # pulmonary vein radius at the ostium (12 mm diameter), tapering to 5 mm
#: Vein key -> (its atrium, polylines from inside the atrium outward, radii along them).
VEINS: dict[str, tuple[str, tuple, tuple[float, ...]]] = {
    "svc": ("ra", (((-4.0, 4.0, 14.0), (-6.0, 6.0, 40.0), (-6.0, 8.0, 80.0)),),
            (10.0, 10.0, 9.5)),
    "ivc": ("ra", (((0.0, 6.0, -14.0), (2.0, 10.0, -40.0), (2.0, 12.0, -66.0)),),
            (10.5, 10.0, 10.0)),
    "pulmonary_veins": ("la", tuple(
        ((sx * 16.0, 8.0, sz * 8.0), (sx * 30.0, 22.0, sz * 13.0), (sx * 46.0, 28.0, sz * 17.0))
        for sx in (1.0, -1.0) for sz in (1.0, -1.0)), (_PV, _PV - 0.5, _PV - 1.0)),
}
#: Label values of the veins (those of :data:`twinviewer.imaging.segmentation.LABEL_VALUES`).
#: They are kept out of :func:`make_labels` (and so out of the synthetic CT and its SEG): a
#: vein at blood density joined to its atrium would be taken into the atrium by a seeded
#: segmentation without a seed of its own, and the CT segmentation tests seed six pools.
VEIN_LABEL_VALUES: dict[str, int] = {"svc": 8, "ivc": 9, "pulmonary_veins": 10}



def grid_affine(shape: Sequence[int], spacing: Sequence[float]) -> np.ndarray:
    """4×4 affine mapping ``(k, j, i, 1)`` to patient LPS mm for an axial grid centred on the FOV.

    Parameters
    ----------
    shape : (3,) ints
        ``(slices, rows, columns)``.
    spacing : (3,) floats
        ``(slice, row, column)`` spacing in mm.
    """
    shape = np.asarray(shape, dtype=float)
    dz, dy, dx = (float(s) for s in spacing)
    origin = FOV_CENTRE - (shape[::-1] - 1) / 2.0 * np.array([dx, dy, dz])
    affine = np.eye(4)
    affine[:3, 0] = [0.0, 0.0, dz]  # k -> +z
    affine[:3, 1] = [0.0, dy, 0.0]  # j (row) -> +y
    affine[:3, 2] = [dx, 0.0, 0.0]  # i (column) -> +x
    affine[:3, 3] = origin
    return affine


def _check_grid(shape: Sequence[int], spacing: Sequence[float]) -> None:
    if len(shape) != 3 or any(int(s) != s or s < 8 for s in shape):
        raise ValueError(f"demo shape must be three integers >= 8 (slices, rows, columns), "
                         f"got {tuple(shape)}")
    if len(spacing) != 3 or any(not np.isfinite(s) or s <= 0 for s in spacing):
        raise ValueError(f"demo spacing must be three positive mm values, got {tuple(spacing)}")
    extent = np.asarray(shape, dtype=float) * np.asarray(spacing, dtype=float)
    if np.any(extent < 120.0):
        raise ValueError(f"demo field of view {tuple(np.round(extent, 1))} mm is too small for "
                         f"the heart; each of shape*spacing must be at least 120 mm")


def _coords(shape: Sequence[int], spacing: Sequence[float]) -> tuple[np.ndarray, ...]:
    """Patient x, y, z (float32, broadcastable to ``shape``) of every voxel centre."""
    a = grid_affine(shape, spacing)
    k = np.arange(shape[0], dtype=np.float32)[:, None, None]
    j = np.arange(shape[1], dtype=np.float32)[None, :, None]
    i = np.arange(shape[2], dtype=np.float32)[None, None, :]
    x = np.float32(a[0, 3]) + np.float32(a[0, 2]) * i + 0 * j + 0 * k
    y = np.float32(a[1, 3]) + np.float32(a[1, 1]) * j + 0 * i + 0 * k
    z = np.float32(a[2, 3]) + np.float32(a[2, 0]) * k + 0 * i + 0 * j
    return x, y, z


def _ellipsoid(x, y, z, centre, axes) -> np.ndarray:
    cx, cy, cz = centre
    ax, ay, az = axes
    return ((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2 + ((z - cz) / az) ** 2 <= 1.0


def _tube(x, y, z, points: Sequence[Sequence[float]], radii: Sequence[float]) -> np.ndarray:
    """Union of capsules along a polyline with linearly varying radius (smooth joints)."""
    inside = np.zeros(np.broadcast_shapes(x.shape, y.shape, z.shape), dtype=bool)
    pts = np.asarray(points, dtype=float)
    for (p0, p1), (r0, r1) in zip(zip(pts[:-1], pts[1:], strict=True),
                                  zip(radii[:-1], radii[1:], strict=True), strict=True):
        d = p1 - p0
        length2 = float(d @ d)
        t = ((x - p0[0]) * d[0] + (y - p0[1]) * d[1] + (z - p0[2]) * d[2]) / length2
        t = np.clip(t, 0.0, 1.0)
        dist2 = ((x - p0[0] - t * d[0]) ** 2 + (y - p0[1] - t * d[1]) ** 2
                 + (z - p0[2] - t * d[2]) ** 2)
        inside |= dist2 <= (r0 + (r1 - r0) * t) ** 2
    return inside


def _lv_bullet(a, r2, base: float, radius: float, length: float) -> np.ndarray:
    s = (a - base) / length
    return (s >= 0.0) & (np.abs(s) ** _P + r2 / radius**2 <= 1.0)


def _structures(shape, spacing, phase: str, veins: bool = False) -> dict[str, np.ndarray]:
    """Boolean mask per vocabulary key (may overlap; painting order resolves it); with
    ``veins`` also the caval and pulmonary veins (never overlapping the heart)."""
    if phase not in SHAPES:
        raise ValueError(f"unknown cardiac phase {phase!r}; expected one of {PHASES}")
    p = SHAPES[phase]
    x, y, z = _coords(shape, spacing)
    base = FOV_CENTRE + _BASE_OFFSET  # mitral-plane centre at ED (patient mm)
    rx, ry, rz = x - base[0], y - base[1], z - base[2]
    a = rx * U[0] + ry * U[1] + rz * U[2]
    s = rx * V[0] + ry * V[1] + rz * V[2]
    t = rx * N[0] + ry * N[1] + rz * N[2]
    r2 = s**2 + t**2

    # LV: the apex stays (nearly) put, the base descends by base_shift at systole.
    lv_cav = _lv_bullet(a, r2, p.base_shift, p.lv_radius, p.lv_length)
    apex_wall = 0.8 * p.lv_wall
    lv_epi = _lv_bullet(a, r2, p.base_shift, p.lv_radius + p.lv_wall, p.lv_length + apex_wall)

    # RV: ellipsoid anterior-right of the LV, minus the LV epicardium -> crescent on the septum.
    cu, cv, cn = p.rv_centre
    au, av, an = p.rv_axes
    rv = ((((a - cu) / au) ** 2 + ((s - cv) / av) ** 2 + ((t - cn) / an) ** 2) <= 1.0)
    rv &= a >= p.base_shift - 4.0
    # Outflow tract up to the pulmonary valve.
    shift = p.base_shift * U
    pv = base + np.array([4.0, -26.0, 22.0]) + 0.5 * shift  # pulmonary valve
    rvot_start = base + 30.0 * U + 28.0 * V
    rv |= _tube(x, y, z, [rvot_start, base + 4.0 * U + 24.0 * V + np.array([0, -6.0, 8.0]), pv],
                [16.0, 12.0, 12.5])
    rv &= ~lv_epi

    la_c = base + np.array([2.0, 26.0, 16.0]) + 0.5 * shift
    la = _ellipsoid(x, y, z, la_c, p.la_axes)
    ra_c = base + np.array([-38.0, 6.0, 14.0]) + 0.5 * shift
    ra = _ellipsoid(x, y, z, ra_c, p.ra_axes)
    # Appendages (part of their atrium): the LA appendage a curved finger anterolateral to
    # the LA body, under the left pulmonary artery; the RA appendage a broad blunt pouch
    # anterior-superior, against the aortic root.
    la |= _tube(x, y, z, [la_c + off for off in _LAA_PATH], _LAA_RADII)
    ra |= _tube(x, y, z, [ra_c + off for off in _RAA_PATH], _RAA_RADII)

    # Aortic root: a 34 mm bulb with three sinuses of Valsalva (a trefoil of spheres) on the
    # valve; then ascending aorta, arch, descending (patient mm).
    root = base + np.array([-14.0, 4.0, 10.0]) + 0.5 * shift
    asc = _unit([-10.0, -12.0, 36.0])
    e1 = _unit(np.cross(asc, [1.0, 0.0, 0.0]))
    e2 = np.cross(asc, e1)
    aorta = _ellipsoid(x, y, z, root, (17.0, 17.0, 17.0))
    for th in np.deg2rad([90.0, 210.0, 330.0]):
        aorta |= _ellipsoid(x, y, z, root + 6.5 * (np.cos(th) * e1 + np.sin(th) * e2)
                            - 2.0 * asc, (SINUS_RADIUS,) * 3)
    aorta |= _tube(x, y, z,
                   [root, root + [-10.0, -12.0, 36.0], root + [-4.0, 2.0, 56.0],
                    root + [14.0, 34.0, 60.0], root + [28.0, 58.0, 40.0],
                    root + [30.0, 62.0, 0.0], root + [28.0, 62.0, -140.0]],
                   [14.5, 15.0, 14.0, 13.0, 12.0, 11.5, 11.0])
    # Arch branches leave the top of the arch upward (origin inside the arch lumen).
    for origin, rise, radius in ARCH_BRANCHES.values():
        aorta |= _tube(x, y, z, [root + origin, root + origin + rise], [radius, radius * 0.9])
    # Pulmonary trunk (diameter ~25 mm) and its branches.
    bif = pv + np.array([10.0, 22.0, 26.0])
    pa = _tube(x, y, z, [pv, pv + np.array([4.0, 8.0, 16.0]), bif], [12.5, 12.5, 12.0])
    pa |= _tube(x, y, z, [bif, bif + [24.0, 18.0, 2.0], bif + [40.0, 34.0, -8.0]],
                [10.0, 9.0, 8.0])
    pa |= _tube(x, y, z, [bif, bif + [-20.0, 14.0, -8.0], bif + [-58.0, 20.0, -14.0]],
                [10.0, 9.0, 8.0])
    out = {"lv_myocardium": lv_epi & ~lv_cav, "lv_blood": lv_cav, "rv_blood": rv, "la": la,
           "ra": ra, "aorta": aorta, "pulmonary_artery": pa}
    if veins:
        out["la_body"] = _ellipsoid(x, y, z, la_c, p.la_axes)
        out["ra_body"] = _ellipsoid(x, y, z, ra_c, p.ra_axes)
        heart = np.zeros(la.shape, bool)
        for k in LABEL_VALUES:
            heart |= out[k]
        # Each vein starts inside its atrium and is cut at the atrial wall: the two surfaces
        # meet at the ostium without overlapping.
        for key, (atrium, paths, radii) in VEINS.items():
            c = la_c if atrium == "la" else ra_c
            v = np.zeros(la.shape, bool)
            for path in paths:
                v |= _tube(x, y, z, [c + off for off in path], radii)
            out[key] = v & ~heart
    return out


# Later keys overwrite earlier ones where masks overlap.
_PAINT_ORDER = ("la", "ra", "pulmonary_artery", "rv_blood", "aorta", "lv_myocardium", "lv_blood")


def make_labels(shape: Sequence[int] = (90, 160, 160),
                spacing: Sequence[float] = (1.8, 1.0, 1.0), phase: str = "ED") -> np.ndarray:
    """Label map of the demo heart for one phase.

    Parameters
    ----------
    shape : (3,) ints, default: (90, 160, 160)
        ``(slices, rows, columns)``.
    spacing : (3,) floats, default: (1.8, 1.0, 1.0)
        ``(slice, row, column)`` spacing in mm.
    phase : {'ED', 'ES'}, default: 'ED'

    Returns
    -------
    (z, y, x) uint8 ndarray
        Values from :data:`LABEL_VALUES`, 0 for background.
    """
    _check_grid(shape, spacing)
    masks = _structures(shape, spacing, phase)
    labels = np.zeros(tuple(int(s) for s in shape), dtype=np.uint8)
    for key in _PAINT_ORDER:
        labels[masks[key]] = LABEL_VALUES[key]
    # The septa between touching pools are wall in the image (:func:`tissue_map`), so they
    # are not blood in the labels either: label and image describe the same heart.
    labels[_septa(labels)] = 0
    return labels


def make_vein_labels(shape: Sequence[int] = (90, 160, 160),
                     spacing: Sequence[float] = (1.8, 1.0, 1.0), phase: str = "ED"
                     ) -> np.ndarray:
    """Label map of the caval and pulmonary veins (:data:`VEIN_LABEL_VALUES`) on the grid of
    :func:`make_labels`: each vein from its atrial wall outward, touching no other structure.

    Examples
    --------
    >>> lab = make_vein_labels((60, 130, 130), (2.7, 1.4, 1.4))
    >>> sorted(int(v) for v in np.unique(lab))
    [0, 8, 9, 10]
    """
    _check_grid(shape, spacing)
    masks = _structures(shape, spacing, phase, veins=True)
    labels = np.zeros(tuple(int(s) for s in shape), dtype=np.uint8)
    for key, value in VEIN_LABEL_VALUES.items():
        labels[masks[key]] = value
    return labels


def appendage_volumes_ml(shape: Sequence[int] = (90, 160, 160),
                         spacing: Sequence[float] = (1.8, 1.0, 1.0), phase: str = "ED"
                         ) -> dict[str, float]:
    """Volume (mL) of each atrium's label outside its ellipsoidal body: its appendage.

    Examples
    --------
    >>> v = appendage_volumes_ml((60, 130, 130), (2.7, 1.4, 1.4))
    >>> bool(3.0 < v["la"] < 7.0)
    True
    """
    _check_grid(shape, spacing)
    labels = make_labels(shape, spacing, phase)
    masks = _structures(shape, spacing, phase, veins=True)
    voxel_ml = float(np.prod(spacing)) / 1000.0
    return {k: float(((labels == LABEL_VALUES[k]) & ~masks[f"{k}_body"]).sum()) * voxel_ml
            for k in ("la", "ra")}

def _septa(labels: np.ndarray) -> np.ndarray:
    """One-voxel walls where two blood pools of different labels touch (not the LV pool's
    side, and not where LV myocardium already separates them)."""
    boundary = np.zeros(labels.shape, dtype=bool)
    for axis in range(3):
        a = np.swapaxes(labels, 0, axis)
        diff = (a[1:] != a[:-1]) & (a[1:] > 0) & (a[:-1] > 0)
        np.swapaxes(boundary, 0, axis)[1:] |= diff
    lv = LABEL_VALUES
    blood = np.isin(labels, [lv[k] for k in ("la", "aorta", "rv_blood", "ra",
                                               "pulmonary_artery")])
    return boundary & blood


def tissue_map(labels: np.ndarray, spacing: Sequence[float]) -> np.ndarray:
    """Tissue class per voxel (see ``TISSUE_HU``) around a label map from :func:`make_labels`.

    Adds thin walls to the RV, atria and great vessels, epicardial and mediastinal fat, the
    lungs, a vertebral body, chest-wall muscle, subcutaneous fat and the air outside the body.
    """
    shape = labels.shape
    x, y, z = _coords(shape, spacing)
    base = FOV_CENTRE + _BASE_OFFSET
    sampling = tuple(float(s) for s in spacing)

    heart = labels > 0
    dist_out = ndimage.distance_transform_edt(~heart, sampling=sampling)

    midline_x = base[0] - 30.0
    body_c = (midline_x, base[1] + 30.0)
    body_r = (150.0, 115.0)
    body = ((x - body_c[0]) / body_r[0]) ** 2 + ((y - body_c[1]) / body_r[1]) ** 2 <= 1.0
    cavity = ((x - body_c[0]) / (body_r[0] - 22.0)) ** 2 + (
        (y - body_c[1]) / (body_r[1] - 20.0)) ** 2 <= 1.0
    muscle = ((x - body_c[0]) / (body_r[0] - 8.0)) ** 2 + (
        (y - body_c[1]) / (body_r[1] - 8.0)) ** 2 <= 1.0
    spine_c = (midline_x, base[1] + 82.0)
    spine = (x - spine_c[0]) ** 2 + (y - spine_c[1]) ** 2 <= 18.0**2
    # Mediastinum: fat around the heart and vessels and a band in front of the spine.
    mediastinum = (dist_out <= 9.0) | ((np.abs(x - midline_x) < 22.0) & (y > base[1] + 20.0))

    tissue = np.full(shape, AIR, dtype=np.uint8)
    tissue[np.broadcast_to(body, shape)] = BODY_FAT
    tissue[np.broadcast_to(muscle & ~cavity, shape)] = MUSCLE
    tissue[np.broadcast_to(cavity, shape)] = LUNG
    tissue[np.broadcast_to(cavity, shape) & mediastinum] = MEDIASTINAL_FAT
    tissue[np.broadcast_to(spine & cavity, shape)] = BONE
    # Thin walls (2.5 mm) around every blood pool not already walled by LV myocardium: measured
    # from those pools only, so the LV epicardium meets epicardial fat (-100 HU), as on real CT,
    # not a 70 HU shell no reader would count as LV wall.
    lv = LABEL_VALUES
    walled = np.isin(labels, [lv[k] for k in ("la", "aorta", "rv_blood", "ra",
                                               "pulmonary_artery")])
    dist_pool = ndimage.distance_transform_edt(~walled, sampling=sampling)
    tissue[~heart & (dist_pool <= 2.5) & np.broadcast_to(cavity, shape)] = OTHER_WALL
    # Pericardium and pericardial fat: the heart lies inside the thoracic cavity, never in the
    # chest-wall muscle or subcutaneous fat; where the implicit heart reaches the chest wall the
    # wall gives way to a fat layer (``PERICARDIAL_FAT_MM``) rather than touching the myocardium.
    outside = np.isin(tissue, [AIR, BODY_FAT, MUSCLE, BONE])
    tissue[outside & ~heart & (dist_out <= PERICARDIAL_FAT_MM)] = MEDIASTINAL_FAT
    tissue[labels == lv["lv_myocardium"]] = LV_MYO
    left = np.isin(labels, [lv["lv_blood"], lv["la"], lv["aorta"]])
    right = np.isin(labels, [lv["rv_blood"], lv["ra"], lv["pulmonary_artery"]])
    tissue[left] = LEFT_BLOOD
    tissue[right] = RIGHT_BLOOD
    # Septa between touching chambers of different labels: a 1-voxel boundary of wall tissue,
    # except where LV myocardium already separates them.
    # (label maps from make_labels have them carved out already; others get them here)
    tissue[_septa(labels)] = OTHER_WALL
    return tissue


def ct_hounsfield(labels: np.ndarray, spacing: Sequence[float], *,
                  rng: np.random.Generator, noise_hu: float = 12.0,
                  blur_mm: float = 0.7) -> np.ndarray:
    """Synthetic contrast CT in HU (float32) for a label map: tissue means, blur, noise.

    The blur (Gaussian, ``blur_mm`` standard deviation) mimics partial volume; the noise is
    white Gaussian with standard deviation ``noise_hu`` HU drawn from ``rng``.
    """
    tissue = tissue_map(labels, spacing)
    lut = np.array([TISSUE_HU[c] for c in range(len(TISSUE_HU))], dtype=np.float32)
    hu = lut[tissue]
    sigma = [blur_mm / float(s) for s in spacing]
    hu = ndimage.gaussian_filter(hu, sigma=sigma, mode="nearest")
    hu += rng.normal(0.0, noise_hu, size=hu.shape).astype(np.float32)
    return hu


def volumes_ml(labels: np.ndarray, spacing: Sequence[float]) -> dict[str, float]:
    """Volume (mL) of each labelled structure by voxel counting."""
    voxel_ml = float(np.prod(spacing)) / 1000.0
    counts = np.bincount(labels.ravel(), minlength=max(LABEL_VALUES.values()) + 1)
    return {key: float(counts[v]) * voxel_ml for key, v in LABEL_VALUES.items()}
