"""Cine MR short-axis segmentation from seeds: LV blood pool, LV myocardium, RV blood pool per
slice and phase, propagated through the cycle.

Per slice (2D, scikit-image and SciPy only):

1. A local threshold halfway between the blood signal at the seed and the dark tissue of the
   region around it (Otsu's lower class): halfway is where a partial-volume pixel is half
   blood, so volumes are unbiased, and a local threshold absorbs coil inhomogeneity.
2. LV pool: the bright connected component at the LV seed; if it reaches the RV seed the two
   are split by a seeded watershed on the distance transform (narrow neck). Holes
   (trabeculae, papillary muscles) filled and small bays closed: they count as blood. Then
   re-thresholded halfway between the blood just inside its border (trabeculated, darker
   than at the seed) and the wall's level around it (median of a ring outside).
3. RV pool: the bright component at the RV seed, minus the LV pool, re-thresholded halfway
   between its blood and the LV wall's level: the RV free wall (2–3 mm) is thinner than a
   pixel's blur, so the ring outside it reads a mixture of wall and epicardial fat, never the
   wall; the LV wall is the same tissue (same SSFP signal) and thick enough to be seen pure.
4. LV myocardium: in polar coordinates about the LV centroid (120 rays, ¼-pixel steps).
   Along each ray the epicardial border is the steepest rise between the darkest point of
   the wall and the brightest point beyond it (fat or the tissue outside the heart), located
   between samples; or the RV pool's border at the septum. Where neither exists — at the RV
   insertions the wall runs into the equally dark RV free wall — the thickness is
   interpolated from the rays on either side; then median-filtered over angle.

   Checked against the analytic phantom and a cine stack rendered from the biv-me patient's
   surfaces (``docs/notes/seg6.md``): the wall had been drawn ~15 % thick (border at the
   first sample past half the rise, and 18 mm walls at the insertions).

Through the stack, the seed of each slice is the pool centroid of its neighbour, from the
seeded slice towards base and apex; a slice ends the stack in that direction when no pool is
found or the myocardium surrounds less than half of it (above the mitral plane). Through the
cycle, each phase is seeded from the previous phase's pools (per-phase re-seeding); a
correction (new seeds) at any phase replaces the propagated seeds from that phase on. In each
phase the slices are segmented from the seeded slice outwards, and the base may move: a
basal pool not ringed by myocardium (an atrium once the base has descended in systole) ends
the LV in that phase (:func:`_leaked`); the note lists the slices and phases.

Examples
--------
>>> from twinviewer.imaging.cine_phantom import sa_stack
>>> image, truth = sa_stack(n_phases=2, rows=64, cols=64, pixel_mm=2.8)
>>> res = segment_cine(image, propose_seeds(image))
>>> res.labels[0].shape == image.shape
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage
from skimage.filters import threshold_otsu
from skimage.morphology import disk
from skimage.segmentation import watershed

from twinviewer.core.anatomy import ImagePlane, ImageVolume
from twinviewer.imaging.errors import ImagingError
from twinviewer.imaging.segmentation import LABEL_VALUES

LV, MYO, RV = LABEL_VALUES["lv_blood"], LABEL_VALUES["lv_myocardium"], LABEL_VALUES["rv_blood"]
ROI_MM = 70.0  # radius of the region whose dark tissue sets the threshold
CROP_MM = 120.0  # half-width of the box segmented around the LV seed (a dilated RV fits)
MAX_WALL_MM = 18.0
MIN_POOL_MM2 = 40.0
MAX_POOL_MM2 = 8000.0  # larger bright regions (or ones reaching the image edge) are not a pool
MIN_MYO_COVER = 0.5  # fraction of angles with myocardium for a slice to count as ventricle
#: A pool this many times the area of the pool on the slice before (walking out from the
#: seeded slice) has leaked into an atrium or outflow tract.
MAX_GROWTH = 1.4
MIN_BELOW_MM = 10.0  # least depth of the seeded slice's LV centre below a plausible annulus
RV_REACH_MM = 10.0  # how far the RV may reach beyond the RV of the slice before, when re-found
BASAL_REACH_MM = 3.0  # how far a basal slice's LV may reach beyond the LV of the slice below
#: How far a basal slice's RV may reach beyond the RV of the slice below (walking to the base):
#: the right atrium joins the RV pool through the tricuspid orifice as a lobe beside the RV
#: body (docs/notes/seg8.md: 7–9 mL per basal slice on the biv-me heart).
RV_BASAL_REACH_MM = 6.0
RINGED = 0.8  # fraction of angles with myocardium of a basal pool that is surely ventricle
N_RAYS, RAY_STEP_PX = 120, 0.25  # polar sampling of the wall
#: Least rise past the wall (fraction of blood threshold − wall) that is an epicardial edge.
MIN_EPI_RISE = 0.25


@dataclass
class CineSeeds:
    """Seeds on one slice of one phase: ``(row, column)`` pixel positions.

    Parameters
    ----------
    phase, slice
        Where the seeds were placed.
    lv, rv
        A point inside the LV and (optionally) the RV blood pool.
    slices
        ``(first, last)`` slice indices to segment (inclusive), e.g. basal to apical as the
        user chose them; None: proposed (see module docstring).
    """

    phase: int
    slice: int
    lv: tuple[float, float]
    rv: tuple[float, float] | None = None
    slices: tuple[int, int] | None = None


@dataclass
class CineResult:
    """Label maps per phase (values of :data:`LABEL_VALUES`) and what was decided."""

    labels: dict[int, np.ndarray]
    slices: tuple[int, int]
    notes: list[str] = field(default_factory=list)
    #: Phase → the mitral annulus plane that decided its basal slices (where found and used):
    #: the volumes count each basal pixel column's ventricular part by it
    #: (:func:`~twinviewer.imaging.partial_volume.with_partial_volumes`).
    mitral: dict = field(default_factory=dict)


def _nearest_bright(bright: np.ndarray, seed: tuple[int, int], radius_px: float
                    ) -> tuple[int, int] | None:
    j, i = seed
    if 0 <= j < bright.shape[0] and 0 <= i < bright.shape[1] and bright[j, i]:
        return j, i
    r = int(np.ceil(radius_px))
    j0, i0 = max(j - r, 0), max(i - r, 0)
    win = bright[j0:j + r + 1, i0:i + r + 1]
    if not win.any():
        return None
    jj, ii = np.nonzero(win)
    d = (jj + j0 - j) ** 2 + (ii + i0 - i) ** 2
    k = int(np.argmin(d))
    return (int(jj[k] + j0), int(ii[k] + i0)) if d[k] <= radius_px ** 2 else None


def _component(mask: np.ndarray, at: tuple[int, int]) -> np.ndarray:
    lab, _ = ndimage.label(mask)
    return lab == lab[at] if lab[at] else np.zeros_like(mask)


def _crossing(prof: np.ndarray, level: np.ndarray, lo: np.ndarray, hi: np.ndarray
              ) -> np.ndarray:
    """Sub-sample position of the first upward crossing of ``level`` in each row of ``prof``
    between indices ``lo`` and ``hi`` (``hi`` itself if there is none)."""
    n = prof.shape[1]
    s = np.arange(n)
    up = (s[None, :] > lo[:, None]) & (s[None, :] <= hi[:, None]) & (prof >= level[:, None])
    k = np.where(up.any(axis=1), np.argmax(up, axis=1), hi)
    rows = np.arange(len(prof))
    a, b = prof[rows, np.maximum(k - 1, 0)], prof[rows, k]
    frac = np.clip((level - a) / np.where(b > a, b - a, np.inf), 0.0, 1.0)
    return np.where(k > lo, k - 1 + frac, k).astype(float)


def _steepest(prof: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Sub-sample position of the steepest rise of each row of ``prof`` between ``lo`` and
    ``hi`` (parabola through the largest difference and its neighbours)."""
    d = np.diff(prof, axis=1)  # d[:, i] is the rise from sample i to i + 1
    s = np.arange(d.shape[1])
    inside = (s[None, :] >= lo[:, None]) & (s[None, :] < hi[:, None])
    i = np.argmax(np.where(inside, d, -np.inf), axis=1)
    rows = np.arange(len(prof))
    a = d[rows, np.maximum(i - 1, 0)]
    b = d[rows, i]
    c = d[rows, np.minimum(i + 1, d.shape[1] - 1)]
    den = a - 2 * b + c
    off = np.where(den < 0, np.clip(0.5 * (a - c) / np.where(den < 0, den, -1.0), -0.5, 0.5), 0)
    return i + 0.5 + off


