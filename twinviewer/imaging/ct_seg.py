"""Contrast CT segmentation from seeds: blood pools split at valve planes, LV myocardium shell.

1. Blood = voxels above a threshold halfway between the seeds' blood and myocardium
   (``MYOCARDIUM_HU``, overridable): a half-blood partial-volume voxel sits on the threshold,
   so volumes are unbiased.
2. On a grid coarsened to about :data:`WORK_MM` (block mean, then the same threshold), the
   connected components holding a seed are split between the structures by a seeded watershed
   on the negative distance transform (scikit-image): chambers meet at valve planes and narrow
   necks, where the distance to the pool wall is smallest.
3. The coarse labels are grown by one coarse voxel (grey dilation), brought back to the full
   grid and intersected with the full-resolution blood mask, so the pool surface keeps the
   image's resolution.
4. LV myocardium: soft tissue (between ``FAT_HU`` and the blood threshold) within
   ``wall_mm`` of the LV pool and connected to it, leaving out the thin walls of other pools
   (tissue within 2.5 mm of another pool and nearer to it than to the LV) except the
   interventricular septum, which is LV myocardium by the standard LV-mass convention.
   Fat is judged on the image smoothed by ``FAT_SMOOTH_MM`` so that noise cannot bridge the
   epicardial fat to the chest wall.

Examples
--------
>>> seeds = {"lv_blood": [(40, 60, 70)], "rv_blood": [(40, 50, 95)]}
>>> labels = segment_ct(image, seeds)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import ndimage
from skimage.segmentation import watershed

from twinviewer.core.anatomy import ImageVolume
from twinviewer.imaging.errors import ImagingError
from twinviewer.imaging.segmentation import LABEL_VALUES

MYOCARDIUM_HU = 80.0
FAT_HU = -30.0
WORK_MM = 1.4
OTHER_WALL_MM = 2.5
FAT_SMOOTH_MM = 1.0

Seeds = Mapping[str, Sequence[tuple[float, float, float]]]


def _block_mean(a: np.ndarray, f: tuple[int, int, int]) -> np.ndarray:
    nz, ny, nx = (s // b * b for s, b in zip(a.shape, f, strict=True))
    v = a[:nz, :ny, :nx].reshape(nz // f[0], f[0], ny // f[1], f[1], nx // f[2], f[2])
    return v.mean(axis=(1, 3, 5), dtype=np.float32)


def _check_seeds(seeds: Seeds, shape: tuple[int, ...]) -> dict[str, list[tuple[int, int, int]]]:
    out = {}
    for key, pts in seeds.items():
        if key not in LABEL_VALUES or key == "lv_myocardium":
            raise ImagingError(f"seed for {key!r}: not a blood-pool structure of the "
                               f"vocabulary ({[k for k in LABEL_VALUES if k != 'lv_myocardium']})")
        ok = []
        for p in pts:
            q = tuple(int(round(v)) for v in p)
            if not all(0 <= v < s for v, s in zip(q, shape, strict=True)):
                raise ImagingError(f"seed {tuple(p)} for {key} is outside the image "
                                   f"{shape} (slice, row, column)")
            ok.append(q)
        if ok:
            out[key] = ok
    if not out:
        raise ImagingError("no seeds given: place at least one seed in a blood pool")
    return out


def segment_ct(image: ImageVolume, seeds: Seeds, phase: int | None = None, *,
               threshold_hu: float | None = None, wall_mm: float = 14.0,
               myocardium: bool = True) -> np.ndarray:
    """Label map of one CT phase from seeds.

    Parameters
    ----------
    image : ImageVolume
        Contrast CT in HU.
    seeds : mapping
        Vocabulary key (``'lv_blood'``, ``'rv_blood'``, ``'la'``, ``'ra'``, ``'aorta'``,
        ``'pulmonary_artery'``) → seed voxels ``(slice, row, column)``.
    phase : int, optional
        Default the ED phase.
    threshold_hu : float, optional
        Blood threshold; default halfway between the darkest seed's blood and
        :data:`MYOCARDIUM_HU`.
    wall_mm : float
        Largest LV wall thickness searched for the myocardium.
    myocardium : bool
        Also label the LV myocardium shell.

    Returns
    -------
    (z, y, x) uint8 ndarray
        Values of :data:`~twinviewer.imaging.segmentation.LABEL_VALUES`.

    Raises
    ------
    ImagingError
        A seed outside the image, for an unknown structure, or not in contrast-filled blood.
    """
    p = image.ed_index if phase is None else phase
    vol = image.array[p]
    pts = _check_seeds(seeds, vol.shape)
    blood_at = {k: float(np.median([vol[q] for q in v])) for k, v in pts.items()}
    t = threshold_hu if threshold_hu is not None else 0.5 * (
        min(blood_at.values()) + MYOCARDIUM_HU)
    for k, hu in blood_at.items():
        if hu <= t:
            raise ImagingError(f"seed for {k} lies at {hu:.0f} HU, not in contrast-filled "
                               f"blood (threshold {t:.0f} HU): move it into the chamber")
    sp = np.asarray(image.spacing, float)
    f = tuple(int(max(1, round(WORK_MM / s))) for s in sp)
    coarse = _block_mean(vol, f) > t
    fsp = sp * f
    markers = np.zeros(coarse.shape, np.int32)
    for k, v in pts.items():
        for q in v:
            c = tuple(min(a // b, s - 1) for a, b, s in zip(q, f, coarse.shape, strict=True))
            markers[c] = LABEL_VALUES[k]
            coarse[c] = True
    comp, _ = ndimage.label(coarse)
    keep = np.unique(comp[markers > 0])
    coarse &= np.isin(comp, keep[keep > 0])
    # Work inside the bounding box of the seeded pools (+ the wall search margin).
    m = int(np.ceil(wall_mm / fsp.min())) + 2
    box = tuple(slice(max(s.start - m, 0), s.stop + m) for s in ndimage.find_objects(
        coarse.astype(np.uint8))[0])
    cb, mb = coarse[box], markers[box]
    dist = ndimage.distance_transform_edt(cb, sampling=fsp)
    lab_b = watershed(-dist, mb, mask=cb).astype(np.uint8)
    grown = ndimage.grey_dilation(lab_b, size=(3, 3, 3))
    lab_b = np.where(lab_b > 0, lab_b, grown).astype(np.uint8)
    lab_c = np.zeros(coarse.shape, np.uint8)
    lab_c[box] = lab_b
    up = lab_c
    for axis, b in enumerate(f):
        up = np.repeat(up, b, axis=axis)
    full = np.zeros(vol.shape, np.uint8)
    sl = tuple(slice(0, s) for s in up.shape)
    full[sl] = up[tuple(slice(0, s) for s in full[sl].shape)]
    full[vol <= t] = 0
    if myocardium and "lv_blood" in pts:
        # The pools as thresholded, not grown: a grown RV would cover the septum's RV side.
        full = _myocardium(vol, full, np.where(coarse, lab_c, 0), f, fsp, t, wall_mm)
    return full


def _myocardium(vol: np.ndarray, full: np.ndarray, lab_c: np.ndarray, f, fsp, t: float,
                wall_mm: float) -> np.ndarray:
    lv = LABEL_VALUES["lv_blood"]
    m = int(np.ceil(wall_mm / fsp.min())) + 2
    box = tuple(slice(max(s.start - m, 0), s.stop + m)
                for s in ndimage.find_objects((lab_c == lv).astype(np.uint8))[0])
    lb = lab_c[box]
    d_lv, i_lv = ndimage.distance_transform_edt(lb != lv, sampling=fsp, return_indices=True)
    others = (lb > 0) & (lb != lv)
    if others.any():
        d_other, i_other = ndimage.distance_transform_edt(~others, sampling=fsp,
                                                          return_indices=True)
        thin = (d_other <= OTHER_WALL_MM) & (d_other < d_lv)
        # The interventricular septum is LV myocardium (AHA 17-segment model; SCMR
        # post-processing guidance): tissue with the LV pool on one side and the RV pool on
        # the other, i.e. the nearest LV and nearest RV voxels in opposite directions, stays.
        here = np.indices(lb.shape, dtype=np.float32)
        to_lv = (i_lv - here) * fsp[:, None, None, None]
        to_other = (i_other - here) * fsp[:, None, None, None]
        opposite = (to_lv * to_other).sum(axis=0) < 0
        rv_side = lb[tuple(i_other)] == LABEL_VALUES["rv_blood"]
        thin &= ~(opposite & rv_side)
    else:
        thin = np.zeros(lb.shape, bool)
    # Everything below on the full-resolution box of the LV search: nothing outside can be
    # myocardium, and the label/filter costs scale with the box, not the whole scan.
    up = (d_lv <= wall_mm) & ~thin
    for axis, b in enumerate(f):
        up = np.repeat(up, b, axis=axis)
    fbox = tuple(slice(s.start * b, min(s.start * b + u, n))
                 for s, b, u, n in zip(box, f, up.shape, vol.shape, strict=True))
    zone = up[tuple(slice(0, x.stop - x.start) for x in fbox)]
    v, fb = vol[fbox], full[fbox]
    # The epicardial boundary is where fat begins, judged on the image smoothed by
    # FAT_SMOOTH_MM: single noisy voxels above FAT_HU in a thin fat layer would otherwise bridge
    # the myocardium to the chest-wall muscle or to other chambers' walls.
    sigma = [FAT_SMOOTH_MM * b / x for b, x in zip(f, fsp, strict=True)]
    smooth = ndimage.gaussian_filter(v.astype(np.float32, copy=False), sigma, truncate=2.5)
    soft = zone & (smooth > FAT_HU) & (v > FAT_HU) & (v <= t) & (fb == 0)
    comp, _ = ndimage.label(soft | (fb == lv))
    ids = np.unique(comp[fb == lv])
    myo = soft & np.isin(comp, ids[ids > 0])
    fb[myo] = LABEL_VALUES["lv_myocardium"]
    return full
