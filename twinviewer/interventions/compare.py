"""Running scenarios over an ensemble and comparing them with the baseline member by member.

Every scenario member starts from the same member's baseline limit cycle, and every
difference is paired (scenario − baseline of the *same* parameter set), so the difference has
its own interval and an "improves X in N % of plausible twins" figure that the two marginal
intervals cannot give.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from twinviewer.core.format import change, percent, resolution
from twinviewer.core.format import unit as shown_unit
from twinviewer.core.interval_marks import mark_of
from twinviewer.core.twin import Scenario
from twinviewer.interventions.intervention import InterventionError
from twinviewer.interventions.library import get_intervention
from twinviewer.interventions.scenario import (
    AppliedScenario,
    apply_scenario,
    held_parameters,
    lvef_of,
)
from twinviewer.physiology import METRIC_BY_NAME, Cancelled, Results, Settings, simulate
from twinviewer.physiology.integrator import INVALID
from twinviewer.physiology.model import ADULT_RESTING_RANGES, ModelSpec
from twinviewer.physiology.plausible import beyond_legend, beyond_mark

BASELINE = "baseline"


@dataclass(frozen=True)
class Direction:
    """Which way a metric is better: ``better`` +1 (higher) or −1 (lower); paired changes
    smaller than ``tol`` (metric units) count as no change."""

    better: int
    tol: float
    why: str


#: Metrics with a clinical "better" direction. Metrics not listed (HR, MAP, SBP, LVSP,
#: volumes) have none in general: their change is shown, never scored. LVSP (review16b #3) is
#: SBP plus the LV-outflow gradient (in aortic stenosis LVSP ≈ SBP + the peak transaortic
#: gradient; ASE/EACVI Baumgartner 2009, Bernoulli as INTERVENTIONS.md §1): its "pressure
#: load" part that an intervention can relieve is the gradient, already scored at equal flow
#: (:data:`AT_EQUAL_FLOW`), and the rest is SBP, which has no direction — a fall in a
#: hypotensive heart from lower contractility or output (a β-blocker in HFrEF) is no benefit.
#: ``tol`` is the resolution the metric is measured and reported with clinically (pressures and
#: gradients 1 mmHg, catheter/echo; CO 0.1 L/min, thermodilution; EF 1 %; volumes 1 mL; Doppler
#: velocity 0.1 m/s): a smaller paired change is "no change" in "improves in N %", in the cohort's
#: responders and in the goal ranking (where options within it of the best share the win). These
#: are resolutions, not minimal clinically important differences (larger, and not published for
#: most of these metrics), so "improves" means "measurably moves".
DIRECTIONS: dict[str, Direction] = {
    "CO": Direction(+1, 0.1, "forward output; low output is the failing state"),
    "SV_forward": Direction(+1, 1.0, "forward stroke volume"),
    "LVEF": Direction(+1, 1.0, "ejection fraction"),
    "LVEDP": Direction(-1, 1.0, "filling pressure: congestion"),
    "LAP": Direction(-1, 1.0, "≈ PCWP: pulmonary congestion"),
    "CVP": Direction(-1, 1.0, "systemic congestion"),
    "mPAP": Direction(-1, 1.0, "pulmonary hypertension"),
    "PASP": Direction(-1, 1.0, "pulmonary hypertension"),
    "AV_mean_gradient": Direction(-1, 1.0, "aortic stenosis"),
    "AV_peak_gradient": Direction(-1, 1.0, "aortic stenosis"),
    "AV_peak_velocity": Direction(-1, 0.1, "aortic stenosis"),
    "AR_volume": Direction(-1, 1.0, "aortic regurgitation"),
    "MV_mean_gradient": Direction(-1, 1.0, "mitral stenosis"),
    "MR_volume": Direction(-1, 1.0, "mitral regurgitation"),
    "MR_fraction": Direction(-1, 1.0, "mitral regurgitation"),
    "TR_volume": Direction(-1, 1.0, "tricuspid regurgitation"),
    "LV_suction": Direction(-1, 0.5, "LVAD suction event"),
    "AV_opening": Direction(+1, 0.5, "an aortic valve that opens (LVAD target)"),
}

#: Smallest change (metric units) that counts as a change in "improves in N %" and in the
#: goal ranking, for metrics without a clinical direction above: about the resolution the
#: metric is reported with clinically (HR 1 bpm, pressures 1 mmHg, volumes 1 mL, fractions
#: 1 %, flows 0.1 L/min). Smaller paired differences (e.g. −0.0, −0.05 mmHg) are "no change".
RESOLUTION_BY_UNIT: dict[str, float] = {"bpm": 1.0, "mmHg": 1.0, "mL": 1.0, "%": 1.0,
                                        "L/min": 0.1, "m/s": 0.05, "WU": 0.1, "J": 0.01,
                                        "mmHg/mL": 0.02, "1": 0.05}


#: A rise of LV + aortic regurgitant volume (mL per beat) above which an LVEF rise is not
#: credited as benefit: the extra ejection goes back through a leak (a paravalvular leak after
#: TAVI, new MR), not forward. Why 5 mL: five times the volume resolution and well below the
#: smallest grade step of regurgitant volume (mild < 30 mL; ASE 2017), so a leak that moves a
#: grade is always caught and paired noise never is.
REGURGITATION_RISE = 5.0

#: Gradient metrics judged at equal flow: metric → (valve, power of the orifice area). Through
#: an orifice the mean gradient ∝ (Q/EOA)² and the velocity ∝ Q/EOA, so at equal flow a
#: gradient changes only with the valve's EOA: ``g_baseline · (EOA_baseline/EOA_scenario)^p``.
#: A fall is credited only if that equal-flow value falls by more than the tolerance; a
#: β-blocker in aortic stenosis lowers the gradient by lowering the flow, not by widening the
#: valve (checked against the metrics: the Weissler ejection time alone did not explain the
#: β-blocker's fall, its slower ejection did — so flow is not estimated from the metrics).
AT_EQUAL_FLOW: dict[str, tuple[str, int]] = {
    "AV_mean_gradient": ("AV", 2), "AV_peak_gradient": ("AV", 2),
    "AV_peak_velocity": ("AV", 1), "MV_mean_gradient": ("MV", 2),
    "MV_peak_gradient": ("MV", 2),
}


def valve_areas(model: ModelSpec, base_params: np.ndarray, scen_params: np.ndarray
                ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Valve → (baseline EOA, scenario EOA) per member, for the valves of
    :data:`AT_EQUAL_FLOW` the model has (``AV.EOA``, ``MV.EOA``).

    Examples
    --------
    >>> from twinviewer.physiology import get_preset
    >>> p = get_preset("healthy")
    >>> sorted(valve_areas(p.model, p.vector()[None], p.vector()[None]))
    ['AV', 'MV']
    """
    out = {}
    for valve in {v for v, _ in AT_EQUAL_FLOW.values()}:
        name = f"{valve}.EOA"
        if name in model.parameter_names:
            j = model.index(name)
            out[valve] = (np.atleast_2d(base_params)[:, j], np.atleast_2d(scen_params)[:, j])
    return out


def scenario_valve_areas(scenario: Scenario, n: int) -> dict[str, tuple[Any, Any]]:
    """:func:`valve_areas` for stored results without parameters (a .twin's results): a
    valve no step of ``scenario`` changes keeps its EOA (ratio 1: a gradient fall is flow);
    a valve a step replaces or repairs (its ``X.EOA`` among the step's parameters) is
    credited with the whole fall (ratio 0: the EOA ratio is not stored).

    Examples
    --------
    >>> from twinviewer.core.twin import InterventionStep
    >>> sc = Scenario("bb", (InterventionStep("beta_blocker", {"dose": 5.0}),))
    >>> scenario_valve_areas(sc, 1)["AV"][1].tolist()
    [1.0]
    """
    touched: set[str] = set()
    for step in scenario.steps:
        try:
            touched |= set(get_intervention(step.name).parameters)
        except InterventionError:
            continue
    one = np.ones(n)
    return {v: (one, np.full(n, np.inf) if f"{v}.EOA" in touched else one)
            for v in {v for v, _ in AT_EQUAL_FLOW.values()}}


