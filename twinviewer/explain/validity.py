"""When not to trust a prediction: warnings about the model's validity domain and the twin.

Checks, each producing a :class:`ValidityWarning` naming the quantity and the numbers:

* ``context``: a prediction or the heart rate outside the model's validity domain, declared
  as data in the model contract (``ModelSpec.validity_ranges``); a model declaring none is
  said to be unchecked;
* ``plausible``: a parameter outside its plausible range;
* ``prior``: a parameter beyond the 99 % interval of the population prior *the twin was
  calibrated with* (centred on the disease preset the calibration chose, see
  :mod:`twinviewer.personalize.disease`); never for a parameter set by a measurement (an AVA
  of 0.7 cm² is the patient's disease, not an outlier);
* ``bound``: a calibrated (posterior) ensemble piled against a plausible bound — judged on the
  posterior's own spread, not on the width of the plausible range — or whose median lies
  beyond the central 99 % range of its prior;
* ``fit``: a measurement the posterior predictive misses, with the z of the calibration's
  fit table (:func:`fit_warnings`, :func:`twinviewer.personalize.quantities.predictive_z`:
  |z| > 2);
* ``periodic``: ensemble members that did not reach a periodic state;
* ``atrial``: a mean atrial pressure below 0 mmHg (:func:`negative_atrial`), said with why it
  is outside what the model was built for, in the baseline and in a what-if.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from twinviewer.core.format import number, span
from twinviewer.core.format import quantity as _with_unit
from twinviewer.core.format import unit as shown_unit
from twinviewer.core.parameter import Prior
from twinviewer.core.provenance import Source
from twinviewer.core.twin import Twin
from twinviewer.explain.words import words
from twinviewer.personalize.disease import PRESETS, preset_of, prior_in_provenance, prior_title
from twinviewer.personalize.heart_size import SIZE_EXPONENT, marginal_prior
from twinviewer.personalize.measurements import MeasurementError, normalise
from twinviewer.personalize.quantities import (
    Z_FLAG,
    UnknownQuantity,
    fit_check,
    predict,
    quantity,
    supported,
)
from twinviewer.physiology import METRIC_BY_NAME, ModelSpec, Results
from twinviewer.physiology.model import ADULT_RESTING_RANGES

#: The built-in models' ranges (resting adult haemodynamics), re-exported for readers.
VALIDITY_RANGES = ADULT_RESTING_RANGES


@dataclass(frozen=True)
class ValidityWarning:
    """One reason to be careful with the twin's predictions."""

    kind: str
    subject: str
    text: str
    severity: str = "warning"  # 'warning' | 'caution'

    def to_dict(self) -> dict:
        return {"kind": self.kind, "subject": self.subject, "severity": self.severity,
                "text": self.text}


def context_ranges(model: ModelSpec) -> dict[str, tuple[float, float]]:
    """The model's declared validity ranges (metric or parameter → ``(low, high)``).

    Examples
    --------
    >>> from twinviewer.physiology import MODELS
    >>> context_ranges(MODELS["regazzoni2022"])["HR"]
    (60.0, 90.0)
    """
    return {k: (float(lo), float(hi)) for k, (lo, hi) in model.validity_ranges.items()}


def validity_ranges(model: ModelSpec) -> dict[str, tuple[float, float]]:
    """All ranges checked for this model (its declared validity domain)."""
    return context_ranges(model)


_fmt = number  # the app's one number formatter (core/format.py)


def _mid(label: str) -> str:
    """A label inside a sentence: "Systemic arterial resistance" → "systemic arterial
    resistance", but "LV unstressed volume" kept."""
    return label[0].lower() + label[1:] if len(label) > 1 and label[1].islower() else label


def prior_name(preset: str) -> str:
    """A prior as a reader names it: the preset's title ("Heart failure with reduced
    ejection fraction prior"), never its code (review9b #5 read "(hfref: …)").

    Examples
    --------
    >>> prior_name("hfref"), prior_name("the model's default")
    ('Heart failure with reduced ejection fraction prior', "the model's default")
    """
    return prior_title(preset) if preset in PRESETS else preset


