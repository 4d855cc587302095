"""The PDF report of a twin, headless: matplotlib pages and a pyvista off-screen 3D snapshot.

Pages, in a clinician's order (review12 #7): a one-page summary (pseudonym, what the file
holds, key measured and predicted values, the what-ifs compared, every warning, the
clinician's conclusion; :mod:`twinviewer.report.summary`), PV loops and the metrics table
(median and 90 % interval beside what was measured, never blended), scenarios compared
(paired differences per ensemble member), explanation summary and parameter provenance,
anatomy (3D view and image slices with label contours, ED/ES volumes), the model card
(assumptions, context of use, references), the living twin's timeline, and the appendix:
A the file's full listing and each measurement's use, B every phase's structure volumes,
C the audit trail. Every page carries
"Research use — not for clinical decisions"; a file that keeps identifiers carries the
identifiable banner on every page too. All text passes :func:`twinviewer.io.privacy.redact`.

matplotlib earns its place here: PDF pages with plots, images and text without Qt. The 3D
snapshot uses ``pyvista.Plotter(off_screen=True)`` (EGL/OSMesa in the VTK wheel, no X needed);
if rendering is impossible the page says so and the report is still written.
"""

from __future__ import annotations

import datetime as _dt
import io
import logging
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import twinviewer
from twinviewer.core.atomic import atomic_write_bytes
from twinviewer.core.format import change, interval, negligible, number, percent, span, unit_cell
from twinviewer.core.format import unit as shown_unit
from twinviewer.core.stats import central_interval
from twinviewer.explain.evidence_flags import scenario_evidence, unsourced_changes
from twinviewer.explain.words import model_or_none, plain_text, words
from twinviewer.io.measurement_use import (
    in_force,
    is_assumed,
    last_calibration,
    measurement_counts,
    measurement_use,
    prior_of_record,
)
from twinviewer.io.privacy import redact
from twinviewer.io.report_timeline import timeline_page
from twinviewer.io.twinfile import IDENTIFIABLE_BANNER, TwinDocument
from twinviewer.personalize.parameter_count import counts_text, parameter_state
from twinviewer.personalize.quantities import shown_quantities, shown_quantity
from twinviewer.personalize.shown import MARK_LEGEND, context_of_twin, row_mark, shown_interval
from twinviewer.physiology.plausible import BEYOND, beyond_legend, beyond_mark
from twinviewer.report.reader_text import print_minus, without_notes

log = logging.getLogger("twinviewer.report")

PAGE = (8.27, 11.69)  # A4 portrait, inches
TOP, BOTTOM, LEFT, RIGHT = 0.925, 0.07, 0.07, 0.93
#: Characters of a bold 11-pt subheading a line (DejaVu Sans Bold ~0.65 em a character over
#: the text width, with a margin).
SUBHEADING_CHARS = 68
#: characters a line of a PV-loop legend entry (two columns of 7-pt text across the page)
PV_LEGEND_CHARS = 52
#: Lines a table header cell may take before it is cut (a scenario named in words).
HEADER_LINES = 6
#: Under a metrics table with MAP: which mean it is.
MAP_NOTE = ("Mean arterial pressure: the time-mean of the central aortic pressure over the "
            "beat (≈ DBP + 0.5 × pulse pressure in this model), not (SBP + 2·DBP)/3, which is "
            "4–13 mmHg lower beside the same SBP/DBP.")
REPORT_METRICS = ("HR", "LVEDV", "LVESV", "LVSV", "LVEF", "CO", "SBP", "DBP", "MAP", "LVEDP",
                  "LAP", "CVP", "PASP", "mPAP", "RVEDV", "RVESV", "RVEF", "AV_mean_gradient",
                  "AV_peak_velocity", "AR_volume", "MV_mean_gradient", "MR_volume",
                  "MR_fraction", "TR_volume", "SW", "Ea", "Ees", "VAD_flow")


@dataclass
class ReportInfo:
    """What :func:`write_report` wrote: the file, page count, and every string on the pages."""

    path: Path
    pages: int
    text: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Pages:
    """A tiny flowing layout over matplotlib figures: text, tables and plot areas, page breaks."""

    def __init__(self, pdf, title: str, identifiable: bool) -> None:
        self.pdf, self.title, self.identifiable = pdf, title, identifiable
        self.fig = None
        self.y = TOP
        self.n = 0
        self.text: list[str] = []

    def _t(self, x: float, y: float, s: str, **kw) -> None:
        s = s if self.identifiable else redact(s)
        self.text.append(s)
        self.fig.text(x, y, s, **kw)

    def new_page(self, heading: str | None = None) -> None:
        from matplotlib.figure import Figure

        self.finish()
        self.fig = Figure(figsize=PAGE)
        self.n += 1
        self.y = TOP
        self._t(LEFT, 0.965, self.title, fontsize=9, color="0.35")
        if self.identifiable:
            self._t(0.5, 0.945, IDENTIFIABLE_BANNER, fontsize=9, color="white",
                    ha="center", weight="bold",
                    bbox={"facecolor": "#b00020", "edgecolor": "none", "pad": 3})
            self.y = TOP - 0.015
        self._t(0.5, 0.035, twinviewer.RESEARCH_USE, fontsize=10, ha="center", weight="bold",
                color="#b00020")
        self._t(RIGHT, 0.035, f"page {self.n}", fontsize=8, ha="right", color="0.35")
        self._t(LEFT, 0.035, f"TwinViewer {twinviewer.__version__}", fontsize=8, color="0.35")
        if heading:
            self.heading(heading)

    def finish(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            self.fig = None

    def need(self, height: float) -> None:
        if self.fig is None or self.y - height < BOTTOM:
            self.new_page()

    def heading(self, s: str) -> None:
        self.need(0.05)
        self.y -= 0.01
        self._t(LEFT, self.y, s, fontsize=14, weight="bold", va="top")
        self.y -= 0.035

    def subheading(self, s: str) -> None:
        """A bold 11-pt heading, wrapped to the text width (a scenario's name in words can
        be longer than a line)."""
        lines = textwrap.wrap(s, SUBHEADING_CHARS) or [""]
        self.need(0.04 + 0.019 * (len(lines) - 1))
        for k, line in enumerate(lines):
            self._t(LEFT, self.y, line, fontsize=11, weight="bold", va="top")
            self.y -= 0.024 if k == len(lines) - 1 else 0.019

    def para(self, s: str, size: float = 9, indent: float = 0.0, color: str = "black",
             width: int | None = None) -> None:
        width = width or int(105 * 9 / size * (1 - indent / (RIGHT - LEFT)))
        for line in textwrap.wrap(s, width) or [""]:
            self.need(0.0155 * size / 9)
            self._t(LEFT + indent, self.y, line, fontsize=size, va="top", color=color)
            self.y -= 0.0155 * size / 9
        self.y -= 0.004

    def table(self, header: list[str], rows: list[list[str]], widths: list[float],
              size: float = 7.5, wrap: bool = False) -> None:
        """Rows of text in columns (fractions of the text width); repeats the header. A cell
        too long for its column is cut with "…", or with ``wrap`` continued on more lines
        (a table that must show everything, e.g. what the file holds)."""
        h = 0.0135 * size / 7.5
        xs = np.concatenate([[0], np.cumsum(widths)])[:-1] * (RIGHT - LEFT) + LEFT
        # characters that fit a column, less one for the gap to the next
        limits = [cell_limit(w, size) for w in widths]
        # bold runs wider than regular text: header cells get a smaller limit
        titles = [wrap_cell(c, max(4, int(n * 0.9)), lines=HEADER_LINES)
                  for c, n in zip(header, limits, strict=True)]
        rows_head = max(len(t) for t in titles)

        def head() -> None:
            for x, t in zip(xs, titles, strict=True):
                self._t(x, self.y, "\n".join(t), fontsize=size, weight="bold", va="top",
                        linespacing=1.0)
            self.y -= h * rows_head
            self.fig.add_artist(_hline(self.y + h * 0.15))

        self.need((1 + rows_head) * h)
        head()
        for row in rows:
            cells = [wrap_cell(c, limit, lines=10_000) if wrap else
                     [c if len(c) <= limit else c[:limit - 1] + "…"]
                     for limit, c in zip(limits, row, strict=True)]
            n = max(len(c) for c in cells)
            tall = h + (n - 1) * 1.2 * size / (PAGE[1] * 72)  # continued lines sit closer
            if self.y - tall < BOTTOM:
                self.new_page()
                head()
            for x, c in zip(xs, cells, strict=True):
                self._t(x, self.y, "\n".join(c), fontsize=size, va="top", linespacing=1.0)
            self.y -= tall
        self.y -= 0.01

    def axes(self, height: float, n: int = 1, *, aspect_equal: bool = False):
        """``n`` side-by-side axes of ``height`` (figure fraction) below the cursor."""
        self.need(height + 0.02)
        gap = 0.07
        w = (RIGHT - LEFT - gap * (n - 1)) / n
        axs = [self.fig.add_axes((LEFT + i * (w + gap), self.y - height, w, height))
               for i in range(n)]
        self.y -= height + 0.045
        return axs


def cell_limit(width: float, size: float) -> int:
    """Characters that fit a table column of ``width`` (fraction of the text width) at
    ``size`` pt, one kept free as the gap to the next column.

    DejaVu Sans averages about 0.6 em per character.

    Examples
    --------
    >>> cell_limit(0.18, 6.8)
    21
    """
    return max(4, int(width * (RIGHT - LEFT) * PAGE[0] * 72 / (0.6 * size)) - 1)


def wrap_cell(text: str, limit: int, lines: int = 2) -> list[str]:
    """``text`` wrapped to ``limit`` characters a line (also at ``_``, ``(`` and ``,``, which
    scenario names are made of), at most ``lines`` lines, the last cut with "…".

    Examples
    --------
    >>> wrap_cell("savr_perimount(size=21)", 16)
    ['savr_perimount', '(size=21)']
    >>> wrap_cell("Metric", 16)
    ['Metric']
    """
    if len(text) <= limit:
        return [text]
    out: list[str] = []
    line = ""
    for piece in (x for x in re.split(r"(?<=[_, ])|(?=\()", text) if x):
        if line and len(line + piece.rstrip()) > limit:
            out.append(line.rstrip())
            line = piece.lstrip()
        else:
            line += piece
    out.append(line.rstrip())
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][:limit - 1] + "…"
    return [ln if len(ln) <= limit else ln[:limit - 1] + "…" for ln in out]