def not_credited(metric: str, base: Mapping[str, Any], scen: Mapping[str, Any],
                 areas: Mapping[str, tuple[Any, Any]] | None = None
                 ) -> tuple[np.ndarray | None, str]:
    """Members whose change of ``metric`` in its better direction is not benefit, and why.

    * **LVEF**: a rise that comes with LV regurgitation (MR + AR volume) up by more than
      :data:`REGURGITATION_RISE` mL per beat — the heart ejects more into a leak.
    * **Gradients and velocities** (:data:`AT_EQUAL_FLOW`): a fall that does not survive at
      equal flow — the valve's EOA (``areas``: valve → (baseline, scenario), see
      :func:`valve_areas`) did not widen enough; without ``areas`` the claim is withheld.

    ``base``/``scen``: metric arrays of the paired members. Returns (mask or None, reason);
    a metric without such a rule gives (None, '').

    Examples
    --------
    >>> b = {"LVEF": np.array([40.0]), "MR_volume": np.array([0.0]), "AR_volume": np.array([2.0])}
    >>> s = {"LVEF": np.array([48.0]), "MR_volume": np.array([0.0]), "AR_volume": np.array([40.0])}
    >>> not_credited("LVEF", b, s)[0].tolist()
    [True]
    >>> g = {"AV_mean_gradient": np.array([40.0])}
    >>> not_credited("AV_mean_gradient", g, {"AV_mean_gradient": np.array([35.0])},
    ...              {"AV": (np.array([0.7]), np.array([0.7]))})[0].tolist()  # same valve
    [True]
    """
    if metric == "LVEF":
        if not all(k in base and k in scen for k in ("MR_volume", "AR_volume")):
            return None, ""
        rise = (np.asarray(scen["MR_volume"], float) + np.asarray(scen["AR_volume"], float)
                - np.asarray(base["MR_volume"], float) - np.asarray(base["AR_volume"], float))
        return (rise > REGURGITATION_RISE,
                f"an LVEF rise with regurgitation up > {REGURGITATION_RISE:g} mL/beat (a "
                "leak, MR) is not counted as improvement")
    if metric in AT_EQUAL_FLOW and metric in base:
        valve, power = AT_EQUAL_FLOW[metric]
        g = np.asarray(base[metric], float)
        if not areas or valve not in areas:
            return (np.ones(g.shape, bool), "not scored: without the valve's area a gradient "
                    "fall cannot be told from lower flow")
        a0, a1 = (np.asarray(a, float) for a in areas[valve])
        with np.errstate(divide="ignore", invalid="ignore"):
            equal = g * (a0 / a1) ** power  # the scenario's valve at the baseline's flow
        return (~(g - equal > min_difference(metric)),
                "a fall that comes only from lower flow is not counted (judged at equal "
                "flow: the valve's EOA)")
    return None, ""


def min_difference(metric: str) -> float:
    """Smallest paired change of ``metric`` that counts as a change (metric units).

    The metric's clinical tolerance in :data:`DIRECTIONS`, else its unit's reporting
    resolution (:data:`RESOLUTION_BY_UNIT`).

    Examples
    --------
    >>> min_difference("CO"), min_difference("HR")
    (0.1, 1.0)
    """
    direction = DIRECTIONS.get(metric)
    if direction is not None:
        return direction.tol
    meta = METRIC_BY_NAME.get(metric)
    return RESOLUTION_BY_UNIT.get(meta.unit, 0.0) if meta else 0.0


#: Other names for a model metric, as the calibrator and the evidence table use them.
METRIC_ALIASES: dict[str, str] = {"PCWP": "LAP"}


def resolve_metric(name: str) -> str:
    """The model metric a name stands for (``'PCWP'`` → ``'LAP'``, as in the calibrator).

    Examples
    --------
    >>> resolve_metric("PCWP"), resolve_metric("CO")
    ('LAP', 'CO')
    """
    return METRIC_ALIASES.get(name.strip(), name.strip())


#: The metrics whose what-if median is held to the model's validity domain: a scenario
#: whose median leaves it is flagged "outside the validated range: do not trust".
VALIDATED_METRICS = ("MAP", "SBP", "CO", "HR", "LVEDP", "LAP", "CVP", "mPAP", "LVEF", "LVSP")


def validated_range(model: ModelSpec | None = None) -> dict[str, tuple[float, float]]:
    """Metric → (low, high) a what-if's median is held to: the model's declared validity
    domain (``ModelSpec.validity_ranges``, the one the Explain panel and the report quote),
    else the built-in models' :data:`~twinviewer.physiology.model.ADULT_RESTING_RANGES`.
    One source: a CVP of −1 mmHg is not "validated" here and flagged there (report17).

    Examples
    --------
    >>> validated_range()["CVP"]
    (0.0, 25.0)
    >>> from twinviewer.physiology import MODELS
    >>> validated_range(MODELS["regazzoni2022"])["HR"]
    (60.0, 90.0)
    """
    declared = dict(getattr(model, "validity_ranges", None) or {})
    return {m: tuple(float(x) for x in declared.get(m, ADULT_RESTING_RANGES[m]))
            for m in VALIDATED_METRICS}


#: :func:`validated_range` of the built-in models (bounds in the metrics' units; the low
#: MAP / CO bounds are cardiogenic-shock territory the model was never checked in).
VALIDATED_RANGE: dict[str, tuple[float, float]] = validated_range()


#: Lower bounds of :data:`VALIDATED_RANGE` that do not hold in a member whose LV an LVAD
#: unloads (numbers17 F11): under full continuous-flow support the aortic valve stays shut
#: and the LV peak pressure falls far below an ejecting ventricle's (the lvad-ramp evidence
#: row's own ramp, 4000–5600 rpm: the valve no longer opens from 4400 rpm; LVSP 40 mmHg at
#: 5600 rpm in the HFrEF heart). What does apply there is flagged on its own
#: (:class:`ScenarioFlags`): LV suction (LV volume at its V0, or a negative LV pressure) and a
#: valve that no longer opens. The upper bound still holds, and the floor is relaxed, not
#: removed (review17 F5: LVSP −1.4 mmHg at 9000 rpm was never "outside the validated range"):
#: metric → the floor under support. LVSP 0 mmHg: a LV whose peak pressure never rises above
#: atmospheric is sucked down, outside anything validated; the ramp source (Uriel 2016,
#: INTERVENTIONS.md §6) reports no LV pressure, so no higher floor is sourced.
UNLOADED_BY_LVAD: dict[str, float] = {"LVSP": 0.0}
#: Mean pump flow (L/min) above which a member counts as supported by an LVAD.
LVAD_SUPPORT = 0.1


def lvad_supported(results: Results) -> np.ndarray:
    """Per member: True if an LVAD carries flow (``VAD_flow`` > :data:`LVAD_SUPPORT`);
    all False for results without a pump.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> lvad_supported(SimpleNamespace(metrics={"VAD_flow": np.array([0.0, 3.1])}))
    array([False,  True])
    """
    q = results.metrics.get("VAD_flow")
    if q is None:
        n = len(next(iter(results.metrics.values()), ()))
        return np.zeros(n, bool)
    q = np.asarray(q, dtype=float)
    return np.isfinite(q) & (q > LVAD_SUPPORT)


def outside_validated(results: Results, mask: np.ndarray | None = None) -> np.ndarray:
    """Per member (over ``mask``): True if any of its :data:`VALIDATED_METRICS` leaves the
    validated range, the check behind "outside the validated range: do not trust" (one
    source: :func:`_range_check`); such a member's change is never credited as improved
    (newuser17b G2: "improves in 100 %" beside MAP 45 mmHg "do not trust").

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> run = NS(ok=np.ones(2, bool), metrics={"MAP": np.array([90.0, 45.0])})
    >>> outside_validated(run).tolist()
    [False, True]
    """
    mask = results.ok if mask is None else mask
    out = np.zeros(np.asarray(results.ok)[mask].shape, dtype=bool)
    for _x, outside, *_ in _members_outside(results, mask).values():
        out |= outside
    return out


def out_of_range(results: Results, mask: np.ndarray | None = None) -> dict[str, float]:
    """Metrics whose median (over ``mask``) leaves :data:`VALIDATED_RANGE` → that median
    (with an LVAD carrying flow in most members, the lower bounds of
    :data:`UNLOADED_BY_LVAD` are its relaxed floors).

    Examples
    --------
    A scenario with MAP 39 mmHg gives ``{'MAP': 39.0}``.
    """
    return {m: med for m, (med, _, lo, hi) in _range_check(results, mask).items()
            if not lo <= med <= hi}


def share_out_of_range(results: Results, mask: np.ndarray | None = None) -> dict[str, float]:
    """Metrics some members of which leave :data:`VALIDATED_RANGE` → fraction of members."""
    return {m: share for m, (_, share, *_) in _range_check(results, mask).items()
            if share > 0}


