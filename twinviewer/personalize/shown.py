"""The one interval shown for each predicted quantity, everywhere it reaches a user.

Every view of a calibrated twin (the calibration summary, the Measurements table, the What-if
tables, the PDF, ``whatif``/``simulate``/``info`` text and ``--json``, the FHIR export) calls
:func:`shown_interval` or an :class:`IntervalContext`; none takes percentiles of the ensemble
on its own. Until session 10 the calibration summary showed the posterior predictive with
the learned model discrepancy (:mod:`~twinviewer.personalize.discrepancy`) while the other
views showed the bare ensemble's percentiles: two "90 % intervals" of one output, the narrow
one of which the coverage study had measured to cover 61–63 % of the truth under model error.

What the interval is
--------------------
* **An unmeasured output with a learned term** (LVEDP, LAP, PASP, SW, CO when not measured) of
  a **calibrated** twin: the posterior ensemble with the learned discrepancy added
  (:meth:`~twinviewer.personalize.discrepancy.Discrepancy.interval`), the patient's
  atypicality ``D`` and misfit ``M`` and the prior ensemble's spread as the calibration left
  them. Shown as :data:`WITH_MODEL_ERROR`.
* **Anything else** (a measured output — the data speak for it and its fit row carries the
  calibration's own model error —, an output without a learned term, a twin not calibrated,
  whose prior ensemble is the population's spread): the ensemble's central interval
  (:func:`~twinviewer.core.stats.central_interval`). Shown as :data:`ENSEMBLE_ONLY`.
* Measured values are never blended with either: they sit in their own column or field.

Scenario predictions
--------------------
The structural error of the model does not go away when a valve is replaced or a drug given:
the learned term was sized on how the model's *state* predictions miss (filling pressures
above all), and a scenario's prediction is a state of the same model. So a scenario's
prediction of an output gets the same term as the baseline's, with the baseline's ``D`` and
``M`` (the evidence about this patient does not change with the scenario): each draw of a
member's scenario prediction is its scenario value times the *same* error factor as that
draw of its baseline (below), not a term recomputed about the scenario's own median and
narrowing (until session 16 it was, and the two sides' factors differed slightly: a change
every member showed could cross zero, review16b #9). This is an assumption: the term was
learned on baselines only (no scenario outcome of a synthetic patient is in its training
set), so a scenario's interval is honest only as far as the baseline's error carries over.

Differences (scenario − baseline)
---------------------------------
A difference is paired member by member, and the structural error is treated as **common to
both**: each member gets the *same* discrepancy draw for its baseline and its scenario — the
same error factor ``y/x`` of that draw, not only the same random numbers — and the difference
is taken draw by draw, so every draw's change has the sign of its member's change (a change
every member shows keeps its sign; a member ≤ 0 carries the draw's additive error instead).
On the log scale the term is
multiplicative, ``truth ≈ prediction·exp(δ)``, so with a common δ the change scales with
``exp(δ)`` (a model that overestimates LVEDP by 30 % overestimates its fall by about 30 %) and
an additive part cancels. Adding an independent error to each of the two sides instead
would count the one structural error twice and give every difference an interval about
√2 × the level's width around zero, hiding any effect. "Improves in N % of plausible twins"
stays a count over the ensemble's members (it judges a direction, which a common
multiplicative error does not flip).

Yes/no outputs (the aortic valve opens, LV suction) have no interval: they are shown as the
fraction of members, in words (:func:`yes_no_text`).

Examples
--------
>>> import numpy as np
>>> ctx = IntervalContext(atypicality=1.0, misfit=1.0, measured=frozenset({"CO"}))
>>> x = np.linspace(10.0, 14.0, 41)
>>> med, lo, hi = ctx.interval("LVEDP", x)
>>> bool(lo < 10.2 and hi > 13.8), ctx.kind("LVEDP"), ctx.kind("CO")
(True, '90 % interval incl. model error', '90 % interval of the ensemble')
>>> ctx.interval("CO", x) == shown_interval("CO", x)
True
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twinviewer.core.interval_marks import (  # noqa: F401 - the kinds' words and marks
    ENSEMBLE_ONLY,
    MARK,
    MARK_ENSEMBLE,
    MARK_LEGEND,
    WITH_MODEL_ERROR,
    mark_of,
)
from twinviewer.core.stats import central_interval
from twinviewer.personalize.discrepancy import DATA_KINDS, Discrepancy, default_discrepancy

Triple = tuple[float, float, float]


@functools.lru_cache(maxsize=4)
def _learned(data: str) -> Discrepancy:
    return default_discrepancy(data)


def _finite(values: Any, ok: Any = None) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    if ok is not None and np.shape(ok) == x.shape:
        x = x[np.asarray(ok, dtype=bool)]
    return x[np.isfinite(x)]


@dataclass(frozen=True)
class IntervalContext:
    """What the shown interval of a calibrated twin needs besides the ensemble: the data kind
    the discrepancy was learned for, the patient's atypicality ``D`` and misfit ``M``, the
    outputs that were measured, and the prior ensemble's predictions of each output with a
    term (for the heavy-tailed prior's narrowing). JSON-ready through :meth:`to_dict`.

    >>> c = IntervalContext(atypicality=1.3, misfit=0.8, measured=frozenset({"SBP"}))
    >>> IntervalContext.from_dict(c.to_dict()) == c
    True
    """

    data: str = "standard"
    atypicality: float = 1.0
    misfit: float = float("nan")
    measured: frozenset[str] = frozenset()
    prior: Mapping[str, tuple[float, ...]] = field(default_factory=dict, compare=False)
    #: the term itself when the calibration was given one (not stored: a reopened twin uses
    #: the learned term of ``data``)
    discrepancy: Discrepancy | None = field(default=None, compare=False)

    @property
    def term(self) -> Discrepancy:
        """The discrepancy applied."""
        return self.discrepancy if self.discrepancy is not None else _learned(self.data)

    def widened(self, name: str) -> bool:
        """True if ``name`` is shown with the model-discrepancy term."""
        return name not in self.measured and name in self.term.terms

    def kind(self, name: str) -> str:
        """:data:`WITH_MODEL_ERROR` or :data:`ENSEMBLE_ONLY`."""
        return WITH_MODEL_ERROR if self.widened(name) else ENSEMBLE_ONLY

    def mark(self, name: str) -> str:
        """The row's mark: :data:`MARK` or :data:`MARK_ENSEMBLE` (:data:`MARK_LEGEND`)."""
        return mark_of(self.kind(name))

    def _prior(self, name: str, scale: float = 1.0) -> np.ndarray | None:
        p = self.prior.get(name)
        return None if p is None else np.asarray(p, dtype=float) * scale

    def samples(self, name: str, x: np.ndarray, scale: float = 1.0) -> np.ndarray:
        """Predictive samples of ``name`` for finite members ``x`` (the discrepancy's draws
        when :meth:`widened`, else ``x`` itself); ``scale`` rescales the prior ensemble
        (module docstring, "Scenario predictions")."""
        if not self.widened(name):
            return x
        return self.term.predictive_samples(name, x, atypicality=self.atypicality,
                                            misfit=self.misfit, prior=self._prior(name, scale))

    def interval(self, name: str, values: Any, ok: Any = None, level: float = 0.9) -> Triple:
        """(median, lo, hi) of ``name`` over the members ``ok`` of ``values``: the shown
        interval of a baseline prediction."""
        x = _finite(values, ok)
        return _quantiles(self.samples(name, x), level)

    def paired(self, name: str, base: Any, scen: Any, ok: Any = None, level: float = 0.9
               ) -> tuple[Triple, Triple, Triple]:
        """(baseline, scenario, scenario − baseline) of ``name`` over the members ``ok``
        finite in both, with one discrepancy draw per member common to both (module
        docstring, "Differences")."""
        b = np.asarray(base, dtype=float)
        s = np.asarray(scen, dtype=float)
        keep = np.isfinite(b) & np.isfinite(s)
        if ok is not None:
            keep &= np.asarray(ok, dtype=bool)
        b, s = b[keep], s[keep]
        if not self.widened(name) or b.size == 0:
            return _quantiles(b, level), _quantiles(s, level), _quantiles(s - b, level)
        yb = self.samples(name, b)
        ys = _common_error(yb, b, s)
        return _quantiles(yb, level), _quantiles(ys, level), _quantiles(ys - yb, level)

    def to_dict(self) -> dict:
        """JSON-ready (stored with the calibration's visit in the .twin)."""
        m = self.misfit
        return {"data": self.data, "atypicality": float(self.atypicality),
                "misfit": float(m) if np.isfinite(m) else None,
                "measured": sorted(self.measured),
                "prior": {k: [float(v) for v in x] for k, x in self.prior.items()}}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> IntervalContext:
        """The context stored by :meth:`to_dict`.

        Raises
        ------
        ValueError
            Naming the field that is not what it should be.
        """
        data = str(d.get("data", "standard"))
        if data not in DATA_KINDS:
            raise ValueError(f"interval context: data {data!r} is not one of "
                             f"{', '.join(DATA_KINDS)}")
        try:
            a = float(d.get("atypicality", 1.0))
            m = d.get("misfit")
            m = float("nan") if m is None else float(m)
            prior = {str(k): tuple(float(v) for v in x)
                     for k, x in dict(d.get("prior") or {}).items()}
        except (TypeError, ValueError) as exc:
            raise ValueError(f"interval context: {exc}") from None
        return cls(data, a, m, frozenset(str(x) for x in d.get("measured", [])), prior)


def _common_error(yb: np.ndarray, b: np.ndarray, s: np.ndarray) -> np.ndarray:
    """The scenario's draws with the baseline's structural error, draw by draw: each
    member's baseline draws ``yb`` (member-major, ``DRAWS`` per member) are its prediction
    ``b`` times an error factor, and the scenario's are ``s`` times the *same* factor; a
    member ≤ 0 (linear scale) carries the same additive error instead. So every draw's
    change has the sign of its member's change (review16b #9).

    >>> _common_error(np.array([9.0, 11.0, 18.0, 22.0]), np.array([10.0, 20.0]),
    ...               np.array([9.0, 21.0])).round(6).tolist()
    [8.1, 9.9, 18.9, 23.1]
    >>> _common_error(np.array([9.0, 11.0, 18.0, 22.0]), np.array([10.0, 20.0]),
    ...               np.array([9.0, -1.0])).round(6).tolist()
    [8.1, 9.9, -3.0, 1.0]
    """
    n = b.size
    Yb = yb.reshape(n, -1)
    ratio = np.divide(s, b, out=np.ones_like(s, dtype=float), where=b > 0)
    # per member (final16 #4): one member crossing 0 must not change the others' form
    mult = ((b > 0) & (s > 0))[:, None]
    return np.where(mult, Yb * ratio[:, None], Yb + (s - b)[:, None]).ravel()


def row_mark(context: IntervalContext | None, name: str) -> str:
    """`` †`` or `` ‡`` to append to a table row's label of a calibrated twin (with its
    leading space), '' without a context (a prior ensemble: one kind for every row, said
    by the table's note) and for the yes/no outputs, which have no interval.

    >>> row_mark(IntervalContext(), "LVEDP"), row_mark(IntervalContext(), "mPAP")
    (' †', ' ‡')
    >>> row_mark(None, "LVEDP"), row_mark(IntervalContext(), "AV_opening")
    ('', '')
    """
    if context is None or name in YES_NO_OUTPUTS:
        return ""
    return f" {context.mark(name)}"


#: Outputs shown as a share of members in words, without an interval (:func:`yes_no_text`).
YES_NO_OUTPUTS = frozenset({"AV_opening", "LV_suction"})


def _quantiles(x: np.ndarray, level: float) -> Triple:
    return central_interval(x, level)


def context_of(result: Any) -> IntervalContext:
    """The context of a :class:`~twinviewer.personalize.calibrate.CalibrationResult`."""
    from twinviewer.personalize.quantities import QUANTITY_BY_NAME

    measured = frozenset(QUANTITY_BY_NAME[m.name].target for m in result.measurements
                         if m.name in QUANTITY_BY_NAME)
    prior = {}
    pr = result.prior_results
    if pr is not None:
        ok = np.asarray(pr.ok, bool)
        prior = {k: tuple(float(v) for v in np.asarray(pr.metrics[k], float)[ok])
                 for k in result.discrepancy.terms if k in pr.metrics}
    # the data kind whose learned term the calibration used (stored: a reopened twin uses it)
    data = next((k for k in DATA_KINDS if _learned(k) == result.discrepancy),
                "curves" if getattr(result, "curve_fit", None) else "standard")
    return IntervalContext(data, float(result.atypicality), float(result.misfit), measured,
                           prior, result.discrepancy)


def context_of_twin(twin: Any) -> IntervalContext | None:
    """The context stored with a calibrated twin's last visit; None for a twin not calibrated
    (its ensemble is the prior: no discrepancy term applies). A twin calibrated by a version
    that did not store one gets the term of a typical patient (``D = 1``, ``M`` unknown) and
    its last visit's measurements as the measured outputs."""
    if twin is None or getattr(twin, "ensemble_kind", "prior") != "posterior" \
            or not twin.visits:
        return None
    stored = getattr(twin.visits[-1], "interval", None)
    if stored:
        try:
            return IntervalContext.from_dict(stored)
        except ValueError:
            pass  # a damaged context: fall back to the typical patient's term
    from twinviewer.personalize.quantities import QUANTITY_BY_NAME

    return IntervalContext(measured=frozenset(
        QUANTITY_BY_NAME[m.name].target for m in twin.visits[-1].measurements
        if m.name in QUANTITY_BY_NAME))


def shown_interval(name: str, values: Any, ok: Any = None,
                   context: IntervalContext | None = None, level: float = 0.9) -> Triple:
    """The (median, lo, hi) shown for metric ``name``: :meth:`IntervalContext.interval` with
    the twin's context, the ensemble's central interval without one.

    >>> shown_interval("LVEDP", [9.0, 10.0, 11.0, float("nan")], level=1.0)
    (10.0, 9.0, 11.0)
    """
    if context is None:
        return central_interval(values, level, mask=ok if ok is not None and np.shape(ok)
                                == np.shape(values) else None)
    return context.interval(name, values, ok, level)


def interval_kind(name: str, context: IntervalContext | None) -> str:
    """How the interval of ``name`` is named: :data:`WITH_MODEL_ERROR` or
    :data:`ENSEMBLE_ONLY`.

    >>> interval_kind("LVEDP", None)
    '90 % interval of the ensemble'
    """
    return ENSEMBLE_ONLY if context is None else context.kind(name)


def yes_no_text(share: float, yes: str = "yes") -> str:
    """A yes/no output in words: the fraction of members for which it holds.

    >>> yes_no_text(1.0, "opens"), yes_no_text(0.25, "opens")
    ('opens in 100 % of members', 'opens in 25 % of members')
    """
    if not np.isfinite(share):
        return "–"
    return f"{yes} in {100 * share:.0f} % of members"
