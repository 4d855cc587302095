"""LV blood-pool volume of a cine short-axis segmentation, counted by partial voxels.

A binary label counts a pixel at the blood pool's border as wholly blood or wholly wall. On
cine SSFP the border pixels are mixtures (2 mm pixels, 8 mm slices, trabeculae), and a
threshold placed between the two signal levels does not make the count unbiased: the wall
level read next to the pool is itself raised by the mixture, so the threshold sits high and
the pool loses a rim (``docs/notes/seg8.md``: 5 mL of the biv-me heart's 174 mL at ED, and
more on the oblique basal slices). Clinical and research CMR analysis counts such voxels by
their signal instead: a voxel of signal ``I`` between the blood level ``I_b`` and the
myocardial level ``I_m`` holds the blood fraction ``(I − I_m)/(I_b − I_m)`` (partial voxel
interpolation: Codella NCF, Lee HY, Fieno DS, et al. *Improved left ventricular mass
quantification with partial voxel interpolation: in vivo and necropsy validation of a novel
cardiac MRI segmentation algorithm.* Circ Cardiovasc Imaging 2012;5:137–146).

Per slice and phase (:func:`blood_fraction`):

- ``I_b`` is the median of the pool 1–2 pixels inside its border (the trabeculated blood
  next to the wall, darker than at the centre), ``I_m`` the median of the LV myocardium's
  label away from its own borders (more than one pixel deep): both read locally, so the coil
  field's slow shading and the trabeculation enter as they are on that slice;
- pool pixels within :data:`INNER_PX` of the border and myocardium pixels within
  :data:`OUTER_PX` outside it count ``(I − I_m)/(I_b − I_m)`` clipped to [0, 1]; deeper pool
  pixels count 1. Only myocardium is counted outside: a neighbour that is atrium, aorta or RV
  is not a blood/wall mixture of this pool.

On a slice the mitral annulus plane passes through (found per phase in the long-axis views,
:mod:`~twinviewer.imaging.annulus`), each pixel's column through the slice spacing is only
partly ventricle: it counts the fraction of the column on the ventricle side of the plane
(:func:`column_fraction`), the blood beside the LV label on the atrial side of the cut (within
the LV of that slice or the next one towards the apex) counts its column's ventricular part
too, and above the most basal LV slice the column continues
(at most one more slice spacing) up to the plane, so the LV beyond the stack's basal slab is
measured from the plane instead of being assumed (:mod:`~twinviewer.imaging.coverage`).

Labels (and so Dice and meshes) stay binary; the LV myocardium and the RV are counted by
their labels.

Checked against the analytic phantom's exact per-slice blood fractions (slices 1–11 at ED
within 0.2 mL each) and the biv-me heart's own surface volumes (``docs/notes/seg9lv.md``).

Examples
--------
>>> img = np.full((20, 20), 280.0); pool = np.zeros((20, 20), bool); pool[5:15, 5:15] = True
>>> img[pool] = 1000.0; img[4, 5:15] = 640.0   # a half-blood row above the pool
>>> wall = ~pool
>>> round(float(blood_fraction(img, pool, wall).sum()), 1)   # 100 + 10 half pixels
105.0
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import ndimage

from twinviewer.core.anatomy import ImageVolume
from twinviewer.core.measurement import Measurement
from twinviewer.imaging.errors import ImagingError
from twinviewer.imaging.measure import exposed_faces, volume_sd
from twinviewer.imaging.segmentation import LABEL_VALUES

INNER_PX = 1.0  # pool pixels this close to the border are counted by their signal
OUTER_PX = 2.0  # myocardium pixels this close outside the pool are counted by their signal
MIN_LEVEL_PX = 10  # fewest pixels a level is read from
#: Pixels on the atrial side of the annulus cut whose column is partly ventricle lie within
#: this of the LV label on their slice or the next one towards the apex.
CUT_BAND_PX = 1
#: Appended to the source of an LV blood volume counted by :func:`with_partial_volumes`.
PARTIAL_VOXELS = "border counted by partial voxels"
LV, MYO = LABEL_VALUES["lv_blood"], LABEL_VALUES["lv_myocardium"]


def _levels(img: np.ndarray, pool: np.ndarray, wall: np.ndarray
            ) -> tuple[float, float] | None:
    """Blood level next to the border and the wall's level away from its own borders (None
    when either cannot be read or the blood is not brighter)."""
    d_in = ndimage.distance_transform_edt(pool)
    edge = (d_in > 1.0) & (d_in <= 2.0)
    blood = img[edge if edge.sum() >= MIN_LEVEL_PX else pool]
    core = wall & (ndimage.distance_transform_edt(wall) > 1.0)
    if core.sum() < MIN_LEVEL_PX:
        core = wall
    if core.sum() < MIN_LEVEL_PX or blood.size == 0:
        return None
    i_b, i_m = float(np.median(blood)), float(np.median(img[core]))
    return (i_b, i_m) if i_b > i_m else None


def blood_fraction(img: np.ndarray, pool: np.ndarray, wall: np.ndarray) -> np.ndarray:
    """Blood fraction of each pixel of one slice (see the module docstring).

    Parameters
    ----------
    img : (rows, columns) ndarray
        The slice's signal.
    pool, wall : (rows, columns) bool ndarray
        The blood pool's label and its wall's (LV myocardium).

    Returns
    -------
    (rows, columns) float ndarray
        1 deep in the pool, the signal's fraction in the border band, 0 elsewhere. Without a
        readable wall or blood level the pool's label itself.

    Examples
    --------
    >>> img = np.array([[280.0, 460.0, 1000.0, 1000.0]] * 12)
    >>> pool = img > 500; wall = ~pool
    >>> blood_fraction(img, pool, wall)[0].round(2).tolist()
    [0.0, 0.25, 1.0, 1.0]
    """
    img = np.asarray(img, float)
    out = pool.astype(float)
    lv = _levels(img, pool, wall) if pool.any() else None
    if lv is None:
        return out
    i_b, i_m = lv
    f = np.clip((img - i_m) / (i_b - i_m), 0.0, 1.0)
    band = (pool & (ndimage.distance_transform_edt(pool) <= INNER_PX)) | (
        wall & (ndimage.distance_transform_edt(~pool) <= OUTER_PX))
    out[band] = f[band]
    return out


def column_fraction(image: ImageVolume, plane, k: float) -> np.ndarray:
    """Fraction of each pixel's column (one slice spacing along the stack, centred on slice
    ``k``) on the ventricle side of an annulus ``plane``
    (:class:`~twinviewer.imaging.annulus.AnnulusPlane`).

    Examples
    --------
    >>> from twinviewer.imaging.annulus import AnnulusPlane
    >>> img = ImageVolume(np.zeros((3, 2, 2)), np.diag([10.0, 2.0, 2.0, 1.0]), (10.0, 2.0, 2.0))
    >>> plane = AnnulusPlane(np.array([12.0, 0, 0]), np.array([1.0, 0, 0]), np.zeros((0, 3)))
    >>> column_fraction(img, plane, 1)[0].tolist()   # column 5-15 mm, plane at 12 mm
    [0.3, 0.3]
    """
    _, ny, nx = image.shape
    jj, ii = np.mgrid[0:ny, 0:nx]
    kji = np.stack([np.full(jj.shape, float(k)), jj, ii], -1).reshape(-1, 3)
    d0 = plane.depth(image.index_to_patient(kji)).reshape(ny, nx)
    step = plane.depth(image.index_to_patient(np.array([[1.0, 0, 0], [0.0, 0, 0]])))
    g = abs(float(step[0] - step[1]))  # depth change over one slice spacing
    if g < 1e-6:
        return (d0 > 0).astype(float)
    return np.clip(0.5 + d0 / g, 0.0, 1.0)


def lv_blood_ml(image: ImageVolume, phase: int, labels: np.ndarray, plane=None) -> float:
    """LV blood volume (mL) of one phase's label map, counted by partial voxels and, with the
    phase's mitral annulus ``plane``, by the ventricular part of each pixel column.

    Raises
    ------
    ImagingError
        When the label map's shape is not the stack's.

    Examples
    --------
    >>> from twinviewer.imaging.cine_phantom import sa_stack
    >>> img, truth = sa_stack(n_phases=1, positions_mm=(40.0, 48.0, 56.0), rows=48, cols=48,
    ...                       pixel_mm=2.5)
    >>> 0.9 < lv_blood_ml(img, 0, truth[0]) / float((truth[0] == 1).sum() * 0.05) < 1.1
    True
    """
    arr = image.array[phase] if image.array.ndim == 4 else image.array
    if labels.shape != arr.shape:
        raise ImagingError(f"label map of phase {phase} is {labels.shape}, the stack "
                           f"{arr.shape}: they must match")
    vox_ml = float(np.prod(image.spacing)) / 1000.0
    held = [k for k in range(len(labels)) if (labels[k] == LV).any()]
    if not held:
        return 0.0
    basal = None
    if plane is not None:
        step = plane.depth(image.index_to_patient(np.array([[1.0, 0, 0], [0.0, 0, 0]])))
        towards_base = -1 if step[0] > step[1] else 1  # depth falls towards the base
        basal = (min(held) if towards_base < 0 else max(held), towards_base)
    total = 0.0
    for k in held:
        img = arr[k].astype(float)
        pool, wall = labels[k] == LV, labels[k] == MYO
        frac = blood_fraction(img, pool, wall)
        if plane is None:
            total += float(frac.sum())
            continue
        col = column_fraction(image, plane, k)
        if basal is not None and k == basal[0]:
            col = col + column_fraction(image, plane, k + basal[1])
        if col.min() >= 1.0:
            total += float(frac.sum())
            continue
        # the atrial side of the cut: where the LV lies on this slice or the next one towards
        # the apex (the plane sweeps across the slice within one column when it is tilted
        # little from the slices)
        k_in = k - basal[1]
        under = labels[k_in] == LV if 0 <= k_in < len(labels) else pool
        cut = ndimage.binary_dilation(pool | under, iterations=CUT_BAND_PX) & (
            labels[k] == 0) & (col > 0)
        lv = _levels(img, pool, wall)
        if cut.any() and lv is not None:
            frac[cut] = np.clip((img[cut] - lv[1]) / (lv[0] - lv[1]), 0.0, 1.0)
        total += float((frac * col).sum())
    return total * vox_ml


def with_partial_volumes(volumes: dict[int, dict[str, Measurement]], image: ImageVolume,
                         labels: Mapping[int, np.ndarray],
                         mitral: Mapping[int, object] | None = None
                         ) -> dict[int, dict[str, Measurement]]:
    """``volumes`` (:func:`~twinviewer.imaging.measure.structure_volumes` per phase) with the
    LV blood volume of every phase in ``labels`` counted by :func:`lv_blood_ml` (SD as for the
    label count, :func:`~twinviewer.imaging.measure.volume_sd`; source marked).

    Examples
    --------
    >>> from twinviewer.imaging.cine_phantom import sa_stack
    >>> from twinviewer.imaging.measure import structure_volumes
    >>> img, truth = sa_stack(n_phases=1, positions_mm=(40.0, 48.0), rows=48, cols=48,
    ...                       pixel_mm=2.5)
    >>> vols = {0: structure_volumes(truth[0], img.spacing, LABEL_VALUES, "MR segmentation")}
    >>> with_partial_volumes(vols, img, {0: truth[0]})[0]["lv_blood"].source
    'MR segmentation, border counted by partial voxels'
    """
    out = {}
    vox_ml = float(np.prod(image.spacing)) / 1000.0
    for p, vols in volumes.items():
        m = vols.get("lv_blood")
        if p not in labels or m is None:
            out[p] = vols
            continue
        lab = np.asarray(labels[p])
        value = lv_blood_ml(image, p, lab, (mitral or {}).get(p))
        bound = float(exposed_faces(lab)[LV]) * vox_ml / np.sqrt(12.0)
        out[p] = {**vols, "lv_blood": Measurement(
            m.name, value, m.unit, volume_sd(value, bound),
            f"{m.source}, {PARTIAL_VOXELS}")}
    return out