def _range_check(results: Results, mask: np.ndarray | None
                 ) -> dict[str, tuple[float, float, float, float]]:
    """Metric → (median over ``mask``, share of members outside, the bounds the median is
    judged on); a member an LVAD supports is held to the relaxed floor of
    :data:`UNLOADED_BY_LVAD`, the median too when most members are supported."""
    out: dict[str, tuple[float, float, float, float]] = {}
    for metric, (x, outside, counted, lo_median, hi) in _members_outside(results,
                                                                          mask).items():
        shown = np.isfinite(x)
        if shown.any():
            out[metric] = (float(np.median(x[shown])), float(np.mean(outside[counted])),
                           lo_median, hi)
    return out


def _members_outside(results: Results, mask: np.ndarray | None
                     ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, float, float]]:
    """Metric → (values over ``mask``, per member outside its range, per member judged, the
    low and high bound the median is judged on): the one range check of
    :func:`_range_check` and :func:`outside_validated`. A non-finite value is not judged; a
    member whose LV volume goes to 0 or below (:func:`not_physical`) is outside for the
    :data:`LV_VOLUME_METRICS`, its value left out (NaN: no median of an LVEF of 156 %)."""
    mask = results.ok if mask is None else mask
    supported = lvad_supported(results)
    unreal = not_physical(results, mask)
    out: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, float, float]] = {}
    for metric, (lo, hi) in validated_range(getattr(results, "model", None)).items():
        if metric not in results.metrics:
            continue
        x = np.asarray(results.metrics[metric], dtype=float)[mask]
        low = np.full(x.shape, lo)
        relaxed = np.zeros(x.shape, bool)
        if metric in UNLOADED_BY_LVAD and supported.shape == np.shape(mask):
            relaxed = supported[mask]
            low[relaxed] = UNLOADED_BY_LVAD[metric]
        finite = np.isfinite(x)
        lo_median = (UNLOADED_BY_LVAD[metric]
                     if finite.any() and np.mean(relaxed[finite]) >= 0.5 else lo)
        outside = finite & ((x < low) | (x > hi))
        if metric in LV_VOLUME_METRICS:
            outside |= unreal
            x = np.where(unreal, np.nan, x)
        out[metric] = (x, outside, finite | outside, lo_median, hi)
    return out


DEFAULT_METRICS = ("CO", "LVEDP", "LAP", "LVEF", "MAP", "HR", "LVSP", "AV_mean_gradient",
                   "MR_fraction", "MV_mean_gradient", "mPAP")


@dataclass(frozen=True)
class Interval:
    """Median and central interval (``level``) of a set of values."""

    median: float
    lo: float
    hi: float

    @classmethod
    def of(cls, x: np.ndarray, level: float = 0.9) -> Interval:
        x = np.asarray(x, dtype=float)
        x = x[np.isfinite(x)]
        if x.size == 0:
            return cls(np.nan, np.nan, np.nan)
        a = (1.0 - level) / 2.0
        lo, med, hi = np.quantile(x, [a, 0.5, 1.0 - a])
        return cls(float(med), float(lo), float(hi))

    def format(self, signed: bool = False) -> str:
        """``'58 (52–63)'``, a difference ``'+0.64 (+0.52 to +0.77)'``: the app's one number
        formatter (:mod:`twinviewer.core.format`), so Ea reads 0.62, not 0.6; a negative
        bound as :func:`interval_text` writes it."""
        return interval_text(self.median, self.lo, self.hi, signed=signed)

    def to_dict(self) -> dict:
        return {"median": self.median, "lo": self.lo, "hi": self.hi}


def interval_text(median: float, lo: float, hi: float, signed: bool = False) -> str:
    """A value with its interval as the comparison's tables write it (CLI, What-if panel,
    report): :func:`~twinviewer.core.format.interval`, but with " to " between the bounds
    when either is negative, as the Δ writes them: '-3.9 (-5.8--1.8)' misreads
    (review17, the lead's look at the What-if table).

    Examples
    --------
    >>> interval_text(-3.9, -5.8, -1.8), interval_text(-1.4, -1.8, -0.8)
    ('-3.9 (-5.8 to -1.8)', '-1.4 (-1.8 to -0.8)')
    >>> interval_text(58.2, 52.1, 63.4), interval_text(0.4, -0.2, 1.1)
    ('58 (52–63)', '0.4 (-0.2 to 1.1)')
    """
    from twinviewer.core.format import interval

    return interval(median, lo, hi, signed=signed)  # the rule lives there, for every table


def paired_mask(baseline: Results, scenario: Results) -> np.ndarray:
    """Members periodic in both runs (the plausible twins a comparison counts)."""
    if baseline.n != scenario.n:
        raise InterventionError(f"cannot pair a scenario of {scenario.n} members with a "
                                f"baseline of {baseline.n}")
    return baseline.ok & scenario.ok


@dataclass(frozen=True)
class Comparison:
    """One metric of one scenario against the baseline, member by member.

    ``improved`` / ``worsened``: fraction of paired members whose metric moved in the better
    / worse direction by more than the metric's tolerance (None without a direction).
    """

    metric: str
    unit: str
    label: str
    baseline: Interval
    scenario: Interval
    difference: Interval
    improved: float | None
    worsened: float | None
    n_paired: int
    n_total: int
    #: why some members' change in the better direction was not counted as improvement
    #: (:func:`not_credited`), '' if none was left out
    qualifier: str = ""
    #: how the intervals were formed (:class:`Predictive`'s ``kind``; '': the ensemble's own)
    kind: str = ""
    #: a yes/no output (:data:`YES_NO`): (baseline, scenario) in words, else None
    yes_no: tuple[str, str] | None = None
    #: fraction of paired members whose change is one display-resolution step of the unit
    #: or more (:func:`~twinviewer.core.format.resolution`); None where not known
    moved: float | None = None
    #: fraction of paired members whose move in the better direction is not counted because
    #: the scenario harms them (:func:`harmed`: LV suction, a negative mean LAP; F7)
    harm_uncounted: float = 0.0
    #: paired members left out of this LV-volume metric's values and Δ because their LV
    #: volume went to 0 or below (:func:`not_physical`; counted in ``improved`` as not
    #: improved, never as a value)
    not_physical: int = 0

    def improvement_text(self) -> str:
        if self.improved is None:
            return "—"
        return (f"improves {self.label} in {percent(self.improved)} of plausible twins"
                + (f" ({self.qualifier})" if self.qualifier else ""))

    def to_dict(self) -> dict:
        return {"metric": self.metric, "unit": self.unit, "label": self.label,
                "baseline": self.baseline.to_dict(), "scenario": self.scenario.to_dict(),
                "difference": self.difference.to_dict(), "improved": self.improved,
                "worsened": self.worsened, "n_paired": self.n_paired, "n_total": self.n_total,
                "qualifier": self.qualifier, "interval_kind": self.kind,
                "yes_no": list(self.yes_no) if self.yes_no else None,
                "moved": self.moved, "harm_uncounted": self.harm_uncounted,
                "not_physical": self.not_physical}


#: The mark beside an "improves in N %" whose twins in a harmed state were not counted, and
#: the rule said once under the table (:func:`harm_rule`; newuser17 F7).
HARM_MARK = "§"


def harm_rule(labels: Sequence[str] = ()) -> str:
    """The rule behind :data:`HARM_MARK`, said once under a table: twins the what-if puts in
    LV suction, at a negative mean left atrial pressure or outside the model's validated
    range (:func:`not_creditable`) are never counted as improved (``labels``: the rows it
    applies to, with their share).

    Examples
    --------
    >>> harm_rule(["LVAD 9000 rpm CO in 88 %"])[:60]
    '§ not counted as improved: a twin the what-if puts in LV suc'
    """
    return (f"{HARM_MARK} not counted as improved: a twin the what-if puts in LV suction or "
            "at a negative mean left atrial pressure (harm, not benefit, whatever the "
            "metric's change), or whose result under it is outside the model's validated "
            "range (flagged: do not trust)" + (f"; left out of the share: {'; '.join(labels)}"
                                  if labels else ""))


#: Metrics read off the LV volume curve (:mod:`twinviewer.physiology.metrics`): where an
#: LVAD draws the model's LV volume to 0 or below (suction; a real ventricle cannot go
#: below empty) their values are not physical — an LVEF of 301 %, an LVESV of −24 mL
#: (newuser17b G1) — and are left out of the values and Δ, counted and said.
LV_VOLUME_METRICS = ("LVEDV", "LVESV", "LVSV", "LVEF", "MR_fraction", "AR_fraction",
                     "SW", "Ea", "Ees")