def _polar_myo(sm: np.ndarray, lv: np.ndarray, rv: np.ndarray, t_dark: float,
               t_blood: float, px_mm: float) -> tuple[np.ndarray, float]:
    """Myocardium ring outside ``lv`` and the fraction of angles where it was found.

    Along each ray from the LV centroid, past the endocardial border: the darkest point within
    :data:`MAX_WALL_MM` is the wall; the epicardial border is where the signal has risen half
    way from that level to the brightest point beyond it (epicardial fat, or the lighter
    tissue outside the heart), interpolated between samples; or the RV pool's border. A ray
    with neither (at the RV insertions the wall meets the equally dark RV free wall; no
    edge is in the image there) takes its thickness from the rays on either side.
    """
    cj, ci = ndimage.center_of_mass(lv)
    n_ang, step = N_RAYS, RAY_STEP_PX
    r = np.arange(0, (MAX_WALL_MM + 40.0) / px_mm, step)
    ang = np.linspace(0, 2 * np.pi, n_ang, endpoint=False)
    jj = cj + np.outer(np.sin(ang), r)
    ii = ci + np.outer(np.cos(ang), r)
    inside = ndimage.map_coordinates(lv.astype(np.float32), [jj, ii], order=1)
    in_rv = ndimage.map_coordinates(rv.astype(np.float32), [jj, ii], order=1)
    val = ndimage.map_coordinates(sm, [jj, ii], order=1, mode="nearest")
    rows = np.arange(n_ang)
    i_out = np.argmax(inside < 0.5, axis=1)  # first sample outside the pool
    a, b = inside[rows, np.maximum(i_out - 1, 0)], inside[rows, i_out]
    r_endo = i_out - 1 + np.clip((a - 0.5) / np.where(a > b, a - b, np.inf), 0, 1)
    max_steps = int(MAX_WALL_MM / px_mm / step)
    steps = np.arange(max_steps)
    idx = np.minimum(i_out[:, None] + steps, len(r) - 1)
    prof, rv_prof = val[rows[:, None], idx], in_rv[rows[:, None], idx]
    hit_rv = rv_prof >= 0.5
    at_rv = hit_rv.any(axis=1)
    end = np.where(at_rv, np.argmax(hit_rv, axis=1), max_steps - 1)
    before_end = steps[None, :] < end[:, None]
    m = np.argmin(np.where(before_end, prof, np.inf), axis=1)
    level = prof[rows, m]
    after = (steps[None, :] >= m[:, None]) & before_end
    peak_at = np.argmax(np.where(after, prof, -np.inf), axis=1)
    peak = prof[rows, peak_at]
    dark = level < t_dark
    edge = dark & (peak - level > MIN_EPI_RISE * (t_blood - level)) & (peak_at > m)
    k = _steepest(prof, m, peak_at)
    k_rv = _crossing(rv_prof, np.full(n_ang, 0.5), np.zeros(n_ang, int), end)
    # Up to the RV pool the rise is the RV's own border (its threshold already placed it).
    to_rv = at_rv & dark & (peak_at >= end - 1.0 / step)
    k = np.where(to_rv, k_rv, np.where(edge, k, np.nan))
    found = np.isfinite(k) & (k * step * px_mm >= 2.0)
    valid = np.isfinite(k)
    if valid.sum() >= 3:
        k = np.interp(ang, ang[valid], k[valid], period=2 * np.pi)
    else:
        k = np.zeros(n_ang)
    thick = ndimage.median_filter(k, size=7, mode="wrap")
    r_out = r_endo + thick
    yy, xx = np.mgrid[0:sm.shape[0], 0:sm.shape[1]]
    pa = np.mod(np.arctan2(yy - cj, xx - ci), 2 * np.pi)
    pr = np.hypot(yy - cj, xx - ci) / step
    lim = np.interp(pa, ang, r_out, period=2 * np.pi)
    lo = np.interp(pa, ang, r_endo, period=2 * np.pi)
    myo = (pr < lim) & (pr >= lo - 2.0 / step) & ~lv & ~rv
    return myo, float(found.mean())


