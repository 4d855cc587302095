"""The report's first page, for the clinician: who, what the file holds, the key measured
and predicted values (with intervals and provenance), the what-ifs compared and every warning.

The details behind it (the file's full listing, each measurement's use, per-phase volumes, the
audit trail) are in the appendix (review12 #7: the loops and scenarios used to start on
page 10, behind five pages of per-phase volume tables).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from twinviewer.core.format import change_unit, negligible, unit_cell
from twinviewer.core.format import unit as shown_unit
from twinviewer.io.measurement_use import (
    fit_interval,
    fit_row,
    in_force,
    is_assumed,
    last_calibration,
    measurement_counts,
    measurement_use,
    set_aside,
)
from twinviewer.io.twinfile import draft_text
from twinviewer.personalize.shown import (
    MARK,
    MARK_ENSEMBLE,
    MARK_LEGEND,
    context_of_twin,
    row_mark,
)
from twinviewer.report.reader_text import print_minus, without_notes

#: The headline outputs on page 1 (beside every measured one), in the report's order.
KEY_METRICS = ("LVEF", "CO", "SBP", "DBP", "MAP", "LVEDP", "LAP", "mPAP",
               "AV_mean_gradient", "MR_fraction")
#: The paired changes of each what-if on page 1 (the full table follows the loops).
DELTA_METRICS = ("CO", "LVEF", "LVEDP", "MAP", "AV_mean_gradient", "MV_mean_gradient",
                 "MR_fraction")
#: At most this many change columns (the page's width).
MAX_DELTAS = 5
WARN = "#7a3e00"


def _key_names(metrics: Mapping[str, np.ndarray], held: Mapping[str, Any],
               hidden: set[str] = frozenset()) -> list[str]:
    """Headline and measured outputs the model computes and that say something (``hidden``:
    a lesion's rows the twin does not have, :func:`~twinviewer.report.pdf.hidden_rows`)."""
    from twinviewer.physiology import METRIC_BY_NAME

    from .pdf import REPORT_METRICS

    wanted = set(KEY_METRICS) | set(held)
    out = []
    for name in REPORT_METRICS:
        x = metrics.get(name)
        if name not in wanted or name in hidden or x is None or not np.isfinite(x).any():
            continue
        m = METRIC_BY_NAME.get(name)
        if m is not None and name not in held and negligible(x, m.unit):
            continue  # no regurgitation, no stenosis: the row would say nothing
        out.append(name)
    return out


def misfit_of(meas: Any, summary: Mapping | None) -> str:
    """'POOR FIT z = -7.9' if the last calibration's fit table flagged ``meas`` (the Calibrate
    step's rule: |z| > 2), 'DISAGREES z = +4.6' if it was left out and the twin's prediction
    misses it, else ''.

    Examples
    --------
    >>> from twinviewer.core.measurement import Measurement
    >>> row = {"name": "LVESV", "measured": 48.0, "source": "CT", "flag": True, "z": -7.9}
    >>> misfit_of(Measurement("LVESV", 48, "mL", 4, "CT"), {"fit": [row]})
    'POOR FIT z = -7.9'
    >>> misfit_of(Measurement("LVESV", 48, "mL", 4, "CT"), {"fit": [{**row, "flag": False}]})
    ''
    """
    row = fit_row(meas, dict(summary or {}))
    if row is None or row.get("z") is None:
        return ""
    z = float(row["z"])
    word = "DISAGREES" if row.get("disagrees") else "POOR FIT" if row.get("flag") else ""
    return f"{word} z = {z:+.1f}" if word else ""


def misfit_warnings(doc) -> list[str]:
    """One warning per measurement in force that the last calibration fits poorly or that
    disagrees with the twin (page 1's Warnings; issue 12 §5: misfit is never silent)."""
    from twinviewer.physiology import METRIC_BY_NAME

    from .pdf import _fmt

    summary = last_calibration(doc.audit.entries)
    out = []
    for name, meas in in_force(doc.twin).items():
        row = fit_row(meas, dict(summary or {}))
        if row is None or not (row.get("flag") or row.get("disagrees")):
            continue
        m = METRIC_BY_NAME.get(name)
        unit = shown_unit(meas.unit)
        what = ("disagrees with the twin (left out of the fit)" if row.get("disagrees")
                else "poor fit (the twin was fitted to it)")
        out.append(f"{m.label if m else name}: {what}: measured {_fmt(meas.value)} ± "
                   f"{_fmt(meas.uncertainty)} {unit}, the twin gives "
                   f"{_fmt(float(row['median']))} {unit}{fit_interval(row, meas.unit)}, "
                   f"z = {float(row['z']):+.1f} (|z| > 2)"
                   + ". Read its predictions with care.")
    return out


def key_values(p, doc, results: Any) -> None:
    """The key outputs: measured (± SD, where it came from, whether the twin was fitted to
    it) beside predicted (median and 90 % interval, its provenance mark); never blended."""
    from twinviewer.physiology import METRIC_BY_NAME

    from .pdf import _beyond_note, _fmt, _interval, _metric_arrays, hidden_rows

    metrics, ok = _metric_arrays(results)
    p.subheading("Key values: measured beside predicted")
    if not metrics:
        p.para("No simulation of the twin was available: no predicted value to show.",
               color=WARN)
        return
    t = doc.twin
    ctx = context_of_twin(t)
    held = in_force(t)
    uses: dict[str, Any] = {}
    for u in measurement_use(t, doc.audit.entries):  # the row of the value in force
        name = u.measurement.name
        if name in held and (name not in uses or u.measurement == held[name]):
            uses[name] = u
    summary = last_calibration(doc.audit.entries)
    aside = set_aside(t)  # the images' EF/SV whose volumes were entered: shown, said so
    rows, names = [], _key_names(metrics, held, hidden_rows(doc, results))
    for name in names:
        m = METRIC_BY_NAME.get(name)
        meas, use = held.get(name), uses.get(name)
        measured, said = "—", (f"{use.origin}; {use.status}" if use else "")
        if meas is None and name in aside:
            meas, by = aside[name]
            said = (f"images; set aside (not fitted): the entered {' and '.join(by)} "
                    f"replace{'s' if len(by) == 1 else ''} the volumes it is computed from")
        if meas is not None:
            measured = (("assumed " if is_assumed(meas) else "")
                        + f"{_fmt(meas.value)} ± {_fmt(meas.uncertainty)}")
        mark = row_mark(ctx, name)
        miss = misfit_of(meas, summary) if meas is not None and name not in aside else ""
        rows.append([(m.label if m else name) + mark, unit_cell(m.unit) if m else "",
                     measured, said + (f"; {miss}" if miss else ""),
                     _interval(metrics[name], ok, name=name, ctx=ctx)])
    p.table(["Quantity", "Unit", "Measured (± 1 SD)", "From; last calibration",
             "Predicted (90 % interval)"], rows, [0.3, 0.1, 0.18, 0.2, 0.22], size=7.4,
            wrap=True)
    _beyond_note(p, rows, names)
    if "MAP" in names:  # which mean it is, as under the metrics table (session-15 note)
        from .pdf import MAP_NOTE

        p.para(MAP_NOTE, size=7.5, color="0.3")
    p.para("Predicted: median of the parameter ensemble (90 % interval). "
           + (MARK_LEGEND + ". " if ctx is not None else "")
           + "Each measurement's source and use: Appendix A.", size=7.5, color="0.3")


def _delta(name: str, results: Any, run: Any, ctx: Any, scenario: Any = None) -> str:
    """The paired change of ``name`` (median (90 % interval)), its members paired as the
    comparison pairs them (:func:`~twinviewer.report.paired.paired`); '' if it cannot be
    paired. ``scenario``: its definition, for the valves it replaces (stored results)."""
    from twinviewer.interventions.compare import scenario_valve_areas
    from twinviewer.physiology import METRIC_BY_NAME

    from .paired import as_run, paired
    from .pdf import _delta_cell

    areas = None if scenario is None else scenario_valve_areas(scenario, as_run(run).n)
    pc = paired(results, run, name, ctx, areas)
    if pc is None:
        return ""
    return _delta_cell(pc, METRIC_BY_NAME[name].unit if name in METRIC_BY_NAME else "",
                       share=True)


def whatifs(p, doc, results: Any, scenario_results: Mapping[str, Any],
            unstored: Mapping[str, str], evidence: Mapping[str, list[str]]) -> None:
    """Each what-if's paired change of the headline outputs, one line each."""
    from twinviewer.interventions.compare import members_note
    from twinviewer.physiology import METRIC_BY_NAME

    from .pdf import _metric_arrays, _shown_names, _unstored_note, hidden_rows, member_flags

    p.subheading("What-ifs compared with the baseline")
    scenarios = doc.twin.scenarios
    if not scenarios:
        p.para("No what-if scenario is defined.")
        return
    if not scenario_results:
        p.para("Scenarios are defined but no result of theirs is in this report "
               "(see the Scenarios page).", color=WARN)
        return
    base, ok0 = _metric_arrays(results)
    mets = {k: _metric_arrays(r) for k, r in scenario_results.items()}
    cols = []
    hidden = hidden_rows(doc, results, scenario_results)
    for name in DELTA_METRICS:
        info = METRIC_BY_NAME.get(name)
        if name not in base or info is None or name in hidden:
            continue
        values = [np.asarray(base[name])] + [np.asarray(m[name]) for m, _ in mets.values()
                                             if name in m]
        if negligible(np.concatenate([v.ravel() for v in values]), info.unit):
            continue
        cols.append(name)
    cols = cols[:MAX_DELTAS]
    ctx = context_of_twin(doc.twin)
    shown = _shown_names(scenarios)
    flags = member_flags(results, scenario_results)
    differ = members_note(flags, shown)
    by_name = {s.name: s for s in scenarios}
    fewer = False
    rows = []
    for name in mets:
        f = flags.get(name)
        # over different twins, or fewer than the baseline's: each row names its count
        if f is not None and (differ or len(f.covered) < f.paired):
            flag_n = f" ({len(f.covered)} of {f.paired} twins)"
            fewer = True
        else:
            flag_n = ""
        # "*" marks a qualified response share in the scenario tables: one mark, one meaning
        flag = f" ({unstored[name]})" if name in unstored else ""
        flag += " !" if evidence.get(name) else ""
        rows.append([shown.get(name, name) + flag_n + flag,
                     *[_delta(c, results, scenario_results[name], ctx, by_name.get(name))
                       or "—" for c in cols]])
    width = (1.0 - 0.28) / max(len(cols), 1)
    # a change of a percentage is in %-points (review14 #3)
    p.table(["What-if", *[f"Δ {METRIC_BY_NAME[c].label} ({change_unit(METRIC_BY_NAME[c].unit)})"
                          + row_mark(ctx, c) for c in cols]],
            rows, [0.28] + [width] * len(cols), size=7.2, wrap=True)
    p.para("Δ: scenario − baseline per ensemble member (paired), median (90 % interval). "
           + (f"{MARK} / {MARK_ENSEMBLE}: with model error / the ensemble's alone, as under "
              "Key values; a Δ carries the same model error in baseline and scenario "
              "(paired). " if ctx is not None else "")
           + (f"{_unstored_note(unstored, mets)}; " if any(k in unstored for k in mets)
              else "")
           + "! a source this "
           "intervention's model fails (Warnings). Full comparison: Scenarios page."
           + (" The what-ifs cover different twins (the count beside each; who was left out "
              "and why: Scenarios page), so their values side by side describe different "
              "groups." if differ else "")
           + (" (N of M twins): its values cover fewer twins than the baseline; each Δ is "
              "paired within them (who was left out and why: Warnings and the Scenarios "
              "page)." if fewer and not differ else ""),
           size=7.5, color=WARN if differ or fewer else "0.3")
    from twinviewer.explain.evidence_flags import checked_changes, checked_row

    by_name = {s.name: s for s in scenarios}
    checked = checked_changes([by_name[k] for k in mets if k in by_name], results,
                              scenario_results, ctx) if results is not None else {}
    for k, lines in checked.items():  # which source each large change rests on
        said = [_said_failing(line, checked_row(line, by_name[k].steps), evidence.get(k, ()))
                for line in lines]
        p.para(f"{shown.get(k, k)}: " + "; ".join(said) + ".", size=7.2, color="0.3")


def _said_failing(line: str, row: tuple[str, str] | None, evidence: Iterable[str]) -> str:
    """``line`` with "(which it fails: Warnings)" right after the row it names (``row``: its
    id and name in the line) when one of the what-if's failing-row lines (``failing_rows``)
    is that row's, also when named at another setting ("(dobutamine-8-postop) at 8 µg/kg/min
    fails").

    >>> row = ("nitroprusside", "evidence row 'Nitroprusside' (nitroprusside)")
    >>> _said_failing(f"CO +1 L/min: checked against {row[1]}; on this heart … (source "
    ...               "+73 %)", row, [f"{row[1]} fails in its validation case …"])
    "CO +1 L/min: checked against evidence row 'Nitroprusside' (nitroprusside) (which it \
fails: Warnings); on this heart … (source +73 %)"
    >>> _said_failing("x", ("nitro", "evidence row 'N' (nitro)"), [f"{row[1]} fails"])
    'x'
    """
    if row is None or not any(f"({row[0]}) fails" in e or f"({row[0]}) at " in e
                              for e in evidence):
        return line
    return line.replace(row[1], f"{row[1]} (which it fails: Warnings)", 1)


def warnings(doc, results: Any, scenario_results: Mapping[str, Any],
             unstored: Mapping[str, str],
             evidence: Mapping[str, list[str]], notes: list[str]) -> list[str]:
    """Every caution the report raises, in one list for page 1."""
    from .pdf import _fmt, _label, _metric_arrays, _shown_names, _unstored_said

    t = doc.twin
    shown = _shown_names(t.scenarios)
    out = misfit_warnings(doc) + list(dict.fromkeys(notes))
    out += [f"{shown.get(k, k)}: {line}." for k, lines in evidence.items() for line in lines]
    from twinviewer.explain.evidence_flags import unsourced_changes

    by_name = {s.name: s for s in t.scenarios}
    big = unsourced_changes([by_name[k] for k in scenario_results if k in by_name], results,
                            scenario_results, context_of_twin(t)) if results is not None else {}
    out += [f"{shown.get(k, k)}: {line}." for k, lines in big.items() for line in lines]
    out += [f"{shown.get(k, k)}: result {_unstored_said(unstored, k)}."
            for k in scenario_results if k in unstored]
    from twinviewer.explain.validity import negative_atrial

    from .paired import scenario_lines

    # each what-if's flags as on screen: out of the validated range, suction, members taken
    # out of range (review13b #5), a valve it does not treat or that is off-size (review14b
    # #5, review16b #4), a negative mean atrial pressure with why
    lines = scenario_lines(results, scenario_results, t.scenarios)
    out += [f"{shown.get(k, k)}: {line}." for k in scenario_results for line in lines.get(k, [])]
    metrics, ok = _metric_arrays(results)
    out += [f"Baseline: {w.text}." for w in negative_atrial(metrics, ok)]
    out = _said_once(out)
    if ok is not None and (~ok).any():
        out.append(f"{int((~ok).sum())} of {ok.size} ensemble members did not reach a periodic "
                   "state and are left out of the intervals.")
    outside = [f"{_label(t, i.name)} = {_fmt(float(t.params[j]))} {shown_unit(i.unit)}"
               for j, i in enumerate(doc.parameters)
               if not i.plausible[0] <= t.params[j] <= i.plausible[1]]
    if outside:
        out.append("Parameters outside their plausible range: " + "; ".join(outside) + ".")
    if doc.chain is not None and not doc.chain.ok:
        out.append(doc.chain.message)
    return out


def _said_once(lines: list[str]) -> list[str]:
    """``lines`` with the reason a negative mean atrial pressure is not read
    (:data:`~twinviewer.explain.validity.NEGATIVE_ATRIAL_WHY`) given in full once, then
    pointed to.

    >>> from twinviewer.explain.validity import NEGATIVE_ATRIAL_WHY as WHY
    >>> why = WHY.format(lap="0–40 mmHg")
    >>> _said_once([f"a: LAP < 0 in 2: {why}.", f"b: LAP < 0 in 4: {why}."])[1]
    'b: LAP < 0 in 4: a collapsing atrium the model does not represent (why: above).'
    """
    from twinviewer.explain.validity import NEGATIVE_ATRIAL_AGAIN, NEGATIVE_ATRIAL_WHY

    start = NEGATIVE_ATRIAL_WHY[:40]
    out, said = [], False
    for line in lines:
        if start in line:
            if said:
                line = line[:line.index(start)] + NEGATIVE_ATRIAL_AGAIN + "."
            said = True
        out.append(line)
    return out


def summary_page(p, doc, generated: str, results: Any, scenario_results: Mapping[str, Any],
                 notes: list[str]) -> None:
    """Page 1: identity and what the file holds, key values, what-ifs, warnings, conclusion."""
    from twinviewer.explain.evidence_flags import scenario_evidence

    from .pdf import MARK_OUT_OF_DATE, _calibration_text, _shown_names, _unstored

    t = doc.twin
    shown = _shown_names(t.scenarios)
    unstored = _unstored(doc, scenario_results)
    stale = [k for k in doc.results if unstored.get(k) == MARK_OUT_OF_DATE]
    by_name = {s.name: s for s in t.scenarios}
    evidence = scenario_evidence([by_name[k] for k in scenario_results if k in by_name],
                                 baseline=results)
    p.new_page("Twin report — summary")
    a = t.anatomy
    holds = [f"{t.model_name} v{t.model_version} twin, {t.ensemble.shape[0]}-member "
             f"{t.ensemble_kind} ensemble",
             measurement_counts(t, doc.audit.entries).held_text(),
             *([draft] if (draft := draft_text(getattr(doc, "measurement_draft", None)))
               else []),
             f"{len(t.visits)} visit(s)" if t.visits else "no visit",
             f"{len(t.scenarios)} what-if scenario(s)",
             "stored results: " + (", ".join(shown.get(k, k) for k in doc.results
                                             if unstored.get(k) != MARK_OUT_OF_DATE) or "none")
             + (f"; stored, out of date: {', '.join(shown.get(k, k) for k in stale)} (the "
                f"intervention code changed since they were made: re-run them; recomputed "
                f"below)" if stale else ""),
             f"imaged anatomy ({len(a.structures)} structures)"
             if a is not None and a.structures else "no imaged anatomy",
             f"{len(doc.audit.entries)} audit entries"]
    p.table(["", ""], [["Twin (pseudonym)", t.pseudonym],
                       ["The file holds", "; ".join(holds) + " (full listing: Appendix A)"],
                       ["Calibration", _calibration_text(doc)],
                       ["Report generated", generated]],
            [0.2, 0.8], size=8, wrap=True)
    key_values(p, doc, results)
    whatifs(p, doc, results, scenario_results, unstored, evidence)
    p.subheading("Warnings")
    found = warnings(doc, results, scenario_results, unstored, evidence, notes)
    for w in found:  # a true minus; no developer-note pointer for a clinician
        p.para(print_minus(without_notes(f"• {w}")[0]), size=7.4, color=WARN)
    p.para(("No warning raised. " if not found else "")
           + "No caution does not mean all is well: the twin can only flag what its checks "
           "cover.", size=7.5, color="0.3")
    p.subheading("Clinician's conclusion and notes")
    entries = doc.audit.notes()
    if not entries:
        p.para("No conclusion or notes recorded.", color="0.3")
    for e in entries:
        kind = "Conclusion" if e.action == "conclusion" else "Note"
        p.para(f"{kind} ({e.time[:16].replace('T', ' ')} UTC): {e.details.get('text', '')}")
        if e.details.get("disagreement"):
            p.para(f"Where I disagree with the twin: {e.details['disagreement']}. "
                   f"Why: {e.details.get('why', '') or 'not stated'}", indent=0.03,
                   color=WARN)
