"""The living twin, end to end: a visit from FHIR, a measurement file or a wearable CSV enters
the twin with its consent, is checked against the twin's predictions, updates the posterior,
and leaves its trace in the ledger and the audit trail. Qt-free; used by the CLI and the GUI.

Real dates never reach the twin: FHIR times are shifted by a keyed per-patient offset (the
installation's de-identification key, as DICOM dates are) and only the shifted first-visit
date (``timeline['anchor']``, inside the .twin) and day offsets are kept. Exports (FHIR,
timeline JSON) carry day offsets only.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
from dataclasses import dataclass, replace
from pathlib import Path

from twinviewer.core.consent import CONSENTS, ConsentLedger, LedgerItem
from twinviewer.core.measurement import Measurement
from twinviewer.core.twin import Twin
from twinviewer.io.audit import audit_log
from twinviewer.personalize import timeline as tl


@dataclass
class VisitReport:
    """What adding a visit did, for the CLI and the GUI."""

    twin: Twin
    day: int
    source: str
    n_measurements: int
    flags: list[tl.Flag]
    checked: bool
    warnings: list[str]
    notes: list[str]

    def lines(self) -> list[str]:
        """Plain-text summary (flags first)."""
        out = [f"visit day {self.day}: {self.n_measurements} measurements from "
               f"{self.source} assimilated"]
        if self.checked:
            flagged = [f for f in self.flags if f.outside]
            out.append(f"prediction check before the update: {len(flagged)} of "
                       f"{len(self.flags)} measurements outside the twin's 90 % predictive "
                       "interval")
            out += ["  " + f.text() for f in self.flags]
            out.append(tl.NO_FLAG_CAVEAT)
        else:
            out.append("first visit: calibrated from the model priors (nothing to check "
                       "against yet)")
        out += [f"warning: {w}" for w in self.warnings]
        out += [f"note: {n}" for n in self.notes]
        return out


def date_shift_days(pseudonym: str, key: bytes | None = None) -> int:
    """Keyed per-patient date shift (365–4014 days), from the installation's key.

    >>> date_shift_days("TW-1", b"k" * 32) == date_shift_days("TW-1", b"k" * 32)
    True
    """
    if key is None:
        from twinviewer.imaging.deid import installation_key

        key = installation_key()
    mac = hmac.new(key, b"visit-date:" + pseudonym.encode(), hashlib.sha256).digest()
    return 365 + int.from_bytes(mac[:4], "big") % 3650


def _anchor(twin: Twin) -> _dt.date | None:
    a = twin.timeline.get("anchor")
    return _dt.date.fromisoformat(a) if a else None


def add_measurements(twin: Twin, measurements: list[Measurement], *, source: str,
                     consent: str, day: int | None = None, context: list[Measurement] = (),
                     references: list[str] | None = None, days: list[int] | None = None,
                     series: dict | None = None, n: int = 200, seed: int = 0,
                     progress=None, cancel=None, accept_misfit: bool = False) -> VisitReport:
    """Add a visit of ``measurements`` (source and consent recorded for every item).

    The twin is not changed; on any error nothing is returned and nothing recorded.
    """
    if consent not in CONSENTS:
        raise ValueError(f"consent {consent!r} is not one of {', '.join(CONSENTS)}")
    measurements = [tl.tag_source(m, source) for m in measurements]
    context = [tl.tag_source(m, source) for m in context]
    day_ = day if day is not None else (twin.visits[-1].day + 1 if twin.visits else 0)
    refs = references or [""] * (len(measurements) + len(context))
    dd = days or [day_] * len(refs)
    items = [LedgerItem(f"{source}:d{d}:{m.name}:{r or k}", d, m.name, source, consent, r)
             for k, (m, r, d) in enumerate(zip([*measurements, *context], refs, dd,
                                               strict=True))]
    ledger = twin.ledger.add(items)  # refuses unknown consents / repeated items up front
    measurements, combined = tl.combine_repeats(measurements)
    out = tl.add_visit(twin, measurements, day=day_, context=context,
                       items=[i.to_dict() for i in items], series=series, n=n, seed=seed,
                       label=f"visit day {day_}", progress=progress, cancel=cancel,
                       accept_misfit=accept_misfit)
    new = replace(out.twin, ledger=ledger, timeline=dict(twin.timeline))
    new.timeline.setdefault("parameter_names", list(out.result.parameter_names))
    audit_log(new).record(new, "calibration", {
        "event": "visit", "day": day_, "source": source, "consent": consent,
        "measurements": [m.name for m in measurements],
        "prediction_check": [f.text() for f in out.flags] if out.checked else
        "first visit: nothing to check against",
        "flagged": [f.name for f in out.flagged],
        "caveat": tl.NO_FLAG_CAVEAT,
        "text": f"visit day {day_} from {source}: {len(out.flagged)} flag(s)"})
    return VisitReport(new, day_, source, len(measurements), out.flags, out.checked,
                       list(out.result.warnings), combined)


def add_fhir_visit(twin: Twin, bundle: str | Path | dict | bytes, *, consent: str = "treatment",
                   day: int | None = None, key: bytes | None = None, n: int = 200,
                   seed: int = 0, progress=None, cancel=None,
                   accept_misfit: bool = False) -> VisitReport:
    """A visit from a FHIR Bundle (see :mod:`twinviewer.fhir.fhir_in`)."""
    from twinviewer.fhir.fhir_in import read_bundle

    name = Path(bundle).name if isinstance(bundle, str | Path) else "bundle"
    if twin.visits and _anchor(twin) is None and day is None:
        raise tl.TimelineError(f"{name}: this twin's first visit did not come from FHIR, so "
                               "there is no date to count days from; give the visit's day "
                               "offset (--day). The twin is unchanged.")
    imp = read_bundle(bundle, anchor=_anchor(twin), shift_days=date_shift_days(
        twin.pseudonym, key), name=name)
    obs = imp.observations
    ms = [o for o in obs if o.measurement.name not in ("weight", "height")]
    ctx = [o for o in obs if o.measurement.name in ("weight", "height")]
    the_day = imp.day if day is None else day
    if twin.visits and day is None and the_day < twin.visits[-1].day:
        raise tl.TimelineError(f"{name}: its observations are dated day {the_day}, before "
                               f"the last visit (day {twin.visits[-1].day}); the twin is "
                               "unchanged")
    offset = the_day - imp.day  # a --day given by the user moves every item with the visit
    rep = add_measurements(
        twin, [o.measurement for o in ms], source=imp.source, consent=consent,
        day=the_day, context=[o.measurement for o in ctx],
        references=[o.reference for o in [*ms, *ctx]],
        days=[o.day + offset for o in [*ms, *ctx]],
        n=n, seed=seed, progress=progress, cancel=cancel, accept_misfit=accept_misfit)
    if "anchor" not in rep.twin.timeline and not twin.visits:
        rep.twin.timeline["anchor"] = (imp.anchor - _dt.timedelta(days=offset)).isoformat()
    if imp.ignored:
        rep.notes.append("not read (may hold identifiers): " + ", ".join(
            f"{v} {k}" for k, v in sorted(imp.ignored.items())))
    rep.notes += [f"skipped {s}" for s in imp.skipped]
    return rep


def add_wearable_visit(twin: Twin, csv_file: str | Path | bytes, *,
                       consent: str = "patient-provided", day: int | None = None,
                       n: int = 200, seed: int = 0, progress=None, cancel=None,
                       accept_misfit: bool = False) -> VisitReport:
    """A visit from a wearable CSV: summary statistics with uncertainty become measurements
    (weight is kept as context); the series is kept for the timeline."""
    from twinviewer.personalize.wearables import read_wearable

    name = Path(csv_file).name if isinstance(csv_file, str | Path) else "wearable.csv"
    series = read_wearable(csv_file, name)
    summary = series.summary()
    ms = [m for m in summary if m.name != "weight"]
    ctx = [m for m in summary if m.name == "weight"]
    rep = add_measurements(twin, ms, source=series.source, consent=consent, day=day,
                           context=ctx, series=series.to_dict(), n=n, seed=seed,
                           progress=progress, cancel=cancel, accept_misfit=accept_misfit)
    rep.notes.append(f"{series.hours.size} readings over {series.hours[-1]:.1f} h summarised "
                     "as means with their uncertainty")
    return rep


def withdraw_source(twin: Twin, source: str, *, reason: str = "", seed: int = 0,
                    progress=None, cancel=None) -> tuple[Twin, dict]:
    """Withdraw ``source``: its data leave, the twin is re-calibrated from the rest, and the
    withdrawal (names and counts, no values) enters the audit trail."""
    new, record = tl.withdraw(twin, source, reason=reason, seed=seed, progress=progress,
                              cancel=cancel)
    audit_log(new).record(new, "calibration", {
        **record, "text": f"consent withdrawn for {source}: {record['n_items']} item(s) "
                          "removed, re-calibrated from the remaining data"})
    return new, record


def recalibrate_new_model(twin: Twin, *, seed: int = 0, progress=None, cancel=None) -> Twin:
    """Re-calibrate every visit with the installed model (the earlier model's results kept
    beside, never mixed), and record it in the audit trail."""
    new = tl.recalibrate_with_current_model(twin, seed=seed, progress=progress, cancel=cancel)
    audit_log(new).record(new, "calibration", {
        "event": "model change", "text": new.timeline["superseded"][-1]["change"]
        + "; re-calibrated every visit, the earlier results kept beside the new"})
    return new


def fhir_export(twin: Twin, *, results: dict | None = None,
                metrics: tuple[str, ...] | None = None) -> dict:
    """The twin's FHIR Bundle (:func:`twinviewer.fhir.fhir_out.export_bundle`) with its
    scenarios compared member by member with the baseline: from the .twin's results cache
    (``results``, as :class:`~twinviewer.io.twinfile.TwinDocument` holds it) when it covers
    every scenario for this ensemble, else by running them on the posterior ensemble."""
    from twinviewer.fhir.fhir_out import export_bundle
    from twinviewer.personalize.shown import context_of_twin

    ctx = context_of_twin(twin)  # the one shown interval (model error on unmeasured outputs)
    comparisons = {}
    if twin.scenarios and twin.ensemble_kind == "posterior":
        comparisons = _cached_comparisons(twin, results or {}, metrics, ctx)
        if comparisons is None:
            from twinviewer.interventions.compare import DIRECTIONS, compare, run_scenarios
            from twinviewer.twins import model_of, simulate_twin, with_stored_metrics

            base = with_stored_metrics(simulate_twin(twin), (results or {}).get("baseline"))
            runs = run_scenarios(model_of(twin), base, twin.scenarios)
            wanted = metrics or tuple(m for m in DIRECTIONS if m in base.metrics)
            comparisons = {name: [compare(base, r, m, predictive=ctx) for m in wanted]
                           for name, r in runs.items()}
    predicted = None
    if twin.visits and not twin.visits[-1].predicted and twin.ensemble_kind == "posterior":
        # visits calibrated by `twin create` / `calibrate` keep no summary: the last visit's
        # posterior ensemble is the twin's, so its predictions are simulated from it
        from twinviewer.personalize.timeline import predicted_summary
        from twinviewer.twins import simulate_twin, with_stored_metrics

        predicted = predicted_summary(
            with_stored_metrics(simulate_twin(twin), (results or {}).get("baseline")), ctx)
    return export_bundle(twin, predicted=predicted, comparisons=comparisons)


def _cached_comparisons(twin: Twin, results: dict, metrics, ctx=None) -> dict | None:
    """Paired comparisons from cached per-member metrics, or None if the cache does not
    cover this ensemble and every scenario."""
    import numpy as np

    from twinviewer.interventions.compare import (
        BASELINE,
        DIRECTIONS,
        Comparison,
        Interval,
        harmed_metrics,
        improvement,
    )
    from twinviewer.physiology import METRIC_BY_NAME

    n = twin.ensemble.shape[0]
    base = results.get(BASELINE)
    names = [s.name for s in twin.scenarios]
    if base is None or any(k not in results for k in names) or \
            any(np.shape(v) != (n,) for k in [BASELINE, *names] for v in results[k].values()):
        return None
    out = {}
    for name in names:
        sc = results[name]
        mask = np.asarray(base.get("_ok", np.ones(n, bool)), bool) & \
            np.asarray(sc.get("_ok", np.ones(n, bool)), bool)
        harm = (harmed_metrics(sc, n) & ~harmed_metrics(base, n))[mask]
        rows = []
        for m in metrics or tuple(m for m in DIRECTIONS if m in base and m in sc):
            b, s = np.asarray(base[m])[mask], np.asarray(sc[m])[mask]
            ok = np.isfinite(b) & np.isfinite(s)
            d = s[ok] - b[ok]
            meta = METRIC_BY_NAME.get(m)
            shown = ((Interval.of(b[ok]), Interval.of(s[ok]), Interval.of(d)) if ctx is None
                     else tuple(Interval(*t) for t in ctx.paired(m, b[ok], s[ok])))
            rows.append(Comparison(m, meta.unit if meta else "", meta.label if meta else m,
                                   *shown, *improvement(m, d, harm[ok]), int(d.size), n,
                                   kind=ctx.kind(m) if ctx is not None else ""))
        out[name] = rows
    return out


def timeline_dict(twin: Twin) -> dict:
    """JSON-ready timeline: visits (day offsets only), posterior trajectories, flags, ledger,
    and any superseded model's results beside the current ones."""
    from twinviewer.physiology import MODELS

    model = MODELS.get(twin.model_name)
    names = list(model.parameter_names) if model is not None and \
        len(model.parameter_names) == twin.params.shape[0] else []
    return {
        "pseudonym": twin.pseudonym,
        "model": f"{twin.model_name} {twin.model_version} {twin.equation_hash}",
        "model_change": tl.model_change(twin),
        "visits": [tl.summary_of_visit(v, names) for v in twin.visits],
        "caveat": tl.NO_FLAG_CAVEAT,
        "ledger": {"items": [i.to_dict() for i in twin.ledger.items],
                   "withdrawals": [w.to_dict() for w in twin.ledger.withdrawals]},
        "superseded": list(twin.timeline.get("superseded", [])),
    }


