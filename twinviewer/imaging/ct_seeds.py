"""Proposed seeds for a contrast CT with no segmentation: one per blood pool, to accept or move.

1. Contrast blood: Otsu's threshold (scikit-image) between soft tissue and contrast over the
   voxels above −200 HU, on a grid coarsened to about :data:`WORK_MM`; voxels much brighter
   than the blood (bone) are left out.
2. Pool centres: local maxima of the blood's Euclidean distance map (SciPy / scikit-image
   ``peak_local_max``), at least :data:`MIN_RADIUS_MM` deep — the middle of each chamber and
   vessel, where a user would click.
3. Naming: an anatomical template — where each structure's centre lies relative to the
   centre of all contrast blood, and how deep its pool is — is matched to the maxima by an
   optimal one-to-one assignment (SciPy ``linear_sum_assignment``). The template is measured
   on the project's anatomical model (:mod:`twinviewer.imaging.phantom`, textbook
   orientation: long axis leftward, anterior and inferior, Lang et al. 2015), scaled to the
   size of this heart's blood volume; where left-heart blood is clearly brighter than
   right-heart blood (arterial phase), brightness helps to tell them apart. A heart in
   another orientation gets wrong names: the proposals are for the user to check (the GUI
   draws them as *proposed*).

Examples
--------
>>> seeds = propose_ct_seeds(image)  # doctest: +SKIP
>>> sorted(seeds)  # doctest: +SKIP
['aorta', 'la', 'lv_blood', 'pulmonary_artery', 'ra', 'rv_blood']
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import ndimage
from scipy.optimize import linear_sum_assignment

from twinviewer.core.anatomy import ImageVolume
from twinviewer.imaging.errors import ImagingError

POOLS = ("lv_blood", "rv_blood", "la", "ra", "aorta", "pulmonary_artery")
WORK_MM = 2.0
MIN_RADIUS_MM = 4.0
#: Cost (mm of misplacement) per mm a pool is shallower than the template's.
DEPTH_WEIGHT = 3.0
#: Cost (mm) of a pool whose brightness says the other side of the heart.
SIDE_MM = 15.0
LEFT = ("lv_blood", "la", "aorta")


def _block_mean(a: np.ndarray, f: tuple[int, ...]) -> np.ndarray:
    nz, ny, nx = (s // b * b for s, b in zip(a.shape, f, strict=True))
    v = a[:nz, :ny, :nx].reshape(nz // f[0], f[0], ny // f[1], f[1], nx // f[2], f[2])
    return v.mean(axis=(1, 3, 5), dtype=np.float32)


def _blood(vol: np.ndarray) -> tuple[np.ndarray, float]:
    from skimage.filters import threshold_otsu

    body = vol[vol > -200.0]
    if body.size < 100:
        raise ImagingError("no soft tissue or contrast above −200 HU: not a contrast CT?")
    t = float(threshold_otsu(body))
    upper = body[body > t]
    med = float(np.median(upper))
    if med - t < 60.0:
        raise ImagingError(f"no contrast-filled blood found (Otsu threshold {t:.0f} HU, "
                           f"bright voxels {med:.0f} HU): place the seeds by hand")
    return (vol > t) & (vol < med + 1.5 * (med - t)), t


@lru_cache(maxsize=1)
def template() -> dict[str, tuple[np.ndarray, float]]:
    """Structure → (centre offset from the centre of all blood, LPS mm; pool depth, mm).

    Measured on the phantom's ED label map at 2 mm (see module docstring), plus
    ``"_volume"``: the phantom's blood volume (mL) as ``(nan vector, volume)``.
    """
    from twinviewer.imaging.phantom import LABEL_VALUES, grid_affine, make_labels

    shape, spacing = (80, 80, 80), (2.25, 2.0, 2.0)
    lab = make_labels(shape, spacing, "ED")
    aff = grid_affine(shape, spacing)
    blood = np.isin(lab, [LABEL_VALUES[k] for k in POOLS])
    kji = np.argwhere(blood)
    xyz = kji @ aff[:3, :3].T + aff[:3, 3]
    centre = xyz.mean(axis=0)
    out: dict[str, tuple[np.ndarray, float]] = {}
    for k in POOLS:
        m = lab == LABEL_VALUES[k]
        d = ndimage.distance_transform_edt(m, sampling=spacing)
        c = np.argwhere(m) @ aff[:3, :3].T + aff[:3, 3]
        out[k] = (c.mean(axis=0) - centre, float(d.max()))
    out["_volume"] = (np.full(3, np.nan), float(blood.sum() * np.prod(spacing) / 1000.0))
    return out


def propose_ct_seeds(image: ImageVolume, phase: int | None = None
                     ) -> dict[str, list[tuple[int, int, int]]]:
    """One proposed seed ``(slice, row, column)`` per blood pool of a contrast CT.

    Parameters
    ----------
    image : ImageVolume
        Contrast CT in HU.
    phase : int, optional
        Default the ED phase.

    Returns
    -------
    dict
        ``{'lv_blood': [(k, j, i)], 'rv_blood': ..., 'la', 'ra', 'aorta',
        'pulmonary_artery'}``; a structure with no candidate pool left is missing.

    Raises
    ------
    ImagingError
        No contrast-filled blood, or fewer than two pools deep enough to name.

    Examples
    --------
    >>> from twinviewer.imaging.phantom import ct_hounsfield, grid_affine, make_labels
    >>> lab = make_labels((60, 100, 100), (2.7, 1.6, 1.6))
    >>> hu = ct_hounsfield(lab, (2.7, 1.6, 1.6), rng=np.random.default_rng(0))
    >>> img = ImageVolume(hu, grid_affine((60, 100, 100), (2.7, 1.6, 1.6)), (2.7, 1.6, 1.6),
    ...                   modality="CT")
    >>> s = propose_ct_seeds(img)
    >>> int(lab[s["lv_blood"][0]]), int(lab[s["pulmonary_artery"][0]])
    (1, 7)
    """
    from skimage.feature import peak_local_max

    p = image.ed_index if phase is None else phase
    vol = np.asarray(image.array[p], np.float32)
    sp = np.asarray(image.spacing, float)
    f = tuple(int(max(1, round(WORK_MM / s))) for s in sp)
    coarse = _block_mean(vol, f)
    csp = sp * f
    blood, _ = _blood(coarse)
    dist = ndimage.distance_transform_edt(blood, sampling=csp)
    md = max(1, int(round(8.0 / csp.min())))
    peaks = peak_local_max(dist, min_distance=md, threshold_abs=MIN_RADIUS_MM,
                           exclude_border=False, num_peaks=60)
    if len(peaks) < 2:
        raise ImagingError(f"only {len(peaks)} blood pool(s) deeper than {MIN_RADIUS_MM} mm "
                           "found: place the seeds by hand")
    # Keep the blood connected to deep pools (leaves out small bright specks and vessels
    # far from the heart), and measure its size and centre.
    comp, _ = ndimage.label(blood)
    deep = peaks[dist[tuple(peaks.T)] >= 8.0]
    keep = np.unique(comp[tuple(deep.T)]) if len(deep) else np.unique(comp[tuple(peaks.T)])
    heart = np.isin(comp, keep[keep > 0])
    aff = image.affine
    to_xyz = lambda kji: (kji * f + (np.asarray(f) - 1) / 2.0) @ aff[:3, :3].T + aff[:3, 3]  # noqa: E731
    centre = to_xyz(np.argwhere(heart)).mean(axis=0)
    tpl = template()
    vol_ml = float(heart.sum() * np.prod(csp) / 1000.0)
    scale = float(np.clip((vol_ml / tpl["_volume"][1]) ** (1.0 / 3.0), 0.6, 1.6))
    peaks = peaks[heart[tuple(peaks.T)]]
    xyz = to_xyz(peaks)
    depth = dist[tuple(peaks.T)]
    # Left-heart blood is brighter than right-heart blood in an arterial-phase CT; where
    # the pools differ clearly, a pool on the wrong side costs up to SIDE_MM.
    hu = coarse[tuple(peaks.T)]
    lo, hi = np.percentile(hu[depth >= 6.0] if (depth >= 6.0).sum() >= 4 else hu, [20, 80])
    bright = np.clip((hu - lo) / (hi - lo), 0.0, 1.0) if hi - lo > 40.0 else np.full(
        len(hu), 0.5)
    cost = np.zeros((len(POOLS), len(peaks)))
    for n, k in enumerate(POOLS):
        off, d_exp = tpl[k]
        side = (1.0 - bright) if k in LEFT else bright
        cost[n] = (np.linalg.norm(xyz - (centre + scale * off), axis=1)
                   + DEPTH_WEIGHT * np.clip(scale * d_exp - depth, 0.0, None)
                   + SIDE_MM * side)
    rows, cols = linear_sum_assignment(cost)
    out = {}
    for r, c in zip(rows, cols, strict=True):
        kji = peaks[c] * f + (np.asarray(f) - 1) // 2
        kji = np.minimum(kji, np.asarray(vol.shape) - 1)
        out[POOLS[r]] = [tuple(int(v) for v in kji)]
    return out
