"""A what-if's cells in the report, paired member by member exactly as the comparison on
screen and in ``twinviewer whatif`` pairs them (:func:`twinviewer.interventions.compare.compare`,
its :func:`~twinviewer.interventions.compare.paired_mask` and each metric's finite members),
with the flags that go with them.

The report used to pair on its own (periodic members only), so its baseline column covered
every twin while the scenario and its Δ covered fewer (session-16 note): here the baseline of
the same twins is one cell (:func:`paired_baseline`), a Δ below the display resolution is
"no change" only when no twin changes by more (:func:`delta_text`), and a scenario's flags —
outside the validated range, suction, an off-size valve, a negative mean atrial pressure —
are the lines the screen shows (:func:`scenario_lines`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from twinviewer.core.format import change, change_unit, percent, resolution


class _Run:
    """Stored metric arrays (a .twin's cached results: metric → (N,) array, ``'_ok'``) as
    the comparison reads a run; no parameters, so no valve areas (see :func:`paired`)."""

    def __init__(self, r: Mapping[str, Any]) -> None:
        d = dict(r)
        ok = d.pop("_ok", None)
        self.metrics = {k: np.asarray(v, dtype=float) for k, v in d.items()
                        if np.ndim(v) == 1}
        n = next((v.shape[0] for v in self.metrics.values()), 0)
        self.ok = np.ones(n, bool) if ok is None else np.asarray(ok, dtype=bool)
        self.n = n
        self.params = None
        self.model = None


def as_run(r: Any) -> Any:
    """``r`` if it is a run (``metrics``, ``ok``, ``n``), else its stored arrays as one.

    Examples
    --------
    >>> run = as_run({"CO": np.array([5.0, np.nan]), "_ok": np.array([True, False])})
    >>> run.n, run.ok.tolist()
    (2, [True, False])
    """
    return r if hasattr(r, "metrics") and hasattr(r, "n") else _Run(r)


@dataclass(frozen=True)
class Paired:
    """One metric of one what-if against the baseline: the comparison's cells and the paired
    members' own changes (``d``, scenario − baseline, the ensemble's, without model error)."""

    comparison: Any  # twinviewer.interventions.compare.Comparison
    d: np.ndarray


def paired(base: Any, scen: Any, metric: str, ctx: Any = None,
           areas: Mapping[str, tuple[Any, Any]] | None = None) -> Paired | None:
    """:func:`~twinviewer.interventions.compare.compare` of ``metric`` (``ctx``: the twin's
    interval context, the shown intervals), or None when the two cannot be paired (another
    ensemble size, the metric missing). ``areas`` (valve → (baseline EOA, scenario EOA),
    :func:`~twinviewer.interventions.compare.scenario_valve_areas`): for stored results
    without parameters, so a valve replacement's gradient fall is still scored.

    Examples
    --------
    >>> b = {"CO": np.array([4.0, 5.0, 6.0]), "_ok": np.array([True, True, True])}
    >>> s = {"CO": np.array([4.5, np.nan, 6.4]), "_ok": np.array([True, True, True])}
    >>> p = paired(b, s, "CO")
    >>> p.comparison.n_paired, p.d.tolist()  # the member with no CO is not paired
    (2, [0.5, 0.40000000000000036])
    """
    from twinviewer.interventions import InterventionError
    from twinviewer.interventions.compare import compare, paired_improvement, paired_mask

    b, s = as_run(base), as_run(scen)
    if metric not in b.metrics or metric not in s.metrics:
        return None
    try:
        mask = paired_mask(b, s)
        c = compare(b, s, metric, predictive=ctx)
    except (InterventionError, IndexError, ValueError):
        return None
    x0 = np.asarray(b.metrics[metric], float)[mask]
    x1 = np.asarray(s.metrics[metric], float)[mask]
    both = np.isfinite(x0) & np.isfinite(x1)
    if areas is not None and (getattr(b, "params", None) is None
                              or getattr(s, "params", None) is None):
        from twinviewer.interventions.compare import uncredited_members

        pick = np.flatnonzero(mask)[both]
        improved, worsened, why = paired_improvement(
            metric, {k: np.asarray(v)[pick] for k, v in b.metrics.items()},
            {k: np.asarray(v)[pick] for k, v in s.metrics.items()},
            uncredited_members(metric, b, s)[pick],
            {v: (np.asarray(a0)[pick], np.asarray(a1)[pick]) for v, (a0, a1) in areas.items()})
        c = replace(c, improved=improved, worsened=worsened, qualifier=why)
    return Paired(c, x1[both] - x0[both])


def delta_text(p: Paired, unit: str, *, share: bool = False) -> str:
    """The Δ cell: the change at the quantity's display resolution
    (:func:`~twinviewer.core.format.change`), but never 'no change' while some twins change
    by a resolution step or more (review16b #9: "no change" beside "improves in 5 %"): then
    the median and interval as they are, and with ``share`` (a table without an "Improved"
    column) the share of twins that improve, or that change, by that much.

    Examples
    --------
    >>> from twinviewer.interventions.compare import Comparison, Interval
    >>> c = Comparison("LAP", "mmHg", "LAP", Interval(19, 12, 26), Interval(19, 12, 26),
    ...                Interval(-0.2, -0.8, 0.3), 0.05, 0.0, 20, 20)
    >>> d = np.r_[-1.4, np.zeros(19)]
    >>> delta_text(Paired(c, d), "mmHg", share=True)
    '-0.2 (-0.8 to +0.3), improves in 5 % of twins'
    >>> delta_text(Paired(replace(c, metric="LVEF", improved=0.0), d), "%", share=True)
    '-0.2 (-0.8 to +0.3), changes by ≥ 1 %-points in 5 % of twins'
    >>> delta_text(Paired(replace(c, improved=0.0), np.zeros(20)), "mmHg")
    'no change'
    """
    from twinviewer.interventions.compare import change_text

    c, diff, step = p.comparison, p.comparison.difference, resolution(unit)
    if c.moved is None and step is not None:  # a comparison made without the share
        c = replace(c, moved=float(np.mean(np.abs(p.d) >= step)) if p.d.size else 0.0)
    text = change_text(c, unit)  # the one rule of the screen, the CLI and the report
    if not share or step is None or change(diff.median, diff.lo, diff.hi, unit) != "no change" \
            or text == "no change":
        return text
    moved = c.moved or 0.0
    if c.improved is not None and c.improved > 0:
        return f"{text}, improves in {percent(c.improved)} of twins"
    return f"{text}, changes by ≥ {step:g} {change_unit(unit)} in {percent(moved)} of twins"


def paired_baseline(p: Paired, whole: int, shown: int = 0) -> str:
    """The baseline over the twins the what-if's cell covers, where that is fewer than the
    ``whole`` baseline column (its excluded or not periodic members, or a value missing), as
    on screen (review16b #7): '5.1 (4.1–6.7)', '(35 twins) 5.0 (4.0–6.6)' where the count is
    not the column's ``shown``; '' when it covers them all.

    Examples
    --------
    >>> from twinviewer.interventions.compare import Comparison, Interval
    >>> c = Comparison("CO", "L/min", "CO", Interval(5.1, 4.1, 6.7), Interval(6.6, 5.2, 8.6),
    ...                Interval(1.6, 0.8, 2.2), None, None, 36, 40)
    >>> paired_baseline(Paired(c, np.zeros(36)), 40, 36)
    '5.1 (4.1–6.7)'
    >>> paired_baseline(Paired(c, np.zeros(36)), 40, 37)
    '(36 twins) 5.1 (4.1–6.7)'
    >>> paired_baseline(Paired(c, np.zeros(36)), 36)
    ''
    """
    c = p.comparison
    if not whole or c.n_paired >= whole or c.yes_no is not None:
        return ""
    return ("" if c.n_paired == shown else f"({c.n_paired} twins) ") + c.baseline.format()


def left_out_text(flags: Any, n_members: int, baseline_ok: Any) -> str:
    """Which twins a what-if leaves out, by number, and why
    (:meth:`~twinviewer.interventions.compare.ScenarioTable.left_out`, the screen's words);
    '' if none or not known.

    Examples
    --------
    >>> from twinviewer.interventions.compare import ScenarioFlags
    >>> f = ScenarioFlags(0, 0, 0, (), excluded=2, paired=4, covered=(0, 3))
    >>> left_out_text(f, 5, np.array([True] * 4 + [False]))[:38]
    'left out: twins 2, 3 (by the scenario:'
    """
    from twinviewer.interventions.compare import ScenarioTable

    if flags is None or not n_members or np.shape(baseline_ok) != (n_members,):
        return ""
    failed = tuple(int(i) for i in np.flatnonzero(~np.asarray(baseline_ok, bool)))
    table = ScenarioTable((), ("s",), {}, {}, {"s": flags}, n_members=n_members,
                          baseline_failed=failed)
    return table.left_out("s")


def scenario_lines(results: Any, scenario_results: Mapping[str, Any],
                   scenarios: Sequence[Any]) -> dict[str, list[str]]:
    """Each what-if's flags as the screen shows them beside its result
    (:meth:`~twinviewer.interventions.compare.ScenarioFlags.lines`: outside the validated
    range, LV suction, a closed aortic valve, members excluded, a valve it does not treat or
    that is off-size for the annulus given:
    :func:`~twinviewer.interventions.indication.with_sizing`), and a mean atrial pressure
    below 0 mmHg with why (:func:`~twinviewer.explain.validity.negative_atrial`). Stored
    results without their run give the last two only.

    Examples
    --------
    >>> scenario_lines(None, {}, [])
    {}
    """
    from twinviewer.explain.validity import negative_atrial
    from twinviewer.interventions.compare import scenario_flags
    from twinviewer.interventions.indication import sizing_notes, with_sizing
    from twinviewer.physiology import Results

    by_name = {s.name: s for s in scenarios}
    flags = {k: scenario_flags(results, r) for k, r in scenario_results.items()
             if isinstance(r, Results) and isinstance(results, Results) and r.n == results.n}
    flags = with_sizing(flags, [s for s in scenarios if s.name in flags])
    out: dict[str, list[str]] = {}
    for k, r in scenario_results.items():
        if k in flags:
            lines = flags[k].lines()
        else:
            lines = sizing_notes(by_name[k]) if k in by_name else []
        run = as_run(r)
        lines += [w.text for w in negative_atrial(run.metrics, run.ok)]
        if lines:
            out[k] = lines
    return out