def calibration_prior(twin: Twin) -> str | None:
    """The population prior preset the twin's calibration chose, as recorded in its
    provenance (or its audit trail), or None for an uncalibrated twin.

    Examples
    --------
    >>> from twinviewer.twins import twin_from_preset
    >>> calibration_prior(twin_from_preset("healthy", n=1)) is None
    True
    """
    for prov in twin.provenance.values():
        name = prior_in_provenance(prov.detail)
        if name:
            return name
    for entry in reversed(twin.audit):
        details = getattr(entry, "details", None) or {}
        prior = details.get("prior") if isinstance(details, dict) else None
        name = prior.get("preset") if isinstance(prior, dict) else prior
        if isinstance(name, str) and name in PRESETS:
            return name
    return None


def prior_of(twin: Twin, model: ModelSpec, name: str) -> tuple[Prior, str]:
    """The population prior of parameter ``name`` as the twin used it: centred on the preset
    its calibration chose (named in the provenance) or the twin's own preset, and that
    preset's name."""
    from twinviewer.physiology.presets import get_preset

    par = model.parameter(name)
    prov = twin.provenance.get(name)
    # the prior the calibration chose is one for all parameters: a parameter whose own
    # record does not name it (measured, carried, left at the prior) was judged against it
    # too, never against the preset of the twin's origin ('import' → healthy)
    preset = ((prov and prior_in_provenance(prov.detail)) or calibration_prior(twin)
              or preset_of(twin.origin))
    p = get_preset(preset)
    if p.model.name != model.name:
        return par.prior, "the model's default"
    prior = par.prior.centred(float(p.vector()[model.index(name)]))
    if twin.ensemble_kind == "posterior":
        # a calibration's prior holds the heart-size mode: a parameter that scales with size
        # is judged against its population spread with that mode folded in
        return marginal_prior(prior, SIZE_EXPONENT.get(par.unit, 0)), preset
    return prior, preset


def parameter_warnings(twin: Twin, model: ModelSpec) -> list[ValidityWarning]:
    """Point-estimate parameters implausible, or beyond the 99 % of the population prior the
    twin was calibrated with (not for parameters set by a measurement)."""
    out = []
    word = words(model)
    for j, par in enumerate(model.parameters):
        v = float(twin.params[j])
        if par.check(v):
            lo, hi = par.plausible
            out.append(ValidityWarning(
                "plausible", par.name, f"{word(par.name)} = {_with_unit(v, par.unit)} is "
                + ("not a finite number" if not np.isfinite(v) else
                   f"outside its plausible range {span(lo, hi, par.unit)}")))
            continue
        prov = twin.provenance.get(par.name)
        if par.prior.is_point_mass or (prov is not None and prov.source is Source.MEASURED):
            continue
        prior, preset = prior_of(twin, model, par.name)
        lo, hi = prior.interval(0.99)
        if not lo <= v <= hi:
            # say which value: the point estimate, not the members' median another warning
            # may quote (review8 #11: "= 0.5" beside "median 0.85" for the same parameter)
            ens = getattr(twin, "ensemble", None)
            members = ("" if ens is None or np.ndim(ens) != 2 or ens.shape[0] < 2 else
                       f"; the median of its {ens.shape[0]} members is "
                       f"{_fmt(float(np.median(ens[:, j])))}")
            out.append(ValidityWarning(
                "prior", par.name,
                f"the twin's point estimate of {_mid(word(par.name))} = {_fmt(v)} "
                f"{shown_unit(par.unit)} (its single best-fit value{members}) is beyond the "
                f"99 % interval of the population prior ({prior_name(preset)}: "
                f"{span(lo, hi, par.unit)}): an "
                f"unusual value, so predictions rest on the model's behaviour far from its "
                f"typical range", "caution"))
    hr = model.heart_rate_parameter
    for name, rng in context_ranges(model).items():  # parameters in the validity domain
        if name not in model.parameter_names:
            continue
        v, unit = float(twin.params[model.index(name)]), model.parameter(name).unit
        if not rng[0] <= v <= rng[1]:
            what = f"heart rate {_fmt(v)} bpm" if name == hr else \
                f"{word(name)} = {_with_unit(v, unit)}"
            out.append(ValidityWarning(
                "context", name, f"{what} is outside the model's context of use "
                f"({span(rng[0], rng[1], unit)})"))
    return out


