"""The base of the RV on short-axis cine slices: the tricuspid orifice from the 4CH view, and the
basal RV pool cut at that orifice only.

On the basal short-axis slices the right atrium joins the RV pool through the tricuspid orifice
(the valve leaflets are not seen), while the RV outflow tract (RVOT), which the SCMR convention
counts as RV (Schulz-Menger J, Bluemke DA, Bremerich J, et al. *Standardized image
interpretation and post-processing in cardiovascular magnetic resonance - 2020 update.*
J Cardiovasc Magn Reson 2020;22:19, RV volumes: "the RVOT is included in the RV volume"),
lies beside it, anterior and further from the 4CH plane. A plane cut removes both, and the
anterior basal RV with them (``docs/notes/seg8b.md``: biv-me's own tricuspid plane as a
half-space costs 27 mL of the ED RV). So the cut is limited to the orifice: the disk between
the two tricuspid hinges of the 4CH view, and the cylinder over it on the atrial side.

- **Septal hinge**: where the septum's wall ends, from :func:`annulus._hinges` on the RV pool.
- **Lateral hinge**: the RV free wall (2–3 mm) is thinner than the blur, so its wall run is
  rarely seen (``docs/notes/seg7.md``: up to 29 mm off). Instead, the RV's lateral border
  in the 4CH view, walking from the mid-ventricle to the base, narrows to a waist at the
  atrioventricular groove and widens again into the atrium: the hinge is that waist
  (:func:`lateral_hinge`).
- **Orifice**: centre halfway between the hinges, radius half their distance, plane through
  the hinge line and the 4CH plane's normal (one view), normal towards the apex.

Checked against the biv-me patient's own tricuspid opening (``docs/notes/seg9rv.md``).

Examples
--------
>>> o = TricuspidOrifice(np.zeros(3), np.array([0.0, 0.0, 1.0]), 15.0, np.zeros((2, 3)))
>>> o.atrial(np.array([[0.0, 10.0, -3.0], [0.0, 40.0, -3.0], [0.0, 0.0, 3.0]])).tolist()
[True, False, False]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage.filters import threshold_otsu
from skimage.morphology import disk

#: Cut beyond the orifice's rim: the atrium widens beyond its annulus, and the hinges are
#: found to a few mm.
RIM_MM = 8.0
#: Cut this far on the ventricle side of the orifice's plane (a pixel's slab is 8 mm thick;
#: the plane is found to a few mm).
MARGIN_MM = 0.0
DROP_MM = 5.0  # least inward step of the pool's lateral border that ends the RV free wall
DROP_ROWS_MM = 2.0  # ... within this distance along the long axis
NEAR_MM = 10.0  # the RV pool is the bright region nearest the RV's centres (of the seeded phase)


@dataclass
class TricuspidOrifice:
    """The tricuspid orifice of one phase: centre, unit normal towards the apex, radius (mm)
    and the septal and lateral hinge points ``(2, 3)`` (patient mm)."""

    centre: np.ndarray
    normal: np.ndarray
    radius: float
    hinges: np.ndarray

    def atrial(self, xyz: np.ndarray, rim_mm: float | None = None,
               margin_mm: float | None = None) -> np.ndarray:
        """True for points ``(..., 3)`` on the atrial side of the orifice (or within
        ``margin_mm``, default :data:`MARGIN_MM`, on its ventricle side) and within ``rim_mm``
        (default :data:`RIM_MM`) of its cylinder."""
        rim_mm = RIM_MM if rim_mm is None else rim_mm
        margin_mm = MARGIN_MM if margin_mm is None else margin_mm
        d = np.asarray(xyz, float) - self.centre
        depth = d @ self.normal
        radial = np.linalg.norm(d - depth[..., None] * self.normal, axis=-1)
        return (depth < margin_mm) & (radial < self.radius + rim_mm)


def orifice(septal: np.ndarray, lateral: np.ndarray, plane_normal: np.ndarray,
            u: np.ndarray) -> TricuspidOrifice:
    """Orifice between two hinge points of one long-axis view whose plane has unit normal
    ``plane_normal``; ``u`` the long axis (base → apex) orients the normal.

    Examples
    --------
    >>> o = orifice(np.array([0.0, 0.0, 0.0]), np.array([30.0, 0.0, 6.0]),
    ...             np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0]))
    >>> round(o.radius, 1), bool(o.normal[2] > 0.9)
    (15.3, True)
    """
    s, lat = np.asarray(septal, float), np.asarray(lateral, float)
    n = np.cross(lat - s, plane_normal)
    n /= np.linalg.norm(n)
    if n @ u < 0:
        n = -n
    return TricuspidOrifice(0.5 * (s + lat), n, 0.5 * float(np.linalg.norm(lat - s)),
                            np.array([s, lat]))


def lateral_hinge(sm: np.ndarray, a: np.ndarray, s: np.ndarray, centres: np.ndarray,
                  side: int, start_a: float) -> tuple[float, float] | None:
    """The lateral tricuspid hinge ``(a, s)`` (mm in the view's frame) in a long-axis image
    resampled on rows ``a`` (along the long axis, base → apex) and columns ``s``.

    The blood pool is the bright region nearest the RV pool's centres ``centres`` ``(n, 2)``
    (threshold halfway between the blood there and Otsu's dark class); in each row its border
    on ``side`` (−1, +1 along the columns) is its outermost pixel. From row ``start_a``
    (mid-ventricle) towards the base, the hinge is the last row before that border steps in
    by ≥ :data:`DROP_MM` within :data:`DROP_ROWS_MM`: the free wall turns into the
    atrioventricular groove, and the atrium above is narrower there. None without such a
    step.
    """
    valid = np.isfinite(sm)
    vals = sm[valid]
    if vals.size < 100 or len(centres) == 0:
        return None
    t_otsu = threshold_otsu(vals)
    if not (vals < t_otsu).any():
        return None  # one level: no pool
    dark = float(np.median(vals[vals < t_otsu]))
    ja = np.clip(np.searchsorted(a, centres[:, 0]), 0, len(a) - 1)
    js = np.clip(np.searchsorted(s, centres[:, 1]), 0, len(s) - 1)
    # The centres come from the seeded phase: in systole the RV has moved off some of them,
    # so the blood is read, and the pool chosen, within NEAR_MM of them.
    at = np.zeros(sm.shape, bool)
    at[ja, js] = True
    near = ndimage.distance_transform_edt(~at) * abs(float(s[1] - s[0])) <= NEAR_MM
    over = near & valid & (np.where(valid, sm, dark) > t_otsu)
    if over.sum() < 10:
        return None
    blood = float(np.median(sm[over]))
    bright = np.where(valid, sm, dark) > 0.5 * (blood + dark)
    bright = ndimage.binary_opening(bright, disk(1))
    lab, _ = ndimage.label(bright)
    ids = lab[near & bright]
    if not ids.size:
        return None
    pool = lab == np.bincount(ids).argmax()
    i0 = int(np.clip(np.searchsorted(a, start_a), 0, len(a) - 1))
    rows, width = [], []
    for i in range(i0, -1, -1):
        on = pool[i]
        if not on.any():
            if rows:
                break
            continue
        rows.append(i)
        width.append(float((side * s[on]).max()))
    if len(rows) < 5:
        return None
    w = ndimage.median_filter(np.array(width, float), size=5, mode="nearest")
    da = abs(float(a[1] - a[0]))
    k = max(1, int(round(DROP_ROWS_MM / da)))
    for j in range(len(rows) - 1):
        if w[j] - w[j + 1:j + 1 + k].min() >= DROP_MM:
            return float(a[rows[j]]), float(side * w[j])
    return None


def interp_cycle(t: np.ndarray, known: dict[int, np.ndarray], p: int) -> np.ndarray:
    """A point of phase ``p`` interpolated (each coordinate, periodic in trigger time ``t``)
    from the phases in ``known``.

    Examples
    --------
    >>> interp_cycle(np.array([0.0, 100.0, 200.0, 300.0]),
    ...              {0: np.zeros(3), 2: np.full(3, 4.0)}, 1).tolist()
    [2.0, 2.0, 2.0]
    """
    n = len(t)
    t = np.asarray(t, float) if np.isfinite(t).all() else np.arange(n, dtype=float)
    period = t[-1] + (t[-1] - t[0]) / max(n - 1, 1) if n > 1 else 1.0
    ks = sorted(known)
    pts = np.array([known[k] for k in ks])
    return np.array([np.interp(t[p], t[ks], pts[:, i], period=period) for i in range(3)])


def basal_rv(img: np.ndarray, rv: np.ndarray, rv_below: np.ndarray, lv: np.ndarray,
             myo: np.ndarray, atrial: np.ndarray, reach_mm: float, px_mm: float
             ) -> np.ndarray:
    """RV pool of a basal slice: the slice's RV (or, where the seed found none, the blood over
    the RV below, :func:`cine_seg._over`) outside the atrial side of the tricuspid orifice
    (``atrial``), within ``reach_mm`` of the RV below and connected to its footprint; the RVOT
    beside the orifice is kept."""
    from twinviewer.imaging.cine_seg import _over

    allowed = ~lv & ~myo & ~atrial & ndimage.binary_dilation(
        rv_below, disk(max(1, int(np.ceil(reach_mm / px_mm)))))
    cand = rv & allowed
    if not cand.any():
        return _over(img, rv_below, allowed, px_mm)
    lab, _ = ndimage.label(cand)
    keep = np.unique(lab[cand & ndimage.binary_dilation(rv_below, disk(1))])
    return np.isin(lab, keep[keep > 0])
