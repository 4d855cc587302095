"""How much a calibration informed each unmeasured prediction: its interval's width ratio.

A prediction of an output nobody measured (LVEDP, LAP, PASP, …) is shown with the posterior
predictive 90 % interval: the posterior ensemble plus the learned model discrepancy
(:mod:`~twinviewer.personalize.discrepancy`). When the discrepancy dominates, that interval
is about as wide as it was *before* the data, and "LVEDP 14.8 (5.8–38.7) mmHg" reads like a
finding while it is the population's spread. So each such prediction carries the ratio of
its width to the width of the prior predictive interval — the prior ensemble of the same
calibration with the same discrepancy term and atypicality, i.e. what the twin said about
this patient before seeing the measurements (the same ratio as the coverage study's
``width_ratio``, :mod:`~twinviewer.personalize.coverage`). A ratio ≥ :data:`UNINFORMED`
(0.9) is flagged in plain words: "not informed by these data".

Examples
--------
>>> from twinviewer.personalize.calibrate import calibrate
>>> from twinviewer.core.measurement import Measurement as M
>>> from twinviewer.twins import twin_from_preset
>>> r = calibrate(twin_from_preset("healthy", n=1), [M("SBP", 125, "mmHg", 8)], n=32)
>>> rows = unmeasured_widths(r)  # doctest: +SKIP
>>> rows[0].text()  # doctest: +SKIP
'LVEDP 9.1 (4.0–19.6) mmHg — width 0.98 × the prior predictive: not informed by these data'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twinviewer.core.format import interval, span
from twinviewer.core.format import unit as _u
from twinviewer.personalize.calibrate import CalibrationResult

#: Width ratio (posterior / prior predictive 90 % interval) at or above which an unmeasured
#: prediction is called "not informed by these data": the data removed < 10 % of its width.
UNINFORMED = 0.9
#: The plain flag shown beside such a prediction.
NOT_INFORMED = "not informed by these data"


@dataclass(frozen=True)
class PredictiveWidth:
    """One unmeasured prediction with its posterior and prior predictive 90 % intervals."""

    name: str
    unit: str
    median: float
    lo: float
    hi: float
    prior_lo: float
    prior_hi: float
    #: the prior predictive's median (NaN if unknown): where the data moved the prediction
    prior_median: float = float("nan")

    @property
    def ratio(self) -> float:
        """Posterior / prior predictive 90 % width (NaN if the prior width is 0 or unknown)."""
        prior = self.prior_hi - self.prior_lo
        if not np.isfinite(prior) or prior <= 0:
            return float("nan")
        return float((self.hi - self.lo) / prior)

    @property
    def informed(self) -> bool:
        """False when the data narrowed the interval by less than 10 % (or it is unknown)."""
        return bool(np.isfinite(self.ratio) and self.ratio < UNINFORMED)

    def flag(self) -> str:
        """'' or :data:`NOT_INFORMED`."""
        return "" if self.informed else NOT_INFORMED

    def wider_text(self) -> str:
        """'' or why the interval is wider than before the data (ratio > 1). If its width
        relative to its median did not grow, the fit moved the prediction to where it varies
        more (review13 #8: filling pressures rise exponentially with volume, so at a higher
        level the same relative spread is wider); otherwise that is said too.

        Examples
        --------
        >>> w = PredictiveWidth("LVEDP", "mmHg", 17.6, 8.0, 43.0, 6.0, 35.0, 14.5)
        >>> w.wider_text()  # doctest: +NORMALIZE_WHITESPACE
        'wider than before the data: the fit moved it higher (median 14.5 → 17.6 mmHg), where
        it varies more (width relative to the median ×0.99)'
        """
        if not (np.isfinite(self.ratio) and self.ratio > 1.0):
            return ""
        if not (np.isfinite(self.prior_median) and self.prior_median > 0 and self.median > 0
                and self.prior_median != self.median):
            return "wider than before the data"
        rel = self.ratio * self.prior_median / self.median
        side = "higher" if self.median > self.prior_median else "lower"
        before, after = span(self.prior_median, self.median).split("–", 1)  # one precision
        moved = f"the fit moved it {side} (median {before} → {after} {_u(self.unit)})"
        if rel <= 1.05:
            return (f"wider than before the data: {moved}, where it varies more (width "
                    f"relative to the median ×{rel:.2f})")
        return (f"wider than before the data, also relative to its median (×{rel:.2f}): "
                f"{moved}, which does not explain it all")

    def text(self) -> str:
        """'LVEDP 15 (6–39) mmHg — width 1.02 × the prior predictive: not informed by these
        data' (the app's number format: one precision in a line, review12 #11)."""
        ratio = (f"width {self.ratio:.2f} × the prior predictive" if np.isfinite(self.ratio)
                 else "width ratio unknown (no prior predictive)")
        return (f"{self.name} {interval(self.median, self.lo, self.hi)} "
                f"{_u(self.unit)} — {ratio}" + (f": {self.flag()}" if self.flag() else "")
                + (f"; {self.wider_text()}" if self.wider_text() else ""))

    def to_dict(self) -> dict:
        """JSON-ready: the intervals, the ratio and the flag."""
        return {"median": self.median, "lo": self.lo, "hi": self.hi, "unit": self.unit,
                "prior_lo": self.prior_lo, "prior_hi": self.prior_hi,
                "prior_median": self.prior_median, "wider": self.wider_text(),
                "width_ratio": self.ratio, "informed": self.informed,
                "flag": self.flag()}


