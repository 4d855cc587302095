"""Mitral and tricuspid annulus per phase from long-axis cine planes, for the basal slices of a
short-axis segmentation.

Through the cycle the base of the heart moves towards the apex in systole (10–15 mm at the
mitral annulus), so a basal short-axis slice that cuts the LV at end-diastole cuts the left
atrium at end-systole, and a slice the annulus passes through is part ventricle, part atrium.
The SCMR post-processing recommendations (Schulz-Menger J, Bluemke DA, Bremerich J, et al.
*Standardized image interpretation and post-processing in cardiovascular magnetic resonance -
2020 update.* J Cardiovasc Magn Reson 2020;22:19, LV and RV volumes) tell the reader to
cross-reference the long-axis cine views to decide which basal slices belong to the
ventricle, at ED and at ES separately: the ventricle ends at the atrioventricular valve
plane, so a basal slice counts only where it lies on the ventricular side of the annulus, and
blood beyond it (without surrounding myocardium) is atrium. This module finds that plane in
every phase:

1. the long-axis planes whose plane holds the stack's long axis (within 30°: 2CH, 3CH, 4CH)
   are resampled (SciPy ``map_coordinates``) onto a frame whose rows run along the LV axis
   (the line through the LV pool centroids of the short-axis slices, projected into the
   plane), base to apex, 1 mm apart;
2. the blood pool is the bright connected region at the axis (local threshold halfway
   between blood and dark tissue, Otsu's lower class, scikit-image); it includes the atrium
   through the open valve;
3. on each side of the axis and in each row, the wall is the dark run starting within 4 mm
   outside the pool's border, darker than halfway between myocardium (the level of the band
   1–6 mm outside the border mid-ventricle) and the tissue around the heart; its length is
   the wall's thickness;
4. walking from the mid-ventricle towards the base, the wall ends at the last row with ≥ 2 mm
   of wall before ≥ 3 mm without (or where the pool's border jumps outwards: the atrium);
   the hinge point, where the valve is attached, is where the wall's thinning over the last
   12 mm reaches zero thickness (at most 6 mm further: the last millimetres of a tapering
   wall are lost to partial volume);
5. per phase, the annulus plane is fitted (SVD) through the hinge points of all views (2CH
   and 4CH: four mitral points; one lying > 4 mm apical of the plane through the other three
   is left out); with one view, the plane holds the hinge line and is normal to the long
   axis otherwise. The tricuspid annulus comes from the RV pool in the 4CH view: its
   septal hinge only (the lateral one is lost in the thin RV free wall), with the mitral
   plane's orientation (:func:`_tricuspid`); a phase where the septal hinge is not seen takes
   it interpolated over the cycle (:func:`_fill_tricuspid`).

Checked against the biv-me patient's own valve openings (``docs/notes/seg7.md``): on the long
axis through the mitral opening's centre the plane lies 1 mm (ED) and 3–4 mm (ES) from it,
tilted 6° (ED) and 23° (ES) from it; where the anterior annulus has no myocardium under it
(aorto-mitral continuity) the wall ends up to 14 mm short of it, and :func:`_fit` leaves
such a hinge out. The tricuspid plane's septal hinge lies 1–9 mm basal of biv-me's own
tricuspid opening (7 of 8 phases seen), but the plane is tilted 14–27° from it, too much to
cut the basal RV slices by it as a half-space (``docs/notes/seg8b.md``). With the lateral
hinge (:func:`~twinviewer.imaging.rv_base.lateral_hinge`, within 2.3 mm of biv-me's in 7 of 8
phases, ``docs/notes/seg9rv.md``) it gives the tricuspid orifice, the only part of that plane
:mod:`~twinviewer.imaging.cine_seg` cuts the RV at.

Examples
--------
>>> p = AnnulusPlane(np.zeros(3), np.array([0.0, 0.0, 1.0]), np.zeros((0, 3)))
>>> p.depth(np.array([[0.0, 0.0, 5.0], [1.0, 2.0, -3.0]])).tolist()
[5.0, -3.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage
from skimage.filters import threshold_otsu

from twinviewer.core.anatomy import ImagePlane, ImageVolume
from twinviewer.imaging.rv_base import TricuspidOrifice, interp_cycle, lateral_hinge, orifice

LONG_AXIS_VIEWS = ("2CH", "3CH", "4CH")
MAX_TILT_DEG = 30.0  # a plane whose normal is farther than this from ⟂ the long axis: not used
ABOVE_MM, BESIDE_MM = 60.0, 70.0  # extent of the resampled frame above the base and sideways
BAND_MM = (1.0, 6.0)  # band outside the pool's border whose level mid-ventricle is the wall's
SEEK_MM = 4.0  # the wall starts within this of the pool's border
GAP_MM = 3.0  # rows without wall that end it
WALL_MM = 2.0  # least dark run outside the pool's border that is wall
JUMP_MM = 2.0  # the most the pool's border moves sideways per mm along the wall
TAPER_MM = 12.0  # basal stretch of wall whose thinning is extrapolated to the hinge
MIN_TAPER = 0.2  # thinning (mm of wall per mm along the axis) that counts as tapering
SHORT_MM = 4.0  # a hinge this far apical of the plane through the others is left out
MAX_EXTRA_MM = 6.0  # the most the hinge is put beyond the last row with visible wall
#: How far apical of the mitral hinges the lateral tricuspid hinge is looked for (biv-me:
#: the tricuspid opening's centre lies 8–15 mm apical of the mitral plane, docs/notes/seg8b.md).
TRICUSPID_BELOW_MM = 20.0
#: The most the hinge line of the tricuspid orifice is tilted from the short-axis plane (biv-me:
#: 14–27° between the tricuspid and mitral openings; docs/notes/seg8b.md).
MAX_ORIFICE_TILT_DEG = 40.0


@dataclass
class AnnulusPlane:
    """A valve annulus plane: a point on it, its unit normal towards the apex (ventricle side
    positive) and the hinge points it was fitted through (patient mm)."""

    point: np.ndarray
    normal: np.ndarray
    hinges: np.ndarray

    def depth(self, xyz: np.ndarray) -> np.ndarray:
        """Signed distance (mm) of points ``(..., 3)`` from the plane: > 0 on the ventricle side."""
        return (np.asarray(xyz, float) - self.point) @ self.normal


@dataclass
class Annuli:
    """Mitral and tricuspid planes per stack phase (absent where not found), and notes."""

    mitral: dict[int, AnnulusPlane] = field(default_factory=dict)
    tricuspid: dict[int, AnnulusPlane] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: The tricuspid orifice between the septal and lateral hinges of the 4CH view
    #: (:mod:`~twinviewer.imaging.rv_base`).
    orifice: dict[int, TricuspidOrifice] = field(default_factory=dict)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _plane_normal(img: ImageVolume) -> np.ndarray:
    a = img.affine[:3, :3]
    return _unit(np.cross(a[:, 1], a[:, 2]))


@dataclass
class _Frame:
    """Resampling frame in a long-axis plane: origin, row direction (long axis, base → apex)
    and column direction (in the plane), 1 mm steps; ``a0`` the first row's offset."""

    origin: np.ndarray
    u: np.ndarray
    e: np.ndarray
    a: np.ndarray
    s: np.ndarray

    def points(self, a: np.ndarray, s: np.ndarray) -> np.ndarray:
        return self.origin + np.multiply.outer(a, self.u) + np.multiply.outer(s, self.e)

    def sample(self, img2d: np.ndarray, plane: ImageVolume) -> np.ndarray:
        aa, ss = np.meshgrid(self.a, self.s, indexing="ij")
        kji = plane.patient_to_index(self.points(aa, ss).reshape(-1, 3))
        out = ndimage.map_coordinates(img2d, [kji[:, 1], kji[:, 2]], order=1, cval=np.nan)
        return out.reshape(aa.shape)