def posterior_bound_warnings(twin: Twin, model: ModelSpec) -> list[ValidityWarning]:
    """For a calibrated ensemble: parameters whose posterior is pressed against a bound."""
    if twin.ensemble_kind != "posterior" or twin.ensemble.shape[0] < 2:
        return []
    out = []
    word = words(model)
    for j, par in enumerate(model.parameters):
        col = twin.ensemble[:, j]
        prov = twin.provenance.get(par.name)
        # Only parameters the data moved: one left at its prior (or measured, or derived
        # from images) is never "pushed" by the data, whatever its ensemble looks like.
        if np.ptp(col) == 0 or par.prior.is_point_mass or \
                (prov is not None and prov.source not in (Source.CALIBRATED,
                                                          Source.IMAGE_DERIVED)):
            continue
        lo, hi = par.plausible
        q05, med, q95 = np.quantile(col, [0.05, 0.5, 0.95])
        # "At the bound" on the posterior's own scale: its 90 % interval reaches within a
        # tenth of its own width of the bound (a posterior 0.007–0.021 is not at a bound of
        # 0.003, however wide the plausible range is).
        tol = 0.1 * (q95 - q05)
        at_lo, at_hi = q05 - lo <= tol, hi - q95 <= tol
        prior, preset = prior_of(twin, model, par.name)
        # A prior that itself reaches the bound (e.g. truncated at a healthy maximum) puts
        # the posterior there without any push from the data.
        p05, p95 = prior.interval(0.90)
        at_lo = at_lo and p05 - lo > 0.1 * (p95 - p05)
        at_hi = at_hi and hi - p95 > 0.1 * (p95 - p05)
        u = float(prior.dist.cdf(med))
        if at_lo or at_hi:
            side = lo if at_lo else hi
            out.append(ValidityWarning(
                "bound", par.name, f"the calibrated posterior of {_mid(word(par.name))} (90 %: "
                f"{span(q05, q95, par.unit)}) reaches its plausible "
                f"bound {_with_unit(side, par.unit)}: the data push it beyond what "
                f"the model allows"))
        elif u < 0.005 or u > 0.995:
            side = "lower" if u < 0.5 else "upper"
            plo, phi = prior.interval(0.99)
            out.append(ValidityWarning(
                "bound", par.name, f"the calibrated median of {_mid(word(par.name))} "
                f"({_with_unit(med, par.unit)}, 90 %: {span(q05, q95)}) lies "
                f"beyond the {side} end of the central 99 % of its prior ({prior_name(preset)}: "
                f"{span(plo, phi, par.unit)}): the fit is pushing "
                f"against the prior"))
    return out


def prediction_warnings(twin: Twin, model: ModelSpec, results: Results,
                        metrics: list[str] | None = None) -> list[ValidityWarning]:
    """Predictions outside the validity ranges, poor fits to measurements, failed members.

    With an LVAD carrying flow in most members the LV peak pressure is held to a relaxed
    floor, 0 mmHg (:data:`~twinviewer.interventions.compare.UNLOADED_BY_LVAD`: under full
    support the aortic valve stays shut, numbers17 F11; a negative peak is still outside,
    review17 F5); its ceiling still holds."""
    from twinviewer.interventions.compare import UNLOADED_BY_LVAD, lvad_supported

    out = []
    word = words(model)
    ranges = validity_ranges(model)
    names = metrics if metrics is not None else list(ranges)
    atrial = negative_atrial({m: results.metrics[m] for m in names if m in results.metrics},
                             results.ok, ranges)
    said = {w.subject for w in atrial}
    out += atrial
    for m in names:
        if m not in ranges or m not in results.metrics or m in said:
            continue
        med, lo, hi = results.summary(m)
        if not np.isfinite(med):
            continue
        a, b = ranges[m]
        if m in UNLOADED_BY_LVAD and 2 * np.sum(lvad_supported(results)[results.ok]) >= max(
                np.sum(results.ok), 1):
            a = UNLOADED_BY_LVAD[m]  # an LV unloaded by an LVAD: a low peak is expected
        unit = METRIC_BY_NAME[m].unit
        if not a <= med <= b:
            out.append(ValidityWarning(
                "context", m, f"predicted {word(m)} {_with_unit(med, unit)} is outside the "
                f"range the model was built and checked for ({span(a, b, unit)})"))
        elif lo < a or hi > b:
            out.append(ValidityWarning(
                "context", m, f"part of the 90 % interval of {word(m)} ({span(lo, hi, unit)}) "
                f"is outside the checked range ({span(a, b, unit)})", "caution"))
    out += fit_warnings(twin, results)
    bad = ~results.ok
    if bad.any():
        msgs = [m for m in results.messages if m][:3]
        out.append(ValidityWarning(
            "periodic", "ensemble", f"{int(bad.sum())} of {results.n} members did not reach "
            f"a periodic state and are left out of every summary"
            + (": " + "; ".join(msgs) if msgs else ""),
            "warning" if bad.mean() > 0.05 else "caution"))
    return out