def unmeasured_widths(result: CalibrationResult, level: float = 0.9) -> list[PredictiveWidth]:
    """The unmeasured predictions of ``result`` (:meth:`CalibrationResult.unmeasured_predictions`)
    with their prior predictive intervals; prior intervals are NaN when the result holds no
    prior ensemble.

    Examples
    --------
    >>> [w.name for w in unmeasured_widths(result)]  # doctest: +SKIP
    ['LVEDP', 'LAP', 'PASP', 'SW', 'CO']
    """
    out = []
    # the prior the update started from: the robust prior's when it widened some members
    # (review13 #8: against the population prior alone, outputs no datum reaches came out
    # 1.1–1.4× wider — the wide members' spread, not the data's doing)
    start = getattr(result, "start_results", None)  # (a duck-typed result may lack it)
    prior = start if start is not None else result.prior_results
    for name, (med, lo, hi, unit) in result.unmeasured_predictions().items():
        pmed = plo = phi = float("nan")
        if prior is not None and name in prior.metrics:
            x = np.asarray(prior.metrics[name], dtype=float)[np.asarray(prior.ok, bool)]
            pmed, plo, phi = result.discrepancy.interval(name, x, level,
                                                      atypicality=result.atypicality,
                                                      misfit=result.misfit, prior=x)
        out.append(PredictiveWidth(name, unit, float(med), float(lo), float(hi), float(plo),
                                   float(phi), float(pmed)))
    return out


def widths_dict(rows: list[PredictiveWidth]) -> dict[str, dict]:
    """``{name: row.to_dict()}`` for ``--json`` and the calibration record."""
    return {w.name: w.to_dict() for w in rows}


def format_widths(rows: list[PredictiveWidth]) -> str:
    """The block printed after the calibration report ('' when there is no row).

    Examples
    --------
    >>> print(format_widths([PredictiveWidth("LAP", "mmHg", 15.3, 8.0, 30.1, 7.5, 31.0)]))
    ... # doctest: +NORMALIZE_WHITESPACE
    how much the data narrowed each unmeasured prediction (90 % width, posterior / prior
    predictive; ≥ 0.9: not informed by these data):
      LAP 15 (8–30) mmHg — width 0.94 × the prior predictive: not informed by these data
    """
    if not rows:
        return ""
    head = ("how much the data narrowed each unmeasured prediction (90 % width, posterior / "
            f"prior predictive; ≥ {UNINFORMED:g}: {NOT_INFORMED}):")
    return "\n".join([head, *(f"  {w.text()}" for w in rows)])