def not_physical(results: Results, mask: np.ndarray | None = None) -> np.ndarray:
    """Per member (over ``mask``): True if its LV volume reaches 0 mL or below in the cycle
    (``LVESV`` ≤ 0, the smallest LV volume); its :data:`LV_VOLUME_METRICS` are then not
    physical.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> not_physical(NS(ok=np.ones(3, bool), metrics={"LVESV": np.array([60.0, 0.0, -24.0])})
    ...              ).tolist()
    [False, True, True]
    """
    out = lv_drawn_empty(results.metrics, len(results.ok))
    return out if mask is None else out[mask]


def lv_drawn_empty(metrics: Mapping[str, Any], n: int) -> np.ndarray:
    """Per member of a metrics table of ``n`` members: True where ``LVESV`` ≤ 0 mL (the rule
    of :func:`not_physical`, for callers holding metric arrays rather than results).

    Examples
    --------
    >>> lv_drawn_empty({"LVESV": np.array([60.0, 0.0, np.nan])}, 3).tolist()
    [False, True, False]
    >>> lv_drawn_empty({}, 2).tolist()
    [False, False]
    """
    v = np.asarray(metrics.get("LVESV", np.full(n, np.nan)), dtype=float)
    return np.isfinite(v) & (v <= 0.0)


def not_creditable(baseline: Results, scenario: Results) -> np.ndarray:
    """Per member: True if the scenario's change is never credited as improved — the
    scenario harms it (:func:`harmed`, not already so at baseline) or puts it outside the
    model's validated range (:func:`outside_validated`, the "do not trust" check).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> run = lambda m, lap: NS(ok=np.ones(3, bool),
    ...                         metrics={"MAP": np.array(m), "LAP": np.array(lap)})
    >>> not_creditable(run([90, 90, 90], [9, 9, 9]), run([85, 45, 85], [6, 6, -2])).tolist()
    [False, True, True]
    """
    every = np.ones(len(scenario.ok), dtype=bool)
    return ((harmed(scenario) & ~harmed(baseline))
            | outside_validated(scenario, every))


def uncredited_members(metric: str, baseline: Results, scenario: Results) -> np.ndarray:
    """Per member: True if its change of ``metric`` is never credited as improved:
    :func:`not_creditable`, and for an :data:`LV_VOLUME_METRICS` metric an LV volume at or
    below 0 in either run (:func:`not_physical`).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> run = lambda esv: NS(ok=np.ones(2, bool), metrics={"LVESV": np.array(esv)})
    >>> uncredited_members("LVEF", run([50.0, 50.0]), run([20.0, -5.0])).tolist()
    [False, True]
    >>> uncredited_members("CO", run([50.0, 50.0]), run([20.0, -5.0])).tolist()
    [False, False]
    """
    out = not_creditable(baseline, scenario)
    if metric in LV_VOLUME_METRICS:
        out = out | not_physical(baseline) | not_physical(scenario)
    return out


def scenario_text(c: Comparison) -> str:
    """The scenario's value cell of comparison ``c`` (CLI, What-if panel, report): its
    median and interval, and the twins left out as not physical (:func:`not_physical`) said
    beside it; 'not physical in N twins' where none is left.

    Examples
    --------
    >>> i = Interval(60.0, 55.0, 65.0)
    >>> c = Comparison("LVEF", "%", "LVEF", i, Interval(76.0, 41.0, 79.0), i, 0.2, 0.8,
    ...                40, 40, not_physical=5)
    >>> scenario_text(c)
    '76 (41–79); left out: 5 twins not physical (LV volume ≤ 0)'
    >>> nan = Interval(np.nan, np.nan, np.nan)
    >>> scenario_text(replace(c, scenario=nan, not_physical=40))
    'not physical in 40 twins (LV volume ≤ 0)'
    """
    twins = f"{c.not_physical} twin{'s' if c.not_physical != 1 else ''}"
    if not np.isfinite(c.scenario.median):
        return f"not physical in {twins} (LV volume ≤ 0)" if c.not_physical else "–"
    return c.scenario.format() + (f"; left out: {twins} not physical (LV volume ≤ 0)"
                                  if c.not_physical else "")


def change_text(c: Comparison, unit: str | None = None) -> str:
    """The Δ cell of comparison ``c``, the one rule of the ``whatif`` table, the What-if
    panel and the report: the change at the quantity's display resolution
    (:func:`~twinviewer.core.format.change`, 'no change' when its median and interval lie
    within one step of 0), but never 'no change' while some twins change by a step or more
    (``c.moved``) or improve (review16b #9: "Δ no change" beside "improves in 5 %"): then
    its median and interval, one decimal finer than the display resolution.

    Examples
    --------
    >>> i = Interval(25.0, 20.0, 30.0)
    >>> moved = Comparison("mPAP", "mmHg", "mPAP", i, i, Interval(-0.08, -0.99, 0.88),
    ...                    0.05, 0.025, 40, 40, moved=0.075)
    >>> change_text(moved)
    '-0.1 (-1.0 to +0.9)'
    >>> change_text(replace(moved, improved=0.0, moved=0.0))
    'no change'
    >>> change_text(replace(moved, difference=Interval(-0.03, -0.5, 0.3)))
    '0.0 (-0.5 to +0.3)'
    """
    d = c.difference
    if not np.isfinite(d.median):  # no paired value to take a change of (all not physical)
        return "–"
    u = c.unit if unit is None else unit
    text = change(d.median, d.lo, d.hi, u)
    step = resolution(u)
    if text != "no change" or not (c.moved or c.improved) or step is None:
        return text
    # one decimal finer than the display resolution, as a narrow change (core.format.change)
    places = max(0, -math.floor(math.log10(step) + 1e-9)) + 1
    excludes_zero = d.lo > 0 or d.hi < 0
    return (f"{_signed_fixed(d.median, places, False)} "
            f"({_signed_fixed(d.lo, places, excludes_zero)} to "
            f"{_signed_fixed(d.hi, places, excludes_zero)})")


def _signed_fixed(x: float, places: int, keep_zero_sign: bool) -> str:
    """``x`` signed at ``places`` decimals; one that rounds to 0 unsigned ('0.0', not '-0.0':
    review17 F9), unless ``keep_zero_sign`` (a bound of an interval that excludes 0 keeps
    its side, '-0.0', as :func:`~twinviewer.core.format.change` writes it).

    >>> _signed_fixed(-0.03, 1, False), _signed_fixed(-0.03, 1, True), _signed_fixed(0.3, 1, False)
    ('0.0', '-0.0', '+0.3')
    """
    text = f"{x:+.{places}f}"
    return text[1:] if float(text) == 0.0 and not keep_zero_sign else text


def harmed(results: Results, mask: np.ndarray | None = None) -> np.ndarray:
    """Members in a state no change can be credited in: LV suction (the ventricle sucked down
    to its unstressed volume) or a negative mean left-atrial pressure (a collapsing atrium,
    physically a suction event). A filling pressure that falls that far is harm, not benefit.

    Examples
    --------
    >>> from twinviewer.physiology import get_preset, simulate
    >>> p = get_preset("healthy")
    >>> bool(harmed(simulate(p.model, p.vector())).any())
    False
    """
    out = harmed_metrics(results.metrics, len(results.ok))
    return out if mask is None else out[mask]


def harmed_metrics(metrics: Mapping[str, Any], n: int) -> np.ndarray:
    """:func:`harmed` on a plain mapping of metric arrays (as stored in a .twin's results).

    Examples
    --------
    >>> harmed_metrics({"LAP": np.array([8.0, -2.0])}, 2).tolist()
    [False, True]
    """
    out = np.zeros(n, dtype=bool)
    if "LV_suction" in metrics:
        out |= np.asarray(metrics["LV_suction"]) > 0.5
    if "LAP" in metrics:
        out |= np.asarray(metrics["LAP"]) < 0.0
    return out


def improvement(metric: str, difference: np.ndarray,
                harm: np.ndarray | None = None,
                uncredited: np.ndarray | None = None) -> tuple[float | None, float | None]:
    """Fractions of paired members improved and worsened by a scenario: the one rule every
    "improves X in N % of plausible twins" figure uses.

    Parameters
    ----------
    metric : str
        Metric name; only metrics in :data:`DIRECTIONS` are scored.
    difference : ndarray
        Scenario − baseline per paired member (non-finite entries are ignored).
    harm : ndarray of bool, optional
        Members the scenario harms (:func:`harmed`): never "improved", always "worsened".
    uncredited : ndarray of bool, optional
        Members whose move in the better direction is not benefit (:func:`not_credited`):
        never "improved".

    Returns
    -------
    (improved, worsened)
        Fractions of members whose change in the better / worse direction exceeds the
        metric's tolerance; ``(None, None)`` without a direction or without finite changes.
    """
    direction = DIRECTIONS.get(metric)
    d = np.asarray(difference, dtype=float)
    finite = np.isfinite(d)
    d = d[finite]  # the masks are cut the same way, or built on the kept members' shape
    harm = np.zeros(d.shape, bool) if harm is None else np.asarray(harm, bool)[finite]
    off = (np.zeros(d.shape, bool) if uncredited is None
           else np.asarray(uncredited, bool)[finite])
    if direction is None or not d.size:
        return None, None
    signed = np.where(harm, -np.inf, direction.better * d)
    tol = min_difference(metric)  # below it a change is "no change" (−0.0 is not a win)
    return float(np.mean((signed > tol) & ~off)), float(np.mean(signed < -tol))


