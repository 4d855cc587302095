"""Re-calibrating a visit: the twin as it was *before* that visit; which visit a calibration
makes (:func:`plan_visit`).

Calibrating a twin again on the day of its last visit must not take that visit's posterior
as the prior and fit the same data a second time (each run would pull the twin further
along the data's direction and add a visit: "3 visits, days 0, 0, 0"). The visit is instead
re-done from the prior it started from — the previous visit's posterior, or for the first
visit the starting parameters with a population prior — and replaces the old one.

A change to the current visit's data is the same case: correcting a value, or replacing an
assumed one (the demo heart's normal cuff BP) by the patient's measurement, re-does that
visit with its full corrected data. Taking the visit's posterior as the prior would keep the
replaced value in it (the twin's BP a blend of the assumed 120 and the measured 150 mmHg) and
add a between-visit drift for time that never passed (the images' volumes twice as
uncertain: newuser17 F2, F3). Only a later visit day, given by the user, is a new visit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from twinviewer.core.measurement import Measurement
from twinviewer.core.twin import Twin
from twinviewer.personalize.disease import preset_of, prior_in_provenance

if TYPE_CHECKING:
    from twinviewer.personalize.calibrate import CalibrationResult


def start_params(twin: Twin) -> tuple[np.ndarray, str]:
    """The parameters the twin's first calibration started from, and where they came from.

    Recorded on the visits (``Visit.start_params``) by :func:`updated_twin`; a file written
    before that was recorded falls back to the vector of the preset the twin was made from.

    >>> from twinviewer.twins import twin_from_preset
    >>> p, how = start_params(twin_from_preset("healthy", n=1))
    >>> how
    'the twin itself (never calibrated)'
    """
    if not twin.visits:
        return np.asarray(twin.params, dtype=float).copy(), "the twin itself (never calibrated)"
    recorded = twin.visits[0].start_params
    if recorded is not None:
        return np.asarray(recorded, dtype=float).copy(), "recorded at the first visit"
    from twinviewer.physiology.presets import get_preset

    name = preset_of(twin.origin)
    if not twin.origin.startswith("preset:"):  # e.g. 'import': the preset named in provenance
        for prov in twin.provenance.values():
            named = prior_in_provenance(prov.detail)
            if named:
                name = named
                break
    preset = get_preset(name)
    if preset.model.name != twin.model_name or \
            len(preset.vector()) != len(np.asarray(twin.params)):
        raise ValueError(f"this twin's first visit does not record its starting parameters "
                         f"and preset {name!r} is for another model: it cannot be re-"
                         "calibrated; calibrate a new visit (a later visit day; --day on the "
                         "command line) with new data instead")
    return preset.vector(), (f"not recorded in this file (written before it was): preset "
                             f"{name!r}'s values, the prior centre of its first calibration")


def before_last_visit(twin: Twin) -> tuple[Twin, list[Measurement], str]:
    """The twin as it was before its last visit, that visit's measurements, and a note.

    The prior of the returned twin is the one the last visit started from, so calibrating it
    to the same data reproduces that visit (idempotent) instead of counting the data twice.
    The twin's stored measurements and audit trail are kept.

    >>> from twinviewer.twins import twin_from_preset
    >>> t, ms, note = before_last_visit(twin_from_preset("healthy", n=1))
    >>> ms, note
    ([], '')
    """
    if not twin.visits:
        return twin, [], ""
    last = twin.visits[-1]
    earlier = list(twin.visits[:-1])
    prev = next((v for v in reversed(earlier) if v.ensemble is not None), None)
    if prev is None:
        p, how = start_params(twin)
        before = replace(twin, params=p, ensemble=p[None, :].copy(), ensemble_kind="prior",
                         visits=earlier, audit=list(twin.audit))
        note = (f"re-calibration of day {last.day}: started again from the population prior "
                f"(starting parameters: {how}); the old day-{last.day} calibration is replaced")
    else:
        ens = np.asarray(prev.ensemble, dtype=float)
        before = replace(twin, params=np.median(ens, axis=0), ensemble=ens.copy(),
                         ensemble_kind="posterior", visits=earlier, audit=list(twin.audit))
        note = (f"re-calibration of day {last.day}: started again from the day-{prev.day} "
                f"posterior; the old day-{last.day} calibration is replaced")
    return before, list(last.measurements), note


@dataclass(frozen=True)
class VisitPlan:
    """Which visit a calibration on ``day`` makes, and what it starts from.

    A change to the data of the twin's *current* visit (a correction, or an assumed value
    replaced by a measurement) re-does that visit (``redo``): from the prior that visit
    started from, with its full corrected data and no between-visit drift for time that
    never passed; the old calibration of that day is replaced. Only a later day (the user
    says so) is a new visit: it starts from the last posterior with the drift of the gap.

    Attributes
    ----------
    twin : Twin
        The twin the calibration starts from (for ``redo``: as it was before that visit).
    day : int
        The visit's day offset from the first visit.
    redo : bool
        True if the twin's last visit is re-done and replaced.
    drift : float
        Between-visit random walk, prior SDs (:func:`~twinviewer.personalize.timeline.
        drift_for` of the gap since the visit before; unused at a first calibration).
    note : str
        What is re-done and from which prior ("" for a new visit).
    """

    twin: Twin
    day: int
    redo: bool
    drift: float
    note: str = ""

    @property
    def label(self) -> str:
        """The visit's label on the timeline.

        >>> from twinviewer.twins import twin_from_preset
        >>> plan_visit(twin_from_preset("healthy", n=1)).label
        'calibration 1'
        """
        if self.redo:
            return f"re-calibration of day {self.day}"
        return f"calibration {len(self.twin.visits) + 1}"

    def describe(self) -> str:
        """The choice in words, for the Calibrate step.

        >>> from twinviewer.twins import twin_from_preset
        >>> plan_visit(twin_from_preset("healthy", n=1)).describe()
        'first calibration (day 0)'
        """
        if self.redo:
            return (f"the same visit (day {self.day}): re-calibrated with its corrected data "
                    "from the prior that visit started from; its old calibration is replaced")
        if not self.twin.visits:
            return f"first calibration (day {self.day})"
        last = self.twin.visits[-1].day
        return (f"a new visit on day {self.day}, {self.day - last} day(s) after day {last}: "
                f"starts from the day-{last} posterior with a drift of {self.drift:.2g} "
                "prior SDs")


def last_day(twin: Twin) -> int | None:
    """The day of the twin's last visit, or None if it was never calibrated.

    >>> from twinviewer.twins import twin_from_preset
    >>> last_day(twin_from_preset("healthy", n=1)) is None
    True
    """
    return twin.visits[-1].day if twin.visits else None


def plan_visit(twin: Twin, day: int | None = None) -> VisitPlan:
    """The visit a calibration of ``twin`` on ``day`` makes (see :class:`VisitPlan`).

    ``day`` None ("auto") is the twin's last visit (a re-calibration of it), or day 0 for a
    twin never calibrated: a new visit needs a later day, said by the user.

    Raises
    ------
    ValueError
        ``day`` before the last visit, or a first visit that cannot be re-done
        (:func:`start_params`).

    Examples
    --------
    >>> from twinviewer.twins import twin_from_preset
    >>> p = plan_visit(twin_from_preset("healthy", n=1))
    >>> (p.day, p.redo)
    (0, False)
    """
    from twinviewer.personalize.timeline import drift_for

    last = last_day(twin)
    if day is None:
        day = 0 if last is None else last
    if last is not None and day < last:
        raise ValueError(f"visit day {day} is before the last visit (day {last}); visits are "
                         "kept in time order")
    if last is None:
        return VisitPlan(twin, day, False, 0.5)
    if day > last:
        return VisitPlan(twin, day, False, drift_for(day - last))
    before, _, note = before_last_visit(twin)
    prev = last_day(before)
    return VisitPlan(before, day, True, 0.5 if prev is None else drift_for(day - prev), note)


def default_prior_text(twin: Twin, measurements: Sequence[Measurement] | None = None) -> str:
    """The prior Calibrate starts from by default (visit day: the last visit's, prior: auto)
    with ``measurements``, in words: the Measurements step's line, which must say what the
    Calibrate step will do (newuser17b G3: it named the last posterior while Calibrate re-did
    the visit from its population prior).

    Examples
    --------
    >>> from twinviewer.core.measurement import Measurement as M
    >>> from twinviewer.twins import twin_from_preset
    >>> default_prior_text(twin_from_preset("healthy", n=1), [M("AVA", 0.7, "cm^2", 0.1)])[:60]
    'Calibration prior (auto), first calibration (day 0): Severe '
    """
    from twinviewer.personalize.calibrate import planned_prior

    try:
        plan = plan_visit(twin)
    except ValueError as exc:  # Calibrate says the same when pressed
        return f"Calibration prior: the last visit cannot be re-done ({exc})"
    choice = planned_prior(plan.twin, measurements)
    visit = (f"the same visit (day {plan.day})" if plan.redo else
             f"first calibration (day {plan.day})")
    later = ("; a later visit day, chosen in Calibrate, starts from this visit's posterior "
             "instead" if plan.redo else "")
    return f"Calibration prior (auto), {visit}: {choice.describe()}{later}"


def calibrate_visit(twin: Twin, measurements: Sequence[Measurement] | None = None, *,
                    day: int | None = None, **options: Any) -> CalibrationResult:
    """:func:`~twinviewer.personalize.calibrate.calibrate` of the visit on ``day``
    (:func:`plan_visit`): the result records the day and whether it replaces the last visit
    (:func:`visited_twin` makes the twin of it). ``options`` go to ``calibrate``.

    Examples
    --------
    >>> from twinviewer.twins import twin_from_preset
    >>> r = calibrate_visit(twin_from_preset("healthy", n=1),  # doctest: +SKIP
    ...                     [Measurement("SBP", 130, "mmHg", 8)], n=32)
    >>> (r.visit_day, r.replaces_visit)  # doctest: +SKIP
    (0, False)
    """
    from twinviewer.personalize.calibrate import calibrate

    plan = plan_visit(twin, day)
    result = calibrate(plan.twin, measurements, drift=plan.drift, **options)
    if plan.note:
        result.warnings.insert(0, plan.note)
    result.visit_day, result.replaces_visit = plan.day, plan.redo
    return result


def visited_twin(twin: Twin, result: CalibrationResult, *,
                 accept_misfit: bool = False) -> Twin:
    """``twin`` carrying ``result`` on the visit it was made for: the last visit replaced
    (``result.replaces_visit``) or a new one; ``twin`` is not changed.

    Examples
    --------
    >>> new = visited_twin(twin, calibrate_visit(twin, n=32))  # doctest: +SKIP
    >>> [v.day for v in new.visits]  # doctest: +SKIP
    [0]
    """
    from twinviewer.personalize.calibrate import updated_twin

    base = twin
    label = ""
    replaced = None
    day = getattr(result, "visit_day", None)
    if getattr(result, "replaces_visit", False) and twin.visits and \
            twin.visits[-1].day == day:
        base = before_last_visit(twin)[0]
        label = f"re-calibration of day {day}"
        replaced = twin.visits[-1]
    from twinviewer.personalize.timeline import record_check

    new = updated_twin(base, result, day=day, label=label, accept_misfit=accept_misfit)
    record_check(base, result, new)  # the check `visit add` makes (newuser17b G5)
    return kept_visit_records(replaced, new)


def kept_visit_records(replaced, new: Twin) -> Twin:
    """``new`` with its last visit keeping what the visit it re-does held besides the fit: its
    measurements' provenance items (FHIR resource, consent), its context values (weight) and
    its wearable series. A re-done visit is the same visit: correcting one value must not
    drop them (last17 #1); ``replaced`` None (a new visit) returns ``new``.

    Examples
    --------
    >>> from twinviewer.twins import twin_from_preset
    >>> t = twin_from_preset("healthy", n=1)
    >>> kept_visit_records(None, t) is t
    True
    """
    if replaced is None or not new.visits:
        return new
    last = replace(new.visits[-1], items=list(replaced.items), context=list(replaced.context),
                   series=dict(replaced.series))
    return replace(new, visits=[*new.visits[:-1], last])