def _hinges(sm: np.ndarray, fr: _Frame, centres: np.ndarray, mid: tuple[float, float]
            ) -> dict[int, tuple[float, float]]:
    """Hinge points ``(a, s)`` (mm in the frame) on each side (−1, +1 along the frame's
    columns) of a pool whose axis passes through ``centres`` ``(n, 2)`` (a, s); ``mid`` the
    rows (a) of the mid-ventricle."""
    valid = np.isfinite(sm)
    vals = sm[valid]
    if vals.size < 100:
        return {}
    t_otsu = threshold_otsu(vals)
    dark = float(np.median(vals[vals < t_otsu]))
    ja = np.clip(np.searchsorted(fr.a, centres[:, 0]), 0, len(fr.a) - 1)
    js = np.clip(np.searchsorted(fr.s, centres[:, 1]), 0, len(fr.s) - 1)
    blood = float(np.nanmedian(sm[ja, js]))
    if not blood > t_otsu:
        return {}
    bright = np.where(valid, sm, dark) > 0.5 * (blood + dark)
    lab, _ = ndimage.label(bright)
    ids = lab[ja, js]
    ids = ids[ids > 0]
    if not ids.size:
        return {}
    pool = lab == np.bincount(ids).argmax()
    fit = np.polyfit(centres[:, 0], centres[:, 1], 1) if len(centres) > 1 else [0.0, centres[0, 1]]
    axis_s = np.polyval(fit, fr.a)
    ds = float(fr.s[1] - fr.s[0])
    lo, hi = (int(round(b / ds)) for b in BAND_MM)
    n_a, n_s = sm.shape
    rows_mid = (fr.a >= mid[0]) & (fr.a <= mid[1])
    out: dict[int, tuple[float, float]] = {}
    bands: dict[int, list[float]] = {-1: [], 1: []}
    border = {-1: np.full(n_a, np.nan), 1: np.full(n_a, np.nan)}
    for i in range(n_a):
        c = int(np.clip(np.searchsorted(fr.s, axis_s[i]), 0, n_s - 1))
        if not pool[i, c]:
            continue
        for side in (-1, 1):
            run = pool[i, c::side] if side > 0 else pool[i, c::-1]
            k = int(np.argmin(run)) if not run.all() else len(run)
            b = c + side * k
            seg = sm[i, b + side * lo:b + side * hi:side] if side > 0 else \
                sm[i, max(b - lo, 0):max(b - hi, -1):-1]
            if seg.size and np.isfinite(seg).all():
                border[side][i] = b
                bands[side].append(float(np.median(seg)) if rows_mid[i] else np.nan)
            else:
                bands[side].append(np.nan)
    far = ndimage.distance_transform_edt(~pool) > 8.0 / ds
    around = sm[far & valid & ~bright]
    mids = [v for s in (-1, 1) for v in bands[s] if np.isfinite(v)]
    if len(mids) < 5 or around.size < 50:
        return {}
    myo, bg = float(np.median(mids)), float(np.median(around))
    if not myo < bg:
        return {}
    t_myo = 0.5 * (myo + bg)
    start = int(np.argmax(rows_mid)) + int(rows_mid.sum()) // 2
    da = float(fr.a[1] - fr.a[0])
    seek = int(round(SEEK_MM / ds))
    gap = int(round(GAP_MM / da))
    for side in (-1, 1):
        rows, thick, edge = [], [], []
        miss = 0
        for i in range(start, -1, -1):
            b = border[side][i]
            t = 0.0
            if np.isfinite(b):
                run = sm[i, int(b):] if side > 0 else sm[i, int(b)::-1]
                dark_run = np.isfinite(run) & (run < t_myo)
                first = int(np.argmax(dark_run)) if dark_run[:seek + 1].any() else -1
                if first >= 0:
                    rest = ~dark_run[first:]
                    t = (int(np.argmax(rest)) if rest.any() else len(rest)) * ds
            if edge and abs(b - edge[-1]) * ds > JUMP_MM * (rows[-1] - i):
                t = 0.0  # the border left the wall: the atrium widens beyond the annulus
            if t >= WALL_MM:
                rows.append(i)
                thick.append(t)
                edge.append(b)
                miss = 0
            else:
                miss += 1
                if miss >= gap and rows:
                    break
        if not rows or rows[-1] >= start:
            continue
        out[side] = _tip(fr, np.array(rows), np.array(thick), np.array(edge))
    return out


