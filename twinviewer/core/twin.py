"""The twin: a patient's anatomy, measurements, model and parameter ensemble, with provenance.

A :class:`Twin` is plain data. It names its model by name, version and equation hash (a twin
is never silently re-run with other equations), holds a point estimate and an ensemble of
parameter sets (prior or posterior), records where each parameter came from, and keeps a
timeline of visits so the twin can be updated as new data arrive.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twinviewer.core.anatomy import Anatomy
from twinviewer.core.consent import ConsentLedger
from twinviewer.core.measurement import Measurement
from twinviewer.core.provenance import Provenance


@dataclass(frozen=True)
class InterventionStep:
    """One intervention of a scenario: its registered name and its settings (clinical units)."""

    name: str
    settings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"name": self.name, "settings": dict(self.settings)}

    @classmethod
    def from_dict(cls, d: dict) -> InterventionStep:
        return cls(d["name"], {k: float(v) for k, v in d.get("settings", {}).items()})


#: How each response mode is written beside a scenario's name (the modes are defined by
#: :mod:`twinviewer.interventions.baroreflex`).
REGULATION_TEXT = {"acute": "acute, unregulated", "regulated": "baroreflex regulated"}


@dataclass(frozen=True)
class Scenario:
    """A named what-if: interventions applied, in order, to the twin's baseline parameters."""

    name: str
    steps: tuple[InterventionStep, ...] = ()
    #: "acute" (unregulated) or "regulated" (short-term arterial baroreflex acts), see
    #: :mod:`twinviewer.interventions.baroreflex`.
    regulation: str = "acute"

    def to_dict(self) -> dict:
        d = {"name": self.name, "steps": [s.to_dict() for s in self.steps]}
        if self.regulation != "acute":  # files of acute scenarios stay as they were
            d["regulation"] = self.regulation
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Scenario:
        return cls(d["name"], tuple(InterventionStep.from_dict(s) for s in d.get("steps", ())),
                   str(d.get("regulation", "acute")))


def shown_name(scenario: Scenario) -> str:
    """The scenario's name with its response mode, unless the name already says it: every
    result a user reads says whether the baroreflex acted.

    Examples
    --------
    >>> shown_name(Scenario("my plan", (), "acute"))
    'my plan [acute, unregulated]'
    >>> shown_name(Scenario("tavi [baroreflex regulated]", (), "regulated"))
    'tavi [baroreflex regulated]'
    """
    text = REGULATION_TEXT.get(scenario.regulation, scenario.regulation)
    return scenario.name if text in scenario.name else f"{scenario.name} [{text}]"


@dataclass
class Visit:
    """One visit on the twin's timeline: a day offset (never a real date), its measurements,
    and the ensemble calibrated at that visit."""

    day: int
    measurements: list[Measurement] = field(default_factory=list)
    ensemble: np.ndarray | None = None
    label: str = ""
    # The living twin (twinviewer.personalize.timeline); all optional, JSON-ready except
    # start_params. flags: prediction check before the update; items: provenance of each
    # measurement (resource id, source, consent); context: measured values the model does not
    # predict (weight, height); series: wearable time series; predicted: posterior summary
    # {metric: [median, lo, hi, unit]}; model: 'name version equation-hash' used.
    flags: list[dict] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)
    context: list[Measurement] = field(default_factory=list)
    series: dict = field(default_factory=dict)
    predicted: dict = field(default_factory=dict)
    model: str = ""
    start_params: np.ndarray | None = None
    #: what the shown interval of an unmeasured prediction needs besides the ensemble
    #: (:class:`twinviewer.personalize.shown.IntervalContext`, JSON-ready); {} before session 10
    interval: dict = field(default_factory=dict)


@dataclass
class Twin:
    """A patient's digital twin.

    Attributes
    ----------
    pseudonym
        De-identified patient id (keyed hash); never a name or a hospital id.
    model_name, model_version, equation_hash
        The model the twin is locked to.
    params
        (P,) point estimate in the model's parameter order and units.
    ensemble
        (N, P) parameter sets: prior samples, or the calibrated posterior.
    ensemble_kind
        ``'prior'`` or ``'posterior'``.
    provenance
        Parameter name → :class:`Provenance`; parameters not listed are prior/assumed.
    measurements
        The patient's measurements (image-derived and clinical), never overwritten by
        predictions.
    anatomy
        Imaged anatomy, if any.
    scenarios
        What-ifs defined on this twin.
    visits
        Timeline of visits (the living twin).
    ledger
        Consent and provenance ledger of every data item that entered the twin
        (:mod:`twinviewer.core.consent`).
    timeline
        Timeline metadata (JSON-ready): ``anchor`` (the first visit's date, shifted by a keyed
        per-patient offset, in the .twin only) and ``superseded`` (results of an earlier model
        version, kept beside the current ones, never mixed).
    origin
        How the twin was made (``'preset:healthy'``, ``'import'``...).
    model_source
        The model's own definition when it is not built in (an imported svZeroDSolver
        configuration: ``{'kind': 'svzerod', 'units': …, 'config': …}``), so the twin reopens
        in any session; the equation hash still locks it.
    goal
        The what-if goal the user ranked the scenarios by, as text (``'min LVEDP; CO >= 4'``,
        :class:`twinviewer.interventions.ranking.Goal`), or ``""``: kept so the report
        prints the ranking the user made.
    teaching
        Marked by a user for teaching: a de-identified twin that education mode may open
        (:mod:`twinviewer.teaching.education`). Virtual hearts need no mark.
    audit
        Entries of the twin's append-only, hash-chained audit trail, oldest first (read and
        written through :func:`twinviewer.io.audit.audit_log`). A twin derived from another
        (e.g. by calibration) starts with a copy of its parent's trail.
    """

    pseudonym: str
    model_name: str
    model_version: str
    equation_hash: str
    params: np.ndarray
    ensemble: np.ndarray
    ensemble_kind: str = "prior"
    provenance: dict[str, Provenance] = field(default_factory=dict)
    measurements: list[Measurement] = field(default_factory=list)
    anatomy: Anatomy | None = None
    scenarios: list[Scenario] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    origin: str = ""
    audit: list = field(default_factory=list)
    ledger: ConsentLedger = field(default_factory=ConsentLedger)
    timeline: dict = field(default_factory=dict)
    teaching: bool = False
    model_source: dict = field(default_factory=dict)
    goal: str = ""

    def measurement(self, name: str) -> Measurement | None:
        """The most recent measurement of ``name``, or None."""
        found = [m for m in self.measurements if m.name == name]
        return found[-1] if found else None