#: The mean atrial pressures → how a reader names them (:func:`negative_atrial`).
ATRIAL_MEANS = {"LAP": "mean left atrial pressure", "CVP": "mean right atrial pressure (CVP)"}

#: Why a mean atrial pressure below 0 mmHg is not a result to read (:func:`negative_atrial`):
#: held below 0 over the whole beat, the model's atrium is below its unstressed volume, where
#: a real one collapses — it has no wall contact, so its pressure goes on falling with volume.
NEGATIVE_ATRIAL_WHY = (
    "the atrium is drawn below its unstressed volume, where a real one collapses (suction: "
    "more is drawn from it than returns), which the model does not represent; it was checked "
    "for mean atrial pressures {lap} (normal PCWP 6–12 mmHg, right atrial 2–6 mmHg): do not "
    "trust these values")

#: The same reason where it was given in full above it (a list of warnings).
NEGATIVE_ATRIAL_AGAIN = "a collapsing atrium the model does not represent (why: above)"


def negative_atrial(metrics: Mapping[str, Any], ok: Any = None,
                    ranges: Mapping[str, tuple[float, float]] | None = None
                    ) -> list[ValidityWarning]:
    """One warning per mean atrial pressure (:data:`ATRIAL_MEANS`) below 0 mmHg in any member
    of ``metrics`` (metric → per-member values; ``ok``: the members counted), with how many,
    the median and the lowest value, and why (:data:`NEGATIVE_ATRIAL_WHY`): a 'warning' when
    the median is below 0, else a 'caution'. ``ranges``: the model's validity ranges
    (default :data:`VALIDITY_RANGES`), quoted as the range checked.

    Examples
    --------
    >>> w = negative_atrial({"LAP": np.array([-9.4, -3.0, 2.0]), "CVP": np.array([3.0] * 3)})
    >>> len(w), w[0].subject, w[0].severity
    (1, 'LAP', 'warning')
    >>> w[0].text[:93]
    'mean left atrial pressure below 0 mmHg in 2 of 3 members (median -3.0 mmHg, lowest -9.4 mmHg)'
    >>> w[0].text[95:149]
    'the atrium is drawn below its unstressed volume, where'
    >>> negative_atrial({"LAP": np.array([-9.4, 8.0])}, ok=np.array([False, True]))
    []
    """
    ranges = VALIDITY_RANGES if ranges is None else ranges
    lo, hi = ranges.get("LAP", VALIDITY_RANGES["LAP"])
    out = []
    for name, what in ATRIAL_MEANS.items():
        if name not in metrics:
            continue
        x = np.asarray(metrics[name], dtype=float)
        if ok is not None and np.shape(ok) == x.shape:
            x = x[np.asarray(ok, dtype=bool)]
        x = x[np.isfinite(x)]
        below = x < 0.0
        if not below.any():
            continue
        med = float(np.median(x))
        out.append(ValidityWarning(
            "atrial", name, f"{what} below 0 mmHg in {int(below.sum())} of {x.size} members "
            f"(median {_with_unit(med, 'mmHg')}, lowest {_with_unit(float(x.min()), 'mmHg')}): "
            + NEGATIVE_ATRIAL_WHY.format(lap=span(lo, hi, "mmHg")),
            "warning" if med < 0 else "caution"))
    return out