def paired_improvement(metric: str, base: Mapping[str, Any], scen: Mapping[str, Any],
                       harm: np.ndarray | None = None,
                       areas: Mapping[str, tuple[Any, Any]] | None = None
                       ) -> tuple[float | None, float | None, str]:
    """:func:`improvement` of ``metric`` from the paired members' metric arrays (``base``,
    ``scen``: the same members, e.g. a .twin's stored results), with :func:`not_credited`
    applied (``areas``: see :func:`valve_areas`): (improved, worsened, qualifier) — the
    qualifier is '' unless a member's move in the better direction was left out.

    Examples
    --------
    >>> b = {"LVEF": np.array([40.0]), "MR_volume": np.array([0.0]), "AR_volume": np.array([2.0])}
    >>> s = {"LVEF": np.array([48.0]), "MR_volume": np.array([0.0]), "AR_volume": np.array([40.0])}
    >>> paired_improvement("LVEF", b, s)[0]
    0.0
    """
    d = np.asarray(scen[metric], float) - np.asarray(base[metric], float)
    off, why = not_credited(metric, base, scen, areas)
    improved, worsened = improvement(metric, d, harm, off)
    if off is None or improved is None:
        return improved, worsened, ""
    plain, _ = improvement(metric, d, harm)
    return improved, worsened, (why if plain is not None and plain > improved else "")


class Predictive(Protocol):
    """What turns the ensemble's paired members into the shown intervals (for a calibrated
    twin: :class:`twinviewer.personalize.shown.IntervalContext`, which adds the learned model
    discrepancy to unmeasured outputs; this layer cannot import it)."""

    def interval(self, name: str, values: Any, ok: Any = None, level: float = 0.9
                 ) -> tuple[float, float, float]: ...

    def paired(self, name: str, base: Any, scen: Any, ok: Any = None, level: float = 0.9
               ) -> tuple[tuple[float, float, float], ...]: ...

    def kind(self, name: str) -> str: ...


#: Outputs that are yes/no per member (1 or 0): shown as the fraction of members in words,
#: never as an interval and a Δ.
YES_NO: dict[str, str] = {"AV_opening": "aortic valve opens", "LV_suction": "LV suction"}


