"""The living twin's timeline: sequential re-calibration, prediction checks, trajectories.

Sequential Bayesian update
--------------------------
The first visit is calibrated from the model priors; every later visit starts from the
previous visit's posterior (:func:`twinviewer.personalize.calibrate.calibrate` does this when
the twin's ensemble is a posterior) with a random-walk *drift* that grows with the time
between visits: ``drift = DRIFT_PER_YEAR · √(Δdays / 365)`` prior SDs (at least
``MIN_DRIFT``), so parameters may change between visits (a contractility that declines is
followed) while parameters the data keep confirming narrow visit after visit.

Prediction check before the update
----------------------------------
Before a visit's data move the posterior, the twin's *posterior predictive* for each new
measurement is compared with the value measured: the previous posterior with drift, simulated
(with the visit's directly measured parameters such as HR set), plus measurement noise
``σ = √(SD² + model error²)``. A value outside the central 90 % predictive interval is
flagged with its surprise: ``z = (measured − median) / √(var_pred + σ²)`` and the difference
in the quantity's unit. **No flag does not mean all is well**: the check only sees the
quantities measured, and a wide predictive interval hides small changes.

Every function returns a new twin; the input twin is never changed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from twinviewer.core.format import interval, number
from twinviewer.core.format import unit as _u
from twinviewer.core.measurement import Measurement, is_assumed
from twinviewer.core.twin import Twin, Visit
from twinviewer.personalize.calibrate import CalibrationResult, calibrate, updated_twin
from twinviewer.personalize.measurements import MeasurementError, normalise
from twinviewer.personalize.quantities import (
    QUANTITIES,
    QUANTITY_BY_NAME,
    predict,
    predictive_z,
    supported,
)
from twinviewer.physiology import MODELS, ModelError, Results

#: Between-visit random walk, prior SDs per √year (see the module docstring): over a year a
#: parameter may move by about its population spread; over two weeks by a fifth of it.
DRIFT_PER_YEAR = 1.0
MIN_DRIFT = 0.1
LEVEL = 0.9
NO_FLAG_CAVEAT = ("No flag does not mean all is well: only the measured quantities are "
                  "checked, and a wide predictive interval can hide a real change.")

Progress = Callable[[float, str], None] | None
Cancel = Callable[[], bool] | None


class TimelineError(ValueError):
    """A visit that cannot be added (out of order, nothing to assimilate...)."""


@dataclass(frozen=True)
class Flag:
    """A new measurement compared with the twin's prediction made before the update.

    ``outside`` is True when the value lies outside the central 90 % predictive interval.
    """

    name: str
    unit: str
    measured: float
    median: float
    lo: float
    hi: float
    z: float
    surprise: float
    outside: bool

    def text(self) -> str:
        """One line, e.g. ``'LVEF: measured 38 %, predicted 52 (45–58) %, z = -3.1'``."""
        mark = "FLAG " if self.outside else ""
        return (f"{mark}{self.name}: measured {number(self.measured)} {_u(self.unit)}, "
                f"predicted {interval(self.median, self.lo, self.hi)} {_u(self.unit)}; "
                f"surprise {number(self.surprise, signed=True)} {_u(self.unit)}, "
                f"z = {self.z:+.1f}")

    def to_dict(self) -> dict:
        return {k: (float(v) if isinstance(v, float | np.floating) else v)
                for k, v in self.__dict__.items()}


@dataclass
class VisitOutcome:
    """What :func:`add_visit` produced."""

    twin: Twin
    result: CalibrationResult
    flags: list[Flag] = field(default_factory=list)
    checked: bool = False

    @property
    def flagged(self) -> list[Flag]:
        return [f for f in self.flags if f.outside]


def drift_for(days: float) -> float:
    """Random-walk drift (prior SDs) for ``days`` between visits.

    >>> round(drift_for(365), 2)
    1.0
    """
    return max(MIN_DRIFT, DRIFT_PER_YEAR * math.sqrt(max(days, 0.0) / 365.0))


def _interval(x: np.ndarray) -> tuple[float, float, float]:
    lo, med, hi = np.quantile(x, [(1 - LEVEL) / 2, 0.5, (1 + LEVEL) / 2])
    return float(med), float(lo), float(hi)


def prediction_check(twin: Twin, result: CalibrationResult, seed: int = 0) -> list[Flag]:
    """Compare ``result``'s new measurements with the predictions made before the update.

    Metrics come from the calibration's prior predictive (the previous posterior with drift);
    directly measured parameters (HR, AVA...) from the previous posterior's column.
    """
    if not result.from_previous or result.prior_results is None:
        return []
    rng = np.random.default_rng(seed)
    res0: Results = result.prior_results
    flags = []
    for m in result.measurements:
        q = QUANTITY_BY_NAME[m.name]
        if q.kind == "parameter":
            j = res0.model.index(q.target)
            x = np.asarray(twin.ensemble[:, j], dtype=float)
        else:
            x = predict(m.name, res0)
        x = x[np.isfinite(x)]
        if x.size < 8:
            continue
        s = math.hypot(m.uncertainty, q.model_sd(m.value))
        pp = x + s * rng.standard_normal(x.size)
        med, lo, hi = _interval(pp)
        z = predictive_z(m.value, med, s, float(np.std(x)))
        flags.append(Flag(m.name, m.unit, float(m.value), med, lo, hi, float(z),
                          float(m.value - med), not lo <= m.value <= hi))
    return flags


def predicted_summary(res: Results, context=None) -> dict[str, list]:
    """``{quantity: [median, lo, hi, unit]}`` for every quantity the model predicts; with a
    calibration's interval context (:class:`~twinviewer.personalize.shown.IntervalContext`)
    the shown interval of each (model discrepancy on unmeasured outputs)."""
    from twinviewer.personalize.shown import shown_interval

    out = {}
    for q in QUANTITIES:
        if supported(q.name, res) is not None:
            continue
        x = predict(q.name, res)
        x = x[np.isfinite(x)]
        if x.size:
            name = q.target if q.kind == "metric" else q.name
            out[q.name] = [*shown_interval(name, x, context=context), q.unit]
    return out


def _canonical(ms: Sequence[Measurement]) -> list[Measurement]:
    return [normalise(m) for m in ms]


def combine_repeats(ms: Sequence[Measurement]) -> tuple[list[Measurement], list[str]]:
    """Repeated readings of one quantity at a visit (three cuff pressures, serial heart
    rates) become their mean, with uncertainty ``√((σ̄² + s²) / n)``: the readings' own SD
    ``σ̄`` (RMS) and their scatter ``s`` both average down over ``n`` readings.

    >>> ms = [Measurement("SBP", v, "mmHg", 6.0) for v in (120, 124, 128)]
    >>> m, notes = combine_repeats(ms)
    >>> (m[0].value, round(m[0].uncertainty, 2))
    (124.0, 4.16)
    """
    groups: dict[str, list[Measurement]] = {}
    for m in _canonical(ms):
        groups.setdefault(m.name, []).append(m)
    out, notes = [], []
    for name, g in groups.items():
        if len(g) == 1:
            out.append(g[0])
            continue
        x = np.array([m.value for m in g])
        sd = math.sqrt(float(np.mean([m.uncertainty ** 2 for m in g])))
        s = float(np.std(x, ddof=1))
        u = math.sqrt((sd * sd + s * s) / x.size)
        out.append(Measurement(name, float(x.mean()), g[0].unit, u, g[0].source))
        notes.append(f"{name}: {x.size} readings combined into their mean {x.mean():.4g} ± "
                     f"{u:.2g} {_u(g[0].unit)}")
    return out, notes


def add_visit(twin: Twin, measurements: Sequence[Measurement], *, day: int | None = None,
              context: Sequence[Measurement] = (), items: Sequence[dict] = (),
              series: dict | None = None, label: str = "", n: int = 200, seed: int = 0,
              drift: float | None = None, progress: Progress = None, cancel: Cancel = None,
              accept_misfit: bool = False) -> VisitOutcome:
    """Add a visit: check the new data against the twin's predictions, then update.

    Parameters
    ----------
    twin
        The twin (not modified). A posterior ensemble is the prior of this visit.
    measurements
        The visit's measurements the model predicts (any supported name and unit).
    day
        Day offset from the first visit (default: 0 for the first, last + 1 after).
    context, items, series
        Kept with the visit: values the model does not predict (weight, height), the
        provenance of each data item, a wearable series.
    drift
        Override of the between-visit drift (prior SDs); default :func:`drift_for`.

    Returns
    -------
    VisitOutcome
        The updated twin (a new visit on its timeline), the calibration and the flags.

    Raises
    ------
    TimelineError
        Visit dated before the last one.
    MeasurementError, CalibrationError
        From the calibration (message names the measurement).

    Examples
    --------
    >>> from twinviewer.twins import twin_from_preset
    >>> t = twin_from_preset("healthy", n=1)
    >>> out = add_visit(t, [Measurement("SBP", 128, "mmHg", 6)], day=0, n=32)
    >>> [v.day for v in out.twin.visits]
    [0]
    """
    last = twin.visits[-1].day if twin.visits else None
    if day is None:
        day = 0 if last is None else last + 1
    if last is not None and day < last:
        raise TimelineError(f"visit day {day} is before the last visit (day {last}); visits "
                            "are kept in time order. The twin is unchanged.")
    if not measurements:
        raise MeasurementError("this visit has no measurement the model predicts")
    ms = _canonical(measurements)
    if drift is None:
        drift = drift_for(day - last) if last is not None else 0.5
    result = calibrate(twin, ms, n=n, seed=seed + len(twin.visits), drift=drift,
                       progress=progress, cancel=cancel)
    new = updated_twin(twin, result, day=day, label=label or f"visit {len(twin.visits) + 1}",
                       accept_misfit=accept_misfit)
    flags = record_check(twin, result, new, seed=seed)
    v = new.visits[-1]
    v.items = [dict(i) for i in items]
    v.context = list(context)
    v.series = dict(series or {})
    return VisitOutcome(new, result, flags, checked=result.from_previous)


def record_check(before: Twin, result: CalibrationResult, new: Twin, seed: int = 0
                 ) -> list[Flag]:
    """Put on ``new``'s last visit (made of ``result``) the prediction check against
    ``before`` (the twin whose posterior was that visit's prior), the twin's predictions at
    the visit, and the model; the one path of every visit (`visit add`, `calibrate`, the GUI).

    The check runs only when the prior was an earlier visit's posterior
    (``result.from_previous``); a first visit has nothing to check against.

    Examples
    --------
    >>> from twinviewer.twins import twin_from_preset
    >>> t = twin_from_preset("healthy", n=1)
    >>> out = add_visit(t, [Measurement("SBP", 128, "mmHg", 6)], day=0, n=32)
    >>> later = calibrate(out.twin, [Measurement("SBP", 150, "mmHg", 6)], n=32,  # doctest: +SKIP
    ...                   drift=drift_for(30))
    >>> new = updated_twin(out.twin, later, day=30)  # doctest: +SKIP
    >>> [f.name for f in record_check(out.twin, later, new)]  # doctest: +SKIP
    ['SBP']
    """
    from twinviewer.personalize.shown import context_of

    flags = prediction_check(before, result, seed=seed)
    v = new.visits[-1]
    v.flags = [f.to_dict() for f in flags]
    v.predicted = predicted_summary(result.results, context_of(result))
    v.model = f"{before.model_name} {before.model_version} {before.equation_hash}"
    # the twin's starting parameters, where known: visits made by `twin create`/`calibrate`
    # do not record them (None), and None stays None (never a NaN placeholder)
    start = before.visits[0].start_params if before.visits else before.params
    v.start_params = None if start is None else np.asarray(start, dtype=float).copy()
    return flags


# -- reading the timeline ---------------------------------------------------------------------

def trajectory(twin: Twin, parameter: str) -> list[tuple[int, float, float, float]]:
    """``(day, median, lo, hi)`` of a parameter's posterior at each visit (90 % interval).

    >>> trajectory(Twin("virtual-x", "m", "1", "h", np.zeros(1), np.zeros((1, 1))), "LV.EA")
    []
    """
    if not twin.visits:
        return []
    model = MODELS.get(twin.model_name)
    if model is None or parameter not in model.parameter_names:
        raise KeyError(f"parameter {parameter!r} is not in model {twin.model_name}")
    j = model.index(parameter)
    return [(v.day, *_interval(v.ensemble[:, j])) for v in twin.visits
            if v.ensemble is not None]


def visit_data_text(v: Visit) -> str:
    """A visit's values in one line, the assumed ones (an assumption named so in its source,
    e.g. the demo heart's normal cuff BP) apart and said to be assumed: never listed as
    measurements.

    Examples
    --------
    >>> v = Visit(0, [Measurement("HR", 69.8, "bpm", 3, "ECG"),
    ...               Measurement("SBP", 120, "mmHg", 10, "assumed, not measured: normal")])
    >>> visit_data_text(v)
    'measured HR 69.8 bpm; assumed, not measured: SBP 120 mmHg'
    """
    def values(ms: Sequence[Measurement]) -> str:
        return ", ".join(f"{m.name} {m.value:.3g} {m.unit}" for m in ms)

    measured = [m for m in v.measurements if not is_assumed(m)]
    assumed = [m for m in v.measurements if is_assumed(m)]
    parts = [f"measured {values(measured)}"] if measured else []
    if assumed:
        parts.append(f"assumed, not measured: {values(assumed)}")
    return "; ".join(parts) or "no measurements"


def metric_history(twin: Twin, name: str) -> list[dict]:
    """Per visit: the twin's prediction of ``name`` after the visit (median, 90 % interval),
    the value predicted *before* it (if checked) and the value measured, kept apart."""
    out = []
    for v in twin.visits:
        row: dict = {"day": v.day}
        if name in v.predicted:
            med, lo, hi, unit = v.predicted[name]
            row["predicted"] = {"median": med, "lo": lo, "hi": hi, "unit": unit}
        for f in v.flags:
            if f["name"] == name:
                row["predicted_before"] = {k: f[k] for k in ("median", "lo", "hi", "unit")}
        for m in v.measurements:
            if m.name == name:  # an assumed value is marked, never a measurement
                key = "assumed" if is_assumed(m) else "measured"
                row[key] = {"value": m.value, "sd": m.uncertainty, "unit": m.unit}
        out.append(row)
    return out


# -- re-calibration: withdrawn data, new model ------------------------------------------------

def base_twin(twin: Twin) -> Twin:
    """The twin before its first visit: the starting parameters with a prior ensemble."""
    if not twin.visits or twin.visits[0].start_params is None:
        raise TimelineError("this twin's timeline does not record its starting parameters; "
                            "it cannot be re-calibrated from the start")
    p = np.asarray(twin.visits[0].start_params, dtype=float).copy()
    return replace(twin, params=p, ensemble=p[None, :].copy(), ensemble_kind="prior",
                   visits=[], measurements=[], audit=list(twin.audit))


def replay(twin: Twin, visits: Sequence[Visit], *, n: int | None = None, seed: int = 0,
           progress: Progress = None, cancel: Cancel = None) -> Twin:
    """Re-run the sequential calibration over ``visits`` starting from :func:`base_twin`.

    Visits left without measurements are dropped (their context and series too).
    """
    t = base_twin(twin)
    n = n or (twin.ensemble.shape[0] if twin.ensemble.shape[0] >= 16 else 200)
    kept = [v for v in visits if v.measurements]
    for k, v in enumerate(kept):
        say = None if progress is None else (
            lambda f, s, k=k, d=v.day: progress((k + f) / len(kept), f"visit day {d}: {s}"))
        # the visits' data were accepted when they were added: a replay (withdrawal, a new
        # model) re-fits them and reports any misfit in the visit, it does not refuse them
        out = add_visit(t, v.measurements, day=v.day, context=v.context, items=v.items,
                        series=v.series, label=v.label, n=n, seed=seed, progress=say,
                        cancel=cancel, accept_misfit=True)
        t = out.twin
    return replace(t, ledger=twin.ledger, timeline=dict(twin.timeline),
                   scenarios=list(twin.scenarios), anatomy=twin.anatomy, audit=list(twin.audit))


def tag_source(m: Measurement, source: str) -> Measurement:
    """``m`` labelled with its ledger source, keeping what it said of itself (a source such as
    'CT segmentation' still marks it image-derived).

    >>> tag_source(Measurement("SBP", 120, "mmHg", 6, "cuff"), "fhir:b.json").source
    'fhir:b.json (cuff)'
    """
    if m.source == source or from_source(m, source):
        return m
    return replace(m, source=f"{source} ({m.source})" if m.source else source)


def from_source(m: Measurement, source: str) -> bool:
    """True if ``m`` entered through ledger source ``source`` (see :func:`tag_source`)."""
    return m.source == source or m.source.startswith(f"{source} (")


def withdraw(twin: Twin, source: str, *, reason: str = "", seed: int = 0,
             progress: Progress = None, cancel: Cancel = None) -> tuple[Twin, dict]:
    """Remove every data item of ``source`` and re-calibrate from the remaining data.

    Returns the new twin and an audit record (source, counts, names; never the values).

    Raises
    ------
    ConsentError
        If the twin has no data from ``source``.
    TimelineError
        If nothing would remain to calibrate to.
    """
    ledger, w = twin.ledger.withdraw(source, reason)
    visits = []
    for v in twin.visits:
        ms = [m for m in v.measurements if not from_source(m, source)]
        ctx = [m for m in v.context if not from_source(m, source)]
        its = [i for i in v.items if i.get("source") != source]
        series = {} if v.series.get("source") == source else v.series
        visits.append(replace(v, measurements=ms, context=ctx, items=its, series=series))
    if not any(v.measurements for v in visits):
        raise TimelineError(f"withdrawing {source!r} would leave no data to calibrate to; "
                            "the twin is unchanged")
    new = replay(twin, visits, seed=seed, progress=progress, cancel=cancel)
    new = replace(new, ledger=ledger)
    record = {"event": "consent withdrawn", **w.to_dict(),
              "visits_after": [v.day for v in new.visits]}
    return new, record


def model_change(twin: Twin) -> str | None:
    """None if the installed model is the one the twin was made with, else what changed."""
    model = MODELS.get(twin.model_name)
    if model is None:
        return f"model {twin.model_name} is not installed"
    if (model.version, model.equation_hash) == (twin.model_version, twin.equation_hash):
        return None
    return (f"{twin.model_name} changed from v{twin.model_version} (equations "
            f"{twin.equation_hash}) to v{model.version} (equations {model.equation_hash})")


def recalibrate_with_current_model(twin: Twin, *, seed: int = 0, progress: Progress = None,
                                   cancel: Cancel = None) -> Twin:
    """Re-calibrate every visit with the installed model; the earlier model's results are
    kept in ``timeline['superseded']`` beside the new ones (never mixed).

    Parameters present in both models keep their starting values; new ones start at the
    model's default.
    """
    change = model_change(twin)
    if change is None:
        raise TimelineError("the twin already uses the installed model")
    model = MODELS.get(twin.model_name)
    if model is None:
        raise ModelError(change)
    old_model_names = _old_parameter_names(twin)
    start = model.default_vector()
    old_start = twin.visits[0].start_params if twin.visits else None
    if old_start is not None and old_model_names:
        for i, name in enumerate(old_model_names):
            if name in model.parameter_names:
                start[model.index(name)] = old_start[i]
    archived = {"model": f"{twin.model_name} {twin.model_version} {twin.equation_hash}",
                "change": change, "visits": [summary_of_visit(v, old_model_names)
                                             for v in twin.visits]}
    visits = [replace(v, start_params=start if k == 0 else v.start_params)
              for k, v in enumerate(twin.visits)]
    moved = replace(twin, model_version=model.version, equation_hash=model.equation_hash,
                    params=start, ensemble=start[None, :].copy(), ensemble_kind="prior",
                    visits=visits)
    new = replay(moved, visits, seed=seed, progress=progress, cancel=cancel)
    meta = dict(twin.timeline)
    meta["superseded"] = [*meta.get("superseded", []), archived]
    meta["parameter_names"] = list(model.parameter_names)
    return replace(new, timeline=meta)


def _old_parameter_names(twin: Twin) -> list[str]:
    names = twin.timeline.get("parameter_names")
    if names:
        return list(names)
    model = MODELS.get(twin.model_name)
    return list(model.parameter_names) if model is not None and \
        model.parameter_names and twin.params.shape[0] == len(model.parameter_names) else []


def summary_of_visit(v: Visit, names: Sequence[str]) -> dict:
    """JSON summary of a visit: day, measurements, flags, posterior intervals, predictions."""
    post = {}
    if v.ensemble is not None and len(names) == v.ensemble.shape[1]:
        for j, name in enumerate(names):
            med, lo, hi = _interval(v.ensemble[:, j])
            post[name] = [med, lo, hi]
    return {"day": v.day, "label": v.label, "model": v.model,
            "measurements": [m.to_dict() | ({"assumed": True} if is_assumed(m) else {})
                             for m in v.measurements],
            "context": [m.to_dict() for m in v.context],
            "flags": list(v.flags), "posterior": post, "predicted": dict(v.predicted),
            "wearable": {k: val for k, val in v.series.items() if k == "summary"}}