def fit_warnings(twin: Twin, results: Results) -> list[ValidityWarning]:
    """Measurements the posterior predictive misses, by the calibration's own rule and with
    its own number (:func:`twinviewer.personalize.quantities.predictive_z`, |z| > 2).

    A measurement the twin's last calibration judged (its fit table, kept in the audit
    trail) is flagged with that row's z — the z the fit table, the status line, ``info``
    and the panels show. Any other is judged on ``results``: a prior twin's, or one the
    last calibration did not take, on the posterior predictive of a new measurement
    (ensemble spread ⊕ model error ⊕ SD); a posterior twin's without a calibration record
    (a library call) as a datum of its fit.

    Every measurement the calibrator knows and the model can predict is checked (PCWP, AVA,
    E/A, TR velocity, LA volume as well as the metrics); others are skipped.
    """
    from twinviewer.io.measurement_use import fit_row, last_calibration

    summary = last_calibration(twin.audit) if twin.ensemble_kind == "posterior" else None
    out = []
    word = words()
    for meas in twin.measurements:
        try:
            q = quantity(meas.name)
        except UnknownQuantity:
            continue
        if supported(q.name, results):
            continue
        try:
            mm = normalise(meas)
        except MeasurementError as exc:
            out.append(ValidityWarning("fit", meas.name, f"{exc}; it cannot be compared with "
                                       "the prediction"))
            continue
        row = fit_row(mm, summary)
        # a record without a row for it: the calibration did not use it (entered later, or
        # a second value of the quantity), so it is not a "poor fit" but a disagreement
        verdict = "poor fit" if summary is None or row is not None else \
            "not used in the calibration and disagrees with the prediction"
        # left out of the fit (it follows from volumes of the same source): a disagreement
        # with its z, never a miss of the fit (review9 #8)
        left_out = bool(row is not None and row.get("left_out"))
        if left_out:
            verdict = ("left out of the fit (" + str(row.get("note", "")).split(
                "; checked against")[0].removeprefix("not used in the fit: ")
                + ") and disagrees with the prediction")
        if row is not None and row.get("z") is not None:
            z, med, lo, hi = (float(row.get(k, np.nan)) for k in ("z", "median", "lo", "hi"))
            sd = (float(row.get("pred_hi", np.nan)) - float(row.get("pred_lo", np.nan))) \
                / (2 * 1.6448536)
            basis = "as judged in the calibration's fit table"
        else:
            # no record (a twin calibrated in a library call): a posterior's measurements
            # are taken as its data; with a record, one it lacks was not part of the fit
            fitted = twin.ensemble_kind == "posterior" and summary is None
            check = fit_check(mm, predict(q.name, results)[results.ok], fitted=fitted)
            z, med, lo, hi, sd = check.z, check.median, check.lo, check.hi, check.sd
            basis = ("the measurement SD with the model error, the twin having been fitted "
                     "to it" if fitted else "the ensemble's spread with the measurement SD "
                     "and the model error")
        if not np.isfinite(z) or abs(z) <= Z_FLAG:
            continue
        out.append(ValidityWarning(
            "disagreement" if left_out else "fit", meas.name,
            f"{verdict}: measured {word(meas.name)} {_fmt(mm.value)} ± "
            f"{_with_unit(mm.uncertainty, q.unit)}, predicted {_with_unit(med, q.unit)} (90 %: "
            f"{span(lo, hi)}), z = {z:+.1f} (σ = {_with_unit(sd, q.unit)}, {basis}; "
            f"flagged above |z| {Z_FLAG:g})"))
    return out


def validity_warnings(twin: Twin, model: ModelSpec, results: Results | None = None,
                      metrics: list[str] | None = None) -> list[ValidityWarning]:
    """Every validity warning for a twin (and its ensemble results, if given)."""
    out = parameter_warnings(twin, model) + posterior_bound_warnings(twin, model)
    if not model.validity_ranges:
        out.append(ValidityWarning(
            "context", "model", f"model {model.name!r} declares no validity ranges: its "
            "predictions cannot be checked against the domain it was built for", "caution"))
    if results is not None:
        out += prediction_warnings(twin, model, results, metrics)
    return out