def segment_slice(img: np.ndarray, lv_seed: tuple[float, float],
                  rv_seed: tuple[float, float] | None, px_mm: float
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float] | None:
    """LV pool, LV myocardium, RV pool masks of one 2D slice, and the myocardial cover.

    Works on a box of ±:data:`CROP_MM` around the LV seed. Returns None when there is no
    blood pool at the LV seed (beyond the apex or base).
    """
    h = int(np.ceil(CROP_MM / px_mm))
    j0 = min(max(int(round(lv_seed[0])) - h, 0), img.shape[0])
    i0 = min(max(int(round(lv_seed[1])) - h, 0), img.shape[1])
    crop = img[j0:j0 + 2 * h + 1, i0:i0 + 2 * h + 1]
    shift = lambda s: None if s is None else (s[0] - j0, s[1] - i0)  # noqa: E731
    res = _segment_crop(crop, shift(lv_seed), shift(rv_seed), px_mm)
    if res is None:
        return None
    out = []
    for m in res[:3]:
        full = np.zeros(img.shape, bool)
        full[j0:j0 + m.shape[0], i0:i0 + m.shape[1]] = m
        out.append(full)
    return out[0], out[1], out[2], res[3]


def _segment_crop(img: np.ndarray, lv_seed: tuple[float, float],
                  rv_seed: tuple[float, float] | None, px_mm: float
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float] | None:
    sm = ndimage.gaussian_filter(img.astype(np.float32), 0.7)
    ny, nx = sm.shape
    yy, xx = np.ogrid[0:ny, 0:nx]
    sj, si = int(round(lv_seed[0])), int(round(lv_seed[1]))
    roi = (yy - sj) ** 2 + (xx - si) ** 2 <= (ROI_MM / px_mm) ** 2
    vals = sm[roi]
    if vals.size < 50:
        return None
    t_otsu = threshold_otsu(vals)
    dark = float(np.median(vals[vals < t_otsu]))
    near = ((yy - sj) ** 2 + (xx - si) ** 2 <= (4.0 / px_mm) ** 2)
    blood = float(np.median(sm[near]))
    if blood <= t_otsu:
        return None  # no bright pool at the seed
    t = 0.5 * (blood + dark)
    bright = sm > t
    at = _nearest_bright(bright, (sj, si), 5.0 / px_mm)
    if at is None:
        return None
    comp = _component(bright, at)
    rv_at = None
    if rv_seed is not None:
        rv_at = _nearest_bright(bright, (int(round(rv_seed[0])), int(round(rv_seed[1]))),
                                5.0 / px_mm)
    if rv_at is not None and comp[rv_at]:
        markers = np.zeros(sm.shape, np.int32)
        markers[at], markers[rv_at] = 1, 2
        ws = watershed(-ndimage.distance_transform_edt(comp), markers, mask=comp)
        comp = ws == 1
    edge = comp[0].any() or comp[-1].any() or comp[:, 0].any() or comp[:, -1].any()
    if edge or comp.sum() * px_mm ** 2 > MAX_POOL_MM2:
        return None  # background, not a cavity
    lv = ndimage.binary_fill_holes(ndimage.binary_closing(comp, disk(2)) | comp)
    if lv.sum() * px_mm ** 2 < MIN_POOL_MM2:
        return None
    # Second pass: the threshold halfway between the blood and the wall actually next to it.
    lv, lv_wall = _refine(sm, lv, blood, px_mm)
    rv = np.zeros_like(lv)
    if rv_at is not None:
        rv = ndimage.binary_fill_holes(_component(bright & ~lv, rv_at)) & ~lv
        if rv.any():
            rv_blood = float(np.median(sm[ndimage.binary_erosion(rv, disk(2))] if
                                       ndimage.binary_erosion(rv, disk(2)).any() else sm[rv]))
            rv, _ = _refine(sm, rv, rv_blood, px_mm, exclude=lv, wall=lv_wall)
    t_dark = 0.5 * (dark + t)
    myo, cover = _polar_myo(sm, lv, rv, t_dark, t, px_mm)
    return lv, myo, rv, cover


