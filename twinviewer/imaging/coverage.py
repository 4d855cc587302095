"""Coverage of a short-axis cine stack: blood pool beyond the first or last slice, and the
volume it holds.

A stack that stops short of the apex (the last apical slice still cuts the LV or RV pool) or
of the base (the most basal slice still holds a full pool, with no atrium or outflow tract on
a slice beyond it) under-measures every volume of that chamber. Segmentation then stops at
the image's end slice with pool still on it: that is how a gap is recognised (a stack that
covers the ventricle ends in a slice without pool, or with too little myocardium around it,
before the image ends). The apex is the end whose pool is smaller.

The missing volume is estimated, never hidden, and its uncertainty added to the volume's SD:

- **Apex** — the cap beyond the last slab (half a slice spacing past the last slice centre)
  is integrated from the pool area extrapolated towards the tip: a truncated-ellipsoid apex
  (area quadratic along the axis, least squares through the last :data:`APEX_FIT_SLICES`
  slices; the classic LV shape model) and a paraboloid apex (area linear through the last two
  slices). The estimate is their mean, its SD half their spread, at least :data:`CAP_REL_SD`
  of the cap. With fewer than three slices only the paraboloid is used; with an area that does
  not fall towards the apex, a hemisphere on the last slice's area (SD 50 %). A cap under
  :data:`MIN_CAP_ML` means the tip closes within the last slab: the apex is covered; so does
  a pool that shrank below :data:`CLOSED_FRACTION` of its largest area on an earlier slice
  (a bright blob segmented past the apex is not the ventricle).
- **Base** — where the mitral or tricuspid plane lies is not in a short-axis stack. The
  stack is assumed planned from the annulus, so the plane lies within one slice spacing
  ``s`` past the basal slab: uniform over ``[0, s]``, the missing part is ``A·s/2`` with SD
  ``A·s/√12`` (``A`` the basal slice's pool area).

Checked against the analytic phantom (:class:`~twinviewer.imaging.cine_phantom.CineHeart`,
exact volume ``2/3 π R² L``) in ``tests/imaging/test_coverage.py``.

Examples
--------
>>> import numpy as np
>>> a = np.pi * 27.0**2 * (1 - (np.array([48.0, 60.0, 72.0]) / 95.0) ** 2)  # ellipsoid areas
>>> est, sd = apical_cap_ml(a, 12.0)   # exact cap of the ellipsoid beyond 78 mm: 6.5 mL
>>> round(est, 1), round(sd, 1)   # ellipsoid 6.5, paraboloid 8.9
(7.7, 1.9)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from twinviewer.core.measurement import Measurement

APEX_FIT_SLICES = 3
CAP_REL_SD = 0.25
MIN_CAP_ML = 0.5
CLOSED_FRACTION = 0.1
#: Appended to the source of every volume of a chamber with pool beyond the stack.
EXTRAPOLATED = "pool beyond the stack extrapolated (see notes)"
#: Vocabulary key of each chamber whose coverage is checked.
CHAMBER_KEYS = {"LV": "lv_blood", "RV": "rv_blood"}


@dataclass(frozen=True)
class CoverageGap:
    """A chamber's pool reaching one end of the stack in one phase.

    Parameters
    ----------
    chamber
        ``'LV'`` or ``'RV'``.
    end
        ``'apex'`` or ``'base'``.
    slice
        Stack slice index that still holds pool.
    radius_mm
        Equivalent radius ``√(A/π)`` of the pool on that slice (mm).
    added_ml, sd_ml
        Volume estimated beyond the stack and its 1-SD uncertainty (mL).
    method
        How ``added_ml`` was estimated.
    """

    chamber: str
    end: str
    slice: int
    radius_mm: float
    added_ml: float
    sd_ml: float
    method: str

    def note(self, phase: str = "ED") -> str:
        """The import note for this gap.

        >>> CoverageGap("LV", "apex", 5, 17.6, 6.5, 1.6, "ellipsoid").note()[:60]
        'LV apex not covered by the stack: the last apical slice (sli'
        """
        where = ("the last apical slice" if self.end == "apex" else "the most basal slice")
        beyond = ("" if self.end == "apex" else
                  ", with no atrium or outflow tract on a slice beyond it")
        return (f"{self.chamber} {self.end} not covered by the stack: {where} (slice "
                f"{self.slice}) still holds {self.radius_mm:.0f} mm of blood pool (equivalent "
                f"radius){beyond}; volumes underestimated. Added beyond the stack: "
                f"{self.added_ml:.1f} ± {self.sd_ml:.1f} mL at {phase} ({self.method}); the "
                f"SD of every {self.chamber} volume includes it")


def pool_areas_mm2(labels: np.ndarray, value: int, spacing: tuple[float, float, float]
                   ) -> np.ndarray:
    """Pool area (mm²) on each slice of a ``(slices, rows, columns)`` label map.

    >>> lab = np.zeros((2, 4, 4), np.uint8); lab[1, :2, :2] = 1
    >>> pool_areas_mm2(lab, 1, (8.0, 2.0, 2.0)).tolist()
    [0.0, 16.0]
    """
    counts = (np.asarray(labels) == value).reshape(len(labels), -1).sum(axis=1)
    return counts.astype(float) * float(spacing[1]) * float(spacing[2])


def _integral(coef: np.ndarray, lo: float, hi: float) -> float:
    """∫ polynomial (coefficients lowest first) from lo to hi."""
    anti = np.polynomial.polynomial.polyint(coef)
    return float(np.polynomial.polynomial.polyval(hi, anti)
                 - np.polynomial.polynomial.polyval(lo, anti))


def _cap(coef: np.ndarray, edge: float) -> float | None:
    """mm³ under the area polynomial from ``edge`` to its first root beyond the last slice
    (x = 0), or None if the area never reaches zero there."""
    roots = np.polynomial.polynomial.polyroots(coef)
    tips = [r.real for r in roots if abs(r.imag) < 1e-9 and r.real > 0.0]
    if not tips:
        return None
    tip = min(tips)
    return max(_integral(coef, edge, tip), 0.0) if tip > edge else 0.0


def apical_cap_ml(areas_mm2: np.ndarray, spacing_mm: float) -> tuple[float, float]:
    """Volume (mL) beyond the last slab and its SD, from the pool areas of the slices ordered
    towards the apex (the last one is the end slice).

    See the module docstring for the shapes; example there.
    """
    a = np.asarray(areas_mm2, float)
    a = a[np.flatnonzero(a > 0)[0]:] if (a > 0).any() else a
    x = (np.arange(len(a)) - (len(a) - 1)) * spacing_mm  # 0 at the last slice
    edge = 0.5 * spacing_mm
    para = None
    if len(a) >= 2 and a[-1] < a[-2]:
        para = _cap(np.polyfit(x[-2:], a[-2:], 1)[::-1], edge)
    ell = None
    if len(a) >= APEX_FIT_SLICES and a[-1] < a[-2]:
        n = APEX_FIT_SLICES
        ell = _cap(np.polyfit(x[-n:], a[-n:], 2)[::-1], edge)
    if ell is None and para is None:  # not narrowing: a hemisphere on the last area
        r = math.sqrt(a[-1] / math.pi)
        v = 2.0 / 3.0 * a[-1] * r
        return v / 1000.0, 0.5 * v / 1000.0
    both = [v for v in (ell, para) if v is not None]
    est = float(np.mean(both))
    spread = 0.5 * abs(both[0] - both[-1])
    return est / 1000.0, max(spread, CAP_REL_SD * est) / 1000.0


def basal_gap_ml(area_mm2: float, spacing_mm: float) -> tuple[float, float]:
    """Volume (mL) above the basal slab and its SD, the valve plane uniform within one slice
    spacing.

    >>> [round(v, 2) for v in basal_gap_ml(2000.0, 12.0)]
    [12.0, 6.93]
    """
    return (area_mm2 * spacing_mm / 2.0 / 1000.0,
            area_mm2 * spacing_mm / math.sqrt(12.0) / 1000.0)


def find_gaps(labels: np.ndarray, spacing: tuple[float, float, float],
              label_values: dict[str, int]) -> list[CoverageGap]:
    """Gaps of one phase's ``(slices, rows, columns)`` label map, with their volumes.

    The apex is the end whose LV (else RV) pool is smaller on its outermost labelled slice.

    Examples
    --------
    >>> lab = np.zeros((3, 20, 20), np.uint8)
    >>> lab[0, 2:18, 2:18] = lab[1, 4:16, 4:16] = lab[2, 5:15, 5:15] = 1
    >>> [(g.chamber, g.end, g.slice) for g in find_gaps(lab, (10.0, 1.0, 1.0), {"lv_blood": 1})]
    [('LV', 'base', 0), ('LV', 'apex', 2)]
    """
    nz, s = len(labels), float(spacing[0])
    areas = {c: pool_areas_mm2(labels, label_values[k], spacing)
             for c, k in CHAMBER_KEYS.items() if k in label_values}
    ref = next((a for a in areas.values() if (a > 0).sum() >= 2), None)
    if ref is None or nz < 2:
        return []
    held = np.flatnonzero(ref > 0)
    apex_last = ref[held[-1]] <= ref[held[0]]
    gaps = []
    for chamber, a in areas.items():
        for end, k in (("base", 0), ("apex", nz - 1)) if apex_last else (
                ("apex", 0), ("base", nz - 1)):
            if a[k] <= 0:
                continue
            if end == "base":
                add, sd = basal_gap_ml(a[k], s)
                how = "valve plane within one slice spacing: area × half a spacing"
            else:
                toward = a if k == nz - 1 else a[::-1]
                if toward[int(np.argmax(toward)):].min() < CLOSED_FRACTION * toward.max():
                    continue  # the pool closed on an earlier slice: a blob past the apex
                add, sd = apical_cap_ml(toward, s)
                if add < MIN_CAP_ML:
                    continue  # the tip closes within the last slab
                how = ("cap extrapolated from the last slices' areas: mean of an ellipsoidal "
                       "and a paraboloid apex")
            gaps.append(CoverageGap(chamber, end, k, math.sqrt(a[k] / math.pi), float(add),
                                      float(sd), how))
    return gaps


def complete_volumes(volumes: dict[int, dict[str, Measurement]],
                     labels: dict[int, np.ndarray], spacing: tuple[float, float, float],
                     label_values: dict[str, int]
                     ) -> tuple[dict[int, dict[str, Measurement]], dict[int, list[CoverageGap]]]:
    """Per-phase volumes with the pool beyond the stack added (SD widened) and each phase's
    gaps. Every phase of a chamber with a gap in any phase gets the source suffix
    :data:`EXTRAPOLATED`; chambers without a gap are returned unchanged.

    >>> from twinviewer.imaging.measure import structure_volumes
    >>> lab = np.zeros((2, 10, 10), np.uint8); lab[:, 2:8, 2:8] = 1
    >>> vols = {0: structure_volumes(lab, (10.0, 1.0, 1.0), {"lv_blood": 1}, "MR seg")}
    >>> new, gaps = complete_volumes(vols, {0: lab}, (10.0, 1.0, 1.0), {"lv_blood": 1})
    >>> round(vols[0]["lv_blood"].value, 2), round(new[0]["lv_blood"].value, 2)
    (0.72, 0.9)
    >>> new[0]["lv_blood"].source
    'MR seg, pool beyond the stack extrapolated (see notes)'
    """
    gaps = {p: find_gaps(labels[p], spacing, label_values) if p in labels else []
            for p in volumes}
    # one source for all phases of a chamber with a gap anywhere: the volume curve and the
    # EDV/ESV taken from it must stay recognisably one measurement
    marked = {g.chamber for found in gaps.values() for g in found}
    out = {}
    for p, vols in volumes.items():
        vols = dict(vols)
        for chamber, key in CHAMBER_KEYS.items():
            if chamber not in marked or key not in vols:
                continue
            mine = [g for g in gaps[p] if g.chamber == chamber]
            m = vols[key]
            vols[key] = Measurement(
                m.name, m.value + sum(g.added_ml for g in mine), m.unit,
                math.sqrt(m.uncertainty ** 2 + sum(g.sd_ml ** 2 for g in mine)),
                f"{m.source}, {EXTRAPOLATED}")
        out[p] = vols
    return out, gaps
