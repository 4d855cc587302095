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
- **Base inside the basal slice** — when the image is given, the basal slice's pool signal
  is read against the next slice's (:func:`basal_fill`). A slab that reaches beyond the
  ventricle (a stack planned from the valve plane, its first slice on it) holds less blood
  through its thickness and reads darker. Below :data:`FILL_INSIDE` of a full slab the plane
  is taken inside the slab where that fraction puts it (the tissue beyond the valve assumed at
  the wall's signal: no long-axis view gives the plane) and the whole-slab count is reduced
  to the part on the ventricle's side, SD :data:`FILL_SD` of the slab; the note says it is
  assumed. A full-signal basal slab keeps the uniform assumption above. In a real heart the
  atrium beyond the mitral plane is blood too, so the check seldom fires there and the
  uniform assumption stays.

- **LV myocardium** — where the LV pool has a gap, the wall around it is missing too, and
  the LV mass is completed with the same geometry: at the base the myocardial area of the
  basal slice over the same uniform half spacing; at the apex an epicardial cap whose tip lies
  one wall thickness (the mean of ``r_epi − r_pool`` in equivalent radii on the last two
  slices) past each pool model's tip, with the epicardial area (pool + myocardium) of the
  same family through the last slices (quadratic with that root, least squares through
  :data:`APEX_FIT_SLICES` slices; linear from the last slice to that root). The myocardium
  beyond the stack is the epicardial cap minus the pool cap, mean of the two models, SD half
  their spread and at least :data:`CAP_REL_SD`.

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
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from twinviewer.core.anatomy import slab_counts
from twinviewer.core.measurement import Measurement

if TYPE_CHECKING:
    from twinviewer.core.anatomy import ImageVolume

APEX_FIT_SLICES = 3
CAP_REL_SD = 0.25
MIN_CAP_ML = 0.5
CLOSED_FRACTION = 0.1
#: A basal slab whose pool reads below this fraction of a full slab's signal lies partly
#: beyond the ventricle: the valve plane is inside it.
FILL_INSIDE = 0.9
#: SD of that fraction (the signal beyond the valve is assumed, not measured).
FILL_SD = 0.1
#: Fewest pool-core pixels (on both slices) the fraction is read from.
FILL_MIN_PIXELS = 20
#: Appended to the source of every volume of a chamber with pool beyond the stack.
EXTRAPOLATED = "pool beyond the stack extrapolated (see notes)"
#: Appended to the source of the LV myocardium's volumes (and LV mass) when wall beyond the
#: stack was added.
MYO_EXTRAPOLATED = "myocardium beyond the stack extrapolated (see notes)"
#: Appended to the source of every volume of a chamber (or the LV wall) whose basal slice
#: was found to reach beyond its valve plane (:func:`basal_fill`).
BASE_INSIDE = "valve plane assumed inside the basal slice from its signal (see notes)"
#: Appended to the source of every volume of a chamber (or the LV wall) whose gap lies at
#: an end of the stack where a slice was left out (an unusable end series): the gap spans
#: its slab too, and the SD is wider.
END_MISSING = "derived, one end slice missing: its slab extrapolated too, wider SD (see notes)"
#: Every suffix :func:`complete_volumes` appends to a source: a re-measurement (the Segment
#: step's Accept) strips these to find the source the labels were measured with, so it is not
#: appended twice (final14 #6: END_MISSING was missed and grew with every Accept).
SOURCE_SUFFIXES = (EXTRAPOLATED, MYO_EXTRAPOLATED, BASE_INSIDE, END_MISSING)
#: How a basal gap beyond a left-out basal slice is estimated (:func:`basal_gap_ml`).
BASE_MISSING = ("basal slice left out: its pool area unknown, from none to 1.6 × the end "
                "slice's, the valve plane within one spacing beyond it")
#: Largest ratio of a left-out basal slice's pool area to the end slice's that
#: :func:`basal_gap_ml` allows (uniform from 0). Assumed, from the two stacks measured: the
#: factory phantom's basal RV slice holds about 1.24 × the next slice's pool, biv-me's real heart's
#: 0.34 × (it cuts the tricuspid annulus); see docs/notes/imaging14.md.
MISSING_AREA_RATIO = 1.6
#: Vocabulary key of each chamber whose coverage is checked.
#: How a basal gap beyond a full basal slab is estimated (:func:`basal_gap_ml`).
BASE_UNIFORM = "valve plane within one slice spacing: area × half a spacing"
#: How the LV's basal gap is measured when the mitral annulus plane was found in the
#: long-axis views (:func:`annulus_gap`).
BASE_ANNULUS = "mitral annulus plane from the long-axis views: area × its distance"
#: SD (mm) of the annulus plane's position along the LV axis. Assumed, not fitted: seg7's
#: check against biv-me's own valve openings put the plane 1 mm (ED) and 3–4 mm (ES) from them
#: on the long axis (docs/notes/seg7.md; :mod:`twinviewer.imaging.annulus`).
ANNULUS_SD_MM = 2.5
#: The end of a basal note when the study has no long-axis view of that valve.
ASK_VIEW = "a long-axis view would say where"
CHAMBER_KEYS = {"LV": "lv_blood", "RV": "rv_blood"}
#: The wall completed with the LV pool: its name in gaps and its vocabulary key.
MYOCARDIUM, MYO_KEY = "LV myocardium", "lv_myocardium"


@dataclass(frozen=True)
class CoverageGap:
    """A chamber's pool reaching one end of the stack in one phase.

    Parameters
    ----------
    chamber
        ``'LV'``, ``'RV'`` (blood pools) or ``'LV myocardium'``.
    end
        ``'apex'`` or ``'base'``.
    slice
        Stack slice index that still holds pool.
    radius_mm
        Equivalent radius ``√(A/π)`` of the pool on that slice (mm); for the myocardium, the
        wall thickness used (mm).
    added_ml, sd_ml
        Volume estimated beyond the stack and its 1-SD uncertainty (mL).
    method
        How ``added_ml`` was estimated.
    fill
        For a base inside the basal slice: the fraction of that slab's thickness on the
        ventricle's side (:func:`basal_fill`); None otherwise.
    """

    chamber: str
    end: str
    slice: int
    radius_mm: float
    added_ml: float
    sd_ml: float
    method: str
    fill: float | None = None
    #: For :data:`BASE_ANNULUS`: how far (mm) the plane lies beyond the basal slab's face
    #: (negative: inside the slab).
    beyond_mm: float | None = None
    #: Slices of the acquired stack left out between this end slice and the gap (an end
    #: series that could not be used): the gap spans their slabs too.
    missing: int = 0
    #: At a base: the study's long-axis views that show this chamber's annulus
    #: (:func:`valve_views`, e.g. ``'2CH/3CH/4CH'``; ``''``: none), so the note says what
    #: they gave instead of asking for one.
    views: str = ""
    #: For an LV base whose gap was assumed although the mitral annulus was found in this
    #: phase: ``(mm beyond the basal face, mL up to it)`` of that plane (:func:`annulus_gap`).
    #: It was not used because it gave less pool: it is a floor, the outflow tract reaches
    #: past it (review14 #6).
    annulus_not_used: tuple[float, float] | None = None

    def _plane_said(self, phase: str) -> str:
        """What the study's long-axis views gave for this base's valve plane."""
        if self.chamber == "RV" and self.views:
            return (f"the tricuspid annulus in the {self.views} view is not used for this (its "
                    "plane cannot yet be placed reliably from that view)")
        if self.annulus_not_used is not None:
            mm, ml = self.annulus_not_used
            where = (f"{mm:.1f} mm beyond that face" if mm >= 0.0 else
                     f"{-mm:.1f} mm inside that slice")
            return (f"the mitral annulus in the {self.views} views lies {where} ({ml:.1f} mL "
                    "up to it, less than assumed), but the LV outflow tract reaches past the "
                    "annulus, so the assumed volume was kept")
        if self.views:
            return (f"the {self.views} views gave no usable mitral annulus at {phase}, so "
                    "the plane stays assumed")
        return ASK_VIEW

    def _no_plane(self, phase: str) -> str:
        """Why a plane found in the basal slice's signal is assumed."""
        if self.views or self.annulus_not_used is not None:
            return self._plane_said(phase)
        return "no long-axis view gives the plane"

    def _missing_note(self, phase: str) -> str:
        """The note for a gap at an end where the acquired stack's end slice was left out."""
        where = "the last apical slice" if self.end == "apex" else "the most basal slice"
        slabs = "slab" if self.missing == 1 else f"{self.missing} slabs"
        whose = "slab's" if self.missing == 1 else f"{self.missing} slabs'"
        if self.method == BASE_ANNULUS:
            span = (f"measured to the mitral annulus found in the long-axis views "
                    f"({self.beyond_mm:+.1f} mm beyond that slice's basal face; the outflow "
                    f"tract may reach further): {self.added_ml:+.1f} ± {self.sd_ml:.1f} mL at "
                    f"{phase}")
        elif self.end == "base":
            kind = "wall" if self.chamber == MYOCARDIUM else "pool"
            span = (f"the missing {whose} {kind} may hold from none to "
                    f"{MISSING_AREA_RATIO:g} × that slice's, the valve plane within one "
                    f"spacing beyond (0 to {2 * self.added_ml:.1f} mL), so "
                    f"{self.added_ml:.1f} ± {self.sd_ml:.1f} mL added at {phase}")
            if self.chamber != MYOCARDIUM and (self.views or self.annulus_not_used):
                span += f"; {self._plane_said(phase)}"
        else:
            span = (f"{self.added_ml:.1f} ± {self.sd_ml:.1f} mL added at {phase} "
                    f"({self.method})")
        what = ("LV mass" if self.chamber == MYOCARDIUM else f"every {self.chamber} volume")
        return (f"{self.chamber} {self.end}: one end slice missing (the series beyond "
                f"{where}, slice {self.slice}, was left out; see its note), so the "
                f"{'LV wall' if self.chamber == MYOCARDIUM else self.chamber + ' pool'} in that "
                f"{slabs} and beyond it is extrapolated, not measured: {span}; the SD of "
                f"{what} includes it")

    def note(self, phase: str = "ED") -> str:
        """The import note for this gap.

        >>> CoverageGap("LV", "apex", 5, 17.6, 6.5, 1.6, "ellipsoid").note()[:60]
        'LV apex not covered by the stack: the last apical slice (sli'
        >>> CoverageGap("LV myocardium", "apex", 5, 10.0, 21.0, 5.3, "shell").note()[:47]
        'LV myocardium beyond the stack at the apex (wal'
        >>> CoverageGap("LV", "base", 0, 27.0, -4.6, 1.8, "x", fill=0.74).note()[:60]
        'LV base inside the most basal slice (slice 0): its pool read'
        >>> CoverageGap("LV", "base", 0, 27.0, 9.2, 5.3, BASE_UNIFORM).note().split("; ")[2]
        "the plane may lie anywhere from the slab's basal face (0 mL) to one spacing beyond \
(18.4 mL), so this volume can be off by up to 9.2 mL either way: a long-axis view would say where"
        >>> CoverageGap("RV", "base", 1, 27.0, 24.0, 13.9, BASE_MISSING, missing=1).note()[:50]
        'RV base: one end slice missing (the series beyond '
        """
        if self.missing:
            return self._missing_note(phase)
        if self.method == BASE_ANNULUS:
            return (f"{self.chamber} base from the mitral annulus in the long-axis views: its "
                    f"plane lies {self.beyond_mm:+.1f} mm beyond the basal face of the most "
                    f"basal slice (slice {self.slice}; negative: inside it), so "
                    f"{self.added_ml:+.1f} ± {self.sd_ml:.1f} mL at {phase}, the pool up to the "
                    "plane at least (the outflow tract may reach further; the plane's place "
                    f"along the axis taken to ± {ANNULUS_SD_MM:g} mm, assumed); the SD of every "
                    f"{self.chamber} volume includes it")
        if self.fill is not None and self.chamber == MYOCARDIUM:
            why = ", as for the LV pool" if self.views else ": no long-axis view gives the plane"
            return (f"{MYOCARDIUM} base inside the most basal slice (slice {self.slice}): the "
                    "wall cut at the LV's valve plane found there, "
                    f"{100 * (1 - self.fill):.0f} % of the slab's thickness from its basal face "
                    f"(assumed{why}). "
                    f"{self.added_ml:+.1f} ± {self.sd_ml:.1f} mL at {phase}; the LV mass and "
                    "its SD include it")
        if self.fill is not None:
            return (f"{self.chamber} base inside the most basal slice (slice {self.slice}): "
                    f"its pool reads {100 * self.fill:.0f} % of a full slab's signal (against "
                    "the next slice), so the valve plane is assumed inside that slab, "
                    f"{100 * (1 - self.fill):.0f} % of its thickness from its basal face "
                    f"({self._no_plane(phase)}; the tissue beyond it assumed at the "
                    f"wall's signal). {self.added_ml:+.1f} ± {self.sd_ml:.1f} mL at {phase}; "
                    f"the SD of every {self.chamber} volume includes it")
        if self.chamber == MYOCARDIUM:
            return (f"{MYOCARDIUM} beyond the stack at the {self.end} (wall "
                    f"{self.radius_mm:.0f} mm on slice {self.slice}): {self.added_ml:.1f} ± "
                    f"{self.sd_ml:.1f} mL added at {phase} ({self.method}); the LV mass and "
                    "its SD include it")
        where = ("the last apical slice" if self.end == "apex" else "the most basal slice")
        beyond = ("" if self.end == "apex" else
                  ", with no atrium or outflow tract on a slice beyond it")
        # review11 #10: the uniform plane is a mean, not a finding; say how far off it can be
        span = ("" if self.end == "apex" or self.method != BASE_UNIFORM else
                f"; the plane may lie anywhere from the slab's basal face (0 mL) to one "
                f"spacing beyond ({2 * self.added_ml:.1f} mL), so this volume can be off by up "
                f"to {self.added_ml:.1f} mL either way"
                + (f"; {said}" if (said := self._plane_said(phase)) != ASK_VIEW else
                   f": {said}"))
        return (f"{self.chamber} {self.end} not covered by the stack: {where} (slice "
                f"{self.slice}) still holds {self.radius_mm:.0f} mm of blood pool (equivalent "
                f"radius){beyond}; volumes underestimated. Added beyond the stack: "
                f"{self.added_ml:.1f} ± {self.sd_ml:.1f} mL at {phase} ({self.method}){span}; "
                f"the SD of every {self.chamber} volume includes it")


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


def _tip(coef: np.ndarray) -> float | None:
    """First real root > 0 of the area polynomial (coefficients lowest first), if any."""
    roots = np.polynomial.polynomial.polyroots(coef)
    tips = [r.real for r in roots if abs(r.imag) < 1e-9 and r.real > 0.0]
    return min(tips) if tips else None


def _cap(coef: np.ndarray, edge: float) -> float | None:
    """mm³ under the area polynomial from ``edge`` to its first root beyond the last slice
    (x = 0), or None if the area never reaches zero there."""
    tip = _tip(coef)
    if tip is None:
        return None
    return max(_integral(coef, edge, tip), 0.0) if tip > edge else 0.0


def apical_cap_ml(areas_mm2: np.ndarray, spacing_mm: float, missing: int = 0
                  ) -> tuple[float, float]:
    """Volume (mL) beyond the last slab and its SD, from the pool areas of the slices ordered
    towards the apex (the last one is the end slice).

    See the module docstring for the shapes; example there. With ``missing`` apical slices
    left out of the stack the cap (from half a spacing past the end slice, as always) spans
    their slabs too, extrapolated that much further: the SD's floor is
    ``(1 + missing) ×`` :data:`CAP_REL_SD` of the cap.
    """
    missing = _end_count(missing)
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
    return est / 1000.0, max(spread, (1 + missing) * CAP_REL_SD * est) / 1000.0


def basal_fill(image: np.ndarray, labels: np.ndarray, value: int, k: int, inward: int,
               wall_value: int | None = None) -> float | None:
    """Fraction of basal slice ``k``'s slab thickness inside the chamber ``value``, from its
    pool signal against the next slice towards the apex (``k + inward``).

    Both pools' cores (pixels at least 0.4 of their deepest distance from the border: the
    trabeculated rim and in-plane partial volume left out) are compared by their medians
    where they overlap (the same columns, so in-plane coil shading cancels). The level
    beyond the valve is taken as the LV wall's on the next slice (eroded ``wall_value``
    labels; zero signal without them). None when the cores overlap in fewer than
    :data:`FILL_MIN_PIXELS` pixels or the pool is not brighter than the wall.

    Examples
    --------
    >>> lab = np.zeros((2, 30, 30), np.uint8); lab[:, 5:25, 5:25] = 1; lab[:, 1:5, 5:25] = 2
    >>> img = np.where(lab == 1, 1000.0, 300.0); img[0][lab[0] == 1] = 0.75 * 1000 + 0.25 * 300
    >>> round(basal_fill(img, lab, 1, 0, 1, wall_value=2), 2)
    0.75
    """
    from scipy import ndimage

    p0, p1 = labels[k] == value, labels[k + inward] == value
    d0, d1 = ndimage.distance_transform_edt(p0), ndimage.distance_transform_edt(p1)
    if not p0.any() or not p1.any():
        return None
    core = (d0 >= 0.4 * d0.max()) & (d1 >= 0.4 * d1.max())
    if core.sum() < FILL_MIN_PIXELS:
        return None
    wall = (ndimage.binary_erosion(labels[k + inward] == wall_value)
            if wall_value is not None else np.zeros_like(p1))
    level = float(np.median(image[k + inward][wall])) if wall.any() else 0.0
    full = float(np.median(image[k + inward][core])) - level
    if full <= 0.0:
        return None
    return float(np.clip((np.median(image[k][core]) - level) / full, 0.0, 1.0))


def base_inside_ml(area_mm2: float, fill: float, spacing_mm: float, thickness_mm: float
                   ) -> tuple[float, float]:
    """Change (mL, negative: pool counted beyond the plane) to a basal slice counted whole
    when the valve plane lies inside its slab, a fraction ``fill`` of the slab's thickness on
    the ventricle's side, and its SD (:data:`FILL_SD` of the slab).

    The slice is counted over one spacing ``s`` centred on it; the acquired slab is
    ``t`` thick: the pool runs from the plane, ``t/2 − fill·t`` on the basal side of the
    centre, to ``s/2`` on the apical side.

    >>> [round(v, 2) for v in base_inside_ml(2290.0, 0.75, 8.0, 8.0)]   # plane 2 mm in
    [-4.58, 1.83]
    """
    change = area_mm2 * (fill * thickness_mm - (spacing_mm + thickness_mm) / 2.0)
    return change / 1000.0, FILL_SD * thickness_mm * area_mm2 / 1000.0


def _end_count(missing: int) -> int:
    """One end's count of left-out slabs, checked as the image's pair is (ValueError)."""
    return slab_counts((missing, 0))[0]


def basal_gap_ml(area_mm2: float, spacing_mm: float, missing: int = 0
                 ) -> tuple[float, float]:
    """Volume (mL) above the basal slab and its SD, the valve plane uniform within one slice
    spacing.

    With ``missing`` basal slices left out of the stack, the pool in their slabs and beyond
    them (the plane within one spacing past the last missing slab, as for a full stack) is
    ``r·A·(missing + ½)·s`` with the ratio ``r`` of the missing slab's pool area to the end
    slice's ``A`` unknown: uniform over ``[0,`` :data:`MISSING_AREA_RATIO` ``]`` (from none, the
    slab already in the atrium, to a basal RV wider than the end slice's). Mean and SD of that.

    >>> [round(v, 2) for v in basal_gap_ml(2000.0, 12.0)]
    [12.0, 6.93]
    >>> [round(v, 2) for v in basal_gap_ml(2000.0, 12.0, missing=1)]
    [28.8, 16.63]
    """
    missing = _end_count(missing)
    if not missing:
        return (area_mm2 * spacing_mm / 2.0 / 1000.0,
                area_mm2 * spacing_mm / math.sqrt(12.0) / 1000.0)
    most = area_mm2 * MISSING_AREA_RATIO * (missing + 0.5) * spacing_mm / 1000.0
    return most / 2.0, most / math.sqrt(12.0)


def annulus_gap(labels: np.ndarray, image: ImageVolume, plane, value: int
                ) -> CoverageGap | None:
    """The LV pool between the mitral annulus ``plane`` (found in the long-axis views,
    :class:`~twinviewer.imaging.annulus.AnnulusPlane`) and the basal face of the most basal
    slice holding LV pool in one phase's ``labels``: that slice's pool area × the plane's
    distance beyond the face, at the pool's centroid (negative where the plane cuts into the
    slab that was counted whole). None without LV pool.

    review11 #10: without it the plane was assumed half a spacing beyond a full basal slab
    whatever the long-axis views showed (+4.2 to −8.7 % over the stack's positions), and a
    basal slice the annulus had taken out lost its ventricular part (−8.1 %).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> lab = np.zeros((3, 10, 10), np.uint8); lab[1:, 2:8, 2:8] = 1
    >>> img = NS(spacing=(8.0, 1.0, 1.0), index_to_patient=lambda kji: kji * [8.0, 1.0, 1.0])
    >>> plane = NS(depth=lambda xyz: xyz[:, 0] - 2.0)   # 2 mm into slice 0's slab
    >>> g = annulus_gap(lab, img, plane, 1)   # slice 1's face at 4 mm: 2 mm × 36 mm² more
    >>> g.slice, g.beyond_mm, round(g.added_ml, 3)
    (1, 2.0, 0.072)
    """
    s, dy, dx = (float(v) for v in image.spacing)
    held = [k for k in range(labels.shape[0]) if (labels[k] == value).any()]
    if not held:
        return None
    centres = np.array([[k, *np.argwhere(labels[k] == value).mean(axis=0)] for k in held])
    depth = np.asarray(plane.depth(image.index_to_patient(centres)), float)
    n = int(np.argmin(depth))
    area = float((labels[held[n]] == value).sum()) * dy * dx
    beyond = float(depth[n]) - s / 2.0
    return CoverageGap("LV", "base", held[n], math.sqrt(area / math.pi), area * beyond / 1000.0,
                       area * ANNULUS_SD_MM / 1000.0, BASE_ANNULUS, beyond_mm=beyond)


def apical_shell_ml(pool_mm2: np.ndarray, epi_mm2: np.ndarray, spacing_mm: float,
                    missing: int = 0) -> tuple[float, float, float]:
    """Myocardium (mL) beyond the last slab, its SD, and the wall thickness used (mm), from
    the pool and epicardial (pool + myocardium) areas of the slices ordered towards the apex.

    Each pool model of :func:`apical_cap_ml` gives a tip; the epicardial tip lies one wall
    thickness past it, the epicardial area follows the same family through the last slices.
    ``missing``: apical slices left out of the stack, as in :func:`apical_cap_ml`.

    Examples
    --------
    >>> x = np.array([48.0, 60.0, 72.0])   # the phantom at ED: pool R 27, L 95; wall 9 mm
    >>> pool = np.pi * 27.0**2 * (1 - (x / 95.0) ** 2)
    >>> epi = np.pi * 36.0**2 * (1 - (x / 104.0) ** 2)
    >>> [round(v, 1) for v in apical_shell_ml(pool, epi, 12.0)]   # exact beyond 78 mm: 17.7
    [18.1, 4.5, 8.4]
    """
    missing = _end_count(missing)
    a = np.asarray(pool_mm2, float)
    e = np.asarray(epi_mm2, float)
    n = len(a)
    x = (np.arange(n) - (n - 1)) * spacing_mm  # 0 at the last slice
    edge = 0.5 * spacing_mm
    last = slice(max(n - 2, 0), n)
    wall = float(np.mean(np.sqrt(e[last] / np.pi) - np.sqrt(a[last] / np.pi)))
    shells = []
    for degree, k in ((2, APEX_FIT_SLICES), (1, 2)):
        if n < k or not a[-1] < a[-2]:
            continue
        pool = np.polyfit(x[-k:], a[-k:], degree)[::-1]
        tip = _tip(pool)
        if tip is None:
            continue
        tip_e = tip + max(wall, 0.0)
        if degree == 2:  # A = (tip_e − x)(p + q x): an ellipsoid ending at tip_e
            m = np.stack([tip_e - x[-k:], (tip_e - x[-k:]) * x[-k:]], axis=1)
            p, q = np.linalg.lstsq(m, e[-k:], rcond=None)[0]
            epi = np.polynomial.polynomial.polymul([tip_e, -1.0], [p, q])
        else:  # a paraboloid: linear from the last slice to zero at tip_e
            epi = np.array([e[-1], -e[-1] / tip_e])
        epi_cap, pool_cap = _cap(epi, edge), _cap(pool, edge)
        if epi_cap is not None and pool_cap is not None:
            shells.append(max(epi_cap - pool_cap, 0.0))
    if not shells:  # not narrowing: hemispherical shells on the last slice
        r = math.sqrt(a[-1] / math.pi)
        v = 2.0 / 3.0 * math.pi * ((r + max(wall, 0.0)) ** 3 - r ** 3)
        return v / 1000.0, 0.5 * v / 1000.0, wall
    est = float(np.mean(shells))
    spread = 0.5 * abs(shells[0] - shells[-1])
    return est / 1000.0, max(spread, (1 + missing) * CAP_REL_SD * est) / 1000.0, wall


def myocardial_gaps(labels: np.ndarray, spacing: tuple[float, float, float],
                    label_values: dict[str, int], pool_gaps: list[CoverageGap],
                    thickness_mm: float | None = None) -> list[CoverageGap]:
    """The LV wall beyond the stack where the LV pool has a gap (one phase), with volumes.

    Where the LV base lies inside the basal slice (a gap with ``fill``), the wall there is
    cut at the same plane (``thickness_mm``: the slab's, else the slice spacing).

    Examples
    --------
    >>> lab = np.zeros((3, 50, 50), np.uint8)
    >>> for k, r in enumerate((20, 18, 15)):
    ...     yy, xx = np.mgrid[:50, :50]; d = (yy - 25) ** 2 + (xx - 25) ** 2
    ...     lab[k][d <= (r + 3) ** 2] = 2; lab[k][d <= r ** 2] = 1
    >>> vals = {"lv_blood": 1, "lv_myocardium": 2}
    >>> gaps = find_gaps(lab, (10.0, 1.0, 1.0), vals)
    >>> [(g.end, g.slice) for g in myocardial_gaps(lab, (10.0, 1.0, 1.0), vals, gaps)]
    [('base', 0), ('apex', 2)]
    """
    if MYO_KEY not in label_values or CHAMBER_KEYS["LV"] not in label_values:
        return []
    s = float(spacing[0])
    pool = pool_areas_mm2(labels, label_values[CHAMBER_KEYS["LV"]], spacing)
    myo = pool_areas_mm2(labels, label_values[MYO_KEY], spacing)
    out = []
    for g in pool_gaps:
        if g.chamber != "LV":
            continue
        k = g.slice
        if g.end == "base":
            wall = math.sqrt((pool[k] + myo[k]) / math.pi) - math.sqrt(pool[k] / math.pi)
            if g.fill is not None:
                add, sd = base_inside_ml(myo[k], g.fill, s, thickness_mm or s)
                how = "wall of the basal slice cut at the valve plane found for the LV pool"
            elif g.missing:
                add, sd = basal_gap_ml(myo[k], s, g.missing)
                how = ("basal slice left out: its wall area unknown, from none to 1.6 × the "
                       "end slice's, the valve plane within one spacing beyond it")
            else:
                add, sd = basal_gap_ml(myo[k], s)
                how = "valve plane within one slice spacing: wall area × half a spacing"
        else:
            order = slice(None) if k == len(labels) - 1 else slice(None, None, -1)
            add, sd, wall = apical_shell_ml(pool[order], (pool + myo)[order], s, g.missing)
            how = ("epicardial cap one wall thickness past each apex model's tip, minus the "
                   "pool's cap")
        out.append(CoverageGap(MYOCARDIUM, g.end, k, float(wall), float(add), float(sd),
                               how, g.fill if g.end == "base" else None, missing=g.missing))
    return out


def find_gaps(labels: np.ndarray, spacing: tuple[float, float, float],
              label_values: dict[str, int], image: np.ndarray | None = None,
              thickness_mm: float | None = None, missing: tuple[int, int] = (0, 0),
              base_first: bool | None = None) -> list[CoverageGap]:
    """Gaps of one phase's ``(slices, rows, columns)`` label map, with their volumes.

    The apex is the end whose LV (else RV) pool is smaller on its outermost labelled slice.
    With that phase's ``image`` (same shape) a basal slice whose pool reads darker than a
    full slab (:func:`basal_fill` below :data:`FILL_INSIDE`) holds the valve plane: its
    count is cut there (:func:`base_inside_ml`, ``thickness_mm`` the slab's, else the
    spacing) instead of a gap being added beyond it.

    ``missing`` counts slices of the acquired stack left out before slice 0 and after the
    last slice (:attr:`~twinviewer.core.anatomy.ImageVolume.missing_slabs`): at such an end
    the base gap spans them (:func:`basal_gap_ml`, no valve plane looked for inside the end
    slice, which the missing slab lay beyond) and the apical cap, integrated from half a
    spacing past the end slice as always, covers them. ``base_first`` (True: slice 0 is the
    basal end), when known from the long-axis views, overrides the pool-size rule.

    Examples
    --------
    >>> lab = np.zeros((3, 20, 20), np.uint8)
    >>> lab[0, 2:18, 2:18] = lab[1, 4:16, 4:16] = lab[2, 5:15, 5:15] = 1
    >>> [(g.chamber, g.end, g.slice) for g in find_gaps(lab, (10.0, 1.0, 1.0), {"lv_blood": 1})]
    [('LV', 'base', 0), ('LV', 'apex', 2)]
    """
    missing = slab_counts(missing)  # never negative, short or unbounded (final14 #3)
    nz, s = len(labels), float(spacing[0])
    areas = {c: pool_areas_mm2(labels, label_values[k], spacing)
             for c, k in CHAMBER_KEYS.items() if k in label_values}
    ref = next((a for a in areas.values() if (a > 0).sum() >= 2), None)
    if ref is None or nz < 2:
        return []
    held = np.flatnonzero(ref > 0)
    apex_last = ref[held[-1]] <= ref[held[0]] if base_first is None else base_first
    gaps = []
    for chamber, a in areas.items():
        for end, k in (("base", 0), ("apex", nz - 1)) if apex_last else (
                ("apex", 0), ("base", nz - 1)):
            if a[k] <= 0:
                continue
            gone = int(missing[0] if k == 0 else missing[1])
            fill = None
            if end == "base" and image is not None and not gone:
                fill = basal_fill(image, labels, label_values[CHAMBER_KEYS[chamber]], k,
                                  1 if k == 0 else -1, label_values.get(MYO_KEY))
                fill = fill if fill is not None and fill < FILL_INSIDE else None
            if fill is not None:
                add, sd = base_inside_ml(a[k], fill, s, thickness_mm or s)
                how = "valve plane inside the basal slice, from its pool signal"
            elif end == "base":
                add, sd = basal_gap_ml(a[k], s, gone)
                how = BASE_MISSING if gone else BASE_UNIFORM
            else:
                toward = a if k == nz - 1 else a[::-1]
                if toward[int(np.argmax(toward)):].min() < CLOSED_FRACTION * toward.max():
                    continue  # the pool closed on an earlier slice: a blob past the apex
                add, sd = apical_cap_ml(toward, s, gone)
                if add < MIN_CAP_ML:
                    continue  # the tip closes within the last slab
                how = ("cap extrapolated from the last slices' areas: mean of an ellipsoidal "
                       "and a paraboloid apex")
            gaps.append(CoverageGap(chamber, end, k, math.sqrt(a[k] / math.pi), float(add),
                                    float(sd), how, fill, missing=gone))
    return gaps


def is_cine_stack(image) -> bool:
    """An MR stack of several slices and phases (a short-axis cine): the images whose
    volumes are completed beyond the stack.

    >>> from types import SimpleNamespace as NS
    >>> is_cine_stack(NS(modality="MR", shape=(6, 144, 128), n_phases=25))
    True
    """
    return image.modality == "MR" and image.shape[0] >= 3 and image.n_phases >= 3


def coverage_notes(gaps: dict[int, list[CoverageGap]], ed: int) -> list[str]:
    """Notes on blood pool (and LV wall) beyond the stack, from the ED phase, else the first
    phase with a gap; they go first in the anatomy's notes (they change the numbers).

    >>> coverage_notes({0: [], 3: [CoverageGap("LV", "apex", 5, 17.6, 6.5, 1.6, "x")]}, 0)[0][:9]
    'LV apex n'
    """
    phase = ed if gaps.get(ed) else next((p for p in sorted(gaps) if gaps[p]), None)
    if phase is None:
        return []
    label = "ED" if phase == ed else f"phase {phase}"
    return [g.note(label) for g in gaps[phase]]


def is_coverage_note(text: str) -> bool:
    """True for a note written by :func:`coverage_notes` (replaced when volumes are
    measured again).

    >>> is_coverage_note(CoverageGap("RV", "base", 0, 20.0, 12.0, 6.9, "x").note())
    True
    >>> is_coverage_note(CoverageGap("RV", "base", 0, 20.0, 24.0, 14.0, "x", missing=1).note())
    True
    """
    return (" not covered by the stack: " in text or " base inside the most basal slice (" in text
            or ": one end slice missing (the series beyond " in text
            or text.startswith(f"{MYOCARDIUM} beyond the stack at the ")
            or " base from the mitral annulus in the long-axis views: " in text)


def valve_views(views: Collection[str], chamber: str) -> str:
    """The long-axis views among ``views`` (``ImagePlane.view`` names) that show ``chamber``'s
    annulus, as the notes name them: 2CH, 3CH and 4CH for the mitral (the views
    :func:`~twinviewer.imaging.annulus.find_annuli` reads), 4CH for the tricuspid.

    >>> valve_views(["RVOT", "4ch", "2CH", "coronal"], "LV"), valve_views(["2CH"], "RV")
    ('2CH/4CH', '')
    """
    from twinviewer.imaging.annulus import LONG_AXIS_VIEWS

    shown = LONG_AXIS_VIEWS if chamber == "LV" else ("4CH",)
    names = {v.upper() for v in views}
    return "/".join(v for v in shown if v in names)


def _base_first(image: ImageVolume, plane) -> bool | None:
    """True when slice 0 is nearer the mitral annulus ``plane`` than the last slice (depth
    grows towards the apex, as in :func:`annulus_gap`); None without a plane."""
    if plane is None:
        return None
    rows, cols = image.shape[1:]
    ends = np.array([[0, rows / 2, cols / 2], [image.shape[0] - 1, rows / 2, cols / 2]])
    depth = np.asarray(plane.depth(image.index_to_patient(ends)), float)
    return bool(depth[0] < depth[1])


def complete_volumes(volumes: dict[int, dict[str, Measurement]],
                     labels: dict[int, np.ndarray], spacing: tuple[float, float, float],
                     label_values: dict[str, int], mitral_at: Collection[int] = (),
                     image: ImageVolume | None = None, mitral: Mapping[int, object] | None = None,
                     missing: tuple[int, int] | None = None, views: Collection[str] = ()
                     ) -> tuple[dict[int, dict[str, Measurement]], dict[int, list[CoverageGap]]]:
    """Per-phase volumes with the pool (and the LV wall around it) beyond the stack added
    (SD widened) and each phase's gaps. Every phase of a chamber with a gap in any phase gets
    the source suffix :data:`EXTRAPOLATED` (the LV myocardium :data:`MYO_EXTRAPOLATED`);
    chambers without a gap are returned unchanged.

    In the phases ``mitral_at`` the mitral annulus plane is known and the LV blood volume
    already holds the pool up to it beyond the basal slab
    (:func:`~twinviewer.imaging.partial_volume.lv_blood_ml`): no LV basal gap is assumed
    there (the LV wall's basal gap is, as before).

    With the ``image`` the labels were drawn on, a basal slice that reaches beyond its valve
    plane is found from its signal and cut there (:func:`find_gaps`); its chamber's sources
    end with :data:`BASE_INSIDE`. Without it, the plane is assumed beyond the stack. With the
    ``mitral`` annulus planes found in the long-axis views (phase → plane, e.g.
    ``CineResult.mitral``) and the image, the LV's basal gap of those phases is measured from
    the plane where that gives more pool than the other rules (the plane is a floor: the
    outflow tract reaches past it) (:func:`annulus_gap`); the LV wall's basal gap stays as
    before.

    ``missing``: slices of the acquired stack left out before the first and after the last
    slice (default: the image's :attr:`~twinviewer.core.anatomy.ImageVolume.missing_slabs`);
    the gaps at such an end span them (:func:`find_gaps`) and the volumes of every chamber
    with a gap there get the source suffix :data:`END_MISSING`.

    ``views``: the study's long-axis views (``ImagePlane.view`` of ``Anatomy.planes``). A
    basal gap whose plane is assumed records them (:attr:`CoverageGap.views`) and, for the
    LV, the annulus plane found but not used (:attr:`CoverageGap.annulus_not_used`), so its
    note says what the views gave rather than asking for one (review14 #6).

    >>> from twinviewer.imaging.measure import structure_volumes
    >>> lab = np.zeros((2, 10, 10), np.uint8); lab[:, 2:8, 2:8] = 1
    >>> vols = {0: structure_volumes(lab, (10.0, 1.0, 1.0), {"lv_blood": 1}, "MR seg")}
    >>> new, gaps = complete_volumes(vols, {0: lab}, (10.0, 1.0, 1.0), {"lv_blood": 1})
    >>> round(vols[0]["lv_blood"].value, 2), round(new[0]["lv_blood"].value, 2)
    (0.72, 0.9)
    >>> new[0]["lv_blood"].source
    'MR seg, pool beyond the stack extrapolated (see notes)'
    """
    thick = None if image is None else (image.slice_thickness_mm or float(spacing[0]))
    missing = slab_counts(((0, 0) if image is None else tuple(image.missing_slabs))
                          if missing is None else missing)
    shows = {c: valve_views(views, c) for c in CHAMBER_KEYS}
    shows[MYOCARDIUM] = shows["LV"]
    gaps = {}
    for p in volumes:
        pixels = None if image is None or p not in labels else image.array[p]
        # Without an end slice the pool-size rule can take the apex for the base (biv-me's
        # heart without its apical slice: the LV's basal slice held less pool than the new
        # apical one); the mitral annulus, where found, says which end is the base.
        first = (_base_first(image, (mitral or {}).get(p))
                 if missing != (0, 0) and image is not None else None)
        found = (find_gaps(labels[p], spacing, label_values, pixels, thick, missing, first)
                 if p in labels else [])
        pool = [g for g in found if p not in mitral_at
                or (g.chamber, g.end) != ("LV", "base")]
        plane = (mitral or {}).get(p)
        if plane is not None and image is not None and p in labels and p not in mitral_at:
            measured = annulus_gap(labels[p], image, plane, label_values["lv_blood"])
            lv_base = [g for g in pool if (g.chamber, g.end) == ("LV", "base")]
            # The mitral plane is a floor, not the LV's basal end: the outflow tract reaches
            # past it to the aortic valve (aorto-mitral continuity). On biv-me's real
            # geometry the plane alone lost 1.7–2.7 points of LVEDV against the assumed gap
            # (docs/notes/import11.md), so it is used only where it gives more pool.
            gone = max((g.missing for g in lv_base), default=0)
            # Beyond a left-out basal slice, a plane inside the end slab says the missing
            # slab held no LV inflow: the assumed pool there read +10.9 mL at ES on biv-me's
            # heart (systole brings the base into the end slice; imaging14.md).
            # Past it, the plane is a floor (the outflow tract reaches further): over a
            # missing slab it read LVEDV 8 mL low on the factory phantom, so the SD stays the
            # missing slab's.
            if measured is not None and (measured.added_ml > sum(g.added_ml for g in lv_base)
                                         or (gone and measured.beyond_mm <= 0.0)):
                sd = measured.sd_ml
                if gone and measured.beyond_mm > 0.0:
                    sd = max([sd, *(g.sd_ml for g in lv_base)])
                pool = [g for g in pool if g not in lv_base] + [replace(
                    measured, missing=gone, sd_ml=sd, views=shows["LV"])]
            elif measured is not None:  # found, but less pool than assumed: say so
                pool = [replace(g, annulus_not_used=(measured.beyond_mm, measured.added_ml))
                        if g in lv_base else g for g in pool]
        walls = (myocardial_gaps(labels[p], spacing, label_values, found, thick)
                 if p in labels else [])
        gaps[p] = [replace(g, views=shows[g.chamber]) if g.end == "base" and not g.views
                   else g for g in pool + walls]
    # one source for all phases of a chamber with a gap anywhere: the volume curve and the
    # EDV/ESV taken from it must stay recognisably one measurement
    kinds: dict[str, set[bool]] = {}
    short: set[str] = set()  # chambers with a gap at an end that lacks a left-out slice
    for found in gaps.values():
        for g in found:
            kinds.setdefault(g.chamber, set()).add(g.fill is not None)
            if g.missing:
                short.add(g.chamber)
    out = {}
    for p, vols in volumes.items():
        vols = dict(vols)
        for chamber, key in (*CHAMBER_KEYS.items(), (MYOCARDIUM, MYO_KEY)):
            if chamber not in kinds or key not in vols:
                continue
            beyond = MYO_EXTRAPOLATED if chamber == MYOCARDIUM else EXTRAPOLATED
            suffix = ", ".join(t for t, on in ((beyond, False in kinds[chamber]),
                                               (BASE_INSIDE, True in kinds[chamber]),
                                               (END_MISSING, chamber in short)) if on)
            mine = [g for g in gaps[p] if g.chamber == chamber]
            m = vols[key]
            vols[key] = Measurement(
                m.name, m.value + sum(g.added_ml for g in mine), m.unit,
                math.sqrt(m.uncertainty ** 2 + sum(g.sd_ml ** 2 for g in mine)),
                f"{m.source}, {suffix}")
        out[p] = vols
    return out, gaps