def _refine(sm: np.ndarray, pool: np.ndarray, blood: float, px_mm: float,
            exclude: np.ndarray | None = None, wall: float | None = None
            ) -> tuple[np.ndarray, float | None]:
    """Re-threshold a pool halfway between its blood and the wall ring around it (1.5-4 mm
    outside), or ``wall`` when given, keeping the part connected to the first estimate.
    Returns the pool and the ring's own level (None without a ring)."""
    d_out = ndimage.distance_transform_edt(~pool) * px_mm
    outer = d_out <= max(4.0, 2 * px_mm)
    ring = outer & (d_out > max(1.5, px_mm))
    if exclude is not None:
        ring &= ndimage.distance_transform_edt(~exclude) > 2.0
    if ring.sum() < 10:
        return pool, None
    own = float(np.median(sm[ring]))
    wall = own if wall is None else wall
    d_in = ndimage.distance_transform_edt(pool) * px_mm
    edge_blood = (d_in > max(1.5, px_mm)) & (d_in <= max(4.0, 2 * px_mm))
    if edge_blood.sum() >= 10:
        blood = float(np.median(sm[edge_blood]))
    if wall >= blood:
        return pool, own
    t = 0.5 * (blood + wall)
    cand = (sm > t) & outer
    if exclude is not None:
        cand &= ~exclude
    lab, _ = ndimage.label(cand)
    keep = np.unique(lab[pool & cand])
    out = np.isin(lab, keep[keep > 0])
    out = ndimage.binary_fill_holes(ndimage.binary_closing(out, disk(2)) | out)
    return (out if out.any() else pool), own