def _tip(fr: _Frame, rows: np.ndarray, thick: np.ndarray, edge: np.ndarray
         ) -> tuple[float, float]:
    """Where the wall's thickness reaches zero: a line through the thickness of the last
    :data:`TAPER_MM` of wall rows (towards the base), extrapolated (at most
    :data:`MAX_EXTRA_MM`, and only when the wall does thin) beyond the last row where the
    wall could be seen: the annulus is where the tapering wall ends, and within a 2 mm pixel
    and an 8 mm slice its last few mm are lost to partial volume. The hinge's column moves
    along the border's own line."""
    a = fr.a[rows]
    last = a[-1]
    near = a <= last + TAPER_MM
    a_tip, s_tip = last, float(np.interp(edge[-1], np.arange(len(fr.s)), fr.s))
    if near.sum() >= 4:
        slope, icpt = np.polyfit(a[near], thick[near], 1)
        if slope > MIN_TAPER:  # the wall thins towards the base: follow it to zero
            a_tip = float(max(-icpt / slope, last - MAX_EXTRA_MM))
            s_edge = np.interp(edge[near], np.arange(len(fr.s)), fr.s)
            s_tip += float(np.polyfit(a[near], s_edge, 1)[0]) * (a_tip - last)
    return float(a_tip), s_tip