def timeline_lines(twin: Twin, parameters: tuple[str, ...] = ("LV.EA", "LV.EB", "SYS.R_AR")
                   ) -> list[str]:
    """Plain-text timeline (the CLI's ``twinviewer timeline``)."""
    if not twin.visits:
        return ["no visits yet: add one with `twinviewer visit add`"]
    out = [f"{len(twin.visits)} visits, days " + ", ".join(str(v.day) for v in twin.visits)]
    change = tl.model_change(twin)
    if change:
        out.append(f"MODEL CHANGED: {change} — re-calibrate with `twinviewer visit "
                   "recalibrate` (both results are then kept side by side)")
    for p in parameters:
        try:
            tr = tl.trajectory(twin, p)
        except KeyError:
            continue
        out.append(f"{p:<10} " + "  ".join(f"d{d}: {m:.3g} ({lo:.3g}–{hi:.3g})"
                                            for d, m, lo, hi in tr))
    for v in twin.visits:
        flagged = [f for f in v.flags if f.get("outside")]
        out.append(f"day {v.day}: {tl.visit_data_text(v)}")
        for f in flagged:
            out.append(f"  FLAG {f['name']}: measured {f['measured']:.3g} {f['unit']}, "
                       f"predicted {f['median']:.3g} ({f['lo']:.3g}–{f['hi']:.3g}), "
                       f"z = {f['z']:+.1f}")
    out.append(tl.NO_FLAG_CAVEAT)
    for s in twin.timeline.get("superseded", []):
        out.append(f"superseded model {s['model']} ({s['change']}): "
                   f"{len(s['visits'])} visits kept for comparison")
    for src in twin.ledger.sources():
        its = [i for i in twin.ledger.active() if i.source == src]
        days = sorted({i.day for i in its})
        out.append(f"source {src}: {len(its)} item(s), day(s) "
                   f"{', '.join(str(d) for d in days)}, consent {its[0].consent}")
    for w in twin.ledger.withdrawals:
        out.append(f"withdrawn: {w.source} ({w.n_items} items: {', '.join(w.names)})")
    return out


__all__ = ["ConsentLedger", "VisitReport", "add_fhir_visit", "add_measurements",
           "add_wearable_visit",
           "date_shift_days", "timeline_dict", "timeline_lines", "withdraw_source"]