def _next_seeds(lv: np.ndarray, rv: np.ndarray, rv_before: tuple[float, float] | None = None
                ) -> tuple[tuple[float, float], tuple[float, float] | None]:
    """LV centroid and the RV's deepest point (the RV seed before if no RV was found)."""
    lv_c = ndimage.center_of_mass(lv)
    rv_c = rv_before
    if rv.any():
        d = ndimage.distance_transform_edt(rv)
        rv_c = tuple(float(v) for v in np.unravel_index(int(np.argmax(d)), d.shape))
    return (float(lv_c[0]), float(lv_c[1])), rv_c


def _outward(slices: range, centre: int) -> list[list[int]]:
    """The slices from ``centre`` towards each end: ``[[centre, c+1, …], [c-1, c-2, …]]``."""
    c = min(max(centre, slices.start), slices.stop - 1)
    return [list(range(c, slices.stop)), list(range(c - 1, slices.start - 1, -1))]


def _leaked(area: float, cover: float, inner: float | None) -> bool:
    """A pool that is not ventricle: myocardium around less than :data:`MIN_MYO_COVER` of it,
    or around less than :data:`RINGED` of it while it is more than :data:`MAX_GROWTH` times
    the pool on the slice before (towards the seeded slice): an atrium or outflow tract
    joined to it."""
    return cover < MIN_MYO_COVER or (inner is not None and cover < RINGED
                                     and area > MAX_GROWTH * inner)


def _over(img: np.ndarray, below: np.ndarray, allowed: np.ndarray, px_mm: float
          ) -> np.ndarray:
    """Bright blood within ``allowed`` connected to the pool ``below`` (the same chamber on
    the neighbouring slice, on this slice's grid): the threshold is halfway between the blood
    over that pool and the dark tissue around it (Otsu's lower class)."""
    box = _box(below, 17.0 / px_mm)
    sm = np.zeros(img.shape, np.float32)
    sm[box] = ndimage.gaussian_filter(img[box].astype(np.float32), 0.7)
    over = ndimage.binary_dilation(below, disk(2))
    vals = sm[box].ravel()
    if vals.size < 50:
        return np.zeros_like(below)
    t_otsu = threshold_otsu(vals)
    blood = sm[over & (sm > t_otsu)]
    if blood.size < 5:
        return np.zeros_like(below)
    t = 0.5 * (float(np.median(blood)) + float(np.median(vals[vals <= t_otsu])))
    lab, _ = ndimage.label((sm > t) & allowed)
    keep = np.unique(lab[over])
    return ndimage.binary_fill_holes(np.isin(lab, keep[keep > 0])) & allowed


def _box(mask: np.ndarray, margin_px: float) -> tuple[slice, slice]:
    """The bounding box of ``mask`` grown by ``margin_px`` (clipped to the image)."""
    jj, ii = np.nonzero(mask)
    m = int(np.ceil(margin_px))
    return (slice(max(jj.min() - m, 0), jj.max() + m + 1),
            slice(max(ii.min() - m, 0), ii.max() + m + 1))


def _basal(img: np.ndarray, vent: np.ndarray, lv_below: np.ndarray, rv: np.ndarray,
           px_mm: float) -> np.ndarray:
    """LV pool of a slice the mitral annulus plane passes through: bright blood on the
    ventricle side of the plane (``vent``), connected to the LV pool of the slice below and
    within :data:`BASAL_REACH_MM` of it (the base narrows towards the annulus)."""
    reach = ndimage.binary_dilation(lv_below, disk(max(1, int(round(BASAL_REACH_MM / px_mm)))))
    return _over(img, lv_below, vent & ~rv & reach, px_mm)


