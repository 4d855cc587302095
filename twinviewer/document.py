"""The document: everything the user has open and has made, in one evented object (no Qt).

One :class:`Document` owns the open twin (with its measurements, scenario definitions and
audit trail), the baseline and scenario results, the calibration result, the file it came
from (path, passphrase, privacy choice), the current time point and selections, and whether
anything changed since the last save. Views subscribe to its events; ``gui/state.py`` turns
them into Qt signals, and panels keep no state of their own (in the spirit of napari's
evented models and 3D Slicer's parameter node).

Events (payload in brackets): ``twin`` (Twin or None), ``results`` (baseline Results or
None), ``scenarios`` (list of Scenario), ``scenario_results`` (dict name → Results),
``calibration`` (dict or None), ``file`` (FileContext), ``time`` (fraction of the beat),
``selection`` ((key, value)), ``audit`` (the new AuditEntry), ``dirty`` (bool), ``message``
((level, text)), ``studies`` ((``'cohort'``, outcome dict) or (``'sensitivity'``, study
dict)), ``draft`` (the measurement rows typed and not applied, or None). Events fire only
on a change; inside :meth:`Document.batch` they are held and
each fires once, with its latest payload, when the outermost batch ends.

Everything the user made reaches the ``.twin`` file: scenario definitions live in
``twin.scenarios``, scenario and baseline metrics in the file's results cache, notes and the
calibration summary in the hash-chained audit trail (``calibration`` entries carry
:meth:`CalibrationResult.to_dict`), measurements in ``twin.measurements``, and measurement
rows typed in the Measurements step but not applied in :attr:`Document.measurement_draft`
(unsaved work until saved, kept in the file as typed; review13 #3).

>>> from twinviewer.twins import twin_from_preset
>>> doc = Document()
>>> doc.open_twin(twin_from_preset("healthy", n=4))
>>> doc.dirty
False
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import twinviewer
from twinviewer.core.atomic import atomic_write_bytes
from twinviewer.core.measurement import Measurement
from twinviewer.core.twin import Scenario, Twin
from twinviewer.io import (
    AuditEntry,
    ParameterInfo,
    TwinDocument,
    TwinFileError,
    audit_log,
    load_twin,
    parameter_table,
    twin_bytes,
)
from twinviewer.io.disk_stamp import DiskStamp
from twinviewer.io.measurement_audit import record_twin_measurements
from twinviewer.io.measurement_use import MeasurementUse, is_assumed, measurement_use
from twinviewer.io.result_series import LOOP_ROLES as LOOP_ROLES  # re-exported
from twinviewer.io.result_series import loop_series as loop_series  # re-exported
from twinviewer.io.result_series import scenario_series
from twinviewer.io.twinfile import SUFFIX
from twinviewer.physiology import Results
from twinviewer.physiology import integrator as ig

EVENTS = ("twin", "results", "scenarios", "scenario_results", "calibration", "file", "time",
          "selection", "audit", "dirty", "message", "studies", "goal", "draft")
BASELINE = "baseline"


@dataclass
class FileContext:
    """Where the open twin lives on disk and how it is to be written back.

    Attributes
    ----------
    path : Path or None
        The .twin file, None for a twin never saved.
    passphrase : str or None
        Kept so an encrypted twin is never re-saved in plaintext (never shown or logged).
    identifiable : bool
        The user chose to keep patient identifiers in this file (local study only).
    parameters : list of ParameterInfo or None
        The parameter table read from the file (None: derive it from the model).
    stored_results : dict
        Results cache read from the file: ``'baseline'`` or a scenario name → metric name →
        (N,) array. Dropped when the twin's parameters change.
    app_version, schema_version : str, int
        Of the file as read ('' and 0 for an unsaved twin).
    stored_series : dict
        The waveforms kept with the stored results (``TwinDocument.series``).
    disk : DiskStamp or None
        What the file was on disk when opened or last saved here (size, modification time):
        a Save asks before overwriting a file another writer changed since (review14 #1).
        None: not known (never saved, or the file was not there).
    saved_here : bool
        The file was last written by this document (a Save), not only opened.
    """

    path: Path | None = None
    passphrase: str | None = field(default=None, repr=False)
    identifiable: bool = False
    parameters: list[ParameterInfo] | None = None
    stored_results: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    app_version: str = ""
    schema_version: int = 0
    stored_series: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    disk: DiskStamp | None = None
    saved_here: bool = False

    @property
    def name(self) -> str:
        """File name for titles and messages ('' when unsaved)."""
        return self.path.name if self.path is not None else ""


@dataclass(eq=False)
class StoredResults(Results):
    """Results read back from a ``.twin`` file: each member's metrics and, when the file
    kept them (this version on), the waveforms the loops and curves draw (float32).

    ``equation_hash`` names the model equations they were computed with (the twin's lock);
    ``interventions`` the intervention code and constants a scenario's were computed with
    (:func:`~twinviewer.interventions.constants_digest.scenario_digest`; '' if the file
    holds none).
    """

    equation_hash: str = ""
    interventions: str = ""

    @property
    def stored(self) -> bool:
        """Always True: these were read from a file, not computed in this session."""
        return True


def dropped_results_text(names: list[str], recomputing: bool = False) -> str:
    """What is said when new parameters (a calibration, an edit) remove scenario results.

    The scenarios themselves are kept; only their results, computed on the old parameters,
    go. ``recomputing``: the app recomputes them on the new twin in the background (after a
    calibration).

    Examples
    --------
    >>> dropped_results_text(["Beta-blocker 10 mg"])
    "The twin's parameters changed, so the result of 1 what-if scenario (Beta-blocker 10 mg) \
was removed; the scenario is kept: press Run in What-if to recompute it."
    >>> dropped_results_text(["A", "B"], recomputing=True)
    "The twin's parameters changed, so the results of 2 what-if scenarios (A, B) were removed; \
they are being recomputed on the new twin in the background."
    """
    n = len(names)
    one = n == 1
    then = ((f"{'it is' if one else 'they are'} being recomputed on the new twin in the "
             "background.") if recomputing else
            (f"the scenario{' is' if one else 's are'} kept: press Run in What-if to recompute "
             f"{'it' if one else 'them'}."))
    return (f"The twin's parameters changed, so the result{'' if one else 's'} of {n} what-if "
            f"scenario{'' if one else 's'} ({', '.join(names)}) "
            f"{'was' if one else 'were'} removed; {then}")


def stored_results(twin: Twin, name: str, metrics: Mapping[str, np.ndarray],
                   model: Any, series: Mapping[str, np.ndarray] | None = None,
                   baseline: Mapping[str, np.ndarray] | None = None) -> StoredResults | None:
    """The stored metrics (and waveforms, ``series`` with a ``'time'`` array) of the
    baseline or a scenario as :class:`StoredResults`.

    ``params`` are the twin's ensemble with the scenario applied (what a re-run would
    simulate); None when the metrics do not match the ensemble or the scenario cannot be
    applied by the installed interventions. ``baseline``: the stored baseline metrics, whose
    LVEF a β-blocker's parameters depend on (simulated once if not given, or not stored).

    Examples
    --------
    >>> from twinviewer.twins import twin_from_preset, model_of
    >>> t = twin_from_preset("healthy", n=3)
    >>> r = stored_results(t, "baseline", {"LVEF": np.array([55., 60., np.nan]),
    ...                    "_ok": np.array([True, True, False])}, model_of(t))
    >>> r.ok.tolist(), r.summary("LVEF")[0]
    ([True, True, False], 57.5)
    """
    from twinviewer.interventions.constants_digest import KEY, stored_digest

    n = twin.ensemble.shape[0]
    values = {k: np.asarray(v, dtype=np.float64) for k, v in metrics.items()
              if k not in ("_ok", KEY)}
    if not values or any(v.shape != (n,) for v in values.values()):
        return None
    ok = np.asarray(metrics.get("_ok", np.isfinite(np.column_stack(list(values.values())))
                                .all(axis=1)), dtype=bool)
    if ok.shape != (n,):
        return None
    params = np.array(twin.ensemble, dtype=float)
    if name != BASELINE:
        sc = next((s for s in twin.scenarios if s.name == name), None)
        if sc is None:
            return None
        from twinviewer.interventions import InterventionError, apply_scenario

        try:
            # tolerate as the run did: members the scenario took beyond the plausible range
            # were excluded (fix13h), not a reason to drop the whole stored result
            # (review14 #4: `whatif`'s dobutamine results did not reopen in the GUI)
            params = apply_scenario(model, params, sc, baseline_lvef=_stored_lvef(baseline, n),
                                    tolerate=True)
        except (InterventionError, KeyError, ValueError):
            return None
    status = np.where(ok, ig.PERIODIC, ig.NOT_PERIODIC).astype(np.int64)
    if name != BASELINE:  # the excluded members say why, as in the run (scenario_flags)
        status[np.array([bool(m) for m in model.check_parameters(params)]) & ~ok] = ig.INVALID
    empty = np.zeros((n, 0))
    waves = {k: np.asarray(v, dtype=np.float64) for k, v in (series or {}).items()}
    time = waves.pop("time", empty)
    if time.shape[0] != n or any(v.shape != time.shape for v in waves.values()):
        time, waves = empty, {}
    return StoredResults(model, params, time, waves, values, empty, status,
                         np.zeros(n, dtype=np.int64), [None] * n,
                         equation_hash=twin.equation_hash,
                         interventions=stored_digest(metrics))


def _remember(results: Results | None) -> None:
    """Keep the open twin's baseline LVEF where a β-blocker's transform finds it
    (:func:`~twinviewer.interventions.scenario.remember_baseline`): checking a scenario then
    never simulates the baseline again."""
    if results is not None:
        from twinviewer.interventions.scenario import remember_baseline

        remember_baseline(results)


def _stored_lvef(metrics: Mapping[str, np.ndarray] | None, n: int) -> np.ndarray | None:
    """The stored baseline LVEF (%) of ``n`` members, NaN where not periodic; None when not
    stored for ``n`` members."""
    if not isinstance(metrics, Mapping) or "LVEF" not in metrics:
        return None
    lvef = np.asarray(metrics["LVEF"], dtype=np.float64)
    ok = np.asarray(metrics.get("_ok", np.isfinite(lvef)), dtype=bool)
    if lvef.shape != (n,) or ok.shape != (n,):
        return None
    return np.where(ok, lvef, np.nan)


def _described(scenario: Scenario) -> str:
    """A scenario's steps in words for the audit trail (its definition is kept beside)."""
    from twinviewer.interventions.scenario import shown_name, step_text

    steps = " + ".join(step_text(s) for s in scenario.steps) or "no step"
    mode = shown_name(dataclasses.replace(scenario, name=""))
    return f"{steps}; {mode.strip(' []')}" if mode.strip() else steps


def _hashes(twin: Twin) -> list[str]:
    return [e.hash for e in audit_log(twin).entries]


def same_document(old: Twin | None, new: Twin | None) -> bool:
    """Whether ``new`` is ``old`` edited: same pseudonym and an audit trail that extends it.

    A twin derived by a calibration or "apply to twin" (``dataclasses.replace``) carries its
    parent's trail (the same list, or a copy with entries appended).

    Examples
    --------
    >>> from twinviewer.twins import twin_from_preset
    >>> t = twin_from_preset("healthy", n=2)
    >>> same_document(t, dataclasses.replace(t, audit=t.audit))
    True
    """
    if old is None or new is None:
        return old is new
    if new is old:
        return True
    if new.pseudonym != old.pseudonym:
        return False
    if new.audit is old.audit:
        return True
    before, after = _hashes(old), _hashes(new)
    return bool(before) and after[:len(before)] == before


def _same_parameters(old: Twin, new: Twin) -> bool:
    def same(a, b) -> bool:
        return np.shape(a) == np.shape(b) and np.array_equal(a, b, equal_nan=True)

    return (old.ensemble_kind == new.ensemble_kind and same(old.params, new.params)
            and same(old.ensemble, new.ensemble))


def latest_calibration(twin: Twin | None) -> dict | None:
    """The summary of the twin's latest calibration, read from its audit trail (or None).

    A full summary (:meth:`CalibrationResult.to_dict`, kept by
    :func:`twinviewer.personalize.calibration_record`) comes back as written. An entry
    written without it (the command line and the bundled example before this version)
    gives what it holds, with ``partial: True``: method, members, calibrated parameters,
    measurements and each volume curve's RMS z, χ²/K and missed phases; no fit table.

    Examples
    --------
    >>> from twinviewer.twins import twin_from_preset
    >>> t = twin_from_preset("healthy", n=2)
    >>> _ = audit_log(t).record(t, "calibration", {"method": "EKI", "members": 2})
    >>> latest_calibration(t)["partial"], latest_calibration(t)["n_members"]
    (True, 2)
    """
    if twin is None:
        return None
    for e in reversed(audit_log(twin).entries):
        if e.action != "calibration":
            continue
        if "summary" in e.details:
            return dict(e.details["summary"])
        d = e.details
        return {"partial": True, "method": str(d.get("method", "")),
                "n_members": d.get("members"), "command": str(d.get("command", "")),
                "calibrated": list(d.get("calibrated", [])),
                "measurements": list(d.get("measurements", [])),
                "volume_curves": [dict(c) for c in d.get("volume_curves", [])],
                "recorded": e.time, "app_version": e.app_version}
    return None


@dataclass(frozen=True)
class MeasurementRow:
    """One measurement as the Measurements step lists it: each once, with where it is from.

    Attributes
    ----------
    measurement : Measurement
    provenance : str
        ``'image'`` (of the twin's anatomy, read-only) or ``'entered'`` (the twin's own
        measurements), then what the last calibration did with it in the words of
        ``twinviewer info`` and the report
        (:func:`twinviewer.io.measurement_use.measurement_use`): ``'image; used'``,
        ``'entered; replaced by LVEF 58 % (echo biplane)'``, ``'entered; no calibration'``.
    editable : bool
        Entered rows can be edited; image-derived ones come from the images.
    use : MeasurementUse or None
        That calibration record's verdict on the row (None only for a twin-less call).
    """

    measurement: Measurement
    provenance: str
    editable: bool
    use: MeasurementUse | None = None


def _measurement_key(m: Measurement) -> tuple:
    from twinviewer.personalize import UnknownQuantity, canonical_name

    try:
        name = canonical_name(m.name)
    except UnknownQuantity:
        name = m.name
    return name, round(float(m.value), 9), m.unit, round(float(m.uncertainty), 9), m.source


def repeated_quantities(measurements: list[Measurement]) -> dict[str, list[Measurement]]:
    """The quantities given more than once (canonical name → its measurements, in order):
    the Measurements step asks whether a later value replaces the earlier or both are kept.

    Examples
    --------
    >>> ms = [Measurement("HR", 72, "bpm", 2, "ECG"), Measurement("HR", 66, "bpm", 2, "")]
    >>> {k: [m.value for m in v] for k, v in repeated_quantities(ms).items()}
    {'HR': [72, 66]}
    """
    by: dict[str, list[Measurement]] = defaultdict(list)
    for m in measurements:
        by[_measurement_key(m)[0]].append(m)
    return {k: v for k, v in by.items() if len(v) > 1}


def keep_latest(measurements: list[Measurement]) -> list[Measurement]:
    """``measurements`` with each quantity once: its last value (in the order given)."""
    last = {_measurement_key(m)[0]: i for i, m in enumerate(measurements)}
    return [m for i, m in enumerate(measurements) if last[_measurement_key(m)[0]] == i]


def image_copies(twin: Twin | None) -> list[Measurement]:
    """The twin's measurements that are copies of its anatomy's (made by a calibration):
    same quantity, value, unit, uncertainty and source."""
    if twin is None or twin.anatomy is None:
        return []
    image = {_measurement_key(m) for m in twin.anatomy.measurements}
    return [m for m in twin.measurements if _measurement_key(m) in image]


def measurement_rows(twin: Twin | None) -> list[MeasurementRow]:
    """The twin's measurements, each once: image-derived ones (read-only), then entered
    ones; a calibration's copy of an image-derived measurement is not listed again.

    Examples
    --------
    >>> from twinviewer.twins import twin_from_preset
    >>> t = twin_from_preset("healthy", n=2)
    >>> t = dataclasses.replace(t, measurements=[Measurement("SBP", 120, "mmHg", 5, "cuff")])
    >>> [(r.measurement.name, r.provenance) for r in measurement_rows(t)]
    [('SBP', 'entered; no calibration')]
    """
    if twin is None:
        return []
    # one source of truth with `twinviewer info` and the report (review 8, finding 3)
    uses = {_use_key(u.measurement): u for u in measurement_use(twin, audit_log(twin).entries)}
    copies = {_measurement_key(m) for m in image_copies(twin)}

    def row(kind: str, m: Measurement, editable: bool) -> MeasurementRow:
        u = uses.get(_use_key(m))
        return MeasurementRow(m, f"{kind}; {u.text()}" if u is not None else kind, editable, u)

    rows = [row("image", m, False)
            for m in (twin.anatomy.measurements if twin.anatomy is not None else [])]
    rows += [row("assumed (not measured)" if is_assumed(m) else "entered", m, True)
             for m in twin.measurements if _measurement_key(m) not in copies]
    return rows


def _use_key(m: Measurement) -> tuple:
    """The identity :func:`~twinviewer.io.measurement_use.measurement_use` lists a
    measurement once by."""
    return m.name, float(m.value), m.unit, m.source


def recomputed_curve_fit(twin: Twin | None, results: Results | None) -> list[dict]:
    """The fit of the twin's ensemble ``results`` to its anatomy's volume curves, as the
    calibration summarises it (``CurveFitSummary.to_dict`` plus ``recomputed: True``).

    For a saved calibration whose entry kept only the curve's RMS z and χ²/K: the same
    summary (:func:`twinviewer.personalize.volume_curve.summarise`, seed 0) of the saved
    posterior ensemble's simulation. Empty without timed curves or results.
    """
    if twin is None or results is None or twin.anatomy is None or not results.series:
        return []
    from twinviewer.personalize.cli import json_safe
    from twinviewer.personalize.volume_curve import curves_of, observation, summarise

    out = []
    for data in curves_of(twin.anatomy):
        ob = observation(data)
        try:
            volumes = ob.model_volumes(results)
        except KeyError:  # the model has no such chamber
            continue
        out.append({**json_safe(summarise(ob, volumes).to_dict()), "recomputed": True})
    return out


def sensitivity_studies(twin: Twin | None) -> list[dict]:
    """The twin's Sobol studies kept in its audit trail (``sensitivity`` entries), oldest
    first; each a dict as recorded by :meth:`Document.add_sensitivity`."""
    if twin is None:
        return []
    return [dict(e.details) for e in audit_log(twin).entries if e.action == "sensitivity"]


def sensitivity_record(result: Any, metric: str) -> dict:
    """What a Sobol study of one metric leaves in the twin: method, samples, runs, every
    index with its 95 % CI half-width, ranges, the convergence verdict and the share of
    indices within the threshold.

    Examples
    --------
    >>> from twinviewer.explain.sobol import saltelli
    >>> import numpy as np
    >>> res = saltelli(lambda X: {"y": X[:, 0] + 0.1 * X[:, 1]}, ["a", "b"],
    ...                [(0, 1), (0, 1)], ["y"], 64)
    >>> sorted(sensitivity_record(res, "y")["indices"])
    ['a', 'b']
    """
    s = result[metric]
    threshold = float(result.extra.get("ci_threshold", 0.05))
    conf = np.r_[s.S1_conf, s.ST_conf]
    share = float(np.mean(np.nan_to_num(conf, nan=np.inf) <= threshold))
    rec = s.to_dict()
    for v in rec["indices"].values():  # NaN (every run failed) is not JSON: kept as None
        v.update({k: (x if np.isfinite(x) else None) for k, x in v.items()})
    rec.update({
        "metric": metric, "elapsed_s": round(float(result.elapsed), 3),
        "ci_threshold": threshold, "converged_share": share,
        "ranges": {n: [float(lo), float(hi)]
                   for n, (lo, hi) in zip(result.names, result.bounds, strict=True)},
        "ranges_from": str(result.extra.get("ranges_from", "")),
        "distributed": bool(result.extra.get("workers")),
        "workers": int(result.extra.get("workers") or 0)})
    return rec


def calibrated_twin(twin: Twin, result: Any, *, accept_misfit: bool = False) -> Twin:
    """``twin`` updated by calibration ``result`` (posterior ensemble; the visit it was made
    for: a new one, or the last one re-done and replaced, see
    :func:`twinviewer.personalize.revisit.plan_visit`), with the calibration recorded in its
    audit trail; ``twin`` is not changed. Qt-free: a worker thread can make it (see
    :meth:`Document.apply_calibration`).

    Examples
    --------
    >>> new = calibrated_twin(doc.twin, result)  # doctest: +SKIP
    >>> doc.apply_calibration(result, calibrated=new)  # doctest: +SKIP
    """
    from twinviewer.personalize import calibration_record
    from twinviewer.personalize.predictive_width import unmeasured_widths, widths_dict
    from twinviewer.personalize.revisit import visited_twin

    new = visited_twin(twin, result, accept_misfit=accept_misfit)
    audit_log(new).record(new, "calibration", calibration_record(
        result, prior=result.prior_choice.describe(), misfits=result.misfits,
        misfit_accepted=accept_misfit, day=new.visits[-1].day,
        replaces_visit=bool(getattr(result, "replaces_visit", False)),
        unmeasured_informed=widths_dict(unmeasured_widths(result))))
    return new


@dataclass(eq=False)
class SaveRequest:
    """One save of the document (:meth:`Document.save_request`): what to write and where.

    Attributes
    ----------
    target : Path
        The .twin file.
    twin : Twin
        What is written (a shallow copy with its audit trail as it was).
    options : dict
        :func:`~twinviewer.io.twinfile.twin_bytes`'s keyword arguments (the passphrase and
        the time of writing included).
    passphrase : str or None
        A new passphrase the file context takes once written (None: the file's own).
    source : Twin
        The document's twin when the request was taken.
    revision : int
        The document's :attr:`Document.revision` then.
    recorded : tuple of AuditEntry
        Entries the save itself adds to the file's trail (that it overwrote another
        writer's change): the document's trail takes them only once the file is written
        (:meth:`Document.saved`), so a save that does not happen records nothing.
    """

    target: Path
    twin: Twin
    options: dict[str, Any] = field(repr=False)
    passphrase: str | None = field(default=None, repr=False)
    source: Twin | None = field(default=None, repr=False)
    revision: int = 0
    recorded: tuple = ()


class Document:
    """The application's single source of truth (Qt-free, observable).

    Examples
    --------
    >>> from twinviewer.twins import twin_from_preset
    >>> doc = Document()
    >>> seen = []
    >>> _ = doc.subscribe("dirty", seen.append)
    >>> doc.open_twin(twin_from_preset("healthy", n=4))
    >>> _ = doc.add_note("looks plausible")
    >>> seen
    [True]
    """

    def __init__(self) -> None:
        self.twin: Twin | None = None
        self.results: Results | None = None
        self.scenario_results: dict[str, Results] = {}
        #: the scenarios whose results the last :meth:`set_twin` removed (new parameters)
        self.removed_results: list[str] = []
        self.calibration: dict | None = None
        #: The last cohort run (outcome of ``twinviewer.cohort.jobs.run_cohort_job``): not
        #: part of any twin; its table and plots are the files it names.
        self.cohort: dict | None = None
        self.file = FileContext()
        self.time: float = 0.0
        self.selection: dict[str, Any] = {}
        self.dirty = False
        #: Measurement rows typed and not applied to the twin (name, value, unit, SD, source
        #: as typed; the Measurements table projects them), or None: there are none.
        self.measurement_draft: list[tuple[str, ...]] | None = None
        #: Counts the user's changes (each one that makes the document unsaved): a save
        #: taken at one revision marks the document saved only if it is still that one.
        self.revision = 0
        #: The draft at the last saved (clean) state, and whether only the draft changed
        #: since: typing the rows back to it makes the document saved again.
        self._clean_draft: list[tuple[str, ...]] | None = None
        self._only_draft_changed = True
        self._subscribers: dict[str, list[Callable[[Any], None]]] = defaultdict(list)
        self._batch_depth = 0
        self._pending: dict[str, Any] = {}

    # -- events ----------------------------------------------------------------------------
    def subscribe(self, event: str, callback: Callable[[Any], None]) -> Callable[[], None]:
        """Call ``callback(payload)`` on ``event``; returns a function that unsubscribes."""
        if event not in EVENTS:
            raise ValueError(f"unknown event {event!r}; events are {', '.join(EVENTS)}")
        self._subscribers[event].append(callback)
        return lambda: self._subscribers[event].remove(callback)

    def emit(self, event: str, payload: Any) -> None:
        """Deliver ``event`` now, or at the end of the current :meth:`batch`."""
        if self._batch_depth and event != "message":
            self._pending.pop(event, None)  # re-insert: delivered in order of last change
            self._pending[event] = payload
            return
        for cb in list(self._subscribers[event]):
            cb(payload)

    @contextmanager
    def batch(self) -> Iterator[Document]:
        """Hold events until the outermost ``with doc.batch():`` ends; each fires once.

        Examples
        --------
        >>> doc, seen = Document(), []
        >>> _ = doc.subscribe("time", seen.append)
        >>> with doc.batch():
        ...     doc.set_time(0.1); doc.set_time(0.2)
        >>> seen
        [0.2]
        """
        self._batch_depth += 1
        try:
            yield self
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0:
                pending, self._pending = self._pending, {}
                for event, payload in pending.items():
                    self.emit(event, payload)

    def message(self, level: str, text: str) -> None:
        """Report something to the user (``level``: info, warning, error)."""
        self.emit("message", (level, text))

    def _set_dirty(self, dirty: bool, *, by_draft: bool = False) -> None:
        if dirty:
            self.revision += 1
            self._only_draft_changed = self._only_draft_changed and by_draft
        else:
            self._clean_draft, self._only_draft_changed = self.measurement_draft, True
        if dirty != self.dirty:
            self.dirty = dirty
            self.emit("dirty", dirty)

    # -- the twin --------------------------------------------------------------------------
    def open_twin(self, twin: Twin | None, *, results: Results | None = None,
                  file: FileContext | None = None, dirty: bool = False) -> None:
        """Make ``twin`` the open document (a new one: file context, selections reset).

        Parameters
        ----------
        twin : Twin or None
        results : Results, optional
            Its baseline results, if already computed (else None until simulated).
        file : FileContext, optional
            Where it was read from; default: never saved.
        dirty : bool, default False
            Whether it already holds unsaved work (a recovered autosave does).
        """
        with self.batch():
            self.twin = twin
            self.file = file if file is not None else FileContext()
            self.results = results
            _remember(results)
            self.scenario_results = {}
            self.calibration = latest_calibration(twin)
            self.selection = {}
            self._set_draft(None)
            self.emit("twin", twin)
            self.emit("file", self.file)
            self.emit("results", results)
            self.emit("scenarios", self.scenarios)
            self.emit("scenario_results", {})
            self.emit("calibration", self.calibration)
            self._set_dirty(dirty)

    def set_twin(self, twin: Twin | None, *, recompute: bool = False) -> None:
        """Replace the open twin: an edit of it (same trail) keeps the file, else opens it.

        An edited twin (e.g. calibrated) keeps the file context and is marked unsaved;
        results are cleared until recomputed, stored results only if parameters changed.
        The scenarios whose results went are :attr:`removed_results`; ``recompute``: the
        caller recomputes them on the new twin (said so, instead of "press Run").
        """
        if twin is self.twin:
            return
        old = self.twin
        self.removed_results = []
        if twin is None or old is None or not same_document(old, twin):
            self.open_twin(twin)
            return
        with self.batch():
            self.twin = twin
            if not _same_parameters(old, twin):
                dropped = [s.name for s in twin.scenarios
                           if s.name in self.scenario_results or s.name in self.file.stored_results]
                self.removed_results = dropped
                self.file.stored_results = {}
                self.file.stored_series = {}
                self.results = None
                self.scenario_results = {}
                self.emit("results", None)
                self.emit("scenario_results", {})
                if dropped:  # the CLI recomputes or removes them "and says so": so do we
                    self.message("info", dropped_results_text(dropped, recompute))
            if [s.name for s in old.scenarios] != [s.name for s in twin.scenarios]:
                self.emit("scenarios", self.scenarios)
            cal = latest_calibration(twin)
            if cal != self.calibration:
                self.calibration = cal
                self.emit("calibration", cal)
            self.emit("twin", twin)
            self._set_dirty(True)

    def set_computed_anatomy(self, anatomy: Any) -> None:
        """Swap a computed anatomy (e.g. a virtual heart's, deformed to its model) into the
        open twin: the same document, results kept, not marked unsaved (nothing the user
        made changes)."""
        twin = dataclasses.replace(self._require_twin(), anatomy=anatomy)
        with self.batch():
            self.twin = twin
            self.emit("twin", twin)

    def set_results(self, results: Results | None) -> None:
        """The baseline results of the open twin (computed, never user-made: not dirty)."""
        if results is self.results:
            return
        self.results = results
        _remember(results)
        self.emit("results", results)

    # -- what the user makes ---------------------------------------------------------------
    def _require_twin(self) -> Twin:
        if self.twin is None:
            raise ValueError("there is no twin open")
        return self.twin

    def _edit(self, **changes: Any) -> Twin:
        """A copy of the twin with ``changes`` (sharing the audit trail) made current."""
        twin = dataclasses.replace(self._require_twin(), **changes)
        with self.batch():
            self.twin = twin
            self.emit("twin", twin)
            self._set_dirty(True)
        return twin

    @property
    def scenarios(self) -> list[Scenario]:
        """The scenario definitions of the open twin (saved with it)."""
        return list(self.twin.scenarios) if self.twin is not None else []

    def add_scenario(self, scenario: Scenario) -> None:
        """Add (or replace, by name) a scenario definition; its old results are dropped.

        Raises
        ------
        ValueError
            No twin open, or the name is empty or 'baseline'.
        """
        name = scenario.name.strip()
        if not name or name == BASELINE:
            raise ValueError(f"a scenario needs a name other than {BASELINE!r}")
        kept = [s for s in self.scenarios if s.name != name]
        with self.batch():
            self._edit(scenarios=[*kept, scenario])
            self.record("scenario", {"defined": {**scenario.to_dict(),
                                                 "described": _described(scenario)}})
            self.emit("scenarios", self.scenarios)
            self.file.stored_results.pop(name, None)  # results of the old definition
            self.file.stored_series.pop(name, None)
            if name in self.scenario_results:
                self.scenario_results = {k: v for k, v in self.scenario_results.items()
                                         if k != name}
                self.emit("scenario_results", dict(self.scenario_results))

    def remove_scenario(self, name: str) -> None:
        """Delete a scenario definition and its results."""
        if name not in {s.name for s in self.scenarios}:
            return
        with self.batch():
            self._edit(scenarios=[s for s in self.scenarios if s.name != name])
            self.record("scenario", {"removed": name})
            self.emit("scenarios", self.scenarios)
            self.scenario_results = {k: v for k, v in self.scenario_results.items()
                                     if k != name}
            self.file.stored_results.pop(name, None)
            self.file.stored_series.pop(name, None)
            self.emit("scenario_results", dict(self.scenario_results))

    @property
    def goal(self) -> str:
        """The goal the user ranked the scenarios by (``'min LVEDP; CO >= 4'``), or ``""``."""
        return self.twin.goal if self.twin is not None else ""

    def set_goal(self, text: str) -> str:
        """Keep the goal (and its constraints) the user ranked the scenarios by: saved in the
        .twin, back on reopen, audited, printed with its ranking in the report. ``""`` clears
        it. Returns the goal in its normal form; the same goal again records nothing.

        Raises
        ------
        InterventionError
            The goal does not parse (the message says how to write one).

        Examples
        --------
        >>> from twinviewer.twins import twin_from_preset
        >>> doc = Document()
        >>> doc.open_twin(twin_from_preset("healthy", n=2))
        >>> doc.set_goal("max CO; MAP>=65")
        'max CO; MAP >= 65'
        """
        from twinviewer.interventions.ranking import Goal

        twin = self._require_twin()
        goal = str(Goal.parse(text)) if text.strip() else ""
        if goal == self.goal:
            return goal
        with self.batch():
            # in place, not a new twin (``_edit``): jobs in flight (a calibration, a what-if)
            # check that the twin they ran for is still the open one, and a goal changes
            # nothing they computed (final12 #1)
            twin.goal = goal
            self.record("scenario", {"goal": goal} if goal else {"goal removed": True})
            self.emit("goal", goal)
            self._set_dirty(True)
        return goal

    def set_scenario_results(self, results: Mapping[str, Results]) -> None:
        """Results of the scenarios (name → Results), e.g. after a run (saved with the twin).

        A result of a defined scenario that is new (not the one already held, nor one read
        from the file) makes the document unsaved: the file does not hold it yet
        (review13b #3). Slider previews ("live: …", no scenario of the twin) are not saved
        and change nothing.

        Examples
        --------
        >>> from twinviewer.twins import twin_from_preset
        >>> from twinviewer.core.twin import InterventionStep, Scenario
        >>> doc = Document()
        >>> doc.open_twin(twin_from_preset("healthy", n=2))
        >>> doc.add_scenario(Scenario("Pace90", (InterventionStep("pacing", {"rate": 90.0}),)))
        >>> doc._set_dirty(False)  # as if just saved
        >>> ran = object()  # stands for the Results of a run
        >>> doc.set_scenario_results({"live: x": ran})
        >>> doc.dirty
        False
        >>> doc.set_scenario_results({"Pace90": ran})
        >>> doc.dirty
        True
        """
        new = dict(results)
        defined = {s.name for s in self.scenarios}
        changed = any(name in defined and r is not self.scenario_results.get(name)
                      and not getattr(r, "stored", False) for name, r in new.items())
        with self.batch():
            self.scenario_results = new
            self.emit("scenario_results", dict(new))
            if changed:
                self._set_dirty(True)

    def add_measurement(self, measurement: Measurement) -> None:
        """Add a measurement of the patient (replacing an earlier one of the same name);
        audited as entered or changed (:meth:`set_measurements`)."""
        twin = self._require_twin()
        kept = [m for m in twin.measurements if m.name != measurement.name]
        self.set_measurements([*kept, measurement])

    def remove_measurement(self, name: str) -> None:
        """Remove the patient's measurements called ``name``; each removal is audited."""
        twin = self._require_twin()
        self.set_measurements([m for m in twin.measurements if m.name != name])

    def set_measurement_draft(self, rows: Sequence[Sequence[str]] | None) -> None:
        """Keep the measurement rows typed in the Measurements step and not applied (name,
        value, unit, SD, source, as typed: a row need not be valid yet), or None when the
        table holds what the twin holds. A draft is unsaved work: it makes the document
        unsaved, is written with it (and its autosave) and comes back when it is opened;
        applying the measurements (:meth:`set_measurements`) ends it. Typing the rows back
        to what was saved makes the document saved again if nothing else changed. A
        calibration and the report use only the twin's measurements.

        Examples
        --------
        >>> from twinviewer.twins import twin_from_preset
        >>> doc = Document()
        >>> doc.open_twin(twin_from_preset("healthy", n=1))
        >>> doc.set_measurement_draft([("CO", "4.2", "L/min", "0.4", "")])
        >>> doc.dirty, doc.measurement_draft
        (True, [('CO', '4.2', 'L/min', '0.4', '')])
        >>> doc.set_measurement_draft(None)  # typed back: only the draft had changed
        >>> doc.dirty
        False
        """
        self._require_twin()
        draft = [tuple(str(x) for x in r) for r in rows] if rows is not None else None
        if draft == self.measurement_draft:
            return
        with self.batch():
            self._set_draft(draft)
            if draft != self._clean_draft:
                self._set_dirty(True, by_draft=True)
            elif self._only_draft_changed:  # typed back to the saved rows: nothing unsaved
                # a save taken before this (holding the typed rows) must not then mark the
                # document saved: a new revision (final13 F1)
                self.revision += 1
                self._set_dirty(False)

    def _set_draft(self, draft: list[tuple[str, ...]] | None) -> None:
        if draft != self.measurement_draft:
            self.measurement_draft = draft
            self.emit("draft", draft)

    def set_measurements(self, measurements: Sequence[Measurement]) -> list[AuditEntry]:
        """Make ``measurements`` the open twin's. Each one entered, changed or removed is its
        own ``measurement`` audit event with name, value, unit, SD and source (a change also
        the value it replaced; :mod:`twinviewer.io.measurement_audit`); the twin's image
        measurements are the images', not entries of the user, and are not recorded.

        Examples
        --------
        >>> from twinviewer.twins import twin_from_preset
        >>> doc = Document()
        >>> doc.open_twin(twin_from_preset("healthy", n=1))
        >>> e = doc.set_measurements([Measurement("SBP", 142, "mmHg", 8, "cuff")])
        >>> [(x.action, x.details["change"], x.details["value"]) for x in e]
        [('measurement', 'entered', 142.0)]
        """
        twin = self._require_twin()
        with self.batch():
            self._set_draft(None)  # the typed rows are the twin's now
            edited = self._edit(measurements=list(measurements))  # shares the trail
            entries = record_twin_measurements(twin, edited)
            for e in entries:
                self.emit("audit", e)
        return entries

    def record(self, action: str, details: dict | None = None) -> AuditEntry:
        """Append an entry to the open twin's audit trail (with an ``audit`` event)."""
        twin = self._require_twin()
        entry = audit_log(twin).record(twin, action, details)
        with self.batch():
            self.emit("audit", entry)
            self._set_dirty(True)
        return entry

    def add_note(self, text: str, *, disagreement: str = "", why: str = "",
                 conclusion: bool = False) -> AuditEntry:
        """Record the clinician's note or conclusion in the audit trail."""
        twin = self._require_twin()
        entry = audit_log(twin).add_note(twin, text, disagreement=disagreement, why=why,
                                         conclusion=conclusion)
        with self.batch():
            self.emit("audit", entry)
            self._set_dirty(True)
        return entry

    def apply_calibration(self, result: Any, results: Results | None = None, *,
                          accept_misfit: bool = False, calibrated: Twin | None = None,
                          recompute: bool = False) -> Twin:
        """Make the calibrated twin current and keep the calibration's summary with it.

        Parameters
        ----------
        result : personalize.CalibrationResult
            The calibration of the open twin.
        results : Results, optional
            The calibrated ensemble's results (default: ``result.results``).
        accept_misfit : bool
            Apply it even though some measurements are not reproduced (|z| beyond
            ``personalize.quantities.Z_REFUSE``); the acceptance is kept in the audit trail.
        calibrated : Twin, optional
            :func:`calibrated_twin` of the open twin and ``result``, made beforehand (by the
            calibration's worker, so that opening the result only refreshes the views).
        recompute : bool
            The caller recomputes the what-if results the new parameters remove
            (:attr:`removed_results`) on the calibrated twin: said so (:meth:`set_twin`).

        Returns
        -------
        Twin
            The calibrated twin (now :attr:`twin`).

        Raises
        ------
        ValueError
            If ``calibrated`` is not the open twin's calibration (its audit trail is not the
            open twin's plus one entry).
        """
        twin = self._require_twin()
        if calibrated is None:
            calibrated = calibrated_twin(twin, result, accept_misfit=accept_misfit)
        elif len(calibrated.audit) != len(twin.audit) + 1 or any(
                a is not b for a, b in zip(calibrated.audit, twin.audit, strict=False)):
            raise ValueError("the calibrated twin given is not a calibration of the open twin")
        with self.batch():
            self.set_twin(calibrated, recompute=recompute)
            self.set_results(results if results is not None else result.results)
            self.calibration = latest_calibration(calibrated)
            self.emit("calibration", self.calibration)
        return calibrated

    # -- studies ---------------------------------------------------------------------------
    @property
    def sensitivity(self) -> list[dict]:
        """The open twin's Sobol studies (saved with it, in its audit trail)."""
        return sensitivity_studies(self.twin)

    def add_sensitivity(self, result: Any, metric: str) -> dict:
        """Keep a Sobol study of the open twin (a ``sensitivity`` audit entry: saved in the
        ``.twin``); returns the record (see :func:`sensitivity_record`)."""
        rec = sensitivity_record(result, metric)
        with self.batch():
            self.record("sensitivity", rec)
            self.emit("studies", ("sensitivity", rec))
        return rec

    def set_cohort(self, outcome: dict | None) -> None:
        """The last cohort run's outcome (its table and plots are files on disk; it belongs
        to no twin, so it does not make the open twin unsaved)."""
        self.cohort = outcome
        self.emit("studies", ("cohort", outcome))

    # -- time and selections ---------------------------------------------------------------
    def set_time(self, fraction: float) -> None:
        """The point of the beat shown (fraction 0–1; wraps)."""
        fraction = float(fraction) % 1.0
        if fraction == self.time:
            return
        self.time = fraction
        self.emit("time", fraction)

    def select(self, key: str, value: Any) -> None:
        """Set a selection (``'structure'``, ``'metric'``, ``'scenario'``, ``'step'``...)."""
        if self.selection.get(key, object()) == value:
            return
        self.selection[key] = value
        self.emit("selection", (key, value))

    # -- the file --------------------------------------------------------------------------
    def results_to_save(self, *, digested: bool = True) -> dict[str, Any]:
        """Results cache for the file: stored ones, then the baseline and scenario results.
        ``digested=False``: without the scenarios' intervention digests (the autosave adds
        them off the GUI thread: :func:`~twinviewer.interventions.constants_digest.with_digests`
        of this and :attr:`scenarios` gives the same)."""
        names = {s.name for s in self.scenarios} | {BASELINE}
        out: dict[str, Any] = {k: v for k, v in self.file.stored_results.items() if k in names}
        if self.results is not None:
            out[BASELINE] = self.results
        out.update({k: v for k, v in self.scenario_results.items() if k in names})
        if not digested:
            return out
        from twinviewer.interventions.constants_digest import with_digests

        # each computed scenario result keeps the intervention constants it was run with
        return with_digests(out, self.scenarios)

    def series_to_save(self) -> dict[str, dict[str, np.ndarray]]:
        """Waveforms kept with the scenarios' results in the file (:func:`loop_series`);
        those read from the file and not shown (model not installed) are kept as read."""
        return scenario_series(self.scenario_results, {s.name for s in self.scenarios},
                               self.file.stored_series)

    def to_bytes(self, passphrase: str | None = None) -> bytes:
        """The .twin file bytes of the document (``passphrase``: default the file's own)."""
        twin = self._require_twin()
        table = self.file.parameters if self.file.parameters is not None \
            else parameter_table(twin)
        return twin_bytes(twin, results=self.results_to_save(), parameters=table,
                          keep_identifiers=self.file.identifiable,
                          passphrase=passphrase if passphrase is not None
                          else self.file.passphrase, series=self.series_to_save(),
                          measurement_draft=self.measurement_draft)

    def save(self, path: Path | str | None = None, *, passphrase: str | None = None) -> Path:
        """Write the document to ``path`` (default: its file) atomically; mark it saved.

        The same as :meth:`save_request`, writing it on this thread, then :meth:`saved`
        (the app writes the request in a helper process instead).

        Raises
        ------
        TwinFileError
            No path, no twin, or the twin cannot be written (privacy, shapes).
        OSError
            The file cannot be written.
        """
        request = self.save_request(path, passphrase=passphrase)
        stamp: list[DiskStamp] = []  # of the file written, not of what is there later
        atomic_write_bytes(request.target, twin_bytes(request.twin, **request.options),
                           before_replace=lambda st: stamp.append(DiskStamp.from_stat(st)))
        self.saved(request, stamp[0] if stamp else None)
        return request.target

    def save_request(self, path: Path | str | None = None, *,
                     passphrase: str | None = None,
                     record: tuple[str, dict] | None = None) -> SaveRequest:
        """What :meth:`save` writes, taken now, by reference (no serialising): the twin
        (its audit trail as it stands), :func:`~twinviewer.io.twinfile.twin_bytes`'s
        arguments with the time of writing fixed, and this revision. Written anywhere (a
        thread, a helper process) it gives the same file. ``record``: an audit entry
        ``(action, details)`` the save adds, in the file only until it is written
        (:attr:`SaveRequest.recorded`).

        Examples
        --------
        >>> from twinviewer.twins import twin_from_preset
        >>> doc = Document()
        >>> doc.open_twin(twin_from_preset("healthy", n=2))
        >>> doc.save_request("case").target.name
        'case.twin'

        Raises
        ------
        TwinFileError
            No twin, or no path and the twin has no file yet.
        """
        target = Path(path) if path is not None else self.file.path
        if target is None:
            raise TwinFileError("save: the twin has no file yet; choose one")
        if target.suffix != SUFFIX:
            target = target.with_suffix(SUFFIX)
        twin = self._require_twin()
        snap = copy.copy(twin)
        snap.audit = list(twin.audit)  # a note recorded meanwhile is not half in the file
        table = self.file.parameters if self.file.parameters is not None \
            else parameter_table(twin)
        options = {"results": self.results_to_save(), "parameters": table,
                   "keep_identifiers": self.file.identifiable,
                   "passphrase": passphrase if passphrase is not None
                   else self.file.passphrase, "series": self.series_to_save(),
                   "measurement_draft": (list(self.measurement_draft)
                                         if self.measurement_draft is not None else None),
                   "written": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
        recorded: tuple = ()
        if record is not None:  # in the snapshot's trail (its own list), not the document's
            recorded = (audit_log(snap).record(snap, *record),)
        return SaveRequest(target, snap, options, passphrase, twin, self.revision, recorded)

    def saved(self, request: SaveRequest, disk: DiskStamp | None = None) -> bool:
        """``request`` was written: the file context follows it (``disk``: the written
        file's stamp, taken right after the write), and the document is marked saved unless
        the user changed it meanwhile. Nothing changes if another twin was opened meanwhile.
        Returns whether the document is now saved."""
        if self.twin is not request.source:
            return False
        with self.batch():
            self._adopt_recorded(request)
            self.file.path = request.target
            self.file.disk = disk
            self.file.saved_here = True
            if request.passphrase is not None:
                self.file.passphrase = request.passphrase
            self.file.app_version = twinviewer.__version__
            self.emit("file", self.file)
            if self.revision == request.revision:
                self._set_dirty(False)
        return not self.dirty

    def _adopt_recorded(self, request: SaveRequest) -> None:
        """The entries the written file's trail added (:attr:`SaveRequest.recorded`) join
        the document's: the same entries when nothing was recorded meanwhile, else recorded
        again after what was (the document then stays unsaved, as it is anyway)."""
        log = audit_log(self.twin)
        for entry in request.recorded:
            if log.head == entry.prev_hash:
                self.twin.audit.append(entry)
            else:
                entry = log.record(self.twin, entry.action, dict(entry.details))
                self._set_dirty(True)
            self.emit("audit", entry)

    def open_file(self, path: Path | str, *, passphrase: str | None = None) -> TwinDocument:
        """Open a .twin file; the current document is replaced only if it loads completely.

        Raises
        ------
        TwinFileError
            With the file name and what is wrong.
        """
        path = Path(path)
        disk = DiskStamp.of(path)  # before the read: a write meanwhile counts as a change
        doc = load_twin(path, passphrase=passphrase)
        self.open_loaded(doc, path, passphrase, disk=disk)
        return doc

    def open_loaded(self, doc: TwinDocument, path: Path | None, passphrase: str | None,
                    *, dirty: bool = False, disk: DiskStamp | None = None) -> None:
        """Make an already loaded :class:`TwinDocument` the open document (``disk``: the
        file's stamp taken before it was read; default: taken now)."""
        if disk is None and path is not None:
            disk = DiskStamp.of(path)
        ctx = FileContext(path, passphrase, doc.identifiable, doc.parameters,
                          dict(doc.results), doc.app_version, doc.schema_version,
                          dict(doc.series), disk)
        with self.batch():
            self.open_twin(doc.twin, file=ctx, dirty=dirty)
            self._set_draft(doc.measurement_draft)  # typed rows kept in the file, as typed
            if not dirty:
                self._clean_draft = self.measurement_draft
            self._restore_scenario_results()

    def _restore_scenario_results(self) -> None:
        """Bring the file's stored scenario results back as :class:`StoredResults`.

        Only if the installed model has the equations they were computed with; otherwise
        they stay in the file (saved again unchanged) and a warning says to re-run.
        """
        twin = self.twin
        names = [s.name for s in self.scenarios if s.name in self.file.stored_results]
        if twin is None or not names:
            return
        from twinviewer.physiology import ModelError
        from twinviewer.twins import model_of

        try:
            model = model_of(twin)
        except ModelError as exc:
            self.message("warning", f"{self.file.name or 'the twin'}: stored results of "
                         f"{', '.join(names)} were computed with {twin.model_name} equations "
                         f"{twin.equation_hash} and are not shown as current ({exc})")
            return
        from twinviewer.interventions.constants_digest import scenario_digest

        restored, skipped, changed = {}, [], []
        by_name = {s.name: s for s in self.scenarios}
        for name in names:
            r = stored_results(twin, name, self.file.stored_results[name], model,
                               self.file.stored_series.get(name),
                               self.file.stored_results.get(BASELINE))
            if r is None:
                skipped.append(name)
            elif r.interventions != scenario_digest(by_name[name]):
                # drug/device magnitudes or baroreflex gains changed (or not recorded):
                # kept in the file, never shown as current
                changed.append(name)
            else:
                restored[name] = r
        if restored:
            self.scenario_results = restored
            self.emit("scenario_results", dict(restored))
            bare = [k for k, r in restored.items() if not r.series]
            self.message("info", f"Scenario results {', '.join(restored)}: stored results of "
                         f"{twin.model_name} equations {twin.equation_hash}" + (
                             f" ({', '.join(bare)}: metrics only, saved by an earlier "
                             f"version; run again for their loops)" if bare else ""))
        if changed:
            # the report's and `info`'s words (review13b #7)
            self.message("warning", f"stored results of {', '.join(changed)}: stored, out of "
                         "date: the intervention code (drug or device magnitudes, baroreflex) "
                         "changed since they were made, or they do not record them: not "
                         "shown as current; re-run them")
        if skipped:
            self.message("warning", f"stored results of {', '.join(skipped)} do not match "
                         f"the twin's {twin.ensemble.shape[0]} members or scenario; run "
                         f"them again")

    def twin_document(self) -> TwinDocument:
        """A :class:`TwinDocument` of what :meth:`save` would write now (for the report)."""
        twin = self._require_twin()
        log = audit_log(twin)
        table = self.file.parameters if self.file.parameters is not None \
            else parameter_table(twin)
        from twinviewer.io.twinfile import _results_dict

        return TwinDocument(twin, log, table, _results_dict(self.results_to_save()),
                            self.file.identifiable, log.verify_chain(),
                            app_version=twinviewer.__version__,
                            encrypted=self.file.passphrase is not None,
                            series=self.series_to_save(),
                            measurement_draft=self.measurement_draft)