def _fit(points: np.ndarray, u: np.ndarray, lines: list[np.ndarray]) -> AnnulusPlane | None:
    """Plane through hinge points (SVD with ≥ 3 points not on one line; else through the
    hinge line, normal to ``u`` otherwise), normal towards the apex."""
    if len(points) < 2:
        return None
    if len(points) >= 4:
        # Where the annulus has no myocardium under it (the aorto-mitral continuity) the wall
        # ends short of it, so a wrong hinge lies towards the apex: the point farthest on the
        # apical side of the plane through the others (by > SHORT_MM) is left out.
        beyond = []
        for i in range(len(points)):
            rest = np.delete(points, i, axis=0)
            plane = _fit(rest, u, [rest[1] - rest[0]])
            beyond.append(plane.depth(points[i][None])[0] if plane is not None else 0.0)
        if max(beyond) > SHORT_MM:
            keep = np.delete(points, int(np.argmax(beyond)), axis=0)
            out = _fit(keep, u, [keep[1] - keep[0]])
            return AnnulusPlane(out.point, out.normal, points) if out is not None else None
    c = points.mean(axis=0)
    n = None
    if len(points) >= 3:
        _, sv, vt = np.linalg.svd(points - c)
        if sv[1] > 5.0:  # spread in two directions (mm): a plane
            n = vt[2]
    if n is None:
        d = _unit(lines[0])
        n = u - (u @ d) * d
    n = _unit(n)
    if n @ u < 0:
        n = -n
    return AnnulusPlane(c, n, points)


def _tricuspid(septal: np.ndarray, mitral: AnnulusPlane | None, u: np.ndarray
               ) -> AnnulusPlane:
    """Tricuspid plane through the septal hinge, parallel to the mitral plane of the same
    phase (normal to the long axis ``u`` without it).

    The lateral hinge is not used: the RV free wall (2–3 mm) is thinner than a pixel's blur,
    so its dark run is rarely seen and the hinge lands up to 29 mm off (docs/notes/seg7.md).
    The septal hinge sits on the thick septum. Both annuli lie on the fibrous skeleton of the
    heart; the plane carries the mitral plane's orientation (within 14–27° of biv-me's own
    tricuspid opening, docs/notes/seg8b.md)."""
    n = mitral.normal if mitral is not None else u
    return AnnulusPlane(np.asarray(septal, float), _unit(n), np.asarray(septal, float)[None])


def _fill_tricuspid(out: Annuli, t_ms: np.ndarray, u: np.ndarray) -> None:
    """A phase with a mitral plane but no septal tricuspid hinge (its wall run was not seen)
    takes the septal hinge interpolated over the cycle (each coordinate, periodic in time)
    from the phases where it was found."""
    both = sorted(out.tricuspid)
    todo = [p for p in out.mitral if p not in out.tricuspid]
    if not both or not todo:
        return
    known = {p: out.tricuspid[p].point for p in both}
    for p in todo:
        out.tricuspid[p] = _tricuspid(interp_cycle(t_ms, known, p), out.mitral[p], u)
        out.tricuspid[p].hinges = np.zeros((0, 3))
    out.notes.append(f"tricuspid septal hinge not seen in phase(s) {', '.join(map(str, todo))}"
                     ": interpolated over the cycle")


