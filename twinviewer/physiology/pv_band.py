"""The ensemble's pressure–volume loop band over each member's own cycle phase (numpy only).

Members of an ensemble beat at different heart rates, and systole does not scale with the
beat: at one fraction of the beat some members still eject while others already relax. A
band taken per sample of the beat mixes phases, and on a PV loop it spans the loop's inside.
Here every member's loop is first put on a common *phase* grid anchored on its own valve
events, so that the four corners of the loop line up:

* phase 0: end of forward inflow (mitral / tricuspid closure, end-diastole),
* phase 1: start of forward outflow (aortic / pulmonary valve opening),
* phase 2: end of forward outflow (aortic / pulmonary closure, end of ejection),
* phase 3: start of forward inflow (mitral / tricuspid opening); phase 4 ≡ phase 0.

Between two events each member is resampled linearly in its own time. Forward flow is flow
above :data:`~twinviewer.physiology.metrics.FORWARD_FRACTION` of the beat's peak through that
valve (as the metrics' mean gradients count it). Where a valve never opens (peak outflow
≤ 1 mL/s, e.g. a full-support LVAD) or the model has no valve flows, the loop's geometry
stands in: outflow opening at the steepest pressure rise, end of ejection at the smallest
volume, end-diastole at the largest (without an inflow flow) and inflow opening at the
steepest pressure fall.

At each phase the 5th–95th percentiles of volume and of pressure across members make a box;
the band is the region the boxes sweep as the phase runs round the loop (their union). It is
drawn as its outline (outer and inner edges) and a light fill between them, so the loop's
inside stays clear wherever the members' loops do not cross it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twinviewer.physiology.metrics import FORWARD_FRACTION

#: Phase samples between two consecutive events (four segments per loop).
N_PER_SEGMENT = 60
#: Outflow through a valve below this peak (mL/s) means the valve does not open.
MIN_EJECTION_ML_S = 1.0
#: Cells of the grid the band's outline is traced on, along each axis.
GRID = 480


def _forward(q: np.ndarray) -> np.ndarray:
    peak = np.maximum(q.max(axis=1, keepdims=True), 0.0)
    return q > FORWARD_FRACTION * peak


def _first(mask: np.ndarray, start: np.ndarray, step: int) -> np.ndarray:
    """Per row, the first index ``start + step·k`` (k ≥ 0, cyclic) where ``mask`` holds;
    ``start`` where it never does."""
    n = mask.shape[1]
    rows = np.arange(mask.shape[0])[:, None]
    idx = (start[:, None] + step * np.arange(n)[None, :]) % n
    hit = mask[rows, idx]
    k = np.where(hit.any(axis=1), hit.argmax(axis=1), 0)
    return idx[np.arange(mask.shape[0]), k]


def loop_events(v: np.ndarray, p: np.ndarray, q_in: np.ndarray | None = None,
                q_out: np.ndarray | None = None) -> np.ndarray:
    """Sample index of the four loop events of each member, ``(N, 4)``: inflow closure,
    outflow opening, outflow closure, inflow opening (see the module docstring).

    Examples
    --------
    >>> v = np.array([[100.0, 100, 80, 60, 60, 70, 90]])
    >>> p = np.array([[8.0, 60, 100, 90, 20, 5, 6]])
    >>> q_out = np.array([[0.0, 0, 200, 100, 0, 0, 0]])
    >>> q_in = np.array([[0.0, 0, 0, 0, 0, 150, 120]])
    >>> loop_events(v, p, q_in, q_out).tolist()
    [[6, 2, 3, 5]]
    """
    v, p = np.asarray(v, dtype=float), np.asarray(p, dtype=float)
    n = v.shape[1]
    dp = np.roll(p, -1, axis=1) - p
    ejects = (np.zeros(len(v), bool) if q_out is None
              else np.asarray(q_out).max(axis=1) > MIN_EJECTION_ML_S)
    # geometry, where the valve flows do not say
    i_open = dp.argmax(axis=1)
    i_close = v.argmin(axis=1)
    if ejects.any():
        fwd = _forward(np.asarray(q_out, dtype=float))
        peak = np.asarray(q_out).argmax(axis=1)
        # first non-forward sample before / after the peak outflow, then one step back
        i_open = np.where(ejects, (_first(~fwd, peak, -1) + 1) % n, i_open)
        i_close = np.where(ejects, (_first(~fwd, peak, 1) - 1) % n, i_close)
    if q_in is None:
        i_ed = v.argmax(axis=1)
        i_mo = _first_after_min(dp, i_close, i_ed)
    else:
        fwd_in = _forward(np.asarray(q_in, dtype=float))
        i_ed = _first(fwd_in, (i_open - 1) % n, -1)
        i_mo = _first(fwd_in, (i_close + 1) % n, 1)
    return np.stack([i_ed, i_open, i_close, i_mo], axis=1)


def _first_after_min(dp: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """The steepest pressure fall between ``start`` and ``stop`` (cyclic), per row."""
    n = dp.shape[1]
    rows = np.arange(dp.shape[0])[:, None]
    k = np.arange(n)[None, :]
    idx = (start[:, None] + k) % n
    inside = k <= ((stop - start) % n)[:, None]
    return idx[rows[:, 0], np.where(inside, dp[rows, idx], np.inf).argmin(axis=1)]


def phase_positions(events: np.ndarray, n: int, m: int = N_PER_SEGMENT) -> np.ndarray:
    """Fractional sample positions ``(N, 4m)`` of each member at the common phase grid
    (``m`` samples per segment between consecutive events; unwrapped from its end-diastole).

    Examples
    --------
    >>> phase_positions(np.array([[6, 2, 3, 5]]), 7, m=2).tolist()
    [[6.0, 7.5, 9.0, 9.5, 10.0, 11.0, 12.0, 12.5]]
    """
    e = np.asarray(events)
    off = (e - e[:, :1]) % n
    off = np.maximum.accumulate(off, axis=1).astype(float)  # events in the cycle's order
    ends = np.concatenate([off, np.full((len(e), 1), float(n))], axis=1)
    u = np.arange(m) / m
    seg = ends[:, :4, None] + (ends[:, 1:, None] - ends[:, :4, None]) * u[None, None, :]
    return e[:, :1] + seg.reshape(len(e), 4 * m)


def at_positions(x: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """``x`` (N, n), one beat per row, linearly interpolated at fractional cyclic sample
    positions ``pos`` (N, k).

    Examples
    --------
    >>> at_positions(np.array([[0.0, 10.0, 20.0]]), np.array([[0.5, 2.5, 3.0]])).tolist()
    [[5.0, 10.0, 0.0]]
    """
    x = np.asarray(x, dtype=float)
    n = x.shape[1]
    lo = np.floor(pos).astype(int)
    frac = pos - lo
    rows = np.arange(len(x))[:, None]
    return x[rows, lo % n] * (1 - frac) + x[rows, (lo + 1) % n] * frac


@dataclass(frozen=True)
class PhaseBand:
    """The median loop and the 5–95 % band of an ensemble over the common phase grid.

    ``v_*`` / ``p_*``: ``(4m,)`` volume (mL) and pressure (mmHg) per phase sample;
    ``rings``: the band region's closed outlines (outer and inner edges), each ``(k, 2)``
    (volume, pressure); ``events``: each member's event samples ``(N, 4)``;
    ``n``: samples per recorded beat; ``sample_phase``: ``(n,)`` the members' median phase
    (0…4) at each sample of the beat (:func:`median_phase`).
    """

    v_median: np.ndarray
    p_median: np.ndarray
    v_low: np.ndarray
    v_high: np.ndarray
    p_low: np.ndarray
    p_high: np.ndarray
    rings: tuple[np.ndarray, ...]
    events: np.ndarray
    n: int
    sample_phase: np.ndarray

    def contains(self, v, p) -> np.ndarray:
        """Whether each point ``(v, p)`` lies in the band (in a box of the swept phases)."""
        v, p = np.atleast_1d(np.asarray(v, float)), np.atleast_1d(np.asarray(p, float))
        vl, vh, pl, ph = _swept(self.v_low, self.v_high, self.p_low, self.p_high, 8)
        inside = ((v[:, None] >= vl) & (v[:, None] <= vh)
                  & (p[:, None] >= pl) & (p[:, None] <= ph))
        return inside.any(axis=1)

    def outline(self) -> tuple[np.ndarray, np.ndarray]:
        """The rings as one NaN-separated ``(x, y)`` path (for a single line item)."""
        if not self.rings:
            return np.array([]), np.array([])
        nan = np.array([[np.nan, np.nan]])
        path = np.concatenate([r for ring in self.rings for r in (ring, nan)])
        return path[:, 0], path[:, 1]

    def phase_at(self, fraction: float) -> float:
        """The phase (0…4) the ensemble is at, at ``fraction`` of each member's beat: the
        median over members of their own phase at sample ``round(fraction·(n−1))``."""
        return float(self.sample_phase[int(round((float(fraction) % 1.0) * (self.n - 1)))])

    def median_at(self, fraction: float) -> tuple[float, float]:
        """The median loop's (volume, pressure) at ``fraction`` of the beat
        (:meth:`phase_at`), interpolated between phase samples."""
        m4 = len(self.v_median)
        x = self.phase_at(fraction) * m4 / 4.0
        i = int(np.floor(x)) % m4
        f = x - np.floor(x)
        j = (i + 1) % m4
        return (float(self.v_median[i] * (1 - f) + self.v_median[j] * f),
                float(self.p_median[i] * (1 - f) + self.p_median[j] * f))


def median_phase(events: np.ndarray, n: int) -> np.ndarray:
    """The median over members of their own phase (0…4) at each sample of the beat, ``(n,)``
    (each member's phase runs linearly in its own time between its events).

    Examples
    --------
    >>> median_phase(np.array([[0, 2, 4, 6]]), 8).tolist()
    [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]
    """
    e = np.asarray(events)
    off = np.maximum.accumulate((e - e[:, :1]) % n, axis=1).astype(float)
    ends = np.concatenate([off, np.full((len(e), 1), float(n))], axis=1)  # (N, 5)
    rel = (np.arange(n)[None, :] - e[:, :1]) % n  # (N, n) samples since end-diastole
    seg = np.clip((rel[:, :, None] >= ends[:, None, 1:4]).sum(axis=2), 0, 3)
    start = np.take_along_axis(ends, seg, axis=1)
    width = np.take_along_axis(ends, seg + 1, axis=1) - start
    phi = seg + np.where(width > 0, (rel - start) / np.maximum(width, 1e-9), 0.0)
    ref = np.median(phi, axis=0)  # unwrap round a reference before the median
    phi = ref + (phi - ref + 2.0) % 4.0 - 2.0
    return np.median(phi, axis=0) % 4.0


def _swept(vl, vh, pl, ph, k: int):
    """The boxes between consecutive phase samples, ``k`` per step (linear sweep), cyclic."""
    t = (np.arange(k) / k)[None, :]

    def up(a):
        a = np.asarray(a, float)
        return (a[:, None] * (1 - t) + np.roll(a, -1)[:, None] * t).ravel()

    return up(vl), up(vh), up(pl), up(ph)


def _rings(vl, vh, pl, ph, grid: int = GRID) -> tuple[np.ndarray, ...]:
    """Closed outlines of the union of the swept boxes, traced on a ``grid``² raster."""
    import contourpy

    finite = np.isfinite(vl) & np.isfinite(vh) & np.isfinite(pl) & np.isfinite(ph)
    if not finite.any():
        return ()
    x0, x1 = float(vl[finite].min()), float(vh[finite].max())
    y0, y1 = float(pl[finite].min()), float(ph[finite].max())
    dx, dy = max(x1 - x0, 1e-6) / (grid - 4), max(y1 - y0, 1e-6) / (grid - 4)
    xs, ys = x0 - 2 * dx + dx * np.arange(grid), y0 - 2 * dy + dy * np.arange(grid)
    # a step of the median must not skip a cell: sweep enough boxes per phase step
    step = max(np.nanmax(np.abs(np.diff(np.r_[vl, vl[:1]]))) / dx,
               np.nanmax(np.abs(np.diff(np.r_[pl, pl[:1]]))) / dy, 1.0)
    svl, svh, spl, sph = _swept(vl, vh, pl, ph, int(min(np.ceil(step), 16)))
    ok = np.isfinite(svl) & np.isfinite(svh) & np.isfinite(spl) & np.isfinite(sph)
    mask = np.zeros((grid, grid), dtype=np.uint8)
    c0 = np.searchsorted(xs, svl[ok], "left")
    c1 = np.searchsorted(xs, svh[ok], "right")
    r0 = np.searchsorted(ys, spl[ok], "left")
    r1 = np.searchsorted(ys, sph[ok], "right")
    for a, b, c, d in zip(r0, r1, c0, c1, strict=True):
        mask[a:b, c:d] = 1
    lines = contourpy.contour_generator(xs, ys, mask.astype(float),
                                        line_type=contourpy.LineType.Separate).lines(0.5)
    return tuple(np.asarray(seg, dtype=float) for seg in lines if len(seg) > 2)


def phase_band(v: np.ndarray, p: np.ndarray, q_in: np.ndarray | None = None,
               q_out: np.ndarray | None = None, level: float = 0.9,
               m: int = N_PER_SEGMENT) -> PhaseBand:
    """The median loop and central ``level`` band of the members' PV loops ``(v, p)``
    (each ``(N, n)``, one beat per row, mL and mmHg), over the common phase grid anchored on
    each member's inflow (``q_in``) and outflow (``q_out``) valve events (mL/s).

    Examples
    --------
    >>> t = np.linspace(0, 2 * np.pi, 100, endpoint=False)
    >>> v = np.stack([120 - 30 * (1 - np.cos(t + s)) for s in (0.0, 0.1, 0.2)])
    >>> p = np.stack([60 + 50 * np.sin(t + s) for s in (0.0, 0.1, 0.2)])
    >>> b = phase_band(v, p)
    >>> len(b.v_median) == 4 * N_PER_SEGMENT, len(b.rings) >= 1
    (True, True)
    """
    v, p = np.asarray(v, dtype=float), np.asarray(p, dtype=float)
    events = loop_events(v, p, q_in, q_out)
    pos = phase_positions(events, v.shape[1], m)
    vp, pp = at_positions(v, pos), at_positions(p, pos)
    a = 100 * (1 - level) / 2
    # np.percentile unless NaNs are present: nanpercentile loops in Python (~0.15 s)
    pct = np.nanpercentile if np.isnan(vp).any() or np.isnan(pp).any() else np.percentile
    with np.errstate(all="ignore"):
        vl, vm, vh = pct(vp, [a, 50, 100 - a], axis=0)
        pl, pm, ph = pct(pp, [a, 50, 100 - a], axis=0)
    n = v.shape[1]
    return PhaseBand(vm, pm, vl, vh, pl, ph, _rings(vl, vh, pl, ph), events, n,
                     median_phase(events, n))


def loop_centroid(v: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """The area centroid of a closed loop (a point of its inside for a convex-ish loop).

    Examples
    --------
    >>> loop_centroid(np.array([0.0, 2, 2, 0]), np.array([0.0, 0, 2, 2]))
    (1.0, 1.0)
    """
    x, y = np.asarray(v, float), np.asarray(p, float)
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y1 - x1 * y
    area = cross.sum() / 2
    return (float(((x + x1) * cross).sum() / (6 * area)),
            float(((y + y1) * cross).sum() / (6 * area)))