def yes_no_cell(metric: str, values: Any) -> str:
    """'aortic valve opens in 100 % of members' for a yes/no output's member values.

    >>> yes_no_cell("AV_opening", np.array([1.0, 1.0, 0.0, 1.0]))
    'aortic valve opens in 75 % of members'
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if not x.size:
        return "–"
    return f"{YES_NO.get(metric, metric)} in {percent(float(np.mean(x > 0.5)))} of members"


def compare(baseline: Results, scenario: Results, metric: str, *,
            level: float = 0.9, predictive: Predictive | None = None) -> Comparison:
    """Compare one metric of a scenario with the baseline, paired by member; ``predictive``
    gives the shown intervals (default: the ensemble's own)."""
    if metric not in baseline.metrics:
        raise InterventionError(f"unknown metric {metric!r}; known: "
                                f"{', '.join(baseline.metrics)}")
    mask = paired_mask(baseline, scenario)
    b = baseline.metrics[metric][mask]
    s = scenario.metrics[metric][mask]
    ok = np.isfinite(b) & np.isfinite(s)
    harm = uncredited_members(metric, baseline, scenario)[mask][ok]
    # an LV volume at or below 0 gives no physical value of a volume metric: such members
    # are left out of the values and Δ (counted; never credited as improved, above)
    unreal = ((not_physical(baseline, mask) | not_physical(scenario, mask))[ok]
              if metric in LV_VOLUME_METRICS else np.zeros(int(ok.sum()), bool))
    pick = np.flatnonzero(mask)[ok]
    base_of = {k: np.asarray(v)[pick] for k, v in baseline.metrics.items()}
    scen_of = {k: np.asarray(v)[pick] for k, v in scenario.metrics.items()}
    areas = _areas(baseline, scenario, pick)
    improved, worsened, qualifier = paired_improvement(metric, base_of, scen_of, harm, areas)
    unharmed = (paired_improvement(metric, base_of, scen_of, None, areas)[0]
                if improved is not None and harm.any() else improved)
    b, s = b[ok][~unreal], s[ok][~unreal]
    d = s - b
    meta = METRIC_BY_NAME.get(metric)
    step = resolution(meta.unit) if meta else None
    if predictive is None:
        shown = (Interval.of(b, level), Interval.of(s, level), Interval.of(d, level))
    else:
        shown = tuple(Interval(*t) for t in predictive.paired(metric, b, s, level=level))
    return Comparison(metric, meta.unit if meta else "", meta.label if meta else metric,
                      *shown, improved, worsened, int(d.size), baseline.n, qualifier,
                      kind=predictive.kind(metric) if predictive is not None else "",
                      yes_no=((yes_no_cell(metric, b), yes_no_cell(metric, s))
                              if metric in YES_NO else None),
                      moved=(float(np.mean(np.abs(d) >= step)) if step and d.size else None),
                      harm_uncounted=max((unharmed or 0.0) - (improved or 0.0), 0.0),
                      not_physical=int(unreal.sum()))


def _areas(baseline: Results, scenario: Results, pick: np.ndarray
           ) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
    """:func:`valve_areas` of the paired members ``pick``; None for results without
    parameters (a gradient's improvement is then withheld, see :func:`not_credited`)."""
    model = getattr(baseline, "model", None)
    p0, p1 = getattr(baseline, "params", None), getattr(scenario, "params", None)
    if model is None or p0 is None or p1 is None or np.shape(p0) != np.shape(p1):
        return None
    return {v: (a[pick], b[pick]) for v, (a, b) in valve_areas(model, p0, p1).items()}


@dataclass(frozen=True)
class ScenarioFlags:
    """Safety flags of a scenario: fractions of paired members."""

    lv_suction: float
    av_closed: float
    failed: int
    messages: tuple[str, ...]
    outside: dict[str, float] = field(default_factory=dict)
    outside_share: dict[str, float] = field(default_factory=dict)
    #: members the scenario's steps took out of the model's plausible range (excluded, not
    #: simulated), of ``paired`` baseline members, and why (:func:`excluded_reason`)
    excluded: int = 0
    paired: int = 0
    excluded_why: str = ""
    #: the members the scenario's values cover (periodic in baseline and scenario), by
    #: index: scenarios side by side over different sets say so (review14 #4)
    covered: tuple[int, ...] = ()
    #: a valve replacement in twins whose native aortic valve it does not treat (neither
    #: stenotic nor more than mildly regurgitant), with the valve's grading, or ''
    #: (:func:`~twinviewer.interventions.indication.untreated_valve`, review14b #5)
    untreated: str = ""
    #: a mean atrial pressure below 0 mmHg, with why not to read it (:func:`with_atrial`)
    atrial: tuple[str, ...] = ()

    @property
    def excluded_text(self) -> str:
        """The members excluded as beyond the plausible range, why, and what the interval
        then covers ('' if none)."""
        if not self.excluded:
            return ""
        return (f"{self.excluded} of {self.paired} twins excluded: {self.excluded_why}; the "
                f"values and intervals cover the other {self.paired - self.excluded}")

    @property
    def untrusted(self) -> bool:
        """True if the scenario's result leaves the model's validated range."""
        return bool(self.outside)

    def lines(self) -> list[str]:
        out = []
        if self.outside:
            what = ", ".join(f"{m} {v:.1f} {METRIC_BY_NAME[m].unit}"
                             for m, v in self.outside.items())
            out.append(f"outside the validated range ({what}): do not trust")
        partly = {m: f for m, f in self.outside_share.items() if m not in self.outside}
        if partly:
            what = ", ".join(f"{m} in {percent(f)}" for m, f in partly.items())
            out.append(f"outside the validated range in some plausible twins ({what}): do "
                       f"not trust those twins' values")
        if self.lv_suction > 0:
            out.append(f"LV suction in {percent(self.lv_suction)} of plausible twins")
        if self.av_closed > 0:
            out.append(f"aortic valve no longer opens in {percent(self.av_closed)} of "
                       f"plausible twins")
        if self.excluded:
            out.append(self.excluded_text)
        if self.failed:
            out.append(f"{self.failed} member(s) did not reach a periodic state (excluded)")
        if self.untreated:
            out.append(self.untreated)
        out += self.atrial
        return out


def scenario_flags(baseline: Results, scenario: Results) -> ScenarioFlags:
    """LV suction, a closed aortic valve and failed members of a scenario."""
    mask = paired_mask(baseline, scenario)
    n = max(int(mask.sum()), 1)
    never = np.zeros(mask.shape[0])  # a model of another structure may not provide these
    suction = float(np.sum(scenario.metrics.get("LV_suction", never)[mask] > 0.5)) / n
    closed = float(np.sum(scenario.metrics.get("AV_opening", never + 1.0)[mask] < 0.5)) / n
    invalid = (scenario.status == INVALID) & baseline.ok
    failed = int(np.sum(~scenario.ok & baseline.ok & ~invalid))
    return ScenarioFlags(suction, closed, failed, tuple(scenario.errors()[:5]),
                         out_of_range(scenario, mask), share_out_of_range(scenario, mask),
                         int(invalid.sum()), int(baseline.ok.sum()),
                         excluded_reason(scenario.model, scenario.params[invalid]),
                         tuple(int(i) for i in np.flatnonzero(mask)),
                         _untreated(baseline, scenario, mask))


def with_atrial(flags: Mapping[str, ScenarioFlags], baseline: Results,
                results: Mapping[str, Results],
                warn: Callable[[Mapping[str, Any], np.ndarray], Sequence[Any]] | None
                ) -> dict[str, ScenarioFlags]:
    """``flags`` with each scenario's mean atrial pressures below 0 mmHg among its paired
    members (:attr:`ScenarioFlags.atrial`), in the words of ``warn``
    (:func:`twinviewer.explain.validity.negative_atrial`, which this layer cannot import:
    the caller passes it; items with a ``text`` or strings). ``warn`` None: ``flags`` as
    they are.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> f = {"s": ScenarioFlags(0, 0, 0, ())}
    >>> run = lambda lap: NS(n=2, ok=np.ones(2, bool), metrics={"LAP": np.array(lap)})
    >>> said = lambda m, ok: [f"LAP below 0 in {int((m['LAP'][ok] < 0).sum())}"]
    >>> with_atrial(f, run([8.0, 9.0]), {"s": run([-9.4, 2.0])}, said)["s"].lines()
    ['LAP below 0 in 1']
    """
    if warn is None:
        return dict(flags)
    out, seen = dict(flags), set()
    for name, f in flags.items():
        r = results.get(name)
        if r is None or r.n != baseline.n:
            continue
        said = []
        for w in warn(r.metrics, paired_mask(baseline, r)):
            head, sep, why = str(getattr(w, "text", w)).partition("): ")
            said.append(head + sep + ("why: above" if why and why in seen else why))
            seen.add(why)
        if said:
            out[name] = replace(f, atrial=tuple(said))
    return out


def _untreated(baseline: Results, scenario: Results, mask: np.ndarray) -> str:
    """:func:`~twinviewer.interventions.indication.untreated_valve` over the paired members
    (the native valve is the baseline's, graded with its mean gradient)."""
    from twinviewer.interventions.indication import untreated_valve

    P0, P1 = np.atleast_2d(baseline.params), np.atleast_2d(scenario.params)
    if P0.shape != P1.shape or P0.shape[0] != mask.shape[0] or not mask.any():
        return ""
    mg = baseline.metrics.get("AV_mean_gradient")
    mg = None if mg is None or np.shape(mg) != mask.shape else np.asarray(mg)[mask]
    return untreated_valve(scenario.model, P0[mask], P1[mask], mg)


def excluded_reason(model: ModelSpec, P: np.ndarray) -> str:
    """Why members with parameters ``P`` were excluded: each parameter beyond its plausible
    range, with the farthest value, and the range.

    Examples
    --------
    >>> from twinviewer.physiology import get_preset
    >>> p = get_preset("severe_as")
    >>> P = p.vector()[None, :].repeat(2, axis=0)
    >>> P[:, p.model.index("LV.EA")] = [15.7, 16.2]
    >>> excluded_reason(p.model, P)
    'LV.EA would be up to 16.2 mmHg/mL, beyond its plausible range 0.1–15 mmHg/mL'
    """
    P = np.atleast_2d(P)
    parts = []
    for j, par in enumerate(model.parameters):
        lo, hi = par.plausible
        x = P[:, j]
        high, low = x[x > hi], x[x < lo]
        bad = ~np.isfinite(x)
        unit = f" {shown_unit(par.unit)}" if par.unit else ""
        if high.size:
            parts.append(f"{par.name} would be {'up to ' if high.size > 1 else ''}"
                         f"{high.max():.3g}{unit}, beyond its plausible range "
                         f"{lo:g}–{hi:g}{unit}")
        if low.size:
            parts.append(f"{par.name} would be {'down to ' if low.size > 1 else ''}"
                         f"{low.min():.3g}{unit}, beyond its plausible range "
                         f"{lo:g}–{hi:g}{unit}")
        if bad.any():
            parts.append(f"{par.name} would not be a finite number")
    return "; ".join(parts) or "parameters beyond the model's plausible range"


def differing_members(flags: Mapping[str, ScenarioFlags]) -> bool:
    """Whether scenarios with ``flags`` (:func:`scenario_flags`) cover different twins."""
    return len({frozenset(f.covered) for f in flags.values()}) > 1


def members_note(flags: Mapping[str, ScenarioFlags], shown: Mapping[str, str] | None = None
                 ) -> str:
    """'' when every scenario (name → :func:`scenario_flags`) covers the same twins; else,
    in words, how many each covers, which twins each left out and why, and how many all
    have in common: values side by side then describe different groups (review14 #4:
    dobutamine 15 µg/kg/min dropped its 38 most contractile twins, 10 µg/kg/min 3, and the
    two read as a dose response).

    Examples
    --------
    >>> f = lambda c, n, why: ScenarioFlags(0, 0, 0, (), excluded=n, paired=4,
    ...                                     excluded_why=why, covered=c)
    >>> note = members_note({"a": f((0, 1, 2, 3), 0, ""),
    ...                      "b": f((0, 1), 2, "LV.EA would be up to 20 mmHg/mL")})
    >>> note[:48], "b 2 of 4 twins (2 left out: LV.EA would be up to 20" in note
    ('the scenarios cover different twins, so their va', True)
    >>> note.endswith("2 twins are common to all (a goal's ranking compares on those).")
    True
    """
    if not differing_members(flags):
        return ""
    shown = shown or {}
    parts = []
    for s, f in flags.items():
        out = f"{shown.get(s, s)} {len(f.covered)} of {f.paired} twins"
        if f.excluded:
            out += f" ({f.excluded} left out{_which_twins(f.excluded_why)}: {f.excluded_why})"
        elif f.failed:
            out += f" ({f.failed} did not reach a periodic state)"
        parts.append(out)
    common = set.intersection(*(set(f.covered) for f in flags.values()))
    return ("the scenarios cover different twins, so their values side by side describe "
            "different groups (each Δ is paired within its own): " + "; ".join(parts)
            + f". {len(common)} twins are common to all (a goal's ranking compares on those).")


def _which_twins(why: str) -> str:
    """Which kind of twin an exclusion reason (:func:`excluded_reason`) left out, in words:
    its first parameter pushed past the top of its range drops the twins with the highest
    value of it ('' if the reason does not say).

    Examples
    --------
    >>> _which_twins("LV.EA would be up to 29.8 mmHg/mL, beyond its plausible range 0.1–15 "
    ...              "mmHg/mL")
    ', those with the highest LV.EA'
    >>> _which_twins("SYS.R_AR would be 0.05 mmHg·s/mL, beyond its plausible range 0.2–3")
    ', those with the lowest SYS.R_AR'
    >>> _which_twins("parameters beyond the model's plausible range")
    ''
    """
    m = re.match(r"(\S+) would be (?:up to |down to )?(-?[\d.]+(?:e-?\d+)?)\b.*?plausible "
                 r"range (-?[\d.]+(?:e-?\d+)?)–(-?[\d.]+(?:e-?\d+)?)", why)
    if m is None:
        return ""
    value, hi = float(m.group(2)), float(m.group(4))
    return f", those with the {'highest' if value > hi else 'lowest'} {m.group(1)}"


@dataclass
class ScenarioTable:
    """Baseline and scenarios side by side: per metric the baseline, each scenario's value,
    the paired difference and the fraction of members improved."""

    metrics: tuple[str, ...]
    scenarios: tuple[str, ...]
    baseline: dict[str, Interval]
    cells: dict[str, dict[str, Comparison]]  # metric → scenario → comparison
    flags: dict[str, ScenarioFlags]
    level: float = 0.9
    units: dict[str, str] = field(default_factory=dict)
    #: metric → how its intervals were formed ('': the ensemble's own; see :class:`Predictive`)
    kinds: dict[str, str] = field(default_factory=dict)
    #: scenario → the evidence rows its interventions fail (one line each, with what misses)
    evidence: dict[str, list[str]] = field(default_factory=dict)
    #: members of the ensemble (0: not known) and those whose baseline did not reach a
    #: periodic state, by index: left out of every cell (review16b #7)
    n_members: int = 0
    baseline_failed: tuple[int, ...] = ()

    def baseline_count(self) -> int:
        """How many twins the baseline column covers (0 where not known)."""
        return self.n_members - len(self.baseline_failed) if self.n_members else 0

    def paired_baseline_text(self, m: str, s: str) -> str:
        """Where scenario ``s`` covers fewer twins than the baseline column (members
        excluded or not periodic under it), its own paired baseline, so that the baseline,
        the scenario and the Δ of its row describe the same twins (review16b #7): 6.6 − 5.3
        read as +1.3 beside a Δ of +1.6 when the 4 excluded twins were the strongest. ''
        when it covers them all.

        Examples
        --------
        >>> c = Comparison("CO", "L/min", "CO", Interval(5.1, 4.1, 6.7), Interval(6.6, 5.2,
        ...                8.6), Interval(1.6, 0.8, 2.2), None, None, 36, 40)
        >>> f = ScenarioFlags(0, 0, 0, (), excluded=4, paired=40, covered=tuple(range(36)))
        >>> t = ScenarioTable(("CO",), ("s",), {"CO": Interval(5.3, 4.1, 6.6)},
        ...                   {"CO": {"s": c}}, {"s": f}, n_members=40)
        >>> t.paired_baseline_text("CO", "s")
        'baseline of these 36 twins 5.1 (4.1–6.7)'
        """
        c = self.cells[m][s]
        f = self.flags.get(s)
        whole = f.paired if f is not None and f.paired else self.baseline_count()
        if not whole or c.n_paired >= whole or c.yes_no is not None:
            return ""
        return f"baseline of these {c.n_paired} twins {c.baseline.format()}"

    def left_out(self, s: str) -> str:
        """Which twins scenario ``s`` leaves out, by member number (1-based), split into
        those whose baseline was not periodic and those the scenario excluded or lost ('' if
        none or the membership is not known).

        Examples
        --------
        >>> f = ScenarioFlags(0, 0, 0, (), excluded=2, paired=4, covered=(0, 3))
        >>> t = ScenarioTable(("CO",), ("s",), {}, {"CO": {}}, {"s": f}, n_members=5,
        ...                   baseline_failed=(4,))
        >>> text = t.left_out("s")
        >>> text.startswith("left out: twins 2, 3 (by the scenario: 2 excluded beyond the")
        True
        >>> text.endswith("; twin 5 (baseline not periodic)")
        True
        """
        f = self.flags.get(s)
        if f is None or not self.n_members or not f.covered:
            return ""
        failed = set(self.baseline_failed)
        gone = sorted(set(range(self.n_members)) - set(f.covered) - failed)
        parts = []
        if gone:
            why = "; ".join(x for x in (
                f"{f.excluded} excluded beyond the plausible range" if f.excluded else "",
                f"{f.failed} not periodic under it" if f.failed else "") if x)
            parts.append(_twins(gone) + (f" (by the scenario: {why})" if why else
                                         " (by the scenario)"))
        if failed:
            parts.append(_twins(sorted(failed)) + " (baseline not periodic)")
        return ("left out: " + "; ".join(parts)) if parts else ""

    def baseline_text(self, m: str) -> str:
        """The baseline cell: '58 (52–63)', a yes/no output in words."""
        if m in YES_NO and self.scenarios:
            yn = self.cells[m][self.scenarios[0]].yes_no
            if yn is not None:
                return yn[0]
        return self.baseline[m].format()

    def to_dict(self) -> dict:
        return {
            "level": self.level,
            "interval_kinds": dict(self.kinds),
            "evidence_failing": {s: list(v) for s, v in self.evidence.items()},
            "scenarios": list(self.scenarios),
            "members": self.n_members,
            "baseline_failed_members": [i + 1 for i in self.baseline_failed],
            "metrics": [
                {"metric": m, "unit": self.units.get(m, ""),
                 "baseline": self.baseline[m].to_dict(),
                 "scenarios": {s: self.cells[m][s].to_dict() for s in self.scenarios}}
                for m in self.metrics],
            "flags": {s: {"lv_suction": f.lv_suction, "av_closed": f.av_closed,
                          "failed": f.failed, "messages": list(f.messages),
                          "excluded_out_of_range": f.excluded,
                          "excluded_why": f.excluded_why,
                          "members": len(f.covered),
                          "left_out": self.left_out(s),
                          "outside_validated_range": dict(f.outside),
                          "outside_validated_range_share": dict(f.outside_share),
                          "untreated_valve": f.untreated,
                          "negative_atrial_pressure": list(f.atrial),
                          "do_not_trust": f.untrusted}
                      for s, f in self.flags.items()},
        }

    def members(self) -> dict[str, int]:
        """Scenario → how many twins its values cover (0 where not known)."""
        return {s: len(f.covered) for s, f in self.flags.items() if s in self.scenarios}

    def differing_members(self) -> bool:
        """Whether the scenarios side by side cover different sets of twins."""
        return differing_members({s: self.flags[s] for s in self.scenarios if s in self.flags})

    def members_note(self, shown: Mapping[str, str] | None = None) -> str:
        """:func:`members_note` of this table's scenarios."""
        return members_note({s: self.flags[s] for s in self.scenarios if s in self.flags},
                            shown)

    def format_text(self, shown: Mapping[str, str] | None = None) -> str:
        """A plain-text table (medians with the interval, paired difference, % improved);
        ``shown`` maps a scenario name to the name printed (e.g. with its response mode)."""
        shown = shown or {}
        lines = [f"values: median ({100 * self.level:.0f} % interval); Δ = scenario − baseline, "
                 f"paired by member"
                 + ("; a Δ of a quantity in % is in %-points"
                    if any(self.units.get(m) == "%" for m in self.metrics) else "")]
        differ = self.differing_members()
        if differ:  # said at the table, and each row names its count
            lines.append("! " + self.members_note(shown))
        count = {s: f" ({n} twins)" if differ else "" for s, n in self.members().items()}
        groups: dict[str, list[str]] = {}
        for m in self.metrics:
            if self.kinds.get(m) and m not in YES_NO:
                groups.setdefault(self.kinds[m], []).append(m)
        if groups:  # which interval each row shows (a Δ shares its model error, paired)
            lines.append("intervals: " + "; ".join(f"{mark_of(k)} {k} for {', '.join(v)}"
                                                   for k, v in groups.items()))
        beyond: list[str] = []  # outputs with an interval beyond the plausible range
        harm: dict[str, list[str]] = {}  # rows whose share leaves out harmed twins
        for m in self.metrics:
            title = METRIC_BY_NAME[m].title if m in METRIC_BY_NAME else \
                f"{m} [{self.units.get(m, '')}]"  # a plugin's metric: its own name
            b = self.baseline[m]
            mark = "" if m in YES_NO else beyond_mark(m, b.lo, b.hi)
            if self.kinds.get(m) and m not in YES_NO:  # † or ‡, as in the "intervals:" line
                title += f" {mark_of(self.kinds[m])}"
            whole = self.baseline_count()
            lines.append(f"{title}  baseline {self.baseline_text(m)}{mark}"
                         + (f" ({whole} twins)" if differ and whole else ""))
            beyond += [m] if mark else []
            for s in self.scenarios:
                c = self.cells[m][s]
                if c.yes_no is not None:  # a yes/no output: words, no interval, no Δ
                    lines.append(f"    {shown.get(s, s)}{count.get(s, '')}: {c.yes_no[1]}")
                    continue
                imp = "" if c.improved is None else (
                    f"  improves in {percent(c.improved)}"
                    + (f" {HARM_MARK}" if c.harm_uncounted else "")
                    + (f" ({c.qualifier})" if c.qualifier else ""))
                if c.improved is not None and c.harm_uncounted:
                    harm.setdefault(shown.get(s, s), []).append(
                        f"{m} in {percent(c.harm_uncounted)}")
                v = c.scenario
                mark = beyond_mark(m, v.lo, v.hi)
                beyond += [m] if mark else []
                # the Δ as the app writes it: at the quantity's display resolution; over
                # fewer twins than the baseline column, the row's own paired baseline first
                own = self.paired_baseline_text(m, s)
                lines.append(f"    {shown.get(s, s)}{count.get(s, '')}: "
                             + (f"{own} → " if own else "") + f"{scenario_text(c)}{mark}  "
                             f"Δ {change_text(c, self.units.get(m, ''))}{imp}")
        if beyond:  # what the marker means, once (the GUI's and the report's note)
            lines.append(beyond_legend(beyond))
        if harm:  # the rule behind the mark, once
            lines.append(harm_rule([f"{s} {', '.join(v)}" for s, v in harm.items()]))
        if self.baseline_failed and self.n_members:
            lines.append(f"! baseline: {len(self.baseline_failed)} of {self.n_members} "
                         f"members did not reach a periodic state ("
                         f"{_twins(sorted(self.baseline_failed))}): left out of every cell")
        for s, f in self.flags.items():
            for line in f.lines():
                lines.append(f"! {shown.get(s, s)}: {line}")
            gone = self.left_out(s)
            if gone and (differ or f.excluded or f.failed):
                lines.append(f"! {shown.get(s, s)}: {gone}")
        for s, rows in self.evidence.items():
            for line in rows:
                lines.append(f"! {shown.get(s, s)}: {line}")
        return "\n".join(lines)


def scenario_table(baseline: Results, results: Mapping[str, Results],
                   metrics: Sequence[str] = DEFAULT_METRICS, *,
                   level: float = 0.9, predictive: Predictive | None = None,
                   evidence: Mapping[str, list[str]] | None = None,
                   known: Mapping[str, tuple[Mapping[str, Comparison], ScenarioFlags]]
                   | None = None) -> ScenarioTable:
    """Build the comparison table of several scenarios against one baseline; ``predictive``
    gives the shown intervals (default: the ensemble's own), ``evidence`` the failing
    evidence rows of each scenario's interventions (shown with its flags). ``known`` gives
    scenarios' cells and flags already computed with these arguments
    (:func:`~twinviewer.interventions.table_cells.scenario_cells`)."""
    metrics = tuple(metrics)
    known = known or {}
    cells = {m: {name: (known[name][0][m] if name in known else
                        compare(baseline, r, m, level=level, predictive=predictive))
                 for name, r in results.items()} for m in metrics}
    if predictive is None:
        base = {m: Interval.of(baseline.metrics[m][baseline.ok], level) for m in metrics}
    else:
        base = {m: Interval(*predictive.interval(m, baseline.metrics[m], baseline.ok, level))
                for m in metrics}
    units = {m: (METRIC_BY_NAME[m].unit if m in METRIC_BY_NAME else "") for m in metrics}
    flags = {name: known[name][1] if name in known else scenario_flags(baseline, r)
             for name, r in results.items()}
    kinds = ({m: predictive.kind(m) for m in metrics if m not in YES_NO}
             if predictive is not None else {})
    return ScenarioTable(metrics, tuple(results), base, cells, flags, level, units, kinds,
                         {k: list(v) for k, v in (evidence or {}).items() if v},
                         n_members=int(baseline.n),
                         baseline_failed=tuple(int(i) for i in np.flatnonzero(~baseline.ok)))


def _twins(idx: Sequence[int]) -> str:
    """Member indices (0-based) as the user counts them: 'twin 3', 'twins 2, 5, 9', at
    most ten listed.

    Examples
    --------
    >>> _twins([2]), _twins(list(range(12)))
    ('twin 3', 'twins 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more')
    """
    shown = ", ".join(str(i + 1) for i in idx[:10])
    more = f" and {len(idx) - 10} more" if len(idx) > 10 else ""
    return f"twin{'s' if len(idx) > 1 else ''} {shown}{more}"


def run_scenarios(model: ModelSpec, baseline: Results,
                  scenarios: Sequence[Scenario | AppliedScenario], *,
                  settings: Settings | None = None,
                  progress: Callable[[float, str], None] | None = None,
                  cancel: Callable[[], bool] | None = None,
                  failed: dict[str, str] | None = None) -> dict[str, Results]:
    """Run each scenario on every member, warm-started from that member's baseline cycle.

    Parameters
    ----------
    model : ModelSpec
        The twin's model.
    baseline : Results
        The baseline ensemble run (its ``params`` and ``final_state`` are used).
    scenarios : sequence of Scenario or AppliedScenario
        Distinct names; ``'baseline'`` is reserved. A scenario whose ``regulation`` is
        ``'regulated'`` is run to the baroreflex's closed-loop steady state
        (:mod:`~twinviewer.interventions.baroreflex`); its results' ``params`` then hold the
        reflex's effector values. An :class:`~twinviewer.interventions.AppliedScenario`
        (its steps applied to ``baseline.params`` elsewhere: a plug-in's, in the app) is
        simulated as it is; its interventions are not looked up here.
    progress, cancel : callable, optional
        ``progress(fraction, text)``; ``cancel() -> bool`` stops with
        :class:`~twinviewer.physiology.Cancelled`.
    failed : dict, optional
        Given: a scenario that cannot run (a refused setting, a plug-in that is disabled,
        fails or overruns its budget) is left out and ``failed[name]`` says why, so one bad
        scenario never costs the others their results. Without it the first refusal raises.

    Returns
    -------
    dict
        Scenario name → :class:`~twinviewer.physiology.Results` (same members, same order).
    """
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise InterventionError(f"scenario names must be distinct: {names}")
    if BASELINE in names:
        raise InterventionError(f"{BASELINE!r} is reserved for the untreated twin")
    # Apply every scenario first: a bad setting fails before any simulation runs.
    matrices: list[np.ndarray | None] = []
    for s in scenarios:
        try:
            if isinstance(s, AppliedScenario):
                matrices.append(_applied_matrix(s, baseline.params))
                continue
            matrices.append(apply_scenario(model, baseline.params, s, tolerate=True,
                                           baseline_lvef=lvef_of(baseline)))
        except Cancelled:
            raise
        except Exception as exc:  # noqa: BLE001 - a plug-in's failure is any exception
            if failed is None:
                raise
            failed[s.name] = str(exc) or type(exc).__name__
            matrices.append(None)
    out: dict[str, Results] = {}
    k = len(scenarios)
    for i, (sc, P) in enumerate(zip(scenarios, matrices, strict=True)):
        if P is None:
            continue
        sub = None
        if progress is not None:
            def sub(f, text, i=i, name=sc.name):
                progress((i + f) / k, f"{name}: {text}")
        try:
            held = sc.held if isinstance(sc, AppliedScenario) else None
            out[sc.name] = _run_one(model, baseline, sc, P, settings, sub, cancel, held)
        except Cancelled:
            raise
        except Exception as exc:  # noqa: BLE001 - as above
            if failed is None:
                raise
            failed[sc.name] = str(exc) or type(exc).__name__
    return out


def _applied_matrix(s: AppliedScenario, params: np.ndarray) -> np.ndarray:
    """An applied scenario's matrix, refused if it is not one of the baseline's shape."""
    P = np.asarray(s.params, dtype=float)
    if P.shape != np.shape(params):
        raise InterventionError(f"scenario {s.name!r} was applied to {P.shape} parameters, "
                                f"the baseline has {np.shape(params)}")
    return P


def _run_one(model, baseline, sc, P, settings, progress, cancel,
             held: tuple[str, ...] | None = None) -> Results:
    """One scenario's parameter matrix ``P`` simulated (then regulated, if so chosen; the
    reflex leaves ``held`` alone, by default :func:`held_parameters` of ``sc``)."""
    acute = simulate(model, P, warm_start=baseline.final_state, settings=settings,
                     progress=progress, cancel=cancel)
    if getattr(sc, "regulation", "acute") != "regulated":
        return acute
    from twinviewer.interventions.baroreflex import regulate

    res = regulate(model, P, baseline, settings=settings, acute=acute,
                   held=held_parameters(sc) if held is None else held).results
    invalid = np.flatnonzero(acute.status == INVALID)
    if invalid.size:  # the reflex has nothing to act on: keep what excluded them, and why
        res.params[invalid] = P[invalid]
        res.status[invalid] = INVALID
        for i in invalid:
            res.messages[i] = acute.messages[i]
    return res
