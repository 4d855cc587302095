"""Ranking scenarios by a user's goal across the ensemble, not only at the median.

A goal is an objective metric to minimise or maximise subject to constraints, e.g.
``min LVEDP; CO>=4``. For each plausible twin (member periodic in every option) the best
feasible option is found; the ranking reports how often each option is best, how often it is
feasible, and which option would win on medians alone.

A TAVI/SAVR valve whose label size is not made for the annulus entered with it
(:func:`~twinviewer.interventions.indication.sizing_notes`) is not ranked: the model runs its
tabulated orifice whatever the annulus, so it could win on an orifice no heart team would
implant in this patient. It is listed after every ranked option with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from twinviewer.core.format import change_unit, number, percent
from twinviewer.core.twin import Scenario
from twinviewer.interventions.compare import (
    BASELINE,
    harmed,
    min_difference,
    resolve_metric,
)
from twinviewer.interventions.intervention import InterventionError
from twinviewer.physiology import METRIC_BY_NAME, Results


@dataclass(frozen=True)
class Constraint:
    """``metric op value`` with op ``'>='`` or ``'<='`` (value in the metric's unit)."""

    metric: str
    op: str
    value: float

    def __post_init__(self) -> None:
        if self.op not in (">=", "<="):
            raise InterventionError(f"constraint operator {self.op!r}: use >= or <=")
        _check_metric(self.metric)

    @classmethod
    def parse(cls, text: str) -> Constraint:
        """Parse ``'CO>=4'`` or ``'MAP <= 110'``."""
        c = re.fullmatch(r"\s*(\S+?)\s*(>=|<=)\s*([-+]?[0-9.]+(?:[eE][-+]?\d+)?)\s*", text)
        if not c:
            raise InterventionError(f"goal constraint {text.strip()!r}: write METRIC>=VALUE "
                                    f"or METRIC<=VALUE")
        return cls(resolve_metric(c.group(1)), c.group(2), float(c.group(3)))

    def satisfied(self, x: np.ndarray) -> np.ndarray:
        return x >= self.value if self.op == ">=" else x <= self.value

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


@dataclass(frozen=True)
class Goal:
    """Minimise or maximise ``metric`` subject to ``constraints``."""

    metric: str
    sense: str = "min"
    constraints: tuple[Constraint, ...] = ()

    def __post_init__(self) -> None:
        if self.sense not in ("min", "max"):
            raise InterventionError(f"goal sense {self.sense!r}: use min or max")
        _check_metric(self.metric)

    @classmethod
    def parse(cls, text: str) -> Goal:
        """Parse ``'min LVEDP; CO>=4'`` (objective first, then constraints)."""
        parts = [p.strip() for p in text.split(";") if p.strip()]
        if not parts:
            raise InterventionError("empty goal; write e.g. 'min LVEDP; CO>=4'")
        m = re.fullmatch(r"(min|max)\s+(\S+)", parts[0])
        if not m:
            raise InterventionError(f"goal {parts[0]!r}: start with 'min METRIC' or "
                                    f"'max METRIC'")
        return cls(resolve_metric(m.group(2)), m.group(1),
                   tuple(Constraint.parse(p) for p in parts[1:]))

    def __str__(self) -> str:
        s = f"{self.sense} {self.metric}"
        return s + "".join(f"; {c}" for c in self.constraints)


def _check_metric(name: str) -> None:
    if name not in METRIC_BY_NAME:
        raise InterventionError(f"unknown metric {name!r} in goal; known: "
                                f"{', '.join(METRIC_BY_NAME)}")


@dataclass(frozen=True)
class Ranking:
    """How often each option is the best feasible one across plausible twins.

    ``best[name]``: fraction of plausible twins in which the option is the best feasible one
    (options within the objective's tolerance of the best share that twin equally);
    ``feasible[name]``: fraction in which it meets every constraint.
    """

    goal: Goal
    options: tuple[str, ...]
    best: dict[str, float]
    feasible: dict[str, float]
    none_feasible: float
    median_best: str | None
    n: int
    undecided: float = 0.0  # fraction of twins in which every feasible option ties
    tolerance: float = 0.0  # the objective's minimal meaningful difference (its unit)
    #: option name → the failing evidence rows of its interventions
    #: (:func:`twinviewer.explain.evidence_flags.scenario_evidence`): said beside its line
    evidence: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: option name → its UNSOURCED large changes
    #: (:func:`twinviewer.explain.evidence_flags.unsourced_changes`): said when the goal's
    #: own metric is among them
    unsourced: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: option name → why it is left out of the ranking (a valve sized outside the annulus
    #: entered with it, :func:`~twinviewer.interventions.indication.sizing_notes`): it wins
    #: no twin and is never best on medians, listed after every ranked option
    not_ranked: Mapping[str, str] = field(default_factory=dict)

    def caution(self, name: str) -> str:
        """The caution said beside option ``name`` when the model of one of its
        interventions fails a sourced evidence row ('' otherwise): its share of wins is the
        model's, and the model is known to be wrong for that intervention somewhere.

        Examples
        --------
        >>> r = Ranking(Goal("LVEDP"), ("baseline", "pace"), {"baseline": 0.1, "pace": 0.9},
        ...     {"baseline": 1.0, "pace": 1.0}, 0.0, "pace", 10,
        ...     evidence={"pace": ("evidence row 'DDD' (ddd) fails: SV expected ~=, got -33 %",)})
        >>> print(r.caution("pace"))  # doctest: +NORMALIZE_WHITESPACE
        caution: this intervention's model fails its evidence row 'DDD' (ddd):
        SV expected ~=, got -33 %; its rank rests on that model
        >>> r.caution("baseline")
        ''
        """
        rows = self.evidence.get(name) or ()
        parts = []
        if rows:
            said = "; ".join(re.sub(r" fails( in its validation case \([^)]*\))?: ", r"\1: ",
                                    r.replace("evidence row ", "", 1), count=1)
                             for r in rows)
            row = "row" if len(rows) == 1 else "rows"
            parts.append(f"this intervention's model fails its evidence {row} {said}")
        label = METRIC_BY_NAME[self.goal.metric].label
        if any(f"{label} " in line for line in self.unsourced.get(name) or ()):
            parts.append(f"its change of {label} (the goal) has no source (UNSOURCED)")
        if not parts:
            return ""
        return f"caution: {'; '.join(parts)}; its rank rests on that model"

    @property
    def verdict(self) -> str:
        """One sentence saying whether the options differ at all for this goal."""
        if self.undecided >= 0.5:
            # a difference: an EF tolerance is in %-points (review14 #3)
            u = change_unit(METRIC_BY_NAME[self.goal.metric].unit)
            within = f"{number(self.tolerance)} {u}"
            return (f"no real difference: in {percent(self.undecided)} of plausible twins "
                    f"every feasible option is within {within.strip()} of the best "
                    f"{self.goal.metric}, so the shares below are ties, not a ranking")
        return ""

    def ordered(self) -> list[tuple[str, float]]:
        """(option, share of wins), the most frequent winner first; options not ranked
        (:attr:`not_ranked`) after every ranked one."""
        return sorted(self.best.items(), key=lambda kv: (kv[0] in self.not_ranked, -kv[1]))

    def to_dict(self) -> dict:
        return {"goal": str(self.goal), "options": list(self.options), "best": self.best,
                "feasible": self.feasible, "none_feasible": self.none_feasible,
                "median_best": self.median_best, "n": self.n, "undecided": self.undecided,
                "verdict": self.verdict,
                "cautions": {k: self.caution(k) for k in self.options if self.caution(k)},
                "not_ranked": dict(self.not_ranked)}

    def format_text(self, shown: Mapping[str, str] | None = None) -> str:
        """The ranking as text; ``shown`` maps an option's name to the name printed (with its
        response mode: a ranking of acute against regulated results must say so)."""
        shown = shown or {}
        lines = [f"goal: {self.goal}  ({self.n} plausible twins)"]
        if self.verdict:
            lines.append(f"  {self.verdict}")
        for name, f in self.ordered():
            if name in self.not_ranked:  # never a recommendation: the reason under it
                lines.append(f"  {shown.get(name, name)}: not ranked ({NOT_RANKED}), "
                             f"feasible in {percent(self.feasible[name])}")
                lines.append(f"    ! {self.not_ranked[name]}")
                continue
            lines.append(f"  {shown.get(name, name)}: best in {percent(f)}, feasible in "
                         f"{percent(self.feasible[name])}")
            if self.caution(name):  # right under the line it qualifies
                lines.append(f"    ! {self.caution(name)}")
        if self.none_feasible:
            lines.append(f"  no {'ranked ' if self.not_ranked else ''}option meets the "
                         f"constraints in {percent(self.none_feasible)}")
        best = shown.get(self.median_best, self.median_best) if self.median_best else None
        lines.append(f"  best on medians alone: {best or 'none feasible'}"
                     + (" (! its model fails an evidence row, see above)"
                        if self.median_best and self.caution(self.median_best) else ""))
        return "\n".join(lines)


#: Why an option is listed but not ranked, in words (its sizing note follows).
NOT_RANKED = "a valve sized outside the annulus entered with it"


def rank(baseline: Results, results: Mapping[str, Results], goal: Goal, *,
         include_baseline: bool = True,
         evidence: Mapping[str, Sequence[str]] | None = None,
         unsourced: Mapping[str, Sequence[str]] | None = None,
         scenarios: Sequence[Scenario] = ()) -> Ranking:
    """Rank options (the baseline and each scenario) by ``goal`` across the ensemble;
    ``evidence`` (scenario name → failing evidence rows, as the scenario table holds them)
    puts a caution beside each option whose model fails its own evidence, ``unsourced``
    (scenario name → :func:`~twinviewer.explain.evidence_flags.unsourced_changes` lines)
    beside each whose change of the goal's metric no source reports. ``scenarios``: the
    options' definitions; one with a valve sized outside the annulus entered with it is not
    ranked (:attr:`Ranking.not_ranked`): it wins no twin and is never best on medians.

    Raises
    ------
    InterventionError
        No results, no member periodic in every option, a metric the model lacks, or every
        option not ranked.

    Examples
    --------
    >>> from twinviewer.interventions import run_scenarios
    >>> from twinviewer.core.twin import InterventionStep
    >>> from twinviewer.physiology import simulate
    >>> from twinviewer.twins import model_of, twin_from_preset
    >>> twin = twin_from_preset("severe_as", n=8, seed=1)
    >>> model = model_of(twin)
    >>> base = simulate(model, twin.ensemble)
    >>> big = Scenario("s3 29", (InterventionStep("tavi_sapien3",
    ...                                           {"size": 29.0, "annulus": 20.0}),))
    >>> fits = Scenario("s3 20", (InterventionStep("tavi_sapien3",
    ...                                            {"size": 20.0, "annulus": 20.0}),))
    >>> res = run_scenarios(model, base, [big, fits])
    >>> r = rank(base, res, Goal.parse("min AV_mean_gradient"), scenarios=[big, fits])
    >>> r.median_best, r.best["s3 29"], r.ordered()[-1][0]
    ('s3 20', 0.0, 's3 29')
    """
    from twinviewer.interventions.indication import sizing_notes

    options = dict(results)
    if include_baseline:
        options = {BASELINE: baseline, **options}
    if not options:
        raise InterventionError("nothing to rank: no scenario results")
    names = tuple(options)
    off = {s.name: "; ".join(notes) for s in scenarios
           if s.name in options and (notes := sizing_notes(s))}
    if len(off) == len(names):
        raise InterventionError("nothing to rank: every option is a valve sized outside the "
                                "annulus entered with it: " + "; ".join(off.values()))
    for metric in (goal.metric, *(c.metric for c in goal.constraints)):
        for r in options.values():
            if metric not in r.metrics:
                raise InterventionError(
                    f"goal {goal}: model {r.model.name} does not compute {metric}; choose one "
                    f"of {', '.join(sorted(r.metrics))}")
    ok = np.logical_and.reduce([r.ok for r in options.values()])
    n = int(ok.sum())
    if n == 0:
        raise InterventionError("no member is periodic in every option; nothing to rank")
    sign = 1.0 if goal.sense == "min" else -1.0
    obj = np.stack([sign * options[k].metrics[goal.metric][ok] for k in names])  # (K, n)
    feas = np.ones_like(obj, dtype=bool)
    for c in goal.constraints:
        feas &= np.stack([c.satisfied(options[k].metrics[c.metric][ok]) for k in names])
    feas &= np.isfinite(obj)
    # an option that sucks the ventricle down (or empties the atrium) is not a feasible win
    harm = np.stack([harmed(options[k], ok) for k in names])
    feas &= ~harm
    # an off-size valve competes for no twin (its own feasibility is still reported)
    ranked = feas & np.array([k not in off for k in names])[:, None]
    score = np.where(ranked, obj, np.inf)
    any_feasible = ranked.any(axis=0)
    # Options within the metric's minimal meaningful difference of the best share the win,
    # so two practically identical options do not split the ensemble on numerical noise.
    tol = min_difference(goal.metric)
    tied = ranked & (score <= score.min(axis=0, keepdims=True) + tol)
    share = np.where(any_feasible, tied / np.maximum(tied.sum(axis=0), 1), 0.0)
    best = {k: float(share[i].mean()) for i, k in enumerate(names)}
    feasible = {k: float(np.mean(feas[i])) for i, k in enumerate(names)}
    med = np.array([_finite_median(obj[i]) for i in range(len(names))])
    med_ok = np.isfinite(med)  # an option without a finite median cannot win on medians
    med_ok &= harm.mean(axis=1) < 0.5  # nor one that harms most twins (suction)
    med_ok &= np.array([k not in off for k in names])  # nor an off-size valve
    for c in goal.constraints:
        med_ok &= np.array([bool(c.satisfied(_finite_median(options[k].metrics[c.metric][ok])))
                            for k in names])
    median_best = names[int(np.argmin(np.where(med_ok, med, np.inf)))] if med_ok.any() else None
    n_feasible = ranked.sum(axis=0)
    undecided = float(np.mean((n_feasible > 1) & (tied.sum(axis=0) == n_feasible)))
    cautions = {k: tuple(v) for k, v in (evidence or {}).items() if k in names and v}
    big = {k: tuple(v) for k, v in (unsourced or {}).items() if k in names and v}
    return Ranking(goal, names, best, feasible, float(np.mean(~any_feasible)), median_best, n,
                   undecided, float(tol), cautions, big, off)


def _finite_median(x: np.ndarray) -> float:
    """Median of the finite values (NaN if there are none)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else np.nan
