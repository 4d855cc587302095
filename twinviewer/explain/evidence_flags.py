"""Which evidence rows a what-if's interventions fail, said next to its result.

A what-if that uses an intervention whose sourced evidence row fails
(:mod:`twinviewer.interventions.evidence_table`; ``twinviewer validate``) carries one line per
failing row beside its result — in the What-if panel, ``whatif`` text and ``--json`` and the
PDF — with the row's title and what it misses, so a reader never takes the effect of, say,
esmolol at face value while the model is known to miss its PCWP. A row is judged on the
default model (its own virtual patient, not this twin): a failing row says the model's
effect of the intervention is off somewhere, not that this patient's result is.

The rows are read from the cached validation report when one exists for the default model
(:func:`~twinviewer.explain.validation.cache_path`); otherwise only the rows of the
interventions used are run (a few seconds each, once per process).

Examples
--------
>>> line = failing_text({"title": "Esmolol 16 mg/min", "id": "esmolol-16mg-min",
...     "variables": [{"variable": "PCWP", "expected": "up", "got": "−1 %", "passed": False}]})
>>> line.split(" fails ")[0]
"evidence row 'Esmolol 16 mg/min' (esmolol-16mg-min)"
>>> line.split(" fails ")[1]
"in its validation case (its study's virtual patient, not this twin): PCWP expected up, got −1 %"
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def failing_text(row: Mapping[str, Any]) -> str:
    """One line for a failing row: its title, id, the validation case it was judged on (its
    own virtual patient: the numbers are that case's, the same under every scenario, review13b
    #1) and each variable it misses."""
    missed = [f"{v['variable']} expected {v['expected']}, got {v['got']}"
              for v in row.get("variables", []) if not v.get("passed")]
    what = "; ".join(missed) or str(row.get("message") or "it could not be run")
    return (f"evidence row '{row.get('title') or row['id']}' ({row['id']}) fails in its "
            f"validation case (its study's virtual patient, not this twin): {what}")


def _from_cache() -> dict[str, dict] | None:
    """Evidence rows of the cached validation report of the default model, or None."""
    from twinviewer.explain.validation import cache_path
    from twinviewer.physiology import get_preset

    try:
        path = cache_path(get_preset("healthy").model)
        if not path.is_file():
            return None
        return _read_cache(str(path), path.stat().st_mtime_ns)
    except OSError:
        return None


@functools.lru_cache(maxsize=2)
def _read_cache(path: str, _mtime: int) -> dict[str, dict] | None:
    """The evidence checks of the report at ``path`` (read once per version of the file)."""
    from pathlib import Path

    try:
        doc = json.loads(Path(path).read_text())
        out = {}
        for c in doc.get("checks", []):
            if c.get("group") == "evidence":
                out[c["name"]] = {"id": c["name"], "title": c.get("title", ""),
                                  "passed": c.get("passed"),
                                  "variables": c.get("variables", []),
                                  "message": c.get("detail", "")}
        return out
    except (OSError, ValueError, KeyError, TypeError):
        return None


@functools.lru_cache(maxsize=64)
def _run(row_id: str) -> dict:
    from twinviewer.interventions.evidence_table import load_rows, run_row

    _RUN_KEYS.add((row_id,))
    row = next(r for r in load_rows() if r.id == row_id)
    res = run_row(row)
    d = res.to_dict()
    d["passed"] = None if res.status == "unsourced" else res.status == "pass"
    d["variables"] = [{"variable": v["reported_as"], "expected": v["expected"],
                       "got": v["got"], "passed": v["passed"]} for v in d["variables"]]
    return d


def failing_rows(interventions: Iterable[Any], run: bool = True,
                 lvef: float | None = None) -> list[str]:
    """Lines for every sourced evidence row of ``interventions`` that fails; ``run`` False
    judges only rows already known (cached report, run in this process).

    ``interventions`` are scenario steps or bare library names, as for :func:`checked_by`:
    a step is warned by the rows at its own settings and by those within :data:`NEAR`
    (named "at 10 µg/kg/min"), not by a row at another dose (a dobutamine 5 µg/kg/min
    what-if was warned by the failing 8 and 10 µg/kg/min rows as if they were its own;
    session-15 note, after fix15g made "checked against" dose-aware); a bare name by every
    row of the intervention. Steps of one drug are matched as the dose they add up to
    (:func:`as_applied`).

    ``lvef``: the twin's LVEF (%). A row whose study population does not hold it is left
    out, by the match :func:`checked_by` uses (:mod:`~twinviewer.explain.evidence_match`):
    it is not this heart's evidence, and the "no evidence row for a heart like this" line
    (:func:`no_row_for_this_heart`) already names whom it is for. None: every row.

    Raises nothing: an evidence table that cannot be read gives one line saying so.

    Examples
    --------
    >>> from twinviewer.core.twin import InterventionStep
    >>> bb = [InterventionStep("beta_blocker", {"dose": 12.0})]
    >>> failing_rows(bb, lvef=60.0)  # metoprolol's failing row is for LVEF < 50 %
    []
    """
    from twinviewer.explain.evidence_match import population
    from twinviewer.interventions.evidence_table import EvidenceError

    steps = [_completed(x) for x in as_applied(interventions)]
    try:
        rows = [r for r in _rows() if r.sourced]
    except EvidenceError as exc:
        return [f"the evidence table could not be read: {exc}"]
    cached = _from_cache() or {}
    out = []
    for r in rows:
        at = None  # the row's settings where they differ from the nearest step's
        for name, settings in steps:
            if r.intervention != name:
                continue
            dist, other = setting_distance(r, name, settings)
            if dist <= NEAR and (at is None or not other):
                at = _at(name, other)
        if at is None or not population(r.id).fits(lvef):
            continue
        judged = cached.get(r.id)
        if judged is None and (run or _known(r.id)):
            judged = _run(r.id)
        if judged is not None and judged.get("passed") is False:
            line = failing_text({**judged, "title": judged.get("title") or r.title})
            said = f"({r.id})"
            out.append(line.replace(said, said + at, 1) if at else line)
    return out


def _known(row_id: str) -> bool:
    """True if row ``row_id`` was already run in this process (its result is cached)."""
    return any(k[0] == row_id for k in _RUN_KEYS)


_RUN_KEYS: set[tuple[str]] = set()


@functools.lru_cache(maxsize=1)
def _rows() -> tuple:
    from twinviewer.interventions.evidence_table import load_rows

    return tuple(load_rows())


def scenario_evidence(scenarios: Sequence[Any], run: bool = True, baseline: Any = None
                      ) -> dict[str, list[str]]:
    """Scenario name → :func:`failing_rows` of its steps' interventions (only those with
    a failing row); ``run`` as there. ``baseline``: the twin's baseline results (or metric
    arrays), whose LVEF picks the rows of its study population
    (:func:`~twinviewer.explain.evidence_match.heart_lvef`); None: every row."""
    from twinviewer.explain.evidence_match import heart_lvef

    lvef = heart_lvef(baseline)
    out = {}
    for sc in scenarios:
        lines = failing_rows(sc.steps, run, lvef)
        if lines:
            out[sc.name] = lines
    return out


#: The outputs whose large change a what-if must source or call unsourced (review12 #8).
HEADLINE = ("LVEF", "CO", "LVSV", "MAP", "LVEDP", "LAP")
#: A paired median change of at least this fraction of the baseline median is "large".
LARGE = 0.10


#: A reported variable (its ``reported_as`` name, before any "~=" or arrow) → further model
#: outputs it checks (review12b #6): the wedge pressure is the catheter's estimate of LV
#: filling pressure, so a row reporting PCWP checks the model's LAP and its LVEDP (the row
#: names PCWP; Dell'Italia 1989 reports PCWP unchanged under metoprolol).
SURROGATES: dict[str, tuple[str, ...]] = {"PCWP": ("LAP", "LVEDP")}
#: An output that follows from two others: a row checking both checks it (SV = EDV − ESV).
DERIVED: dict[str, tuple[str, str]] = {"LVSV": ("LVEDV", "LVESV"),
                                       "RVSV": ("RVEDV", "RVESV")}


#: Settings that say how a result is drawn, not how much is given: never matched.
NOT_DOSE = ("sd_scale", "seed")
#: A row at another setting checks a scenario's step only if every setting they share is
#: within this fraction of the step's value (dobutamine 10 µg/kg/min does not check 5, review15b
#: #4; metoprolol's 12 mg row checks a 10 mg step, said "at 12 mg").
NEAR = 0.25


def _completed(step: Any) -> tuple[str, dict[str, float] | None]:
    """(name, settings with defaults) of a step; None settings for a bare name (any row)."""
    if isinstance(step, str):
        return step, None
    settings = dict(getattr(step, "settings", {}) or {})
    try:
        from twinviewer.interventions.library import get_intervention

        settings = {**{x.name: x.default for x in get_intervention(step.name).settings},
                    **settings}
    except Exception:  # noqa: BLE001 - an unknown intervention: its own settings only
        pass
    return step.name, settings


def as_applied(steps: Iterable[Any]) -> list[Any]:
    """``steps`` as the scenario applies them: two steps of one drug at one dose–response
    become one step at the summed dose (:func:`~twinviewer.interventions.scenario.
    combined_steps`, drugs17), so "β-blocker 5 mg + 7 mg" is matched with the evidence rows
    of 12 mg, as it is run. Bare names, and steps of an intervention the library does not
    know, stay as they are.

    Examples
    --------
    >>> from twinviewer.core.twin import InterventionStep
    >>> [(s.name, s.settings) for s in as_applied([InterventionStep("beta_blocker",
    ...     {"dose": 5.0}), InterventionStep("beta_blocker", {"dose": 7.0})])]
    [('beta_blocker', {'dose': 12.0})]
    >>> as_applied(["beta_blocker", "beta_blocker"])
    ['beta_blocker', 'beta_blocker']
    """
    from twinviewer.interventions.intervention import InterventionError
    from twinviewer.interventions.scenario import combined_steps

    steps = list(steps)
    if any(isinstance(st, str) for st in steps):
        return steps
    try:
        return [st for _, st in combined_steps(steps)]
    except InterventionError:  # a plug-in's step that is off: each matched on its own
        return steps


def setting_distance(row: Any, name: str, settings: Mapping[str, float] | None
                     ) -> tuple[float, dict[str, float]]:
    """(largest relative difference, the row's differing settings) between evidence row
    ``row``'s step of ``name`` and a scenario step's ``settings`` over the settings both
    give (:data:`NOT_DOSE` left out); (0, {}) when they share none or ``settings`` is None.

    A setting the step lacks is taken from the row's ``implied`` settings for the step's
    intervention (:func:`~twinviewer.explain.evidence_match.implied_settings`: a "diuretic"
    step stands for furosemide at 3.5 h, review17 F6). A ramp row (``ramp``: setting, from,
    to) matches no step whose ramp setting lies outside from–to: distance ∞ (review17 F8).

    Examples
    --------
    >>> from twinviewer.interventions.evidence_table import load_rows
    >>> row = next(r for r in load_rows() if r.id == "dobutamine-10")
    >>> setting_distance(row, "inotrope", {"dose": 5.0})
    (1.0, {'dose': 10.0})
    >>> ramp = next(r for r in load_rows() if r.id == "lvad-ramp")
    >>> setting_distance(ramp, "lvad", {"speed": 5000.0}), setting_distance(ramp, "lvad",
    ...     {"speed": 9000.0})
    ((0.0, {}), (inf, {}))
    """
    from twinviewer.explain.evidence_match import implied_settings

    if settings is None:
        return 0.0, {}
    settings = {**implied_settings(row.id).get(name, {}), **settings}
    ramp = getattr(row, "ramp", None) or {}
    if ramp.get("setting") in settings and not (
            float(ramp["from"]) <= float(settings[ramp["setting"]]) <= float(ramp["to"])):
        # a ramp row speaks for its speeds only (review17 F8: lvad-ramp "checked" 9000 rpm)
        return float("inf"), {}
    steps = [st for st in row.steps if st.name == name] or list(row.steps)[:1]
    if not steps:
        return 0.0, {}
    worst, other = 0.0, {}
    for k, v in (steps[0].settings or {}).items():
        if k in NOT_DOSE or k not in settings:
            continue
        try:
            a, b = float(v), float(settings[k])
        except (TypeError, ValueError):
            continue
        if a == b:
            continue
        other[k] = a
        worst = max(worst, abs(a - b) / abs(b) if b else float("inf"))
    return worst, other


def _at(name: str, other: Mapping[str, float]) -> str:
    """' at 10 µg/kg/min': the row's settings where they differ from the scenario's."""
    from twinviewer.core.format import unit as shown_unit

    units = {}
    try:
        from twinviewer.interventions.library import get_intervention

        units = {x.name: x.unit for x in get_intervention(name).settings}
    except Exception:  # noqa: BLE001 - no unit known: the bare number and its name
        pass
    said = [f"{v:g} {shown_unit(units[k])}" if k in units else f"{k} {v:g}"
            for k, v in other.items()]
    return f" at {', '.join(said)}" if said else ""


def checked_by(interventions: Iterable[Any], lvef: float | None = None
               ) -> dict[str, tuple[str, str]]:
    """Model metric → (the sourced evidence row of ``interventions`` that checks it, through
    what) — ("evidence row 'Metoprolol 12 mg IV' (metoprolol-12mg)", "PCWP ~=") — with ''
    for a metric the row reports itself; a row reporting PCWP checks LAP and LVEDP
    (:data:`SURROGATES`), one checking EDV and ESV checks SV (:data:`DERIVED`).

    ``interventions`` are scenario steps (their settings matter: a metric is checked by the
    row whose settings are the step's, else by the nearest within :data:`NEAR`, named "at 12
    mg"; a row further off checks nothing) or bare names (any row of the intervention).
    ``lvef``: the twin's LVEF (%); a row whose study population does not cover it checks
    nothing (:mod:`~twinviewer.explain.evidence_match`, numbers17 F1); None: any row.

    Examples
    --------
    >>> checked_by(["beta_blocker"])["LVEDP"]
    ("evidence row 'Metoprolol 12 mg IV' (metoprolol-12mg)", 'PCWP ~=')
    >>> from twinviewer.core.twin import InterventionStep
    >>> checked_by([InterventionStep("beta_blocker", {"dose": 10.0})])["LVEDP"][0]
    "evidence row 'Metoprolol 12 mg IV' (metoprolol-12mg) at 12 mg"
    >>> "CO" in checked_by([InterventionStep("inotrope", {"dose": 20.0})])
    False
    """
    return {k: v[:2] for k, v in _checked_rows(interventions, lvef).items()}


def _candidates(interventions: Iterable[Any], lvef: float | None = None
                ) -> tuple[list[tuple[float, float, int, Any, str]], list[Any]]:
    """(the sourced rows within :data:`NEAR` of a step whose population covers ``lvef``,
    each as (setting distance, population distance, file order, row, its text); the rows
    within :data:`NEAR` whose population does not).

    Examples
    --------
    >>> from twinviewer.core.twin import InterventionStep
    >>> fit, other = _candidates([InterventionStep("pacing", {"rate": 110.0})], lvef=23.0)
    >>> [c[3].id for c in fit], [r.id for r in other]
    (['pacing-70-110-ef-reduced'], ['pacing-70-110-ef-preserved', 'pacing-normal-atrial'])
    """
    from twinviewer.explain.evidence_match import population
    from twinviewer.interventions.evidence_table import EvidenceError

    try:
        table = [r for r in _rows() if r.sourced]
    except EvidenceError:
        return [], []
    fit, other = [], []
    for name, settings in (_completed(st) for st in as_applied(interventions)):
        for i, r in enumerate(table):
            if r.intervention != name and not any(st.name == name for st in r.steps):
                continue
            dist, at = setting_distance(r, name, settings)
            if dist > NEAR:
                continue
            pop = population(r.id)
            if not pop.fits(lvef):
                other.append(r)
                continue
            fit.append((dist, pop.distance(lvef), i, r,
                        f"evidence row '{r.title or r.id}' ({r.id})" + _at(name, at)))
    return fit, other


def _checked_rows(interventions: Iterable[Any], lvef: float | None = None
                  ) -> dict[str, tuple[str, str, Any, float]]:
    """:func:`checked_by` with the row itself and its setting distance:
    metric → (text, through what, row, distance). Of the rows whose population covers
    ``lvef``, the nearest setting wins, then the study whose reported LVEF is nearest the
    twin's, then file order."""
    from twinviewer.interventions.compare import resolve_metric

    best: dict[str, tuple[tuple, tuple]] = {}  # metric → (sort key, (text, via, row, dist))
    for dist, pdist, i, r, row in _candidates(interventions, lvef)[0]:
        mine: dict[str, tuple[str, str]] = {}
        for v in r.variables:
            said = v.reported_as or v.metric
            try:
                metric = resolve_metric(v.metric)
            except Exception:  # noqa: BLE001 - a name the model lacks checks nothing here
                metric = v.metric
            mine.setdefault(metric, (row, ""))
            reported = said.replace("~=", " ").replace("↑", " ").replace("↓", " ").split()
            for other in SURROGATES.get(reported[0] if reported else "", ()):
                if other != metric:
                    mine.setdefault(other, (row, said))
        for out_name, (a, b) in DERIVED.items():
            if a in mine and b in mine:
                mine.setdefault(out_name, (row, f"{a} and {b}"))
        for k, how in mine.items():
            if k not in best or (dist, pdist, i) < best[k][0]:
                best[k] = ((dist, pdist, i), (*how, r, dist))
    return {k: v[1] for k, v in best.items()}


def no_row_for_this_heart(steps: Iterable[Any], lvef: float | None) -> list[str]:
    """One line per intervention of ``steps`` that has sourced rows at these settings, none
    of whose study populations covers a heart of ``lvef`` (%): said instead of judging the
    heart against another population's response (numbers17 F1).

    Examples
    --------
    >>> from twinviewer.core.twin import InterventionStep
    >>> no_row_for_this_heart([InterventionStep("beta_blocker", {"dose": 12.0})], 60.0)[0]
    'no evidence row for a heart like this (LVEF 60 %) at these settings: the rows of \
Beta-blocker (metoprolol IV equivalent) are for Q-wave acute myocardial infarction within 48 h \
(EF 48 ± 7 %) (LVEF < 50 %); LV dysfunction (LVEF 27 ± 2 %) (LVEF < 50 %)'
    """
    from twinviewer.explain.evidence_match import populations_said

    if lvef is None:
        return []
    steps = list(steps)
    fit, other = _candidates(steps, lvef)
    out = []
    for name in dict.fromkeys(_completed(st)[0] for st in steps):
        mine = [r.id for r in other if r.intervention == name]
        if mine and not any(c[3].intervention == name for c in fit):
            out.append(f"no evidence row for a heart like this (LVEF {lvef:.0f} %) at these "
                       f"settings: the rows of {_title(name)} are for "
                       f"{populations_said(mine)}")
    return out


def sourced_metrics(interventions: Iterable[Any], lvef: float | None = None) -> set[str]:
    """The model metrics some sourced evidence row of ``interventions`` (steps or names)
    checks (:func:`checked_by`, ``lvef`` as there)."""
    return set(checked_by(interventions, lvef))


def checked_changes(scenarios: Sequence[Any], baseline: Any,
                    results: Mapping[str, Any], context: Any = None) -> dict[str, list[str]]:
    """Scenario name → one line per sourced evidence row naming the large headline changes
    (as :func:`unsourced_changes` judges them) it covers ("LV end-diastolic pressure +2.5
    mmHg (90 %: +1.7 to +3.6; through PCWP ~=): checked against evidence row …"): the
    counterpart of an UNSOURCED line, so a reader sees which source a change rests on
    (review12b #6). Each change carries the interval the tables give it (``context``: the
    twin's :class:`~twinviewer.personalize.shown.IntervalContext`, or None).
    """
    from twinviewer.explain.evidence_match import heart_lvef

    out: dict[str, list[str]] = {}
    lvef = heart_lvef(baseline)  # rows of another study population check nothing here
    for sc in scenarios:
        r = results.get(sc.name)
        if r is None:
            continue
        by = _checked_rows(sc.steps, lvef)
        rows: dict[str, list[str]] = {}
        stated: dict[str, dict[str, bool]] = {}
        for name, text in _large_changes(baseline, r, context):
            if name in by:
                row, via = by[name][:2]
                rows.setdefault(row, []).append(_through(text, via))
                stated.setdefault(row, {})[name] = (context is not None
                                                    and context.widened(name))
        steps = list(dict.fromkeys(step.name for step in sc.steps))
        # a change of several steps is their combination's, not the row's intervention's alone
        whole = (f" (the change is that of {' + '.join(steps)} together)"
                 if len(steps) > 1 else "")
        # this heart's own change against the source, for a single intervention judged by a
        # row at the step's own settings (review16b #2: a row passing on its study's patient
        # said nothing of a library heart responding half as much)
        heart = {}
        if len(steps) == 1:
            for row, _, ev, dist in by.values():
                if dist == 0 and row not in heart:
                    heart[row] = this_heart(ev, getattr(sc, "regulation", ""), baseline, r,
                                            stated.get(row, {}))
        lines = [f"{', '.join(changes)}: checked against {row}{whole}"
                 + (f"; {heart[row]}" if heart.get(row) else "")
                 for row, changes in rows.items()]
        lines += [f"checked against {row}; {said}" for row, said in heart.items()
                  if said and row not in rows and "CAUTION" in said]
        lines += no_row_for_this_heart(sc.steps, lvef)
        if lines:
            out[sc.name] = lines
    return out


def checked_row(line: str, steps: Iterable[Any]) -> tuple[str, str] | None:
    """(id, how the line names it) of the evidence row a :func:`checked_changes` line of
    ``steps`` is checked against, or None: taken from the rows themselves, not parsed from
    the line's end (final16 #1: the text after the row, "(source −29 %)", was read as its
    id).

    >>> from twinviewer.core.twin import InterventionStep
    >>> step = InterventionStep("ace_inhibitor", {"dose": 25.0})
    >>> row = checked_by([step])["MAP"][0]
    >>> row
    "evidence row 'Captopril 25 mg (post-MI LV failure), 60 min' (captopril-25)"
    >>> checked_row(f"MAP −12 %: checked against {row}; … (source −16 %)", [step])[0]
    'captopril-25'
    """
    # every row of these settings, whatever its population: the line was made for a twin
    # whose LVEF is not known here
    for *_, row, text in _candidates(steps)[0]:
        if f"checked against {text}" in line:
            return row.id, text
    return None


def _through(text: str, via: str) -> str:
    """``text`` with the surrogate it is checked through: inside its interval's parentheses,
    or in its own for a change without one (final16 #11: "−0.6 mmH; through PCWP)").

    >>> _through("LAP +2 mmHg (90 %: +1 to +3)", "PCWP"), _through("LAP −0.6 mmHg", "PCWP")
    ('LAP +2 mmHg (90 %: +1 to +3; through PCWP)', 'LAP −0.6 mmHg (through PCWP)')
    """
    if not via:
        return text
    return f"{text[:-1]}; through {via})" if text.endswith(")") else f"{text} (through {via})"


#: Kinds of reported variable whose size this heart's change is judged on.
SIZED = ("relative", "absolute", "value")
#: Kinds without a size (a direction, "~=", a bound): this heart's change is judged by the
#: row's own rule for them, the one ``twinviewer validate`` applies (numbers17 F2: a MAP
#: −11 % under dobutamine beside Akhtar's "MAP ~=" was listed as checked, never compared).
RULED = ("unchanged", "up", "down", "at_most", "at_least")


def this_heart(row: Any, regulation: str, baseline: Any, result: Any,
               stated: Mapping[str, bool] | None = None) -> str:
    """Whether *this* heart's change of each variable ``row`` reports lies within the row's
    tolerance of the source, in words; a variable outside it is a CAUTION naming the source
    change and this heart's (paired median and 90 % interval of the members). The row itself
    is judged on its study's virtual patient; a library heart may respond otherwise.
    '' when nothing can be compared; a what-if in another response mode than the row's is
    not compared (said so). ``stated``: metric → whether its interval carries model error,
    for the absolute changes the same line already gives with their interval; an ensemble-only
    one is then not said again (last16 #6: MAP's change twice, at two precisions).
    An absolute change is written with the tables' digits (:func:`change_with_interval`).

    Examples
    --------
    >>> import numpy as np
    >>> from twinviewer.interventions.evidence_table import load_rows
    >>> row = next(r for r in load_rows() if r.id == "captopril-25")
    >>> base = {"CO": np.array([3.0, 3.2, 3.4]), "LAP": np.array([20.0, 22.0, 24.0]),
    ...         "MAP": np.array([80.0, 78.0, 76.0])}
    >>> after = {"CO": np.array([3.3, 3.6, 3.8]), "LAP": np.array([14.0, 16.0, 18.0]),
    ...          "MAP": np.array([66.0, 65.0, 63.0])}
    >>> text = this_heart(row, "regulated", base, after)
    >>> text.split("; CAUTION")[0].split(": ")[1]
    'PCWP −27 % (source −29 %), Mean arterial pressure −17 % (source −16 %)'
    >>> text.split("; CAUTION")[1].split(" against the source's")[0]
    ', outside it: Cardiac output +12 % (90 % of the ensemble +10 % to +12 %)'
    """
    import numpy as np

    from twinviewer.core.format import relative
    from twinviewer.interventions.compare import resolve_metric
    from twinviewer.physiology import METRIC_BY_NAME

    if regulation and row.regulation and regulation != row.regulation:
        return (f"this {regulation} what-if is not compared with it in size (the row is the "
                f"{row.regulation} response)")
    if getattr(row, "ramp", None):
        return ("not compared in size with this what-if: the row reports the change per "
                "step of a speed ramp, not the change from the heart without the device")
    tol = f"±{100 * row.tolerance:.0f} %"
    within, outside = [], []
    for v in row.variables:
        if v.role == "input" or v.kind not in SIZED + RULED:
            continue
        try:
            metric = resolve_metric(v.metric)
        except Exception:  # noqa: BLE001 - a variable the model has no metric for
            continue
        x0, x1 = _paired(baseline, result, metric)
        if x0 is None:
            continue
        info = METRIC_BY_NAME.get(metric)
        # the name the source reports, without the change it states ("CI +38 %" → "CI")
        name = re.split(r"\s+(?=[-+−~↑↓\d]|unchanged|constant|falls)", v.reported_as)[0] \
            if v.reported_as else (info.label if info else metric)
        unit = v.unit or (info.unit if info else "")
        if v.kind in RULED:
            judged = _by_row_rule(v, x0, x1, row.tolerance, unit)
            if judged is not None:
                ok, exp, med, lo, hi = judged
                if ok:
                    within.append(f"{name} {med} (source {exp})")
                else:
                    outside.append(f"{name} {med} (90 % of the ensemble {lo} to {hi}) "
                                   f"against the source's {exp}")
            continue
        if v.kind == "relative":
            if np.any(x0 == 0):
                continue
            got, exp = x1 / x0 - 1.0, v.after / v.before - 1.0
            pu = "%" if unit == "%" else ""

            def said(f, pu=pu):
                return relative(f, pu).replace("-", "−")
        elif v.kind == "absolute":
            got, exp = x1 - x0, v.after - v.before

            def said(f, unit=unit):
                return f"{f:+.3g} {_change_unit(unit)}".replace("-", "−").strip()
        else:
            got, exp = x1, v.after

            def said(f, unit=unit):
                return f"{f:.3g} {unit}".strip()
        med, lo, hi = (float(q) for q in np.quantile(got, [0.5, 0.05, 0.95]))
        ok = (v.kind == "value" or np.sign(med) == np.sign(exp)) \
            and abs(med - exp) <= row.tolerance * abs(exp)
        table = (change_with_interval(med, lo, hi, unit) if v.kind == "absolute" else "")
        if ok:
            within.append(f"{name} {table.split(' (')[0] if table else said(med)} "
                          f"(source {said(exp)})")
        elif v.kind == "absolute" and stated is not None and stated.get(metric) is False:
            # the line already gives this change with this very (ensemble) interval
            outside.append(f"{name} {table.split(' (')[0]} (its interval above) against "
                           f"the source's {said(exp)}")
        elif table and "(90 %: " in table:
            # the members' own changes, without model error: named, as it sits beside
            # changes that carry it (final16 #2)
            outside.append(f"{name} {table.replace('(90 %: ', '(90 % of the ensemble ')} "
                           f"against the source's {said(exp)}")
        else:
            outside.append(f"{name} {said(med)} (90 % of the ensemble {said(lo)} to "
                           f"{said(hi)}) against the source's {said(exp)}")
    parts = []
    if within:
        parts.append(f"on this heart within the row's {tol} of the source: "
                     + ", ".join(within))
    if outside:
        parts.append(("CAUTION, outside it: " if within else
                      f"CAUTION, on this heart outside the row's {tol} of the source: ")
                     + ", ".join(outside) + " (the row is judged on its study's virtual "
                     "patient, not this heart)")
    return "; ".join(parts)


def _by_row_rule(v: Any, x0: Any, x1: Any, tolerance: float, unit: str
                 ) -> tuple[bool, str, str, str, str] | None:
    """(passes, the source's statement, median, 5th and 95th percentile as said) of this
    heart's paired change of a :data:`RULED` variable ``v``, judged at its median by the
    row's own rule (:func:`~twinviewer.explain.evidence_match.passes_row_rule`): the
    relative change for a direction or "~=", the value after for a bound; None when it
    cannot be formed (a zero baseline).

    >>> import numpy as np
    >>> from twinviewer.interventions.evidence_table import Variable
    >>> v = Variable("MAP", "unchanged", band=0.1)
    >>> _by_row_rule(v, np.array([80.0, 78.0]), np.array([71.0, 70.0]), 0.35, "mmHg")
    (False, '~=, within ±10 %', '−11 %', '−11 %', '−10 %')
    """
    import numpy as np

    from twinviewer.core.format import relative
    from twinviewer.explain.evidence_match import passes_row_rule

    if v.kind in ("at_most", "at_least"):
        med, lo, hi = (float(q) for q in np.quantile(x1, [0.5, 0.05, 0.95]))
        ok, exp = passes_row_rule(v, float(np.median(x0)), med, tolerance)
        said = [f"{f:.3g} {unit}".strip() for f in (med, lo, hi)]
    else:
        if np.any(x0 == 0):
            return None
        med, lo, hi = (float(q) for q in np.quantile(x1 / x0 - 1.0, [0.5, 0.05, 0.95]))
        ok, exp = passes_row_rule(v, 1.0, 1.0 + med, tolerance)
        pu = "%" if unit == "%" else ""
        said = [relative(f, pu).replace("-", "−") for f in (med, lo, hi)]
    return bool(ok), exp.replace(" (", ", ").removesuffix(")"), *said


def _title(name: str) -> str:
    """The reader's name of intervention ``name`` (its title), not its code name; the name
    itself for one the library does not know (a plug-in's).

    >>> _title("beta_blocker"), _title("not_known")
    ('Beta-blocker (metoprolol IV equivalent)', 'not_known')
    """
    from twinviewer.interventions.intervention import InterventionError
    from twinviewer.interventions.library import get_intervention

    try:
        return get_intervention(name).title
    except InterventionError:
        return name


def _change_unit(u: str) -> str:
    from twinviewer.core.format import change_unit

    return change_unit(u) if u else ""


def _paired(baseline: Any, result: Any, name: str):
    """(baseline, scenario) values of ``name`` over the members finite and periodic in
    both, or (None, None)."""
    both = _both(*_metrics(baseline), *_metrics(result), name)
    if both is None:
        return None, None
    x0, x1, keep = both
    return x0[keep], x1[keep]


def _both(b: Mapping[str, Any], ok0: Any, m: Mapping[str, Any], ok1: Any, name: str):
    """(baseline, scenario, members finite and periodic in both) of ``name``, or None when
    it cannot be paired or no member is."""
    import numpy as np

    from twinviewer.interventions.compare import LV_VOLUME_METRICS, lv_drawn_empty

    if name not in b or name not in m:
        return None
    x0, x1 = np.asarray(b[name], float), np.asarray(m[name], float)
    if x0.shape != x1.shape:
        return None
    keep = np.isfinite(x0) & np.isfinite(x1)
    for okx in (ok0, ok1):
        if okx is not None and np.shape(okx) == keep.shape:
            keep &= np.asarray(okx, bool)
    if name in LV_VOLUME_METRICS:  # an LV drawn to 0 mL or below: not physical (as the tables)
        for side in (b, m):
            empty = lv_drawn_empty(side, keep.size)
            if empty.shape == keep.shape:
                keep &= ~empty
    return (x0, x1, keep) if keep.any() else None


def _large_changes(baseline: Any, result: Any, context: Any = None
                   ) -> list[tuple[str, str]]:
    """(metric, 'LV end-diastolic pressure +2.5 mmHg (90 %: +1.7 to +3.6)') for each
    headline output whose paired median change is at least :data:`LARGE` of its baseline
    median, with the paired interval the tables show (review15b #10: page 1 and the
    Warnings gave the median alone): ``context.paired`` (model error common to both sides)
    for a calibrated twin, the ensemble's paired differences otherwise."""
    import numpy as np

    from twinviewer.core.stats import central_interval
    from twinviewer.physiology import METRIC_BY_NAME

    b, ok0 = _metrics(baseline)
    m, ok1 = _metrics(result)
    moved = []
    for name in HEADLINE:
        both = _both(b, ok0, m, ok1, name)
        if both is None:
            continue
        x0, x1, keep = both
        d, ref = float(np.median(x1[keep] - x0[keep])), float(np.median(x0[keep]))
        if ref and abs(d) >= LARGE * abs(ref):
            info = METRIC_BY_NAME.get(name)
            label, unit = (info.label, info.unit) if info else (name, "")
            triple = (context.paired(name, x0, x1, keep)[2] if context is not None
                      else central_interval(x1[keep] - x0[keep]))
            moved.append((name, f"{label} {change_with_interval(*triple, unit)}"))
    return moved


def change_with_interval(median: float, lo: float, hi: float, unit: str) -> str:
    """A paired change as the tables write it (:func:`~twinviewer.core.format.change`),
    its unit after the median and its 90 % interval in words, with true minus signs; a
    change of a percentage in %-points (review14 #3).

    Examples
    --------
    >>> change_with_interval(-2.5, -3.6, -1.7, "mmHg")
    '−2.5 mmHg (90 %: −3.6 to −1.7)'
    >>> change_with_interval(11.2, 6.0, 16.0, "%")
    '+11 %-points (90 %: +6 to +16)'
    """
    from twinviewer.core.format import change, change_unit, delta

    text = change(median, lo, hi, unit)
    if "(" not in text:  # 'no change' or no periodic member: the median alone
        text = delta(median, unit)
    else:
        m, rest = text.split(" ", 1)
        u = change_unit(unit)
        text = f"{m}{' ' + u if u else ''} (90 %: {rest[1:-1]})"
    return re.sub(r"-(?=\d)", "−", text)


def _metrics(r: Any) -> tuple[Mapping[str, Any], Any]:
    """(metric arrays, periodic mask or None) of a Results or a cached metric mapping."""
    if hasattr(r, "metrics"):
        return r.metrics, getattr(r, "ok", None)
    d = dict(r)
    return d, d.get("_ok")


def unsourced_changes(scenarios: Sequence[Any], baseline: Any,
                      results: Mapping[str, Any], context: Any = None
                      ) -> dict[str, list[str]]:
    """Scenario name → one line naming each headline output (:data:`HEADLINE`) that the
    scenario moves a lot (paired median change ≥ :data:`LARGE` of the baseline) while no
    sourced evidence row of its interventions checks that output: the change is the model's
    alone, outside its validated range (review12 #8: edge-to-edge repair dropped LVEF by
    16 points with no source). Each change carries its paired interval (``context`` as in
    :func:`checked_changes`).

    Examples
    --------
    >>> import numpy as np
    >>> from twinviewer.interventions.scenario import InterventionStep, Scenario
    >>> s = Scenario("teer", (InterventionStep("mitral_teer", {}),), "regulated")
    >>> base = {"LVEF": np.array([61.0, 60.0]), "CO": np.array([4.2, 4.0])}
    >>> after = {"LVEF": np.array([45.0, 44.0]), "CO": np.array([4.25, 4.05])}
    >>> unsourced_changes([s], base, {"teer": after})["teer"][0][:63]
    'UNSOURCED: LV ejection fraction −16 %-points (90 %: −16 to −16)'
    """
    from twinviewer.explain.evidence_match import heart_lvef

    out: dict[str, list[str]] = {}
    lvef = heart_lvef(baseline)
    for sc in scenarios:
        r = results.get(sc.name)
        if r is None:
            continue
        names = [step.name for step in sc.steps]
        checked = sourced_metrics(sc.steps, lvef)
        moved = [text for name, text in _large_changes(baseline, r, context)
                 if name not in checked]
        if moved:
            said = ", ".join(dict.fromkeys(_title(n) for n in names))
            # a row of another study population is no source for this heart (numbers17 F1)
            like = "" if lvef is None else f" for a heart like this (LVEF {lvef:.0f} %)"
            out[sc.name] = [f"UNSOURCED: {'; '.join(moved)} (no sourced evidence row of "
                            f"{said} at these settings{like} checks these outputs: the "
                            "changes are the model's alone, outside its validated range)"]
    return out


def source_lines(scenarios: Sequence[Any], baseline: Any, results: Mapping[str, Any],
                 context: Any = None) -> dict[str, list[tuple[bool, str]]]:
    """Scenario name → its :func:`unsourced_changes` lines, then its :func:`checked_changes`
    lines, each with whether it is a warning (an UNSOURCED change, or a CAUTION: this heart's
    change outside the row's tolerance) — what ``twinviewer whatif`` prints with '!' against
    '-', for the What-if panel to show beside the results (session-16 note: it showed
    neither). ``context`` as in :func:`checked_changes`.

    Examples
    --------
    >>> import numpy as np
    >>> from twinviewer.core.twin import InterventionStep, Scenario
    >>> clip = Scenario("clip", (InterventionStep("mitral_teer", {}),), "regulated")
    >>> ef = {"LVEF": np.array([61.0, 60.0])}
    >>> warn, line = source_lines([clip], ef, {"clip": {"LVEF": ef["LVEF"] - 16}})["clip"][0]
    >>> warn, line.split(" (")[0]
    (True, 'UNSOURCED: LV ejection fraction −16 %-points')
    >>> source_lines([clip], ef, {"clip": ef})  # nothing moved a lot, nothing checked
    {}
    """
    unsourced = unsourced_changes(scenarios, baseline, results, context)
    checked = checked_changes(scenarios, baseline, results, context)
    out: dict[str, list[tuple[bool, str]]] = {}
    for sc in scenarios:
        lines = [(True, x) for x in unsourced.get(sc.name, [])]
        lines += [("CAUTION" in x, x) for x in checked.get(sc.name, [])]
        if lines:
            out[sc.name] = lines
    return out