def _phase(arr: np.ndarray, seeds: dict[int, tuple], slices: range, px_mm: float,
           out: np.ndarray, centre: int, stops: dict[int, list[int]] | None = None,
           phase: int = 0, depth: np.ndarray | None = None, base_first: bool = True,
           atrial: np.ndarray | None = None) -> dict[int, tuple]:
    """Segment the given slices of one phase, from ``centre`` outwards; returns each slice's
    seeds for the next phase.

    Walking out, where the LV pool has leaked (:func:`_leaked`: the base moves towards the
    apex in systole, and a basal slice then cuts the atrium) the LV stops for this phase
    (``stops[slice]`` lists such phases); an RV pool more than :data:`MAX_GROWTH` times the
    one on the slice before is left out on that slice (right atrium or outflow tract).

    ``depth`` (slices, rows, columns), when the mitral annulus of this phase is known (mm of
    each pixel's centre on the ventricle side of its plane, :mod:`~twinviewer.imaging.annulus`)
    decides the base instead (walking towards the base; ``base_first``: slice 0 is basal):
    the LV ends at the first slice wholly on the atrial side, and a slice the plane passes
    through keeps the blood and myocardium on the ventricle side, connected to the LV below
    (:func:`_basal`).
    """
    nxt = dict(seeds)
    for n_run, run in enumerate(_outward(slices, centre)):
        basal = n_run == (1 if base_first else 0)
        lv_before = rv_before = None
        lv_mask = rv_mask = None
        rv_stop = False
        for k in run:
            lv_s, rv_s = seeds[k]
            res = segment_slice(arr[k], lv_s, rv_s, px_mm)
            if depth is not None and basal and lv_mask is not None:
                # The RV keeps the short-axis rule (its annulus is not found reliably): from
                # the slice where that rule ends the LV, the RV pool is the right atrium.
                rv_stop = rv_stop or res is None or _leaked(float(res[0].sum()), res[3],
                                                            lv_before)
                vent = depth[k] > 0
                if not (vent & ndimage.binary_dilation(lv_mask, disk(2))).any():
                    if stops is not None:
                        stops.setdefault(-1 - k, []).append(phase)  # < 0: by the annulus
                    break
                # the annulus plane passes through this slice near the LV
                if not vent[_box(lv_mask, 20.0 / px_mm)].all():
                    if res is None:
                        res = (np.zeros_like(vent),) * 3 + (0.0,)
                    lv, myo, rv, cover = res
                    lv = _basal(arr[k], vent, lv_mask, rv, px_mm)
                    myo = myo & vent & ~lv
                    if not lv.any():
                        break
                    res = (lv, myo, rv, 1.0)
            if res is None:
                continue
            lv, myo, rv, cover = res
            if k != centre and (depth is None or not basal) and _leaked(float(lv.sum()), cover,
                                                                     lv_before):
                if stops is not None:
                    stops.setdefault(k, []).append(phase)
                break
            if atrial is not None and basal and rv_mask is not None:
                from twinviewer.imaging.rv_base import basal_rv  # the RV base: its own module

                rv = basal_rv(arr[k], rv, rv_mask, lv, myo, atrial[k], RV_BASAL_REACH_MM, px_mm)
            elif rv_stop:
                rv = np.zeros_like(lv)
            elif basal and rv.any() and rv_mask is not None:
                rv &= ndimage.binary_dilation(
                    rv_mask, disk(int(np.ceil(RV_BASAL_REACH_MM / px_mm))))
            # Walking to the base, a slice whose RV the seed missed (the base moved, or the
            # RV outflow tract lies beside the RV body) takes the blood over the RV below.
            elif basal and not rv.any() and rv_mask is not None:
                rv = _over(arr[k], rv_mask, ~lv & ~myo & ndimage.binary_dilation(
                    rv_mask, disk(int(np.ceil(RV_REACH_MM / px_mm)))), px_mm)
            if rv_before is not None and rv.sum() > MAX_GROWTH * rv_before:
                rv = np.zeros_like(rv)
            out[k][myo] = MYO
            out[k][rv] = RV
            out[k][lv] = LV
            lv_before, lv_mask = float(lv.sum()), lv
            rv_before = float(rv.sum()) if rv.any() else rv_before
            rv_mask = rv if rv.any() else rv_mask
            nxt[k] = _next_seeds(lv, rv, rv_s)
    return nxt