def find_annuli(stack: ImageVolume, planes: Sequence[ImagePlane],
                lv_centres: dict[int, tuple[float, float]],
                rv_centres: dict[int, tuple[float, float] | None] | None = None,
                base_first: bool = True) -> Annuli:
    """Mitral (and tricuspid) annulus plane for every phase of ``stack``.

    Parameters
    ----------
    stack : ImageVolume
        The short-axis stack (its affine places the slices, its phase times the phases).
    planes : sequence of ImagePlane
        The study's long-axis planes; those named 2CH, 3CH or 4CH whose plane holds the stack's
        long axis are used (the RV's annulus from the 4CH view only).
    lv_centres, rv_centres
        Slice index → LV (RV) pool centre ``(row, column)`` on that slice, e.g. from the
        seeded phase: they place the ventricles' axes.
    base_first
        True when slice 0 is the basal end of the stack (slice index grows towards the apex).

    Returns
    -------
    Annuli
        Planes per stack phase; a phase whose hinge points were not found has none (its
        basal slices are then decided from the short-axis images alone).

    Examples
    --------
    >>> from twinviewer.imaging.cine_phantom import sa_stack
    >>> img, _ = sa_stack(n_phases=1, rows=32, cols=32, pixel_mm=4.0)
    >>> find_annuli(img, [], {6: (16.0, 16.0)}).mitral
    {}
    """
    out = Annuli()
    if not lv_centres:
        return out
    ks = sorted(lv_centres)
    u = _unit(stack.affine[:3, 0])
    rvk = [k for k in ks if rv_centres and rv_centres.get(k) is not None]
    rv3 = stack.index_to_patient(np.array([[k, *rv_centres[k]] for k in rvk])) if rvk else None
    if not base_first:
        u = -u
        ks = ks[::-1]
    lv3 = stack.index_to_patient(np.array([[k, *lv_centres[k]] for k in ks]))
    a_lv = (lv3 - lv3[0]) @ u
    mid = (float(np.percentile(a_lv, 25)), float(np.percentile(a_lv, 60)))
    t_stack = np.asarray(stack.phase_times_ms, float)
    used = []
    lateral: dict[int, np.ndarray] = {}
    n4 = None
    hinges: dict[str, dict[int, list[np.ndarray]]] = {"mitral": {}, "tricuspid": {}}
    lines: dict[str, dict[int, list[np.ndarray]]] = {"mitral": {}, "tricuspid": {}}
    for pl in planes:
        if pl.view.upper() not in LONG_AXIS_VIEWS:
            continue
        n = _plane_normal(pl.image)
        if abs(n @ u) > np.sin(np.radians(MAX_TILT_DEG)):
            continue
        up = _unit(u - (u @ n) * n)
        e = np.cross(n, up)
        o = lv3[0] - ((lv3[0] - pl.image.affine[:3, 3]) @ n) * n
        a = np.arange(-ABOVE_MM, a_lv.max() + 40.0, 1.0)
        fr = _Frame(o, up, e, a, np.arange(-BESIDE_MM, BESIDE_MM + 1.0, 1.0))
        used.append(pl.view)
        t_plane = np.asarray(pl.image.phase_times_ms, float)
        for p in range(stack.n_phases):
            q = int(np.nanargmin(np.abs(t_plane - t_stack[p]))) if np.isfinite(
                t_stack[p]) and np.isfinite(t_plane).any() else min(p, len(t_plane) - 1)
            img2d = ndimage.gaussian_filter(pl.image.array[q, 0].astype(np.float32), 0.7)
            sm = fr.sample(img2d, pl.image)
            cen_lv = np.c_[(lv3 - o) @ up, (lv3 - o) @ e]
            found = _hinges(sm, fr, cen_lv, mid)
            if len(found) == 2:
                xyz = [fr.points(np.array(ah), np.array(sh)) for ah, sh in found.values()]
                hinges["mitral"].setdefault(p, []).extend(xyz)
                lines["mitral"].setdefault(p, []).append(xyz[1] - xyz[0])
            if rv3 is not None and pl.view.upper() == "4CH":
                cen_rv = np.c_[(rv3 - o) @ up, (rv3 - o) @ e]
                septal = 1 if cen_lv[:, 1].mean() > cen_rv[:, 1].mean() else -1
                hit = _hinges(sm, fr, cen_rv, mid).get(septal)
                if hit is not None:
                    hinges["tricuspid"].setdefault(p, []).append(fr.points(*map(np.array, hit)))
                # the RV's lateral wall lies beyond the LV-centred frame: a wider one
                wide = _Frame(o, up, e, a, np.arange(-2 * BESIDE_MM, 2 * BESIDE_MM + 1.0, 1.0))
                # the tricuspid annulus lies near the mitral one (the fibrous skeleton): the
                # step is looked for from TRICUSPID_BELOW_MM apical of the mitral hinges
                start = (max(v[0] for v in found.values()) + TRICUSPID_BELOW_MM if found
                         else 0.5 * (mid[0] + mid[1]))
                lat = lateral_hinge(wide.sample(img2d, pl.image), wide.a, wide.s, cen_rv,
                                    -septal, start)
                n4 = n
                if lat is not None and found and lat[0] < start - TRICUSPID_BELOW_MM - 5.0:
                    lat = None  # more than 5 mm basal of the mitral hinges: the atrium's wall
                if lat is not None:
                    lateral[p] = wide.points(*map(np.array, lat))
    for p, pts in hinges["mitral"].items():
        plane = _fit(np.array(pts), u, lines["mitral"][p])
        if plane is not None:
            out.mitral[p] = plane
    for p, pts in hinges["tricuspid"].items():
        out.tricuspid[p] = _tricuspid(pts[0], out.mitral.get(p), u)
    if used:
        miss = [p for p in range(stack.n_phases) if p not in out.mitral]
        out.notes.append(f"mitral annulus found in the {'/'.join(used)} view(s) in "
                         f"{stack.n_phases - len(miss)} of {stack.n_phases} phases"
                         + (f" (not in {', '.join(map(str, miss))})" if miss else ""))
    _fill_tricuspid(out, t_stack, u)
    _orifices(out, lateral, n4, t_stack, u)
    return out