def _hline(y: float):
    from matplotlib.lines import Line2D

    return Line2D([LEFT, RIGHT], [y, y], linewidth=0.5, color="0.5")


def _fmt(x: float, signed: bool = False) -> str:
    """The app's number formatter (core/format.py), with a typographic minus for print."""
    return number(x, signed=signed).replace("-", "−")


def _summary(values: np.ndarray, ok: np.ndarray | None, level: float = 0.9
             ) -> tuple[float, float, float]:
    x = np.asarray(values, dtype=float)
    return central_interval(x, level, mask=ok if ok is not None and ok.shape == x.shape
                            else None)


def _interval(values, ok, signed: bool = False, unit: str = "", *, name: str = "",
              ctx: Any = None) -> str:
    """Median (90 % interval); ``signed`` for a change: '+6.2 (+5.0 to +7.3)' at the
    quantity's display resolution ('no change' below it), as the GUI. With the twin's
    interval context ``ctx`` the shown interval of ``name``
    (:func:`~twinviewer.personalize.shown.shown_interval`)."""
    if ctx is not None and name:
        return _triple(shown_interval(name, values, ok, ctx), signed, unit, name=name)
    return _triple(_summary(values, ok), signed, unit, name=name)


def _triple(t: tuple[float, float, float], signed: bool = False, unit: str = "", *,
            name: str = "") -> str:
    """A (median, lo, hi) as the GUI writes it; a level of output ``name`` whose bound leaves
    its plausible range is marked (:func:`~twinviewer.physiology.plausible.beyond_mark`)."""
    med, lo, hi = t
    if not np.isfinite(med):
        return "—"
    if signed:
        return change(med, lo, hi, unit).replace("-", "−")
    # the CLI's and the appendix's one formatter: '17 (5–59)', not '16.7 (5.0–59)'
    # (review12b #9); '−6 to −0.3', not '−6–−0.3'
    text = interval(med, lo, hi)
    if lo < 0:
        text = text.replace("–", " to ", 1)
    return text.replace("-", "−") + (beyond_mark(name, lo, hi) if name else "")


def _scenario_table(p: _Pages, rows: list[list[str]], names: list[str], own: list[Any],
                    title: str, covered: int, whole: int) -> None:
    """One what-if's table; where it covers fewer twins than the baseline column (``whole``
    periodic members; ``covered``: those it covers), a column of the baseline of the same
    twins beside it (:func:`~twinviewer.report.paired.paired_baseline`, review16b #7)."""
    from .paired import paired_baseline

    same = [paired_baseline(pc, whole, covered) if pc is not None else "" for pc in own]
    if not any(same):
        p.table(["Metric", "Unit", "Baseline", title, "Change (paired)", "Improved"],
                rows, [0.25, 0.09, 0.18, 0.18, 0.21, 0.09], size=6.8)
    else:
        n = covered or min(pc.comparison.n_paired for pc in own if pc is not None)
        # a row over all the baseline's twins (only another output lost some) says so
        rows = [[*row[:3], (cell or (f"({whole} twins) " if n != whole else "") + row[2])
                 .replace("-", "−"), *row[3:]] for row, cell in zip(rows, same, strict=True)]
        p.table(["Metric", "Unit", f"Baseline ({whole} twins)",
                 f"Baseline of the same {n} twins", title, "Change (paired)", "Improved"],
                rows, [0.20, 0.08, 0.15, 0.15, 0.15, 0.19, 0.08], size=6.8, wrap=True)
    _beyond_note(p, rows, names)


def _delta_cell(pc: Any, unit: str, *, share: bool = False) -> str:
    """A paired change (:func:`~twinviewer.report.paired.delta_text`) as printed."""
    from .paired import delta_text

    return delta_text(pc, unit, share=share).replace("-", "−")


def _beyond_note(p: _Pages, rows: list[list[str]], names: list[str]) -> None:
    """Under a table: what its marked intervals (:data:`BEYOND`) mean, if any is marked."""
    marked = [n for row, n in zip(rows, names, strict=True) if any(BEYOND in c for c in row[1:])]
    if marked:
        p.para(beyond_legend(marked) + ".", size=8, color="#7a3e00")


def _metric_arrays(r: Any) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    if r is None:
        return {}, None
    if hasattr(r, "metrics"):
        return dict(r.metrics), np.asarray(r.ok)
    d = dict(r)
    ok = d.pop("_ok", None)
    return d, None if ok is None else np.asarray(ok, dtype=bool)



def hidden_rows(doc: TwinDocument, results: Any, scenario_results: Mapping[str, Any] = {},
                scenarios: list | None = None) -> set[str]:
    """The metric rows the report leaves out for this twin and these what-ifs: a lesion's or
    device's rows that no member has, baseline or what-if, and that were not measured
    (:func:`~twinviewer.physiology.metrics.irrelevant_names`, the rule of the simulate CLI
    and the GUI's table; review15b #7). A what-if stored without its parameters keeps the
    rows of every lesion parameter its interventions change."""
    from twinviewer.physiology.metrics import LESION_PARAMETERS, irrelevant_names

    t = doc.twin
    names = [i.name for i in doc.parameters or ()]
    base = getattr(results, "params", None)
    if not names or (base is None and t.ensemble is None):
        return set()
    ens = [base if base is not None else t.ensemble]
    touched: set[str] = set()
    by_name = {sc.name: sc for sc in (scenarios if scenarios is not None else t.scenarios)}
    for k, r in scenario_results.items():
        p = getattr(r, "params", None)
        if p is not None and np.shape(p)[-1] == len(names):
            ens.append(p)
            continue
        sc = by_name.get(k)
        if sc is None:
            return set()  # what it changes is not known: leave every row in
        from twinviewer.interventions.library import get_intervention

        for step in sc.steps:
            try:
                touched |= set(get_intervention(step.name).parameters)
            except Exception:  # noqa: BLE001 - an unknown intervention may change any
                return set()
    hidden = irrelevant_names(names, ens, in_force(t))
    return {m for m in hidden if not touched & set(LESION_PARAMETERS.get(m, ()))}