def _propose_slices(arr: np.ndarray, s: CineSeeds, px_mm: float,
                    areas: dict[int, float] | None = None
                    ) -> tuple[tuple[int, int], dict[int, tuple], list[str]]:
    """Slice range and per-slice seeds at the seeded phase, walking out from the seeded slice
    (``areas``, if given, receives each slice's LV pool area in pixels)."""
    nz = arr.shape[0]
    seeds = {s.slice: (s.lv, s.rv)}
    areas = {} if areas is None else areas
    first = segment_slice(arr[s.slice], s.lv, s.rv, px_mm)
    if first is None:
        raise ImagingError(f"no blood pool at the LV seed {s.lv} on slice {s.slice}, phase "
                           f"{s.phase}: place the seed inside the bright LV cavity")
    lo = hi = s.slice
    areas[s.slice] = float(first[0].sum())
    notes = []
    for direction in (-1, 1):
        lv_s, rv_s = _next_seeds(first[0], first[2], s.rv)
        k = s.slice + direction
        while 0 <= k < nz:
            res = segment_slice(arr[k], lv_s, rv_s, px_mm)
            if res is None or res[3] < MIN_MYO_COVER:
                why = ("no LV pool" if res is None else
                       f"myocardium around {res[3]:.0%} of the pool")
                notes.append(f"slice {k}: {why}; stack ends at slice {k - direction}")
                break
            seeds[k] = (lv_s, rv_s)
            areas[k] = float(res[0].sum())
            lv_s, rv_s = _next_seeds(res[0], res[2], rv_s)
            lo, hi = min(lo, k), max(hi, k)
            k += direction
    return (lo, hi), seeds, notes


def segment_cine(image: ImageVolume, seeds: CineSeeds,
                 corrections: dict[int, CineSeeds] | None = None,
                 planes: Sequence[ImagePlane] = ()) -> CineResult:
    """Segment every phase of a short-axis stack from seeds on one phase.

    Parameters
    ----------
    image : ImageVolume
        ``(phases, slices, rows, columns)`` short-axis cine stack.
    seeds : CineSeeds
        LV (and RV) seed on one slice of one phase; optionally the slice range.
    corrections : dict, optional
        Phase → new seeds placed by the user on that phase; they replace the propagated
        seeds from that phase on (through the rest of the cycle).
    planes : sequence of ImagePlane, optional
        The study's long-axis cine planes (``Anatomy.planes``). When the mitral annulus is
        found in them (:func:`~twinviewer.imaging.annulus.find_annuli`), it decides each
        phase's basal slices; otherwise the short-axis rule of :func:`_leaked` does.

    Returns
    -------
    CineResult
        A ``(slices, rows, columns)`` uint8 label map for every phase.

    Raises
    ------
    ImagingError
        A seed outside the image or not in a blood pool.
    """
    arr = image.array
    n_ph, nz, ny, nx = arr.shape
    for s in [seeds, *(corrections or {}).values()]:
        if not (0 <= s.phase < n_ph and 0 <= s.slice < nz and 0 <= s.lv[0] < ny
                and 0 <= s.lv[1] < nx):
            raise ImagingError(f"seed at phase {s.phase}, slice {s.slice}, pixel {s.lv} is "
                               f"outside the {n_ph}-phase stack of {nz} × {ny} × {nx}")
    px_mm = float(np.sqrt(image.spacing[1] * image.spacing[2]))
    areas: dict[int, float] = {}
    (lo, hi), per_slice, notes = _propose_slices(arr[seeds.phase], seeds, px_mm, areas)
    ks = sorted(areas)
    base_first = areas[ks[0]] >= areas[ks[-1]]
    mitral: dict = {}
    atrial: dict[int, np.ndarray] = {}  # phase → beyond the tricuspid orifice (rv_base)
    depth = _annulus_depth(image, planes, per_slice, base_first, seeds.slice, notes, mitral,
                           atrial)
    if seeds.slices is not None:
        lo, hi = seeds.slices
        notes.append(f"slices {lo}–{hi} as chosen")
        for k in range(lo, hi + 1):
            per_slice.setdefault(k, per_slice[min(per_slice, key=lambda q: abs(q - k))])
    else:
        notes.append(f"slices {lo}–{hi} proposed (LV pool with myocardium around it)")
    corrections = dict(corrections or {})
    labels = {}
    stops: dict[int, list[int]] = {}
    cur = per_slice
    for n in range(n_ph):
        p = (seeds.phase + n) % n_ph
        if p in corrections and n > 0:
            c = corrections[p]
            _, cur, more = _propose_slices(arr[p], CineSeeds(p, c.slice, c.lv, c.rv), px_mm)
            cur = {k: cur.get(k, per_slice.get(k)) for k in range(lo, hi + 1)}
            notes.append(f"phase {p}: seeds corrected; propagated from here")
        out = np.zeros((nz, ny, nx), np.uint8)
        cur = _phase(arr[p], {k: cur[k] for k in range(lo, hi + 1)}, range(lo, hi + 1), px_mm,
                     out, seeds.slice, stops, p, depth(p), base_first, atrial.get(p))
        labels[p] = out
    for k, phases in sorted(stops.items(), key=lambda kv: abs(kv[0] + 0.5)):
        which = ', '.join(map(str, sorted(phases)))
        if k < 0:
            notes.append(f"slice {-1 - k} left out in phase(s) {which}: above the mitral "
                         "annulus found in the long-axis views (atrium: the base moves in "
                         "systole)")
        else:
            notes.append(f"slice {k} left out in phase(s) {which}: the pool is not ringed by "
                         "myocardium (atrium or outflow tract: the base moves in systole)")
    return CineResult(labels, (lo, hi), notes, mitral)