def _orifices(out: Annuli, lateral: dict[int, np.ndarray], n4: np.ndarray | None,
              t_ms: np.ndarray, u: np.ndarray) -> None:
    """The tricuspid orifice of every phase with a tricuspid plane, between its septal hinge
    and the lateral hinge found in the 4CH view (plane normal ``n4``); a phase without a
    lateral hinge takes it interpolated over the cycle."""
    if not lateral or n4 is None or not out.tricuspid:
        return
    for p in list(lateral):
        if p in out.tricuspid:
            d = _unit(lateral[p] - out.tricuspid[p].point)
            if abs(d @ u) > np.sin(np.radians(MAX_ORIFICE_TILT_DEG)):
                del lateral[p]  # a hinge line along the long axis is not an annulus
    if not lateral:
        return
    miss = [p for p in sorted(out.tricuspid) if p not in lateral]
    # a phase without it takes its offset from the mitral plane's centre, interpolated over
    # the cycle: both annuli lie on the fibrous skeleton and descend together in systole
    offset = {q: lateral[q] - out.mitral[q].point for q in lateral if q in out.mitral}
    for p in out.tricuspid:
        if p in lateral:
            lat = lateral[p]
        elif offset and p in out.mitral:
            lat = out.mitral[p].point + interp_cycle(t_ms, offset, p)
        else:
            lat = interp_cycle(t_ms, lateral, p)
        out.orifice[p] = orifice(out.tricuspid[p].point, lat, n4, u)
    out.notes.append(f"tricuspid orifice in {len(out.orifice)} phases"
                     + (f" (lateral hinge interpolated in {', '.join(map(str, miss))})"
                        if miss else ""))