# -- sections ------------------------------------------------------------------------------

def member_flags(results: Any, scenario_results: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`~twinviewer.interventions.compare.scenario_flags` of each scenario whose
    results pair with the baseline ``results`` member by member (which twins each covers)."""
    from twinviewer.interventions.compare import scenario_flags
    from twinviewer.physiology import Results

    if not isinstance(results, Results):
        return {}
    return {k: scenario_flags(results, r) for k, r in scenario_results.items()
            if isinstance(r, Results) and r.n == results.n}


def _calibration_text(doc: TwinDocument) -> str:
    """The latest calibration recorded in the audit trail, in one line."""
    for e in reversed(doc.audit.entries):
        if e.action == "calibration":
            d = e.details
            names = ", ".join(_label(doc.twin, n) for n in d.get("calibrated", [])) \
                or "no parameter"
            counts = counts_text(doc.twin.provenance, [i.name for i in doc.parameters])
            given = measurement_counts(doc.twin, doc.audit.entries)
            to = (given.calibration_text() if given.given is not None
                  else f"to {len(d.get('measurements', []))} measurement(s)")
            prior = prior_of_record(last_calibration(doc.audit.entries))
            return (f"{d.get('method', '?')}, {d.get('members', '?')} members, {to}. "
                    f"Prior: {prior}. "  # named on page 1 (review13 #7)
                    f"Parameters: {counts}. "
                    f"Calibrated: {names}")
    return "none (prior ensemble)"


def _unmeasured_block(p: _Pages, doc: TwinDocument) -> None:
    """The last calibration's predictions of unmeasured outputs with the width ratio of
    their interval to the prior predictive, and the plain flag when the data did not
    narrow them (:mod:`twinviewer.personalize.predictive_width`, stored in the record)."""
    summary = last_calibration(doc.audit.entries)
    record = next((e.details for e in reversed(doc.audit.entries)
                   if e.action == "calibration"), {})
    shown = (summary or {}).get("unmeasured_predictions") or {}
    if not shown:
        return
    widths = record.get("unmeasured_informed") or {}
    rows = []
    for name, (med, lo, hi, unit) in shown.items():
        w = widths.get(name)
        ratio = w.get("width_ratio") if w else None
        rows.append([name, f"{interval(med, lo, hi)} {unit}{beyond_mark(name, lo, hi)}"
                     .replace("-", "−"),
                     "not recorded" if w is None else
                     ("unknown" if ratio is None else f"{ratio:.2f}"),
                     "" if w is None else (w.get("flag") or "narrowed by the data")])
    p.need(0.016 * (len(rows) + 5))  # heading, table and footnote on one page
    p.subheading("Unmeasured predictions of the last calibration")
    p.table(["Output", "Predicted (90 % interval)", "Width / prior predictive", "Informed?"],
            rows, [0.14, 0.36, 0.2, 0.3], size=8)
    p.para("90 % interval: posterior ensemble ⊕ learned model discrepancy. Width ratio ≥ 0.9: "
           "the measurements did not narrow the prediction; it is the population's spread, "
           "not a finding about this patient.", size=8, color="0.3")
    _beyond_note(p, rows, list(shown))


def _shown_names(scenarios: list) -> dict[str, str]:
    """Scenario name → the name a reader sees, with its response mode (acute or regulated)."""
    from twinviewer.interventions.scenario import shown_name

    return {s.name: shown_name(s) for s in scenarios}


#: Said beside a scenario result the file does not hold (the report simulated it).
NOT_STORED = "computed for this report, not stored in the file"
#: The marks beside a what-if result the report shows but the file does not hold as current.
MARK_NOT_STORED = "not stored"
MARK_OUT_OF_DATE = "stored, out of date"
#: What a stored result that is out of date means (review13b #7): the same words on page 1,
#: in the tables, on the Scenarios page and in the GUI's note on open
#: (:data:`~twinviewer.interventions.constants_digest.OUT_OF_DATE`).
OUT_OF_DATE_NOTE = ("the intervention code changed since it was made (re-run it); "
                    "recomputed for this report")


def _held_back(doc: TwinDocument) -> dict[str, str]:
    """Stored scenario results the file keeps but the GUI would not show as current."""
    from twinviewer.interventions.constants_digest import held_back

    return held_back(doc.results, doc.twin.scenarios)


def _unstored(doc: TwinDocument, scenario_results: Mapping[str, Any]) -> dict[str, str]:
    """Scenarios whose results the report shows but the file does not hold as current, each
    with its mark: :data:`MARK_NOT_STORED` (no result in the file) or
    :data:`MARK_OUT_OF_DATE` (one kept, made by other intervention code)."""
    held = _held_back(doc)
    return {name: MARK_OUT_OF_DATE if name in doc.results else MARK_NOT_STORED
            for name in scenario_results if name not in doc.results or name in held}


def _unstored_said(unstored: Mapping[str, str], name: str) -> str:
    """What the mark of ``name`` means, in words ('' if it has none)."""
    mark = unstored.get(name)
    return (f"{MARK_OUT_OF_DATE}: {OUT_OF_DATE_NOTE}" if mark == MARK_OUT_OF_DATE
            else NOT_STORED if mark else "")


def _unstored_note(unstored: Mapping[str, str], names: Any = None) -> str:
    """The footnote for the marks used among ``names`` (all by default), or ''.

    Examples
    --------
    >>> for part in _unstored_note({"a": MARK_OUT_OF_DATE, "b": MARK_NOT_STORED}).split("; "):
    ...     print(part)
    (not stored): computed for this report, not stored in the file
    (stored, out of date): the intervention code changed since it was made (re-run it)
    recomputed for this report
    """
    used = {unstored[k] for k in (unstored if names is None else names) if k in unstored}
    said = {MARK_NOT_STORED: f"({MARK_NOT_STORED}): {NOT_STORED}",
            MARK_OUT_OF_DATE: f"({MARK_OUT_OF_DATE}): {OUT_OF_DATE_NOTE}"}
    return "; ".join(said[m] for m in (MARK_NOT_STORED, MARK_OUT_OF_DATE) if m in used)


def _scenario_line(scenario: Any, shown: str) -> str:
    """A scenario's name and, unless the name already says it, its steps in words.

    Examples
    --------
    >>> from twinviewer.interventions.scenario import InterventionStep, Scenario
    >>> s = Scenario("my plan", (InterventionStep("beta_blocker", {"dose": 5.0}),), "acute")
    >>> _scenario_line(s, "my plan [acute, unregulated]")
    'my plan [acute, unregulated]: Beta-blocker 5 mg'
    >>> _scenario_line(s, "Beta-blocker 5 mg [acute, unregulated]")
    'Beta-blocker 5 mg [acute, unregulated]'
    """
    from twinviewer.interventions.scenario import step_text

    recipe = " + ".join(step_text(st) for st in scenario.steps) or "no interventions"
    return shown if shown.startswith(recipe) else f"{shown}: {recipe}"


def _file_page(p: _Pages, doc: TwinDocument, generated: str) -> None:
    """Appendix A: everything the file holds, and each measurement's source and use."""
    t = doc.twin
    shown = _shown_names(t.scenarios)
    p.new_page("Appendix A — What the file holds")
    rows = [["Twin (pseudonym)", t.pseudonym], ["Origin", t.origin or "unknown"],
            ["Model", f"{t.model_name} v{t.model_version} (equations {t.equation_hash})"],
            ["Parameter ensemble", f"{t.ensemble.shape[0]} members, {t.ensemble_kind}"],
            ["Visits", ", ".join(f"day {v.day}" for v in t.visits) or "none"],
            ["Scenarios", ", ".join(shown[s.name] for s in t.scenarios) or "none"],
            ["Calibration", _calibration_text(doc)],
            ["Stored results", ", ".join(shown.get(k, k) for k in doc.results) or "none"],
            ["File", f"schema {doc.schema_version}, written by TwinViewer "
                     f"{doc.app_version or '?'}"],
            ["Audit trail", doc.chain.message if doc.chain else "not verified"],
            ["Report generated", generated]]
    p.table(["", ""], rows, [0.25, 0.75], size=9, wrap=True)  # all the file holds, uncut
    p.para("Every predicted number is the median of the twin's parameter ensemble with its "
           "90 % interval in brackets. Measured values are shown beside predictions, never "
           "blended with them. " + twinviewer.RESEARCH_USE + ".", size=8.5, color="0.25")
    p.subheading("Measurements")
    uses = measurement_use(t, doc.audit.entries)
    if uses:
        # each row says whether the twin was fitted to it, what replaced it, or why not; the
        # why is a numbered note below (a table cell would cut it)
        notes = [u for u in uses if u.detail]
        model = model_or_none(t)
        p.table(["Quantity", "Value", "SD", "Unit", "Source (from)", "Last calibration"],
                [[shown_quantity(u.measurement.name), _fmt(u.measurement.value),
                  _fmt(u.measurement.uncertainty), shown_unit(u.measurement.unit),
                  f"{u.measurement.source or '—'} ({u.origin})",
                  u.status + (f" [{notes.index(u) + 1}]" if u in notes else "")]
                 for u in uses],
                [0.14, 0.11, 0.09, 0.09, 0.35, 0.22], wrap=True)
        for k, u in enumerate(notes, 1):
            p.para(f"[{k}] {shown_quantity(u.measurement.name)} {_fmt(u.measurement.value)} "
                   f"{shown_unit(u.measurement.unit)} ({u.origin}): "
                   f"{plain_text(u.text(), model)}", size=7.5,
                   color="0.25")
    else:
        p.para("No measurements (a virtual twin from priors).")
    _unmeasured_block(p, doc)
    p.para("The clinician's conclusion and notes are on page 1.", size=8, color="0.3")


def _render_3d(anatomy, phase: int, clim: tuple[float, float]
               ) -> tuple[np.ndarray | None, np.ndarray | None, str]:
    """Two off-screen snapshots: structures coloured, and surfaces coloured by uncertainty."""
    try:
        import pyvista as pv
    except Exception as exc:  # noqa: BLE001 - missing or broken VTK
        return None, None, f"3D view unavailable (pyvista: {exc})"
    from twinviewer.imaging.errors import quiet_vtk

    quiet_vtk()  # no raw "bad X server connection" on the terminal without a display
    images = []
    try:
        for mode in ("structures", "uncertainty"):
            pl = pv.Plotter(off_screen=True, window_size=(700, 620))
            try:
                pl.set_background("white")
                shown = 0
                for key, s in anatomy.structures.items():
                    mesh = s.meshes.get(phase) or next(iter(s.meshes.values()), None)
                    if mesh is None or mesh.n_faces == 0:
                        continue
                    faces = np.hstack([np.full((mesh.n_faces, 1), 3), mesh.faces]).ravel()
                    poly = pv.PolyData(mesh.points, faces)
                    if mode == "structures":
                        pl.add_mesh(poly, color=s.color, smooth_shading=True,
                                    opacity=0.45 if "myocard" in key else 1.0)
                    else:
                        poly.point_data["uncertainty (mm)"] = mesh.uncertainty_mm
                        pl.add_mesh(poly, scalars="uncertainty (mm)", cmap="viridis",
                                    clim=clim, smooth_shading=True, show_scalar_bar=False)
                    shown += 1
                if shown == 0:
                    return None, None, "no meshes to show"
                pl.view_isometric()
                pl.camera.zoom(1.25)
                images.append(pl.screenshot(return_img=True))
            finally:
                pl.close()
    except Exception as exc:  # noqa: BLE001 - no OpenGL context: say so, keep going
        log.warning("3D snapshot failed: %s", exc)
        return None, None, f"3D view unavailable ({type(exc).__name__}: {exc})"
    return images[0], images[1], ""


def _anatomy_page(p: _Pages, doc: TwinDocument, notes: list[str]) -> None:
    a = doc.twin.anatomy
    p.new_page("Anatomy")
    if a is None:
        p.para("No imaged anatomy: this twin has no images or meshes (a virtual heart or a "
               "twin made from measurements only).")
        return
    phase = a.image.ed_index if a.image is not None else 0
    unc = [m.uncertainty_mm for s in a.structures.values() for m in s.meshes.values()
           if m.n_points]
    clim = (float(min(u.min() for u in unc)), float(max(u.max() for u in unc))) if unc \
        else (0.0, 1.0)
    clim = clim if clim[1] > clim[0] else (clim[0], clim[0] + 1.0)
    struct_img, unc_img, why = _render_3d(a, phase, clim)
    if struct_img is not None:
        ax1, ax2 = p.axes(0.30, 2)
        for ax, img, title in ((ax1, struct_img, "Structures (end-diastole)"),
                               (ax2, unc_img, "Boundary uncertainty (end-diastole)")):
            ax.imshow(img)
            ax.set_axis_off()
            ax.set_title(title, fontsize=9)
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import Normalize

        cax = p.fig.add_axes((ax2.get_position().x0 + 0.05, p.y + 0.02,
                              ax2.get_position().width - 0.1, 0.008))
        bar = p.fig.colorbar(ScalarMappable(Normalize(*clim), "viridis"), cax=cax,
                             orientation="horizontal")
        bar.set_label("half-width of the boundary interval (mm)", fontsize=7)
        bar.ax.tick_params(labelsize=6)
        p.y -= 0.035
    else:
        notes.append(why)
        p.para(why, color="#7a3e00")
    if a.image is not None:
        img = a.image
        k = img.shape[0] // 2
        phases = sorted({img.ed_index, img.es_index})
        axs = p.axes(0.30, len(phases))
        ds, dr, dc = img.spacing
        for ax, ph in zip(axs, phases, strict=True):
            sl = img.array[ph, k]
            extent = (0, sl.shape[1] * dc, sl.shape[0] * dr, 0)
            lo, hi = (-200, 600) if img.modality == "CT" else np.percentile(sl, [1, 99])
            ax.imshow(sl, cmap="gray", vmin=lo, vmax=hi, extent=extent)
            lab = (a.labels or {}).get(ph)
            if lab is not None:
                for key, value in a.label_values.items():
                    mask = lab[k] == value
                    if mask.any():
                        s = a.structures.get(key)
                        ax.contour(mask.astype(float), levels=[0.5], extent=extent,
                                   origin="upper", linewidths=0.8,
                                   colors=[s.color if s else "yellow"])
            name = "end-diastole" if ph == img.ed_index else "end-systole"
            ax.set_title(f"Slice {k + 1}/{img.shape[0]}, {name}", fontsize=9)
            ax.set_xlabel("mm", fontsize=7)
            ax.tick_params(labelsize=6)
        p.para(f"Image: {img.modality} {img.description}; grid {' × '.join(map(str, img.shape))}"
               f" voxels, spacing {' × '.join(f'{s:.2g}' for s in img.spacing)} mm; "
               f"{img.n_phases} phase(s). Label contours in structure colours.", size=8)
    vols = _volumes(a)
    if vols:
        key = [r for r in vols if r[1] in ("ED", "ES")]
        more = len(vols) > len(key)
        p.subheading("Structure volumes from the images"
                     + (" (end-diastole and end-systole)" if key and more else ""))
        p.table(["Structure", "Phase", "Volume", "SD", "Unit"],
                [[n, str(ph), _fmt(v.value), _fmt(v.uncertainty), shown_unit(v.unit)]
                 for n, ph, v in (key or vols)],
                [0.4, 0.12, 0.16, 0.16, 0.16])
        if key and more:
            p.para("Every phase's volume: Appendix B.", size=8, color="0.3")
    for n in a.notes[:12]:
        p.para(f"• {n}", size=7.5, color="0.3")


def _volumes(a) -> list[tuple[str, str, Any]]:
    """(structure, phase name, volume) of every structure and phase (ED/ES named)."""
    def phase_name(ph: int) -> str:
        if a.image is None:
            return str(ph)
        return {a.image.ed_index: "ED", a.image.es_index: "ES"}.get(ph, str(ph))

    return [(s.name, phase_name(ph), v) for s in a.structures.values()
            for ph, v in s.volumes.items()]


def _volumes_appendix(p: _Pages, doc: TwinDocument) -> None:
    """Appendix B: every structure's volume at every imaged phase (when there are more phases
    than end-diastole and end-systole)."""
    a = doc.twin.anatomy
    vols = _volumes(a) if a is not None else []
    if not vols or all(ph in ("ED", "ES") for _, ph, _ in vols):
        return
    p.new_page("Appendix B — Structure volumes at every phase")
    p.table(["Structure", "Phase", "Volume", "SD", "Unit"],
            [[n, str(ph), _fmt(v.value), _fmt(v.uncertainty), shown_unit(v.unit)]
             for n, ph, v in vols],
            [0.4, 0.12, 0.16, 0.16, 0.16])


def _draw_pv_band(ax: Any, results: Any, idx: np.ndarray, side: str) -> None:
    """The 90 % band of the ``side`` loop over the members' own cycle phase (the GUI's, from
    :func:`twinviewer.physiology.pv_band.phase_band`): a light fill between its outlines
    (its holes stay open: the rings wind opposite ways) and the outlines."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    from twinviewer.physiology.pv_band import phase_band

    s = results.series
    q_in, q_out = {"LV": ("Q_MV", "Q_AV"), "RV": ("Q_TV", "Q_PV")}[side]
    band = phase_band(s[f"V_{side}"][idx], s[f"p_{side}"][idx],
                      s[q_in][idx] if q_in in s else None, s[q_out][idx] if q_out in s else None)
    if not band.rings:
        return
    verts = np.concatenate(band.rings)
    codes = np.concatenate([[MplPath.MOVETO] + [MplPath.LINETO] * (len(r) - 2)
                            + [MplPath.CLOSEPOLY] for r in band.rings])
    ax.add_patch(PathPatch(MplPath(verts, codes), facecolor="#1f4e9c", alpha=0.12,
                           edgecolor="none", label="90 % band (5–95 %, per phase)"))
    for ring in band.rings:
        ax.plot(ring[:, 0], ring[:, 1], color="#1f4e9c", linewidth=0.6, alpha=0.6)


def _pv_legend(p: _Pages, axs: list) -> Any:
    """One key under both PV-loop panels, outside the axes (as the GUI's PV key is): inside
    them it covered the band and the scenarios' loops (review14b #8). Each entry wrapped to
    :data:`PV_LEGEND_CHARS`; the cursor moves below it. Returns the legend (None: nothing
    drawn).

    Examples
    --------
    >>> import io
    >>> from matplotlib.backends.backend_pdf import PdfPages
    >>> with PdfPages(io.BytesIO()) as pdf_file:
    ...     p = _Pages(pdf_file, "t", identifiable=False)
    ...     p.new_page()
    ...     ax = p.axes(0.27, 1)[0]
    ...     _ = ax.plot([0, 1], [0, 1], label="baseline")
    ...     key = _pv_legend(p, [ax])
    ...     box, cursor = key.get_window_extent(), p.y * p.fig.bbox.height
    ...     p.finish()
    >>> bool(box.y1 <= ax.get_window_extent().y0), bool(cursor < box.y0)
    (True, True)
    """
    ax = next((a for a in axs if a.axison and a.get_legend_handles_labels()[0]), None)
    if ax is None:
        return None
    handles, labels = ax.get_legend_handles_labels()
    shown = [textwrap.fill(s if p.identifiable else redact(s), PV_LEGEND_CHARS)
             for s in labels]
    p.text.extend(shown)
    top = p.y
    key = p.fig.legend(handles, shown, loc="upper left", bbox_to_anchor=(LEFT, top),
                       ncols=2 if len(shown) > 2 else len(shown), fontsize=7, frameon=False,
                       borderaxespad=0.0, borderpad=0.0, columnspacing=1.5)
    height = key.get_window_extent().height / p.fig.bbox.height
    p.y = top - height - 0.02
    return key


def _pv_page(p: _Pages, doc: TwinDocument, results: Any,
             scenario_results: Mapping[str, Any]) -> None:
    p.new_page("Pressure–volume loops and metrics")
    have_series = results is not None and hasattr(results, "series")
    shown = _shown_names(doc.twin.scenarios)
    unstored = _unstored(doc, scenario_results)
    if have_series:
        # room for the loops and, below them, their key (estimated: measured once drawn)
        p.need(0.27 + 0.045 + 0.012 * (2 + len(scenario_results)))
        axs = p.axes(0.27, 2)
        ok = np.asarray(results.ok)
        idx = np.flatnonzero(ok)
        if idx.size:
            ef = results.metrics.get("LVEF")
            rep = idx[np.argmin(np.abs(ef[idx] - np.nanmedian(ef[idx])))] if ef is not None \
                else idx[0]
            for ax, side in zip(axs, ("LV", "RV"), strict=True):
                v, pr = results.series.get(f"V_{side}"), results.series.get(f"p_{side}")
                if v is None or pr is None:
                    ax.set_axis_off()
                    continue
                for i in idx[:: max(1, idx.size // 40)]:
                    ax.plot(v[i], pr[i], color="0.75", linewidth=0.5)
                _draw_pv_band(ax, results, idx, side)
                ax.plot(v[rep], pr[rep], color="#1f4e9c", linewidth=1.6, label="baseline")
                for j, (name, r) in enumerate(scenario_results.items()):
                    if hasattr(r, "series") and f"V_{side}" in r.series and r.n == results.n:
                        ax.plot(r.series[f"V_{side}"][rep], r.series[f"p_{side}"][rep],
                                color=f"C{j + 1}", linewidth=1.3,
                                label=shown.get(name, name)
                                + (f" ({unstored[name]})" if name in unstored else ""))
                ax.set_xlabel(f"{side} volume (mL)", fontsize=8)
                ax.set_ylabel(f"{side} pressure (mmHg)", fontsize=8)
                ax.tick_params(labelsize=7)
                ax.set_title(f"{side} PV loop: ensemble (grey), 90 % band, median-EF member",
                             fontsize=8.5)
            _pv_legend(p, axs)
            if unstored:
                p.para(f"{_unstored_note(unstored)}.", size=7.5, color="#7a3e00")
        else:
            p.para("No ensemble member reached a periodic state; no PV loop to show.")
    else:
        p.para("PV loops need a simulation of the twin; none was available (model not "
               "installed or simulation failed).", color="#7a3e00")
    metrics, ok = _metric_arrays(results)
    if not metrics:
        return
    from twinviewer.physiology import METRIC_BY_NAME

    t = doc.twin
    ctx = context_of_twin(t)  # the one shown interval (model error on unmeasured outputs)
    held = in_force(t)  # only values in force: an image SV whose volumes were replaced is not
    rows, names = [], []
    hidden = hidden_rows(doc, results, {})
    for name in REPORT_METRICS:
        if name not in metrics or not np.isfinite(metrics[name]).any() or name in hidden:
            continue
        m = METRIC_BY_NAME.get(name)
        if m is not None and negligible(metrics[name], m.unit):
            continue  # no LVAD, a competent valve: the row would say nothing
        meas = held.get(name)
        mark = row_mark(ctx, name)  # † or ‡: which interval the row shows (review15b #5)
        names.append(name)
        rows.append([(m.label if m else name) + mark, unit_cell(m.unit) if m else "",
                     _interval(metrics[name], ok, name=name, ctx=ctx),
                     ("assumed " if is_assumed(meas) else "")
                     + f"{_fmt(meas.value)} ± {_fmt(meas.uncertainty)} {shown_unit(meas.unit)}"
                     if meas
                     else "—"])
    p.subheading("Metrics: predicted median (90 % interval) and measured")
    p.table(["Metric", "Unit", "Predicted", "Measured (± 1 SD)"], rows,
            [0.38, 0.12, 0.25, 0.25])
    if ctx is not None:
        p.para(MARK_LEGEND + ".", size=8, color="0.3")
    if "MAP" in names:  # read against the formula beside the same SBP/DBP (review15b #6)
        p.para(MAP_NOTE, size=8, color="0.3")
    _beyond_note(p, rows, names)
    if any(is_assumed(x) for x in held.values()):
        p.para("\"assumed\": not measured; the value's source says what it assumes "
               "(listed with the measurements).", size=8, color="#7a3e00")
    if ok is not None and (~ok).any():
        p.para(f"{int((~ok).sum())} of {ok.size} ensemble members did not reach a periodic "
               f"state and are excluded from the intervals.", size=8, color="#7a3e00")


def _scenario_page(p: _Pages, results: Any, scenario_results: Mapping[str, Any],
                   scenarios: list, unstored: Mapping[str, str] | None = None,
                   ctx: Any = None, hidden: Mapping[str, set[str]] | None = None
                   ) -> None:
    p.new_page("Scenarios compared")
    if not scenario_results:
        if scenarios:
            p.para("Scenarios are defined (" + ", ".join(_shown_names(scenarios).values())
                   + ") but "
                   "were not computed for this report: run them in TwinViewer and save the "
                   "twin with its results.", color="#7a3e00")
        else:
            p.para("No scenarios defined.")
        return
    unstored = unstored or {}
    shown = _shown_names(scenarios)
    for s in scenarios:
        p.para(_scenario_line(s, shown[s.name])
               + (f" — {_unstored_said(unstored, s.name)}" if s.name in unstored else ""),
               size=8.5)
    base, ok0 = _metric_arrays(results)
    from twinviewer.interventions.compare import members_note, scenario_valve_areas
    from twinviewer.physiology import METRIC_BY_NAME

    from .paired import as_run, left_out_text, paired, paired_baseline, scenario_lines

    flags = member_flags(results, scenario_results)
    said = members_note(flags, shown)
    if said:  # the tables below describe different groups of twins (review14 #4)
        p.para(said[0].upper() + said[1:] + " Each table's baseline column covers all the "
               "twins.", size=8, color="#7a3e00")
    whole = int(ok0.sum()) if ok0 is not None else 0
    cautions = scenario_lines(results, scenario_results, scenarios)

    by_name = {s.name: s for s in scenarios}
    for name, r in scenario_results.items():
        met, ok1 = _metric_arrays(r)
        run = as_run(r)
        # stored results without parameters: a valve the scenario replaces is credited
        areas = scenario_valve_areas(by_name[name], run.n) if name in by_name else None
        p.subheading(f"{shown.get(name, name)} versus baseline" + (
            f" ({len(flags[name].covered)} of {flags[name].paired} twins)"
            if said and name in flags else ""))
        if unstored.get(name) == MARK_OUT_OF_DATE:
            p.para(f"Result {MARK_OUT_OF_DATE}: {OUT_OF_DATE_NOTE}.", size=8, color="#7a3e00")
        elif name in unstored:
            p.para(f"Result {NOT_STORED}: the file defines this scenario but holds no result "
                   "for it.", size=8, color="#7a3e00")
        rows, names, own = [], [], []
        qualified: list[str] = []
        for m in REPORT_METRICS:
            if m not in met or m not in base or not np.isfinite(met[m]).any():
                continue
            if m in (hidden or {}).get(name, ()):
                continue  # a lesion neither the twin nor the what-if has (review15b #7)
            info = METRIC_BY_NAME.get(m)
            if info is not None and negligible(np.r_[met[m], base[m]], info.unit):
                continue  # no LVAD, a competent valve: the row would say nothing
            u = info.unit if info else ""
            label = (info.label if info else m) + row_mark(ctx, m)
            # paired as the comparison pairs (periodic in both, the metric finite in both)
            pc = paired(results, r, m, ctx, areas)
            if pc is None:
                cells = [_interval(base[m], ok0, name=m, ctx=ctx),
                         _interval(met[m], ok1, name=m, ctx=ctx), "unpaired", ""]
            else:
                c = pc.comparison
                resp = "" if c.improved is None else percent(c.improved) + (
                    " *" if c.qualifier else "")
                if c.qualifier:
                    qualified.append(f"* {info.label if info else m}: {c.qualifier}.")
                v = c.scenario
                cells = [_interval(base[m], ok0, name=m, ctx=ctx),
                         _triple((v.median, v.lo, v.hi), name=m), _delta_cell(pc, u), resp]
            rows.append([label, shown_unit(u), *cells])
            names.append(m)
            own.append(pc)
        _scenario_table(p, rows, names, own, shown.get(name, name),
                        len(flags[name].covered) if name in flags else 0, whole)
        if any(paired_baseline(pc, whole) for pc in own if pc is not None):
            gone = left_out_text(flags.get(name), run.n, ok0)  # which twins, and why
            p.para(f"{gone[0].upper()}{gone[1:]}." if gone else "Some twins have no value "
                   "of some outputs under this what-if: their row's baseline of the same "
                   "twins says how many it covers.", size=8, color="#7a3e00")
        if qualified:
            p.para(" ".join(qualified), size=8, color="0.25")
        if name in by_name:  # the model is known to miss a source of this intervention
            for line in scenario_evidence([by_name[name]], baseline=results).get(name, []):
                p.para(print_minus(without_notes(f"Evidence: {line}.")[0]), size=8,
                       color="#7a3e00")
            for line in unsourced_changes([by_name[name]], results, {name: r},
                                          ctx).get(name, []):
                p.para(print_minus(without_notes(f"{line}.")[0]), size=8, color="#7a3e00")
        # as on screen: out of the validated range, suction, excluded twins, a valve it does
        # not treat or that is off-size, a negative mean atrial pressure (review14b #5)
        for text in cautions.get(name, []):
            p.para(print_minus(f"{text[0].upper()}{text[1:]}."), size=8, color="#7a3e00")
    p.para("Changes are computed per ensemble member (paired) and summarised as median "
           "(90 % interval); 'improved' is the share of plausible twins whose metric moved "
           "in its clinically better direction by more than the metric's tolerance, as in "
           "the scenario comparison (metrics without a better direction are not scored); a "
           "change of a quantity in % is in %-points."
           + (f" {MARK_LEGEND}; a change carries the same model error in baseline and "
              "scenario (paired)." if ctx is not None else ""),
           size=8, color="0.25")


class _Arrays:
    """Stored metric arrays as :func:`~twinviewer.interventions.ranking.rank` reads a run."""

    def __init__(self, r: Any) -> None:
        self.metrics, ok = _metric_arrays(r)
        n = next((np.shape(v)[0] for v in self.metrics.values() if np.ndim(v) == 1), 0)
        self.ok = np.ones(n, bool) if ok is None else ok
        self.model = getattr(r, "model", None) or type("stored", (), {"name": "stored"})


def ranking_lines(goal_text: str, results: Any, scenario_results: Mapping[str, Any],
                  scenarios: list) -> list[str]:
    """The user's goal and the ranking of the reported scenarios by it, each option by its
    display name (with its mode), with the cautions of its evidence rows and of an
    UNSOURCED change of the goal's metric; or one line saying why there is none.

    Examples
    --------
    >>> ranking_lines("", None, {}, [])
    []
    """
    if not goal_text:
        return []
    from twinviewer.explain.evidence_flags import scenario_evidence, unsourced_changes
    from twinviewer.interventions import InterventionError
    from twinviewer.interventions.ranking import Goal, rank

    if results is None or not scenario_results:
        return [f"Goal kept with this twin: {goal_text}. No scenario result is in this "
                "report, so there is no ranking."]
    by_name = {s.name: s for s in scenarios}
    try:
        goal = Goal.parse(goal_text)
        base = results if hasattr(results, "metrics") else _Arrays(results)
        res = {k: r if hasattr(r, "metrics") else _Arrays(r)
               for k, r in scenario_results.items()}
        known = [by_name[k] for k in res if k in by_name]
        unsourced = unsourced_changes(known, results, scenario_results)
        ranking = rank(base, res, goal, evidence=scenario_evidence(known, baseline=results),
                       unsourced=unsourced, scenarios=known)  # off-size valve: unranked
    except InterventionError as exc:
        return [f"Goal kept with this twin: {goal_text}. It cannot rank these results: {exc}."]
    shown = _shown_names(scenarios)
    return ranking.format_text(shown).splitlines()


def _ranking_section(p: _Pages, lines: list[str]) -> None:
    """The ranking the user made (its goal kept in the file), under the scenarios."""
    if not lines:
        return
    p.subheading("Ranking by the goal you chose")
    for line in lines:
        caution = line.lstrip().startswith("!")
        p.para(line.strip(), size=8, indent=0.02 * (len(line) - len(line.lstrip())) / 2,
               color="#7a3e00" if caution else "black")


def _explain_and_provenance(p: _Pages, doc: TwinDocument, results: Any) -> None:
    p.new_page("Explanation and provenance")
    p.subheading("Explanation summary")
    model = model_or_none(doc.twin)
    lines = _explanation_lines(doc, results)
    for line in lines:
        p.para(plain_text(line, model), size=8.5)
    p.subheading("Parameters: value, ensemble interval and state")
    t = doc.twin
    states = parameter_states(doc)
    rows, absent = [], []
    for j, info in enumerate(doc.parameters):
        col = t.ensemble[:, j]
        if absent_device(info.description, col):
            absent.append(_label(t, info.name))
            continue
        # the median of the same ensemble as the interval: a point estimate (EKI mean) can
        # lie outside a skewed 90 % interval (a reviewer saw 1.3 beside 0.9–1.2)
        lo, med, hi = np.quantile(col, [0.05, 0.5, 0.95])
        prov = t.provenance.get(info.name)
        state = states[info.name]
        if prov is not None and prov.inputs:
            state += f" (from {shown_quantities(prov.inputs)})"
        what, unit = _label(t, info.name), shown_unit(info.unit)
        if not unit:  # a ratio: say what it is a fraction of (its description)
            what, unit = info.description.split(" (")[0].capitalize() or what, "fraction"
        rows.append([what, unit, _fmt(float(med)), span(lo, hi).replace("-", "−"), state])
    p.table(["Parameter", "Unit", "Median", f"{t.ensemble_kind} 90 %", "State"], rows,
            [0.40, 0.11, 0.08, 0.14, 0.27], size=6.8, wrap=True)
    if absent:
        p.para("Not listed (absent in this patient, 0 in every member): "
               + ", ".join(absent) + ".", size=7.5, color="0.25")


def absent_device(description: str, values: np.ndarray) -> bool:
    """True for a device or defect the patient does not have: its declaration says what 0
    means ("LVAD pump speed (0: no device)", "… (0: intact septum)") and every member is 0.

    Examples
    --------
    >>> absent_device("LVAD pump speed (0: no device)", np.zeros(3))
    True
    >>> absent_device("LVAD pump speed (0: no device)", np.array([0.0, 3.0]))
    False
    >>> absent_device("AV effective regurgitant orifice area", np.zeros(3))
    False
    """
    return "(0: " in description and bool(np.all(np.asarray(values) == 0.0))


def _label(twin, name: str) -> str:
    """The parameter's human label, as the GUI shows it
    (:func:`twinviewer.twins.parameter_label`)."""
    from twinviewer.twins import parameter_label  # the models: imported when a report is made

    return parameter_label(twin, name)


def parameter_states(doc: TwinDocument) -> dict[str, str]:
    """The one state of each parameter, as the Calibrate step shows it: measured, derived
    from images, calibrated, prior / assumed — or, for a parameter the last calibration
    reached without narrowing it, that calibration's own word for it.

    Examples
    --------
    >>> parameter_states(load_twin("j.twin"))["SYS.R_AR"]  # doctest: +SKIP
    'calibrated'
    """
    from twinviewer.core.provenance import Source

    summary = last_calibration(doc.audit.entries) or {}
    shown = {r.get("name"): str(r.get("state")) for r in summary.get("parameter_intervals", ())
             if isinstance(r, dict) and r.get("state")}
    out = {}
    for info in doc.parameters:
        prov = doc.twin.provenance.get(info.name)
        source = prov.source.value if prov is not None else Source.PRIOR.value
        # the calibration's word (e.g. "prior (not informed by the data)") unless the
        # parameter has since been measured or derived from images
        state = parameter_state(prov)  # a moved one is not "calibrated"
        out[info.name] = shown.get(info.name, state) \
            if source in (Source.CALIBRATED.value, Source.PRIOR.value) else state
    return out


EXPLAINED_METRICS = ("LVEF", "MAP", "CO")


def _explanation_lines(doc: TwinDocument, results: Any) -> list[str]:
    """Plain-language explanations of key metrics from :mod:`twinviewer.explain`, if present."""
    lines: list[str] = []
    try:
        from twinviewer.explain import explain
    except ImportError:
        explain = None
    t = doc.twin
    if explain is None:
        lines.append("No explanation module in this build: sensitivities and attributions "
                     "are not included.")
    elif results is None or not hasattr(results, "series"):
        lines.append("Explanations need a simulation of the twin, which was not available.")
    else:
        measured = [m.name for m in t.measurements if m.name in results.metrics]
        metrics = list(dict.fromkeys([*EXPLAINED_METRICS, *measured]))[:5]
        cautions: list[str] = []
        for metric in metrics:
            try:
                ex = explain(t, metric, results=results, validation=False)
            except Exception as exc:  # noqa: BLE001 - an explainer failure must not lose the report
                lines.append(f"{metric}: no explanation ({type(exc).__name__}: {exc})")
                continue
            lines.append(ex.summary)
            cautions += [f"[{w.severity}] {w.text}" for w in ex.warnings]
        for c in dict.fromkeys(cautions):
            lines.append(f"Caution {c}")
        lines.append("No caution does not mean all is well: the twin can only flag what its "
                     "validity checks cover.")
    # Validity: parameters outside their plausible range (independent of the explainer).
    t = doc.twin
    outside = [f"{_label(t, i.name)} = {_fmt(float(t.params[j]))} "
               f"{shown_unit(i.unit)} (plausible "
               f"{span(*i.plausible)})".replace("-", "−")
               for j, i in enumerate(doc.parameters)
               if not i.plausible[0] <= t.params[j] <= i.plausible[1]]
    lines.append("Validity: the point estimate lies within every parameter's plausible range."
                 if not outside else "Validity warning — outside the plausible range: "
                 + "; ".join(outside))
    # one count, in the words the Calibrate step and the command line use (review9b #4)
    lines.append("Evidence behind the parameters: "
                 + counts_text(t.provenance, [i.name for i in doc.parameters]) + ".")
    return lines


def _model_card(p: _Pages, doc: TwinDocument) -> None:
    p.new_page("Model card")
    t = doc.twin
    try:
        from twinviewer.physiology import model_for

        model = model_for(t.model_name, t.model_version, t.equation_hash)
    except Exception:  # noqa: BLE001
        model = None
    p.para(f"Model {t.model_name}, version {t.model_version}, equation hash "
           f"{t.equation_hash}.", size=9.5)
    if model is None or model.equation_hash != t.equation_hash:
        p.para("The installed TwinViewer does not carry this model version; its declaration "
               "(assumptions, context of use) cannot be shown. The twin will not be re-run "
               "with different equations.", color="#7a3e00")
        return
    p.para(model.title, size=10)
    p.subheading("Context of use")
    p.para(plain_text(model.context_of_use, model))
    p.subheading("Assumptions")
    for a in model.assumptions:
        p.para(f"• {plain_text(a, model)}", indent=0.0)
    from .response_mode import response_text

    # which response is the default, from the code that sets it (the assumption above reads
    # as if acute were)
    p.subheading("Response of a what-if")
    p.para(response_text(t.scenarios))
    _validation_section(p, model)
    p.subheading("References")
    for r in model.references:
        p.para(f"• {r}")


def _validation_section(p: _Pages, model: Any) -> None:
    """The model's validation on the card: every group's pass count, the evidence table's
    pass rate, and each failure by name (issue 12 item 3)."""
    p.subheading("Validation")
    try:
        from twinviewer.explain.modelcard import model_card
        from twinviewer.explain.validation import validation_report

        card = model_card(model, validation_report(model))
    except Exception as exc:  # noqa: BLE001 - the report says what it could not check
        p.para(f"Validation could not be run: {type(exc).__name__}: {exc}", color="#7a3e00")
        return
    p.para(f"Reference checks: {card.validation_line()}.")
    p.para(f"Evidence table (acute effects reported by the sources): {card.evidence_line()}.")
    failed = card.validation.failures() if card.validation is not None else []
    if failed:
        p.para(f"Failed ({len(failed)}):", size=8.5)
        for c in failed:
            note = f"; {c.note}" if c.note else ""
            why = f" Why: {c.why}" if getattr(c, "why", "") else ""
            # developer-note pointers are no source for a clinician, not even listed apart
            # (review14 #7): the reasons cite their published sources in the text;
            # `twinviewer validate` keeps the pointers for developers
            text, _ = without_notes(f"• {c.shown} ({c.group}{note}): {_failure_text(c)}."
                                    f"{why}")
            p.para(print_minus(text), size=7.5, color="#7a3e00")


def _failure_text(check: Any) -> str:
    """A failed check cut to what failed: an evidence row's variables outside tolerance,
    expected against got, read from the check's structured variables (never by splitting its
    text, whose source may hold "; " or "): "); other checks as they are.

    Examples
    --------
    >>> from twinviewer.explain.validation import Check
    >>> _failure_text(Check("evidence", "dobutamine-5", False, "Sakamoto (…; medifind 1): …",
    ...     [{"variable": "CI", "expected": "+26 %", "got": "+33 %", "passed": True},
    ...      {"variable": "HR", "expected": "+12 %", "got": "+4 %", "passed": False}]))
    'HR: expected +12 %, got +4 %'
    """
    bad = [f"{v['variable']}: expected {v['expected']}, got {v['got']}"
           for v in check.variables if not v["passed"]]
    return "; ".join(bad) or check.detail


def _audit_page(p: _Pages, doc: TwinDocument) -> None:
    p.new_page("Appendix C — Audit trail")
    if doc.chain is not None:
        p.para(doc.chain.message, color="black" if doc.chain.ok else "#b00020", size=9.5)
    from twinviewer.interventions.scenario import shown_name
    from twinviewer.io.audit_text import human_details

    word = words(model_or_none(doc.twin))
    # a scenario named as the What-if table names it (review14b #2: "ran pacing(rate=90)")
    rows = [[str(e.index), e.time[:19].replace("T", " "), e.action, e.app_version,
             human_details(e.details, word, shown_name), e.hash[:12]]
            for e in doc.audit.entries]
    if rows:  # wrapped: a trail cut with "…" hides what was done
        p.table(["#", "Time (UTC)", "Action", "App", "Details", "Hash"], rows,
                [0.04, 0.2, 0.1, 0.07, 0.45, 0.14], size=6.8, wrap=True)
    else:
        p.para("The audit trail is empty.")


def simulate_for_report(doc: TwinDocument) -> tuple[Any, list[str]]:
    """Baseline results of the twin's ensemble, or (None, [reason])."""
    try:
        from twinviewer.twins import simulate_twin, with_stored_metrics

        # the loops from a fresh run, the metrics the calibration summarised (the file's)
        return with_stored_metrics(simulate_twin(doc.twin), doc.results.get("baseline")), []
    except Exception as exc:  # noqa: BLE001 - report what we can
        return None, [f"simulation for the report failed: {type(exc).__name__}: {exc}"]


def scenarios_for_report(doc: TwinDocument, results: Any,
                         left_out: Mapping[str, str] | None = None
                         ) -> tuple[dict[str, Any], list[str]]:
    """The twin's scenarios simulated against baseline ``results``, and a note for each one
    left out, naming it and saying why; one that cannot run costs the others nothing.

    A scenario in ``left_out`` (name → reason: e.g. its plug-in hung in the app's session)
    or whose intervention is unavailable here (its plug-in disabled) is not run at all: a
    disabled plug-in is never called again for the report.

    Examples
    --------
    >>> res, notes = scenarios_for_report(doc, results)  # doctest: +SKIP
    """
    if not doc.twin.scenarios or results is None or not hasattr(results, "final_state"):
        return {}, []
    from twinviewer.core.twin import shown_name
    from twinviewer.interventions.library import why_unavailable

    why = dict(left_out or {})
    for sc in doc.twin.scenarios:
        if sc.name not in why and (off := next(filter(None, (why_unavailable(st.name)
                                                             for st in sc.steps)), "")):
            why[sc.name] = off
    runnable = [sc for sc in doc.twin.scenarios if sc.name not in why]
    out: dict[str, Any] = {}
    notes: list[str] = []
    if runnable:
        try:
            from twinviewer.interventions import run_scenarios
            from twinviewer.twins import model_of

            out = run_scenarios(model_of(doc.twin), results, runnable, failed=why)
        except Exception as exc:  # noqa: BLE001 - report what we can
            return {}, [f"scenarios could not be simulated: {type(exc).__name__}: {exc}"]
    shown = {sc.name: shown_name(sc) for sc in doc.twin.scenarios}
    notes += [f"scenario {shown.get(k, k)!r} is left out of this report: {reason}"
              for k, reason in why.items() if k in shown]
    return out, notes


def write_report(doc: TwinDocument, output: Path | str, *, results: Any = None,
                 scenario_results: Mapping[str, Any] | None = None,
                 simulate: bool = True,
                 left_out: Mapping[str, str] | None = None,
                 goal: str = "") -> ReportInfo:
    """Write the PDF report of a twin.

    Parameters
    ----------
    doc : TwinDocument
        From :func:`~twinviewer.io.twinfile.load_twin` (or built by the GUI).
    output : Path or str
        The PDF to write (atomically).
    results : physiology Results, optional
        Baseline ensemble results; default: the cached metrics of the file, and a fresh
        simulation (for the PV loops) if ``simulate``.
    scenario_results : mapping, optional
        Scenario name → Results (or cached metric arrays); default: the file's cache.
    simulate : bool, default True
        Simulate the twin when no results with time series were given, and its scenarios
        (:func:`twinviewer.interventions.run_scenarios`) when no scenario results were given.
    left_out : mapping, optional
        Scenario name → why it is not simulated (:func:`scenarios_for_report`).
    goal : str, optional
        Rank the scenarios by this goal (``'min LVEDP; CO>=4'``); default: the goal kept
        in the file, if any. The ranking and its cautions follow the scenario pages.

    Returns
    -------
    ReportInfo
    """
    from matplotlib import rc_context
    from matplotlib.backends.backend_pdf import PdfPages

    from twinviewer.report.summary import summary_page

    output = Path(output)
    notes: list[str] = []
    if results is None and simulate:
        results, notes = simulate_for_report(doc)
    if results is None and "baseline" in doc.results:
        results = doc.results["baseline"]
    if scenario_results is None and simulate:
        scenario_results, more = scenarios_for_report(doc, results, left_out)
        notes += more
    if not scenario_results:
        held = _held_back(doc)
        scenario_results = {k: v for k, v in doc.results.items()
                            if k != "baseline" and k not in held}
        notes += [f"stored results of {k!r} not shown: {why}" for k, why in held.items()]
    generated = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    buf = io.BytesIO()
    rc = {"pdf.fonttype": 42, "font.family": "DejaVu Sans", "axes.linewidth": 0.6}
    with rc_context(rc), PdfPages(buf, metadata={
            "Title": f"TwinViewer report — {doc.twin.pseudonym}"
                     if not doc.identifiable else "TwinViewer report",
            "Subject": twinviewer.RESEARCH_USE, "Creator": f"TwinViewer {twinviewer.__version__}",
            "Author": "", "Keywords": "research use only"}) as pdf:
        pages = _Pages(pdf, f"TwinViewer — twin {doc.twin.pseudonym}", doc.identifiable)
        # the clinician's order (review12 #7): summary, loops, what-ifs, explanations,
        # anatomy, model card, timeline; the detailed tables in the appendix
        summary_page(pages, doc, generated, results, scenario_results, notes)
        _pv_page(pages, doc, results, scenario_results)
        _scenario_page(pages, results, scenario_results, doc.twin.scenarios,
                       _unstored(doc, scenario_results), context_of_twin(doc.twin),
                       {k: hidden_rows(doc, results, {k: r})
                        for k, r in scenario_results.items()})
        _ranking_section(pages, ranking_lines(goal or doc.twin.goal, results,
                                              scenario_results, doc.twin.scenarios))
        _explain_and_provenance(pages, doc, results)
        _anatomy_page(pages, doc, notes)  # a 3D snapshot that fails adds its note here
        _model_card(pages, doc)
        timeline_page(pages, doc.twin)  # living twin: visits, prediction-check flags
        _file_page(pages, doc, generated)
        for n in notes:
            pages.para(n, size=8, color="#7a3e00")
        _volumes_appendix(pages, doc)
        _audit_page(pages, doc)
        pages.finish()
    atomic_write_bytes(output, buf.getvalue())
    return ReportInfo(output, pages.n, pages.text, notes)