def _annulus_depth(image: ImageVolume, planes: Sequence[ImagePlane], per_slice: dict[int, tuple],
                   base_first: bool, k0: int, notes: list[str], used: dict | None = None,
                   atrial: dict[int, np.ndarray] | None = None):
    """A function phase → each pixel's depth (mm) below the mitral annulus plane found in the
    long-axis ``planes`` (None where not found); ``used`` receives the planes per phase and
    ``atrial`` the voxels beyond the tricuspid orifice per phase (rv_base)."""
    if not planes:
        return lambda p: None
    from twinviewer.imaging.annulus import find_annuli

    ann = find_annuli(image, planes, {k: v[0] for k, v in per_slice.items()},
                      {k: v[1] for k, v in per_slice.items()}, base_first)
    # the tricuspid plane is not used here (docs/notes/seg8b.md), its orifice is (rv_base)
    notes += [n for n in ann.notes if not n.startswith("tricuspid septal")]
    nz, ny, nx = image.shape
    kji = np.stack(np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij"), -1)
    xyz = image.index_to_patient(kji.reshape(-1, 3)).reshape(nz, ny, nx, 3)
    # A plane that reaches within MIN_BELOW_MM of the LV centre on the seeded slice (mid-
    # ventricle) is not the annulus (the hinge search went wrong): that phase keeps the SA rule.
    centre = image.index_to_patient(np.array([[k0, *per_slice[k0][0]]]))
    wrong = [p for p, m in ann.mitral.items() if m.depth(centre)[0] < MIN_BELOW_MM]
    if wrong:
        notes.append(f"mitral annulus in phase(s) {', '.join(map(str, wrong))} reaches the "
                     "mid-ventricle: not used there")
    good = {p: m for p, m in ann.mitral.items() if p not in wrong}
    if used is not None:
        used.update(good)
    if atrial is not None:
        atrial.update({p: o.atrial(xyz) for p, o in ann.orifice.items()})
    return lambda p: good[p].depth(xyz) if p in good else None


def propose_seeds(image: ImageVolume, phase: int | None = None) -> CineSeeds:
    """Seeds a user would accept: on the ED phase's middle slice, the LV is the roundest
    bright region near the stack centre, the RV the largest bright region beside it.

    Raises
    ------
    ImagingError
        When no round bright region of LV size (5–100 cm²) is found.
    """
    from skimage.measure import label as cc_label
    from skimage.measure import regionprops

    p = image.ed_index if phase is None else phase
    k = image.shape[0] // 2
    px_mm = float(np.sqrt(image.spacing[1] * image.spacing[2]))
    sm = ndimage.gaussian_filter(image.array[p, k].astype(np.float32), 1.0)
    bright = sm > threshold_otsu(sm)
    bright = ndimage.binary_opening(bright, disk(max(1, int(round(2.0 / px_mm)))))
    regions = [r for r in regionprops(cc_label(bright))
               if 500 <= r.area * px_mm ** 2 <= 10000]
    if not regions:
        raise ImagingError(f"no LV-sized bright region on slice {k} of phase {p}: place the "
                           "seeds by hand")
    centre = np.array(sm.shape) / 2.0

    def score(r) -> float:
        circ = 4 * np.pi * r.area / max(r.perimeter, 1.0) ** 2
        off = np.linalg.norm(np.array(r.centroid) - centre) * px_mm
        return circ - off / 100.0

    lv = max(regions, key=score)
    near = [r for r in regions if r is not lv and np.linalg.norm(
        np.array(r.centroid) - np.array(lv.centroid)) * px_mm < 90.0]
    lv_seed = tuple(float(v) for v in lv.centroid)
    rv_seed = None
    if near:
        rv = max(near, key=lambda r: r.area)
        mask = np.zeros(sm.shape, bool)
        mask[tuple(rv.coords.T)] = True
        d = ndimage.distance_transform_edt(mask)
        rv_seed = tuple(float(v) for v in np.unravel_index(int(np.argmax(d)), d.shape))
    return CineSeeds(p, k, lv_seed, rv_seed)
