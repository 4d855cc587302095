"""What-if scenarios: build them from the intervention library, run them over the ensemble,
compare them with the baseline member by member, rank them by a goal, and drag a slider for a
live single-twin prediction.

The panel computes nothing itself: it calls :mod:`twinviewer.interventions` (Qt-free) and
runs ensembles through ``state.run_job``; results go to ``state.session`` and come back by
signal. Every ensemble number is a median with its 90 % interval; the live slider shows the
twin's point estimate only, labelled as such, and the ensemble follows when the slider is
released.
"""

from __future__ import annotations

import re
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QSize, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSlider,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import twinviewer
from twinviewer.core.format import interval, negligible, number, percent, unit
from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.document import same_document
from twinviewer.explain.words import cited, model_or_none, plain_text
from twinviewer.gui import process_worker
from twinviewer.gui.axes import plain_axes
from twinviewer.gui.cycle import signal
from twinviewer.gui.elided import ElidedComboBox
from twinviewer.gui.legend_lines import legend_font, wrapped
from twinviewer.gui.model_jobs import (
    helper,
    live_applied_in_process,
    live_in_process,
    preview_helper,
    scenarios_work,
    use_helper,
)
from twinviewer.gui.plots import COLOURS, scenario_colour
from twinviewer.gui.prepared import loop_curves
from twinviewer.gui.state import TwinState
from twinviewer.gui.wrapped_minimum import WrappedLabelHeight
from twinviewer.interventions import (
    BASELINE,
    DEFAULT_METRICS,
    DIRECTIONS,
    LIBRARY,
    Goal,
    Intervention,
    InterventionError,
    Setting,
    SingleTwinPredictor,
    check_scenario,
    rank,
    scenario_table,
    scenario_title,
)
from twinviewer.interventions.baroreflex import REGULATION_MODES, REGULATION_TEXT, check_mode
from twinviewer.interventions.compare import (
    HARM_MARK,
    YES_NO,
    change_text,
    harm_rule,
    scenario_text,
)
from twinviewer.interventions.library import available as available_interventions
from twinviewer.interventions.library import get_intervention
from twinviewer.interventions.library import not_loaded as interventions_not_loaded
from twinviewer.interventions.library import why_unavailable as unavailable
from twinviewer.interventions.ranking import NOT_RANKED, Constraint
from twinviewer.interventions.scenario import shown_name, step_text, unique_name
from twinviewer.io import audit_log
from twinviewer.personalize.shown import MARK_LEGEND, mark_of
from twinviewer.physiology import METRIC_BY_NAME, ModelError
from twinviewer.physiology.plausible import BEYOND, beyond_legend, beyond_mark

TABLE_METRICS = (*DEFAULT_METRICS, "VAD_flow")
LIVE_METRICS = ("CO", "LVEDP", "LAP", "MAP", "HR", "AV_mean_gradient", "MR_fraction",
                "VAD_flow")
LV_COLOUR = COLOURS["p_LV"]
#: The baseline's colour: the main PV plot's LV median (review16 #10: one colour per run in
#: every plot; the scenarios' are :func:`~twinviewer.gui.plots.scenario_colour`).
BASE_RGB = LV_COLOUR
#: Narrower than this (px), the Wiggers diagram goes under the PV loop (it was cut off).
STACK_CURVES_PX = 760
#: Height (px) each plot keeps when stacked; a shorter tab scrolls.
MIN_CURVE_PLOT_H = 260
#: The What-if curves' legend: its text size (pt), and the width (px) left of its labels
#: (the legend's place, its line samples and their spacing, the labels' margins).
LEGEND_PT = 8.0
#: The most height (px) the ranking's words take under its table before they scroll.
RANK_WORDS_MAX_H = 110
LEGEND_INDENT_PX = 48
#: ms between the turns that add a new run's plot items (:meth:`ScenarioPanel._draw_next`):
#: a timer, not a zero-delay call, so the cine's frames and other timers run in between.
DRAW_EVERY_MS = 40
SLIDER_STEPS = 200
#: A warning at Add that does not refuse the step (amber, as the report's cautions; red is
#: kept for a refusal).
NOTE_COLOUR = "#7a3e00"
#: Lines of a refusal or note shown under the actions before it scrolls.
MESSAGE_LINES = 7
#: Result table columns (headers wrap onto two lines to keep the columns narrow).
#: Width (px) of the results table from which names and changes take one line each.
WIDE_TABLE_PX = 480
RESULT_HEADERS = ["Scenario\nmedian (5–95 %)", "Δ vs baseline (5–95 %)\ntwins better"]


_fmt = number  # the app's one number formatter (core/format.py)


#: The results tab while no scenario has run.
EMPTY_HINT = ("No results yet: add scenarios above, then press Run to compare them with the "
              "baseline on every member of the ensemble.")
#: The same while scenarios are defined but have no results (e.g. a calibration removed them).
RUN_HINT = ("No results yet for the scenarios above: press Run to compare them with the "
            "baseline on every member of the ensemble.")


def stored_note(stored: list[str], total: int, bare: list[str]) -> tuple[str, str]:
    """The note of results read from the file, and its tooltip naming them.

    Not a warning (they are this twin's model's own results): one neutral line, plus one
    naming those saved without their loops (to run again). ``stored``: the scenarios read
    from the file, in words; ``total``: scenarios in the table; ``bare``: those of
    ``stored`` saved without loops.

    Examples
    --------
    >>> stored_note(["Beta-blocker 5 mg", "Inotrope 5 µg/kg/min"], 2, [])[0]
    'All 2 results read from the file (same model equations).'
    >>> print(stored_note(["Beta-blocker 5 mg"], 3, ["Beta-blocker 5 mg"])[0])
    1 of 3 results read from the file (same model equations).
    Saved without loops (run them again to draw their loops): Beta-blocker 5 mg.
    """
    if not stored:
        return "", ""
    # "same": the twin's model equations are installed unchanged (Document refuses
    # others), so these are the numbers a Run would give
    which = ("The result" if total == 1 else f"All {total} results" if len(stored) == total
             else f"{len(stored)} of {total} results")
    text = f"{which} read from the file (same model equations)."
    if bare:
        text += f"\nSaved without loops (run them again to draw their loops): {'; '.join(bare)}."
    return text, "Read from the file:\n" + "\n".join(stored)


def format_interval(med: float, lo: float, hi: float, signed: bool = False) -> str:
    """``'5.2 (3.8–6.6)'``, or with signs for a difference: ``'+0.3 (+0.1 to +0.6)'``."""
    return interval(med, lo, hi, signed=signed)


unit_text = unit


def shown_metrics(table) -> list[str]:
    """The metrics of a scenario table worth a row: not those every run leaves below the
    quantity's display resolution (no LVAD: flow 0; a competent valve: 0.02 mL).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> s = NS(median=0.0, lo=0.0, hi=0.0)
    >>> co = NS(median=5.0, lo=4.0, hi=6.0)
    >>> t = NS(metrics=["CO", "VAD_flow"], units={"CO": "L/min", "VAD_flow": "L/min"},
    ...        baseline={"CO": co, "VAD_flow": s}, scenarios=["a"],
    ...        cells={"CO": {"a": NS(scenario=co)}, "VAD_flow": {"a": NS(scenario=s)}})
    >>> shown_metrics(t)
    ['CO']
    """
    def values(m):
        b = table.baseline[m]
        out = [b.median, b.lo, b.hi]
        for sc in table.scenarios:
            c = table.cells[m][sc].scenario
            out += [c.median, c.lo, c.hi]
        return out

    return [m for m in table.metrics if not negligible(values(m), table.units[m])]


#: The response choice as the user reads it.
REGULATION_CHOICE = {"regulated": "Regulated (baroreflex acts)",
                     "acute": "Acute, unregulated (no reflex)"}


def _decimals(s: Setting) -> int:
    lo, hi = s.limits
    if s.unit in ("rpm", "bpm", "ms", "mm", "%") or hi - lo > 100:
        return 0
    return 2 if hi - lo <= 5 else 1


class SettingEditor:
    """One setting's widget: a combo box of named choices or a spin box with its unit."""

    def __init__(self, setting: Setting) -> None:
        self.setting = setting
        lo, hi = setting.limits
        if setting.choices and setting.only_choices:
            self.widget = ElidedComboBox(chars=14, tooltip=False)  # its description
            for value, label in setting.choices.items():
                self.widget.addItem(label, float(value))
            self.set_value(setting.default)
        else:
            self.widget = QDoubleSpinBox()
            self.widget.setDecimals(_decimals(setting))
            self.widget.setRange(lo, hi)
            self.widget.setSingleStep(max((hi - lo) / 100.0, 10.0 ** -_decimals(setting)))
            if unit_text(setting.unit):
                self.widget.setSuffix(f" {unit_text(setting.unit)}")
            if setting.unknown:  # the lower limit means "not given": never "0 mm"
                self.widget.setSpecialValueText(setting.unknown)
            self.widget.setValue(setting.default)
        tip = setting.description
        if setting.choices and not setting.only_choices:
            tip += "\n" + ", ".join(f"{k:g} = {v}" for k, v in setting.choices.items())
        self.widget.setToolTip(cited(tip))  # sources by name, not a file the user lacks

    def value(self) -> float:
        if isinstance(self.widget, QComboBox):
            return float(self.widget.currentData())
        return float(self.widget.value())

    def set_value(self, value: float) -> None:
        if isinstance(self.widget, QComboBox):
            i = self.widget.findData(float(value))
            if i >= 0:
                self.widget.setCurrentIndex(i)
        else:
            self.widget.setValue(float(value))


class _RunCurves:
    """One run's curves in the What-if step's plots (its median PV loop; its LV pressure
    band, median and aortic pressure on the Wiggers diagram), updated in place."""

    def __init__(self, pv: pg.PlotItem, wiggers: pg.PlotItem) -> None:
        self.pv, self.wiggers, self.name = pv, wiggers, None
        self.loop = pg.PlotDataItem()
        # PlotCurveItem, not PlotDataItem(pen=None): the latter has an empty path in
        # pyqtgraph 0.14, so FillBetweenItem would fill nothing.
        self.lo = pg.PlotCurveItem(pen=pg.mkPen(None))
        self.hi = pg.PlotCurveItem(pen=pg.mkPen(None))
        self.fill = pg.FillBetweenItem(self.lo, self.hi)
        self.med = pg.PlotDataItem()
        self.ao = pg.PlotDataItem()
        pv.addItem(self.loop)  # no name yet: the panel orders the legend's rows itself
        for item in (self.fill, self.med, self.ao):
            wiggers.addItem(item)

    def show(self, name: str, curves: tuple, rgb: tuple) -> None:
        v, p, lo, med, hi, p_ao = curves  # the loop over the members' phase (loop_curves)
        x = np.linspace(0.0, 1.0, med.size, endpoint=False)
        self.name = name
        self.loop.opts["name"] = name
        self.loop.setData(np.r_[v, v[:1]], np.r_[p, p[:1]], pen=pg.mkPen(rgb, width=2))
        self.lo.setData(x, lo)
        self.hi.setData(x, hi)
        self.fill.setBrush(pg.mkBrush(*rgb, 60))
        self.med.setData(x, med, pen=pg.mkPen(rgb, width=2))
        self.ao.setData(x, p_ao, pen=pg.mkPen(rgb, width=1, style=Qt.PenStyle.DotLine))

    def clear(self) -> None:
        """Show nothing (the items stay, for the next run to show)."""
        if self.name is None:  # never shown, or cleared already
            return
        self.name = None
        self.loop.opts["name"] = None
        for item in (self.loop, self.lo, self.hi, self.med, self.ao):
            item.setData([], [])

    def remove(self) -> None:
        self.pv.removeItem(self.loop)
        for item in (self.fill, self.med, self.ao):
            self.wiggers.removeItem(item)


class PreparedTable:
    """The what-if table (:func:`~twinviewer.interventions.scenario_table`) and its cells'
    text, prepared on the job's thread for the results it was built from; the panel uses it
    only if those are still the ones shown (:meth:`fits`)."""

    def __init__(self, twin, base, paired: dict, scenarios: list[Scenario], table,
                 sources: dict[str, list[tuple[bool, str]]] | None = None) -> None:
        self.twin, self.base, self.paired, self.table = twin, base, paired, table
        self.scenarios = [s for s in scenarios if s.name in paired]
        self.rows = table_rows(table, scenarios, twin) if table is not None else []
        #: scenario → (warning, line): its UNSOURCED and "checked against" lines, as
        #: ``twinviewer whatif`` prints them (:func:`~twinviewer.explain.evidence_flags.
        #: source_lines`)
        self.sources = sources or {}

    def fits(self, twin, base, results: dict, scenarios: list[Scenario]) -> bool:
        """Whether this is the table of ``results`` over ``base`` for ``twin``, the same
        objects, with the same scenario definitions."""
        paired = _paired(base, results)
        return (twin is self.twin and base is self.base and paired.keys() == self.paired.keys()
                and all(paired[k] is self.paired[k] for k in paired)
                and [s for s in scenarios if s.name in paired] == self.scenarios)


def _paired(base, results: dict) -> dict:
    return {k: r for k, r in results.items() if base is not None and r.n == base.n}


def prepared_table(twin, base, results: dict, scenarios: list[Scenario]) -> PreparedTable:
    """The table of ``results`` (those over ``base``'s members) with the one shown interval
    (model error on unmeasured outputs) and the failing evidence rows known without running
    any, and its cells' text; with each scenario's UNSOURCED and "checked against" lines
    (this heart's change against its evidence row, a CAUTION when outside its tolerance) by
    the functions ``twinviewer whatif`` prints them with. Qt-free, run by the what-if job
    (about 30 ms on the GUI thread before, stall12)."""
    paired = _paired(base, results)
    table, sources = None, {}
    with _quick_switch():
        if base is not None and paired:
            from twinviewer.explain.evidence_flags import scenario_evidence, source_lines
            from twinviewer.gui.prepared import _context_key
            from twinviewer.interventions.table_cells import scenario_cells
            from twinviewer.personalize.shown import context_of_twin

            context = context_of_twin(twin)
            # the cells the helper computed with the results, or an earlier table did, are
            # reused (kept on each results); only the others are computed here
            known = scenario_cells(base, paired, TABLE_METRICS, predictive=context,
                                   predictive_key=_context_key(context))
            table = scenario_table(
                base, paired, relevant_table_metrics(twin, base, paired),
                predictive=context, known=known,
                evidence=scenario_evidence([s for s in scenarios if s.name in paired],
                                           run=False, baseline=base))
            from twinviewer.interventions.indication import with_sizing

            table.flags = with_sizing(table.flags, scenarios)  # off-size valves (review16b #4)
            from twinviewer.explain.validity import negative_atrial
            from twinviewer.interventions.compare import with_atrial

            # a mean LAP/CVP below 0 mmHg, with why, as `twinviewer whatif` and the report
            table.flags = with_atrial(table.flags, base, paired, negative_atrial)
            sources = source_lines([s for s in scenarios if s.name in paired], base, paired,
                                   context)
        return PreparedTable(twin, base, paired, scenarios, table, sources)


def relevant_table_metrics(twin, base, paired: dict) -> list[str]:
    """:data:`TABLE_METRICS` without the rows of a lesion or device no member of the baseline
    or of any what-if has, unless measured: the rule of the report, ``whatif`` and the
    metrics table (``physiology.metrics.irrelevant_names``; review15b #7: a competent mitral
    valve's closing backflow read as a regurgitant fraction of 2 %)."""
    from twinviewer.io.measurement_use import in_force
    from twinviewer.physiology.metrics import irrelevant_names

    try:
        names = list(base.model.parameter_names)
        measured = in_force(twin) if twin is not None else ()
    except Exception:  # noqa: BLE001 - model or measurements unknown: every row shown
        return list(TABLE_METRICS)
    hidden = irrelevant_names(names, [base.params, *(r.params for r in paired.values())],
                              measured)
    # and those the model does not provide (a plug-in model of another structure: review16 #2)
    return [m for m in TABLE_METRICS if m not in hidden and m in base.metrics]


_SWITCH = {"users": 0, "saved": 0.005}
_SWITCH_LOCK = threading.Lock()
#: The interpreter's switch interval (s) while a table is prepared (:func:`_quick_switch`).
QUICK_SWITCH_S = 0.0005


@contextmanager
def _quick_switch() -> Iterator[None]:
    """A short interpreter switch interval while the job's thread prepares the table: its
    ~50 ms of small numpy steps hold the interpreter lock, and each of the GUI thread's calls
    into Python (a frame, a paint) waited up to the default 5 ms for it (whatif13: 30–60 ms
    of a stall's wall time was this wait). Threads that overlap share one saved value."""
    with _SWITCH_LOCK:
        if _SWITCH["users"] == 0:
            _SWITCH["saved"] = sys.getswitchinterval()
            sys.setswitchinterval(min(QUICK_SWITCH_S, _SWITCH["saved"]))
        _SWITCH["users"] += 1
    try:
        yield
    finally:
        with _SWITCH_LOCK:
            _SWITCH["users"] -= 1
            if _SWITCH["users"] == 0:
                sys.setswitchinterval(_SWITCH["saved"])


def table_rows(t, scenarios: list[Scenario], twin) -> list[tuple[str, str, list]]:
    """The text of table ``t``'s cells: per shown metric, its title, its description and
    its rows ``(scenario, shown name, (value, Δ, better))``, the baseline's first."""
    modes = {sc.name: sc for sc in scenarios}  # 'regulated' / 'acute' beside names
    # scenarios over different twins name their count on each row (review14 #4)
    count = {s: f" · {n} twins" for s, n in t.members().items()} \
        if t.differing_members() else {}
    out = []
    for m in shown_metrics(t):
        meta = METRIC_BY_NAME[m]
        b = t.baseline[m]
        title = meta.title  # one label source with the CLI (compare.format_text)
        if mark_of(t.kinds.get(m, "")):  # † or ‡: which interval the row shows
            title += f" {mark_of(t.kinds[m])}"
        if twin is not None and (meas := twin.measurement(m)) is not None:
            title += (f" · measured {_fmt(meas.value)} ± {_fmt(meas.uncertainty)} "
                      f"{unit_text(meas.unit)}").rstrip()
        rows = [(BASELINE, BASELINE, (t.baseline_text(m) if m in YES_NO else
                                      format_interval(b.median, b.lo, b.hi)
                                      + beyond_mark(m, b.lo, b.hi), "", ""))]
        for sc in t.scenarios:
            c = t.cells[m][sc]
            shown = (shown_name(modes[sc]) if sc in modes else sc) + count.get(sc, "")
            if c.yes_no is not None:  # a yes/no output: the share of members in words
                rows.append((sc, shown, (c.yes_no[1], "", "")))
                continue
            # over fewer twins than the baseline row: that row's own baseline (review16b #7)
            own = t.paired_baseline_text(m, sc)
            rows.append((sc, shown, (
                scenario_text(c)  # its not-physical twins said (newuser17b G1)
                + beyond_mark(m, c.scenario.lo, c.scenario.hi)
                + (f" · {own}" if own else ""),
                change_text(c, t.units[m]),  # the CLI's and the report's rule
                "—" if c.improved is None else percent(c.improved)
                + (f" {HARM_MARK}" if c.harm_uncounted else "")
                + (" *" if c.qualifier else ""))))
        out.append((title, meta.description, rows))
    return out


def value_lines(value: str) -> str:
    """A value cell as the narrow column shows it (1280×720, no sideways scroll): a long
    value (negative bounds) breaks before its interval, and what is said beside it (twins
    not physical, the row's own baseline) goes on short lines under it.

    Examples
    --------
    >>> value_lines("5.2 (3.8–6.6)")
    '5.2 (3.8–6.6)'
    >>> print(value_lines("74 (39–85); left out: 25 twins not physical (LV volume ≤ 0)"))
    74 (39–85)
    left out: 25 twins not
    physical (LV volume ≤ 0)
    """
    first, *said = re.split(r"; | · ", value)
    out = [first if len(first) <= 16 else first.replace(" (", "\n(", 1)]
    out += [line.replace("\u00a0", " ") for part in said  # a bracket kept on one line
            for line in textwrap.wrap(re.sub(r"\([^()]*\)", _unbroken, part), VALUE_LINE)]
    return "\n".join(out)


def _unbroken(match: re.Match) -> str:
    return match.group().replace(" ", "\u00a0")


#: Characters per line of what is said under a value (fits the value column at 1280×720).
VALUE_LINE = 24


class ScenarioPanel(QWidget):
    """Build, run, compare and rank what-if scenarios; live single-twin slider."""

    title = "What-if scenarios"
    #: Simulate in the model's helper processes (:mod:`twinviewer.gui.model_jobs`: the GUI
    #: process does not import numba for the what-if); False where no helper can run (not
    #: POSIX; a frozen bundle runs one): on worker threads here, and the live preview on the
    #: GUI thread, as before.
    in_process = process_worker.available()
    #: The helper computes the new results' table cells (interventions.table_cells); False:
    #: the job's thread computes them all (table13's off switch).
    cells_in_helper = True

    def __init__(self, state: TwinState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.steps: list[InterventionStep] = []  # the scenario being built (not yet made)
        self.editors: dict[str, SettingEditor] = {}
        self.job = None
        self.failed: dict[str, str] = {}  # the last Run's scenarios that could not run, why
        self._document = None  # the twin the messages shown are about
        self.table = None  # last ScenarioTable
        self._prepared: PreparedTable | None = None  # the last what-if job's table
        self._rows_text: list | None = None  # its cells' text (table_rows)
        self._sources: dict[str, list[tuple[bool, str]]] = {}  # its source lines
        self._curve_slots: list[_RunCurves] = []  # the runs' curves, kept (_draw_curves)
        self._draw_pending = False  # a timer will add the next new run's items (_draw_next)
        self._slots_pending = False  # a timer will add an empty run's items (_prepare_slots)
        self._runs_to_draw: list = []  # (name, curves, colour) of the runs to show
        self._runs_drawn = 0  # how many of them are drawn
        self.ranking = None
        self.live_updates = 0
        self.live_result = None
        self._predictor: SingleTwinPredictor | None = None
        self._predictor_twin = None
        self._predictor_lock = threading.Lock()
        self._slider_values: np.ndarray = np.zeros(1)
        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(0)
        self._live_timer.timeout.connect(self.request_live)
        self._live_job = None  # the live prediction running in the preview helper
        self._live_again = False  # the form changed meanwhile: predict again when it ends

        split = self.split = QSplitter(Qt.Orientation.Vertical)
        # the editor scrolls rather than being squeezed by the splitter: its wrapped texts
        # (the live preview, the evidence) keep the height their width needs
        self.editor_scroll = QScrollArea()
        self.editor_scroll.setWidgetResizable(True)
        self.editor_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.editor_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.editor_scroll.setWidget(self._build_editor())
        # review10 #7: the actions were scrolled out of view when the step opened (only the
        # intervention box showed); they stay pinned under the editor, always in view
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.setSpacing(2)
        tl.addWidget(self.editor_scroll, 1)
        tl.addWidget(self._build_actions())
        # a refusal or a note at Add, in view under the buttons that caused it: in the
        # editor it was below the fold at 1280×720 (only the status bar's cut line showed)
        self.message_box = QScrollArea()
        self.message_box.setWidgetResizable(True)
        self.message_box.setFrameShape(QFrame.Shape.NoFrame)
        self.message_box.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.message_box.setWidget(self.error_label)
        self.message_box.setVisible(False)
        tl.addWidget(self.message_box)
        self._top = top
        split.addWidget(top)
        split.addWidget(self._build_results())
        # the results get the panel's space (review9 #11: a small box showing 3 metrics at
        # 1920×1080); the editor scrolls, and the handle gives it back when wanted
        split.setChildrenCollapsible(False)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        self.editor_scroll.setMinimumHeight(90)  # the box and a setting; actions pinned below
        self._split_placed = False
        self._wide = False
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(split, 1)
        research = QLabel(twinviewer.RESEARCH_USE)
        research.setStyleSheet("color: #8a5a00; font-size: 10px;")
        lay.addWidget(research)

        state.twinChanged.connect(self._on_twin)
        state.scenariosChanged.connect(self._show_scenarios)
        state.resultsChanged.connect(lambda _r: self.refresh())
        state.scenarioResultsChanged.connect(lambda _r: self.refresh())
        state.jobProgress.connect(self._on_job_progress)
        state.jobFinished.connect(self._on_job_finished)
        self._on_intervention_changed()
        self._on_twin(state.twin)

    # ------------------------------------------------------------------ construction
    def _build_editor(self) -> QWidget:
        box = QWidget()
        lay = QVBoxLayout(box)  # stacked: side by side they need ~620 px, the column has ~350
        lay.setContentsMargins(0, 0, 0, 0)

        build = QGroupBox("Intervention")
        bl = QVBoxLayout(build)
        self.intervention_box = ElidedComboBox(chars=14)
        # the built-ins and the plug-ins' already imported now; the others are imported on a
        # job's thread and listed when they arrive (a plug-in's import may take its whole
        # budget: never on the GUI thread, final12 #2)
        for iv in available_interventions(load=False).values():
            self.intervention_box.addItem(iv.title, iv.name)
        self.refresh_interventions()
        self._list_job = None
        if interventions_not_loaded():
            self._list_job = self.state.run_job(
                "Loading plug-in interventions", lambda _p, _c: available_interventions(),
                self._add_listed, lambda _exc: self._add_listed({}), background=True)
        self.intervention_box.currentIndexChanged.connect(self._on_intervention_changed)
        bl.addWidget(self.intervention_box)
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        bl.addWidget(self.form_host)
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.about.setStyleSheet("font-size: 10px;")
        bl.addWidget(self.about)
        self.add_step_button = QPushButton("Add step")
        self.add_step_button.setToolTip("Add the intervention with these settings as a step of "
                                        "the scenario being built")
        self.add_step_button.clicked.connect(self.add_step)
        self.error_label = QLabel()  # pinned under the actions (__init__)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020;")

        live = QGroupBox("Live single twin (point estimate)")
        ll = QVBoxLayout(live)
        self.slider_label = QLabel()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.valueChanged.connect(self._on_slider_moved)
        self.slider.sliderReleased.connect(self.run_live_ensemble)
        self.live_label = QLabel("open a twin to see live predictions")
        self.live_label.setWordWrap(True)
        self._live_fit = WrappedLabelHeight(self.live_label)
        self.live_run_button = QPushButton("Run this on the ensemble")
        self.live_run_button.setToolTip("the same as releasing the slider: the live scenario "
                                        "over every member, with intervals")
        self.live_run_button.clicked.connect(self.run_live_ensemble)
        ll.addWidget(self.slider_label)
        ll.addWidget(self.slider)
        ll.addWidget(self.live_label)
        bl.addWidget(live)
        lay.addWidget(build, 3)

        sc = QGroupBox("Scenarios")
        sl = QVBoxLayout(sc)
        steps_label = QLabel("Steps of the scenario being built (applied in order):")
        steps_label.setWordWrap(True)
        sl.addWidget(steps_label)
        self.steps_list = QListWidget()
        sl.addWidget(self.steps_list)
        row = QHBoxLayout()
        clear = QPushButton("Clear")
        clear.setToolTip("Clear the steps of the scenario being built")
        clear.clicked.connect(self.clear_steps)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("scenario name (optional)")
        self.add_scenario_button = QPushButton("Add scenario")
        self.add_scenario_button.setToolTip("Add the steps above as one scenario")
        self.add_scenario_button.clicked.connect(self.add_scenario)
        row.addWidget(clear)
        row.addWidget(self.name_edit, 1)
        sl.addLayout(row)
        self.regulation_box = QComboBox()
        for mode in REGULATION_MODES[::-1]:  # regulated first: the validated mode
            self.regulation_box.addItem(REGULATION_CHOICE[mode], mode)
        self.regulation_box.setToolTip(
            "regulated: the short-term arterial baroreflex (HR, contractility, resistance, "
            "venous tone; blunted in HFrEF) acts, as in the patients of the evidence table; "
            "acute: only what the interventions change, no reflex (not validated)")
        self.regulation_box.currentIndexChanged.connect(self.schedule_live)
        self.scenario_list = QListWidget()
        sl.addWidget(self.scenario_list)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the scenario selected in the list above")
        self.remove_button.clicked.connect(self.remove_scenario)
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Run every scenario on the whole ensemble of plausible twins")
        self.run_button.clicked.connect(self.run_all)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        lay.addWidget(sc, 2)
        return box

    def _build_actions(self) -> QWidget:
        """The panel's actions in three short rows (the column is ~350 px wide at 1280):
        build a step, make and run scenarios, and the response they are run with."""
        bar = QWidget()
        bar.setObjectName("whatif_actions")
        lay = QVBoxLayout(bar)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.setSpacing(2)
        row = QHBoxLayout()
        row.addWidget(self.add_step_button)
        row.addWidget(self.live_run_button, 1)
        lay.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(self.add_scenario_button)
        row.addWidget(self.remove_button)
        row.addWidget(self.run_button)
        row.addWidget(self.cancel_button)
        lay.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(QLabel("Response:"))
        row.addWidget(self.regulation_box, 1)
        lay.addLayout(row)
        lay.addWidget(self.progress)
        return bar

    def showEvent(self, event) -> None:  # noqa: N802 - Qt naming
        """First shown: the results take 70 % of the height (the editor's size hint would
        otherwise take most of it)."""
        super().showEvent(event)
        if not self._split_placed and self.split.height() > 0:
            self._split_placed = True
            h = self.split.height()
            self.split.setSizes([int(h * 0.3), h - int(h * 0.3)])

    def sizeHint(self):  # noqa: N802 - Qt naming
        """As small as it may be: the step page fills the column's height and the splitter
        shares it out (the editor's tall hint made the whole page scroll at 1280×720, the
        results below the window)."""
        return self.minimumSizeHint().expandedTo(QSize(super().sizeHint().width(), 0))

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt naming
        return False

    def _is_wide(self) -> bool:
        """Whether the results table is wide enough for one-line names and changes."""
        return self.result_table.viewport().width() >= WIDE_TABLE_PX

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        QTimer.singleShot(0, self._refill_if_wide_changed)  # once the table has its size

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt naming
        if obj is getattr(self, "glw", None) and event.type() == QEvent.Type.Resize:
            self._arrange_curves(event.size().width())
            self._draw_next()  # the legend's names broken anew for the new width
        return super().eventFilter(obj, event)

    def _arrange_curves(self, width: int) -> None:
        """The Wiggers diagram beside the loop, or under it below :data:`STACK_CURVES_PX`."""
        stacked = width < STACK_CURVES_PX
        if stacked == self._stacked:
            return
        self._stacked = stacked
        ci = self.glw.ci
        ci.removeItem(self.wiggers_plot)
        ci.addItem(self.wiggers_plot, row=2 if stacked else 1, col=0 if stacked else 1)
        self._fit_curves_height()

    def _fit_curves_height(self) -> None:
        legend = self.legend_box.maximumHeight() if self._stacked else 0
        self.glw.setMinimumHeight(int(2 * MIN_CURVE_PLOT_H + legend) if self._stacked else 0)

    def _fit_legend_box(self) -> None:
        h = self.pv_plot.legend.boundingRect().height() + 4
        self.legend_box.setMinimumHeight(h)
        self.legend_box.setMaximumHeight(h)
        self._fit_curves_height()

    def _refill_if_wide_changed(self) -> None:
        if self.table is not None and self._is_wide() != self._wide:
            self._fill_table()

    def _build_results(self) -> QWidget:
        self.tabs = QTabWidget()
        # Table
        tw = QWidget()
        tl = QVBoxLayout(tw)
        self.result_table = QTableWidget()
        self.result_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        head = self.result_table.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # names wrap
        self.result_table.setWordWrap(True)
        self.result_table.verticalHeader().setVisible(False)
        self._rows: dict[tuple[str, str], int] = {}
        self._cells: dict[tuple[str, str], tuple[str, str, str]] = {}
        # what to do while there are no results, wrapped in the panel's width (it was the
        # table's one-line header, cut at 1280×720: "…enarios on the ensemble to compare")
        self.empty_hint = QLabel(EMPTY_HINT)
        self.empty_hint.setObjectName("whatif_empty_hint")
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.empty_hint.setStyleSheet("color: #505050; padding: 6px;")
        tl.addWidget(self.empty_hint)
        # scenarios the last Run could not run, each with its reason (the others ran)
        self.failed_label = QLabel()
        self.failed_label.setObjectName("whatif_failed")
        self.failed_label.setWordWrap(True)
        self.failed_label.setStyleSheet("color: #b00020;")
        self.failed_label.setVisible(False)
        tl.addWidget(self.failed_label)
        tl.addWidget(self.result_table, 1)
        # where the results came from: a neutral line, apart from the warnings (review14b #7)
        self.stored_label = QLabel()
        self.stored_label.setObjectName("whatif_stored_note")
        self.stored_label.setWordWrap(True)
        self.stored_label.setStyleSheet("color: #505050; font-size: 10px;")
        self.stored_label.setVisible(False)
        tl.addWidget(self.stored_label)
        self.flags_label = QLabel()
        self.flags_label.setObjectName("whatif_flags")
        self.flags_label.setWordWrap(True)
        self.flags_label.setStyleSheet("color: #b00020;")
        # a change checked against its evidence row and within its tolerance: said, not a
        # warning (a CAUTION or an UNSOURCED change is one, with the flags above)
        self.sources_label = QLabel()
        self.sources_label.setObjectName("whatif_checked")
        self.sources_label.setWordWrap(True)
        self.sources_label.setStyleSheet("color: #303030;")
        # the flags and the footnote scroll in a capped area: the table keeps the height
        under = QWidget()
        ul = QVBoxLayout(under)
        ul.setContentsMargins(0, 0, 0, 0)
        ul.addWidget(self.flags_label)
        ul.addWidget(self.sources_label)
        self.notes_box = QScrollArea()
        self.notes_box.setWidgetResizable(True)
        self.notes_box.setFrameShape(QFrame.Shape.NoFrame)
        self.notes_box.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.notes_box.setMaximumHeight(80)
        note = QLabel("median (5–95 %) over plausible twins; Δ = scenario − baseline paired by "
                      "member; '% better' counts members improved beyond the metric's "
                      "tolerance (direction: " + ", ".join(
                          f"{METRIC_BY_NAME[m].label} {'↑' if d.better > 0 else '↓'}"
                          for m, d in DIRECTIONS.items() if m in TABLE_METRICS) + ")")
        note.setObjectName("better_note")  # metrics by their labels, not code names
        note.setWordWrap(True)
        note.setStyleSheet("font-size: 10px;")
        ul.addWidget(note)
        self.notes_box.setWidget(under)
        tl.addWidget(self.notes_box)
        self.tabs.addTab(tw, "Table")
        # Curves
        self.glw = pg.GraphicsLayoutWidget()
        self.glw.setBackground("w")
        # the legend in a row of its own above the plots, never over the loops (review16 #10)
        self.legend_box = pg.GraphicsWidget()
        self.glw.addItem(self.legend_box, row=0, col=0, colspan=2)
        self.pv_plot = self.glw.addPlot(row=1, col=0, title="LV PV loop (median)")
        self.pv_plot.setLabel("bottom", "LV volume (mL)")
        self.pv_plot.setLabel("left", "LV pressure (mmHg)")
        # a plain child at a fixed place, not anchored: an anchor's geometry handler ran on
        # the deleted box when a panel was destroyed
        self.pv_plot.legend = pg.LegendItem(offset=None, labelTextColor="k",
                                            labelTextSize=f"{LEGEND_PT:g}pt")
        self.pv_plot.legend.setParentItem(self.legend_box)
        self.pv_plot.legend.setPos(2, 2)
        # titles short enough for the step column at 1280 px (a long one set the plots'
        # minimum width, and the Wiggers diagram was cut off: review16 #10)
        self.wiggers_plot = self.glw.addPlot(row=1, col=1,
                                             title="Wiggers (median, LV 5–95 %)")
        self._stacked = False  # the Wiggers diagram beside the loop, or under it when narrow
        self.glw.ci.setContentsMargins(2, 2, 2, 2)
        self.glw.installEventFilter(self)
        self.wiggers_plot.setLabel("bottom", "fraction of the beat")
        self.wiggers_plot.setLabel("left", "pressure (mmHg)")
        for p in (self.pv_plot, self.wiggers_plot):
            plain_axes(p)  # "fraction of the beat" 0–1: never read as 0–1000 "(x0.001)"
            p.showGrid(x=True, y=True, alpha=0.2)
            p.setTitle(p.titleLabel.text, color="k", size="9pt")
            for side in ("left", "bottom"):
                p.getAxis(side).setPen("k")
                p.getAxis(side).setTextPen("k")
        self.live_curve = pg.PlotDataItem(
            name="live (point estimate)",
            pen=pg.mkPen((0, 0, 0), width=2, style=Qt.PenStyle.DashLine))
        self.curves_scroll = QScrollArea()  # stacked in a short tab: scrolled, not squashed
        self.curves_scroll.setWidgetResizable(True)
        self.curves_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.curves_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.curves_scroll.setWidget(self.glw)
        self.tabs.addTab(self.curves_scroll, "PV loop / Wiggers")
        # Ranking
        rw = QWidget()
        rl = QVBoxLayout(rw)
        row = QHBoxLayout()
        self.sense_box = QComboBox()
        self.sense_box.addItems(["min", "max"])
        self.goal_metric = ElidedComboBox(chars=14)
        for m in METRIC_BY_NAME.values():
            self.goal_metric.addItem(f"{m.label} ({m.name})", m.name)
        self.goal_metric.setCurrentIndex(self.goal_metric.findData("LVEDP"))
        self.constraints_edit = QLineEdit("CO>=4")
        self.constraints_edit.setToolTip("constraints separated by ';', e.g. CO>=4; MAP>=65")
        self.rank_button = QPushButton("Rank")
        self.rank_button.clicked.connect(self.rank_scenarios)
        row.addWidget(self.sense_box)
        row.addWidget(self.goal_metric, 1)
        rl.addLayout(row)
        row = QHBoxLayout()  # two rows: one would be wider than the step column at 1280 px
        row.addWidget(QLabel("subject to"))
        row.addWidget(self.constraints_edit, 1)
        row.addWidget(self.rank_button)
        rl.addLayout(row)
        self.rank_table = QTableWidget(0, 3)
        self.rank_table.setHorizontalHeaderLabels(["Option", "Best in", "Meets\nconstraints"])
        for c, tip in ((1, "the share of plausible twins in which the option is the best one "
                           "that meets the constraints"),
                       (2, "the share of plausible twins in which it meets the constraints")):
            self.rank_table.horizontalHeaderItem(c).setToolTip(tip)
        self.rank_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.rank_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        # the options' names wrap in the column left over (at 1280×720 a TAVI's name with
        # its annulus pushed the shares out of sight, behind a sideways scroll)
        self.rank_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch)
        self.rank_table.setWordWrap(True)
        self.rank_table.verticalHeader().setVisible(False)
        rl.addWidget(self.rank_table, 1)
        self.rank_label = QLabel()
        self.rank_label.setWordWrap(True)
        # the goal, the cautions and why an option is not ranked scroll in a capped area:
        # at 1280×720 their lines left the table one row high
        words = QScrollArea()
        words.setWidgetResizable(True)
        words.setFrameShape(QFrame.Shape.NoFrame)
        words.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        words.setMaximumHeight(RANK_WORDS_MAX_H)
        words.setWidget(self.rank_label)
        rl.addWidget(words)
        self.tabs.addTab(rw, "Ranking")
        return self.tabs

    # ------------------------------------------------------------------ builder
    @property
    def intervention(self) -> Intervention:
        return LIBRARY[self.intervention_box.currentData()]

    def _add_listed(self, listed: dict) -> None:
        """List the interventions the loading job imported (after those already listed)."""
        self._list_job = None
        for iv in listed.values():
            if self.intervention_box.findData(iv.name) < 0:
                self.intervention_box.addItem(iv.title, iv.name)
        self.refresh_interventions()

    def select_intervention(self, name: str) -> None:
        """Select an intervention by registry name (also used by tests and scripts; one
        whose plug-in is still being imported is imported now, as asked for)."""
        if self.intervention_box.findData(name) < 0 and name in interventions_not_loaded():
            self._add_listed({name: get_intervention(name)})
        i = self.intervention_box.findData(name)
        if i < 0:
            raise InterventionError(f"unknown intervention {name!r}")
        self.intervention_box.setCurrentIndex(i)

    def _on_intervention_changed(self, *_args) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        iv = self.intervention
        self.editors = {}
        for s in iv.settings:
            ed = SettingEditor(s)
            self.editors[s.name] = ed
            label = QLabel(s.display)
            label.setToolTip(cited(s.description))
            self.form.addRow(label, ed.widget)
            self._watch(ed, s.name == iv.main_setting)
        model = model_or_none(self.state.twin)  # its parameter labels name codes in words
        self.about.setText(plain_text(f"{iv.description}\nEvidence: " + " · ".join(iv.evidence),
                                      model))
        self.about.setToolTip(plain_text("\n".join(iv.assumptions), model))
        self._show_message("", "#b00020")
        self._setup_slider()
        self.schedule_live()

    def _watch(self, ed: SettingEditor, main: bool) -> None:
        """The live preview follows the form; the slider follows the main setting."""
        w = ed.widget
        sig = w.currentIndexChanged if isinstance(w, QComboBox) else w.valueChanged

        def changed(*_a) -> None:
            if main:
                self.slider.blockSignals(True)
                self.set_slider_value(ed.value())
                self.slider.blockSignals(False)
                self._update_slider_label()
            self.schedule_live()

        sig.connect(changed)

    def set_setting(self, name: str, value: float) -> None:
        self.editors[name].set_value(value)

    def current_step(self) -> InterventionStep:
        return InterventionStep(self.intervention.name,
                                {k: ed.value() for k, ed in self.editors.items()})

    def _show_error(self, text: str) -> None:
        self._show_message(text, "#b00020")
        self.state.warn(text)

    def _show_message(self, text: str, colour: str) -> None:
        """``text`` under the actions (a refusal in red, a note in amber), the editor's part
        of the panel grown to show up to :data:`MESSAGE_LINES` lines of it ('' hides it)."""
        self.error_label.setStyleSheet(f"color: {colour};")
        self.error_label.setText(text)
        box = self.message_box
        box.setVisible(bool(text))
        if not text:
            return
        width = max(box.viewport().width(), 200)
        lines = self.error_label.fontMetrics().lineSpacing()
        box.setFixedHeight(min(self.error_label.heightForWidth(width) + 4,
                               MESSAGE_LINES * lines))
        sizes = self.split.sizes()
        need = self._top.minimumSizeHint().height()
        if len(sizes) == 2 and 0 < sizes[0] < need:  # take it from the results, never them all
            moved = min(need - sizes[0], max(sizes[1] - 200, 0))
            self.split.setSizes([sizes[0] + moved, sizes[1] - moved])

    def refresh_interventions(self) -> None:
        """Grey out each listed intervention whose plug-in is now off (disabled after a
        failure or a hang, or by the user), its reason as the tooltip: it cannot be chosen."""
        model = self.intervention_box.model()
        for i in range(self.intervention_box.count()):
            why = unavailable(self.intervention_box.itemData(i))
            item = model.item(i) if hasattr(model, "item") else None
            if item is None:
                continue
            item.setEnabled(not why)
            item.setData(why or None, Qt.ItemDataRole.ToolTipRole)
            if why and not item.text().endswith(" (disabled)"):
                item.setText(item.text() + " (disabled)")

    def _check(self, steps: list[InterventionStep]) -> bool:
        """Apply the steps to the twin's point estimate; show any refusal (a step whose
        plug-in is off is refused by name, without running the plug-in)."""
        twin = self.state.twin
        try:
            for st in steps:
                if why := unavailable(st.name):
                    self.refresh_interventions()
                    raise InterventionError(why)
                LIBRARY[st.name].validate(st.settings)
            if twin is not None:
                from twinviewer.twins import model_of

                _check_core_steps(model_of(twin), twin.ensemble, [Scenario(
                    self.name_edit.text().strip() or scenario_title(steps), tuple(steps))])
        except (InterventionError, ModelError) as exc:
            self._show_error(str(exc))
            return False
        self._show_message("", "#b00020")
        self._warn_untreated(steps)
        return True

    def _warn_untreated(self, steps: list[InterventionStep]) -> None:
        """Say, without refusing, when a valve replacement treats nothing in this twin (its
        native aortic valve neither stenotic nor more than mildly regurgitant; review14b #5)."""
        twin = self.state.twin
        if twin is None:
            return
        from twinviewer.interventions.indication import scenario_notes
        from twinviewer.twins import model_of

        notes = scenario_notes(model_of(twin), twin.ensemble, Scenario("", tuple(steps)),
                               getattr(self.state.results, "metrics", None))
        if notes:
            text = "\n".join(f"Note: {n[0].upper()}{n[1:]}" for n in notes)
            self._show_message(text, NOTE_COLOUR)
            self.state.warn(text)

    def add_step(self) -> bool:
        step = self.current_step()
        if not self._check([*self.steps, step]):
            return False
        self.steps.append(step)
        self.steps_list.addItem(scenario_title([step]))
        return True

    def clear_steps(self) -> None:
        self.steps = []
        self.steps_list.clear()

    @property
    def scenarios(self) -> list[Scenario]:
        """The twin's scenario definitions (owned by the document, saved with the twin)."""
        return self.state.session.scenarios

    def add_scenario(self) -> bool:
        if self.state.twin is None:
            self._show_error("open a twin first")
            return False
        if not self.steps and not self.add_step():
            return False
        mode = self.regulation
        given = self.name_edit.text().strip()
        scenario = Scenario(given or scenario_title(self.steps), tuple(self.steps), mode)
        if not given:  # the same steps run acute and regulated: the mode keeps them apart
            scenario = unique_name(scenario, self.scenarios)
        name = scenario.name
        if name == BASELINE or name in {s.name for s in self.scenarios}:
            self._show_error(f"a scenario named {name!r} already exists (or is reserved)")
            return False
        self.state.session.add_scenario(scenario)
        self.name_edit.clear()
        self.clear_steps()
        return True

    @property
    def regulation(self) -> str:
        """The response chosen for new scenarios: 'regulated' or 'acute'."""
        return str(self.regulation_box.currentData())

    def set_regulation(self, mode: str) -> None:
        """Choose the response for new scenarios (and the live preview)."""
        self.regulation_box.setCurrentIndex(self.regulation_box.findData(check_mode(mode)))

    def remove_scenario(self) -> None:
        row = self.scenario_list.currentRow()
        if 0 <= row < len(self.scenarios):
            self.state.session.remove_scenario(self.scenarios[row].name)

    def _show_scenarios(self, scenarios) -> None:
        self.scenario_list.clear()
        for s in scenarios:
            self.scenario_list.addItem(shown_name(s))
        self.empty_hint.setText(RUN_HINT if scenarios else EMPTY_HINT)
        self._schedule_slots()

    def _slots_wanted(self) -> bool:
        return bool(self.scenarios) and len(self._curve_slots) < len(self.scenarios) + 1

    def _schedule_slots(self) -> None:
        if self._slots_wanted() and not self._slots_pending:
            self._slots_pending = True
            QTimer.singleShot(DRAW_EVERY_MS, self._prepare_slots)

    def _prepare_slots(self) -> None:
        """Add the plot items of the runs a Run of the listed scenarios will draw (the
        baseline's and each scenario's), empty, one run's per turn :data:`DRAW_EVERY_MS`
        apart, once scenarios are listed. Added when the results arrived, they took 5–15 ms
        of the GUI thread per run (pyqtgraph's ``addItem``) in a turn beside a cine frame:
        the longest stall of a Run while playing (stall14)."""
        self._slots_pending = False
        if self.curves_drawn():  # else a run is being drawn (it adds its own): try later
            self._curve_slots.append(_RunCurves(self.pv_plot, self.wiggers_plot))
        self._schedule_slots()

    def _on_twin(self, twin) -> None:
        if twin is not self._predictor_twin:
            self._predictor = None
            self._predictor_twin = None
        if not same_document(self._document, twin):
            # the last run's failures and refusals were about the twin shown before: never
            # beside another patient (review14 #5). An edit of the same twin (a scenario
            # added, its anatomy computed) keeps them.
            self._show_failed({}, [])
            self._show_message("", "#b00020")
            self._fit_regulation(twin)
        self._document = twin
        self._show_scenarios(self.scenarios)
        self._show_goal(getattr(twin, "goal", ""))
        self.refresh()
        self.schedule_live()

    def _fit_regulation(self, twin) -> None:
        """Offer the regulated response only for a model the baroreflex can act on; for
        another (a plug-in's single ventricle: no right ventricle) switch to acute,
        unregulated, and say why in amber, so a what-if runs at once with its mode named
        beside each result (review16 #2). Back to regulated for the next model that has it."""
        from twinviewer.interventions.baroreflex import regulation_problem
        from twinviewer.twins import model_of

        try:
            problem = regulation_problem(model_of(twin)) if twin is not None else ""
        except ModelError:
            problem = ""
        item = self.regulation_box.model().item(self.regulation_box.findData("regulated"))
        item.setEnabled(not problem)
        item.setToolTip(problem)
        if problem:
            self.set_regulation("acute")
            self._regulation_switched = True
            self._show_message(f"Response: acute, unregulated. The regulated response is "
                               f"not offered for this twin: {problem}.", "#9a6700")
        elif getattr(self, "_regulation_switched", False):
            self._regulation_switched = False
            self.set_regulation("regulated")

    def _show_goal(self, text: str) -> None:
        """Set the ranking's goal fields from the goal the document keeps (a reopened file)."""
        if not text:
            return
        try:
            goal = Goal.parse(text)
        except InterventionError:
            return
        self.sense_box.setCurrentText(goal.sense)
        self.goal_metric.setCurrentIndex(self.goal_metric.findData(goal.metric))
        self.constraints_edit.setText("; ".join(str(c).replace(" ", "")
                                                for c in goal.constraints))

    # ------------------------------------------------------------------ ensemble runs
    def run_all(self) -> None:
        """Run every listed scenario over the ensemble (worker thread)."""
        if not self.scenarios:
            self._show_error("add a scenario first")
            return
        self._run(list(self.scenarios), replace=True)

    def run_live_ensemble(self) -> None:
        """On slider release: the live scenario over the ensemble, merged into the results."""
        if self.state.twin is None:
            return
        sc = self.live_scenario()
        # named with its mode: an acute and a regulated live run are two rows, each saying
        # which it is (review12b #3)
        self._run([Scenario(f"live: {shown_name(sc)}", sc.steps, sc.regulation)],
                  replace=False)

    def _run(self, scenarios: list[Scenario], *, replace: bool) -> None:
        twin = self.state.twin
        if twin is None:
            self._show_error("open a twin first")
            return
        if self.job is not None:
            self.job.cancel()
        from twinviewer.twins import model_of

        # a scenario whose intervention is unavailable (its plug-in off) is named, not run;
        # the others run: one bad scenario never costs the rest their results
        failed = {sc.name: why for sc in scenarios
                  if (why := next(filter(None, map(unavailable, (st.name for st in sc.steps))),
                                  ""))}
        runnable = [sc for sc in scenarios if sc.name not in failed]
        try:
            model = model_of(twin)
        except ModelError as exc:
            self._show_error(str(exc))
            return
        checked = []
        for sc in runnable:
            try:
                _check_core_steps(model, twin.ensemble, [sc])  # before starting a thread
                checked.append(sc)
            except (InterventionError, ModelError) as exc:
                failed[sc.name] = str(exc)
        scenarios = checked
        self._show_failed(failed, [*scenarios, *(s for s in self.scenarios if s.name in failed)])
        if not scenarios:
            self._show_error("no scenario could run: " + self.failed_label.text())
            return
        base = self.state.results
        if base is not None and (base.n != twin.ensemble.shape[0]
                                 or not np.array_equal(base.params, twin.ensemble)):
            base = None
        n = twin.ensemble.shape[0]
        ensemble = twin.ensemble

        ran_failed: dict[str, str] = {}  # filled on the job's thread, read in done()
        if self.in_process and use_helper(twin):
            worker = helper()

            # this thread only waits on the pipe, or runs a plug-in's transform (guarded,
            # within its budget): every simulation is the helper's, whatever the scenarios
            # the new results' table cells are computed there too (prepared_table reuses them)
            from twinviewer.personalize.shown import context_of_twin

            cells = (TABLE_METRICS, context_of_twin(twin)) if self.cells_in_helper else None
            ensembles = scenarios_work(model, ensemble, base, scenarios, ran_failed,
                                       worker=worker, cells=cells)
        else:
            ensembles = scenarios_work(model, ensemble, base, scenarios, ran_failed)
        before = dict(self.state.session.scenario_results)
        defined = list(self.scenarios)
        tags = {REGULATION_TEXT.get(sc.regulation, "") for sc in scenarios}

        def merged_with(res, old, failed_now) -> dict:
            if replace:  # a scenario that failed keeps the result it had
                out = {k: v for k, v in old.items() if k in failed_now}
            else:  # one live row per mode: the newest of that mode replaces the older
                out = {k: v for k, v in old.items() if not (
                    k.startswith("live: ") and k not in res
                    and any(k.endswith(f"[{t}]") for t in tags))}
            out.update(res)
            return out

        def work(progress, is_cancelled):
            baseline, res = ensembles(progress, is_cancelled)
            # the table the results will show, prepared here: the GUI thread only sets items
            # (refresh() uses it only if it is still what it would build)
            progress(1.0, "preparing the table")
            expected = merged_with(res, before, {**failed, **ran_failed})
            return baseline, res, prepared_table(twin, baseline, expected, defined)

        def done(out) -> None:
            baseline, res, prepared = out
            if self.state.twin is not twin:
                return  # another twin was opened meanwhile
            self._prepared = prepared  # used by refresh() if still what it would build
            if baseline is not self.state.results:
                self.state.session.set_results(baseline)
            failed.update(ran_failed)
            merged = merged_with(res, self.state.session.scenario_results, failed)
            self._show_failed(failed, list(self.scenarios))
            if failed:
                self.state.warn("Not run: " + self.failed_label.text())
            for sc in scenarios:  # slider previews ("live: …") are not decisions: not audited
                if sc.name in res and not sc.name.startswith("live: "):
                    audit_log(twin).record(twin, "scenario", {
                        **sc.to_dict(), "members": n,
                        "described": " + ".join(step_text(s) for s in sc.steps)})
            self.state.session.set_scenario_results(merged)

        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.cancel_button.setEnabled(True)
        self.job = self.state.run_job(f"What-if over {n} members", work, done)

    def _show_failed(self, failed: dict[str, str], scenarios: list[Scenario]) -> None:
        """Name each scenario that could not run, with its reason, above the results."""
        shown = {s.name: shown_name(s) for s in scenarios}
        self.failed = dict(failed)
        self.failed_label.setText("; ".join(f"{shown.get(k, k)} was not run: {why}"
                                            for k, why in failed.items()))
        self.failed_label.setVisible(bool(failed))
        if failed:  # a plug-in that failed in the run is disabled now: grey it out
            self.refresh_interventions()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _on_job_progress(self, job, fraction: float, text: str) -> None:
        if job is self.job:
            self.progress.setValue(int(1000 * fraction))
            self.progress.setFormat(text)

    def _on_job_finished(self, job) -> None:
        if job is self.job:
            self.job = None
            self.progress.setVisible(False)
            self.cancel_button.setEnabled(False)

    # ------------------------------------------------------------------ display
    def refresh(self) -> None:
        base = self.state.results
        res = self.state.session.scenario_results
        prepared, self._prepared = self._prepared, None
        if prepared is None or not prepared.fits(self.state.twin, base, res, self.scenarios):
            prepared = prepared_table(self.state.twin, base, res, self.scenarios)
        self.table, self._rows_text = prepared.table, prepared.rows  # text shown as prepared
        self._sources = prepared.sources
        self._fill_table()
        self._draw_curves(base, prepared.paired)
        self.ranking = None
        self.rank_table.setRowCount(0)
        self.rank_label.clear()

    def result_cells(self, metric: str, scenario: str = BASELINE) -> tuple[str, str, str]:
        """(median (5–95 %), Δ vs baseline, % better) as shown for ``metric`` under
        ``scenario`` (``'baseline'`` for the baseline row)."""
        return self._cells[(metric, scenario)]

    def _fill_table(self) -> None:
        t = self.table
        tab = self.result_table
        tab.clear()
        tab.clearSpans()
        self._rows, self._cells = {}, {}
        if t is None:
            tab.setRowCount(0)
            tab.setColumnCount(1)
            tab.setHorizontalHeaderLabels(["Results"])
            tab.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            self.empty_hint.show()
            self.notes_box.hide()  # the footnote explains results: none yet
            self.flags_label.clear()
            self.sources_label.clear()
            self.stored_label.clear()
            self.stored_label.setVisible(False)
            return
        self.empty_hint.hide()
        self.notes_box.show()
        # Metric rows, not scenario columns: one title row per metric (unit, measurement),
        # then the baseline and one row per scenario under it. Two columns whatever the
        # number of scenarios, so the table fits a 1280-px screen without scrolling sideways.
        tab.setColumnCount(len(RESULT_HEADERS))
        tab.setHorizontalHeaderLabels(RESULT_HEADERS)
        # set once the columns exist (on the empty table it was a no-op: both columns took
        # their contents' width and the table used half the panel's width)
        head = tab.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        text = self._rows_text if self._rows_text is not None \
            else table_rows(t, self.scenarios, self.state.twin)
        wide = self._wide = self._is_wide()
        tab.setRowCount(len(text) * (2 + len(t.scenarios)))
        modes = {sc.name: sc for sc in self.scenarios}  # 'regulated' / 'acute' beside names
        bold = tab.font()
        bold.setBold(True)
        tips = {s: "\n".join(("! " if warn else "") + line for warn, line in lines)
                for s, lines in self._sources.items()}
        r = 0
        for (title, description, rows), m in zip(text, shown_metrics(t), strict=True):
            item = QTableWidgetItem(title)
            item.setToolTip(description)
            item.setFont(bold)
            tab.setItem(r, 0, item)
            tab.setSpan(r, 0, 1, len(RESULT_HEADERS))
            for name, shown, (value, delta, better) in rows:
                r += 1
                self._rows[(m, name)] = r
                self._cells[(m, name)] = (value, delta, better)
                # the response on its own line and the Δ's interval under it when narrow
                # (1280×720); one line each when the column is wide: more metrics in view
                label = shown if wide else shown.replace(" [", "\n[", 1)
                first = QTableWidgetItem(f"{label}\n{value_lines(value)}")
                text = (delta if wide else delta.replace(" (", "\n(", 1)) + (
                    f"\nbetter in {better}" if better
                                                         else "")
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
                for c, cell in enumerate((first, item)):
                    if tips.get(name):  # the scenario's evidence check, on its own result
                        cell.setToolTip(tips[name])
                    tab.setItem(r, c, cell)
            r += 1
        tab.resizeRowsToContents()
        def said(name: str) -> str:  # the scenario in words, never its code name
            return shown_name(modes[name]) if name in modes else name

        lines = [f"{said(s)}: {line}" for s, f in t.flags.items() for line in f.lines()]
        if t.differing_members():  # first: values side by side over different twins
            note = t.members_note({s: said(s) for s in t.scenarios})
            lines.insert(0, note[0].upper() + note[1:])
        lines += [f"{said(s)}: {line}" for s, rows in t.evidence.items() for line in rows]
        # this heart's change against its evidence rows, as `twinviewer whatif` says it
        lines += [f"{said(s)}: {line}" for s in t.scenarios
                  for warn, line in self._sources.get(s, ()) if warn]
        self.sources_label.setText("\n".join(
            f"{said(s)}: {line}" for s in t.scenarios
            for warn, line in self._sources.get(s, ()) if not warn))
        if t.kinds:
            lines.append(MARK_LEGEND + "; a Δ carries the same model error in baseline and "
                         "scenario (paired)")
        beyond = [m for (m, _s), cell in self._cells.items() if BEYOND in cell[0]]
        if beyond:  # an interval beyond the output's plausible range: marked, not clipped
            lines.append(beyond_legend(beyond))
        # "better in N % *": why some members' move was not counted as benefit
        lines += [f"* {said(s)}, {METRIC_BY_NAME[m].label if m in METRIC_BY_NAME else m}: "
                  f"{t.cells[m][s].qualifier}" for m in t.metrics for s in t.scenarios
                  if t.cells[m][s].qualifier]
        # "better in N % §": twins in LV suction / a negative mean LAP are not counted (F7)
        harm = {said(s): [f"{m} in {percent(t.cells[m][s].harm_uncounted)}"
                          for m in t.metrics if t.cells[m][s].improved is not None
                          and t.cells[m][s].harm_uncounted] for s in t.scenarios}
        if any(harm.values()):
            lines.append(harm_rule([f"{s} {', '.join(v)}" for s, v in harm.items() if v]))
        res = self.state.session.scenario_results
        stored = [s for s in t.scenarios if getattr(res.get(s), "stored", False)]
        # not a warning; no hash (review8b #5): only this twin's equations are ever shown
        note, names = stored_note([said(s) for s in stored], len(t.scenarios),
                                  [said(s) for s in stored if not res[s].series])
        self.stored_label.setText(note)
        self.stored_label.setToolTip(names)
        self.stored_label.setVisible(bool(note))
        base = self.state.results
        absent = [m for m in DEFAULT_METRICS if base is not None and m not in base.metrics]
        if absent:  # the default rows a model of another structure has no quantity for
            lines.append(f"Not provided by this model ({len(absent)}): {', '.join(absent)}")
        self.flags_label.setText("\n".join(lines))

    def _draw_curves(self, base, results) -> None:
        """The median PV loop and Wiggers band of the baseline and each scenario. The plot
        items are kept and their data set in place (creating and adding pyqtgraph items was
        most of the 40–50 ms of GUI-thread CPU the results' turn still took, stall12b);
        runs no longer shown are removed."""
        if self.live_curve not in self.pv_plot.items:
            self.pv_plot.addItem(self.live_curve)
            self._fit_legend_box()
        runs = []
        if base is not None:
            modes = {sc.name: sc for sc in self.scenarios}  # the legend: acute or regulated
            held = self.state.session.scenario_results
            runs = [(BASELINE, base, BASE_RGB)] + [
                (shown_name(modes[k]) if k in modes else k, r, scenario_colour(k, held))
                for k, r in results.items()]
            runs = [(n, c, rgb) for n, r, rgb in runs
                    if (c := loop_curves(r))]  # computed by the what-if job; stored: none
        keep = max(len(runs), len(self.scenarios) + 1)  # prepared for the next Run
        for slot in self._curve_slots[keep:]:
            slot.remove()
        for slot in self._curve_slots[len(runs):keep]:
            slot.clear()
        del self._curve_slots[keep:]
        self._runs_to_draw, self._runs_drawn = runs, 0
        self._draw_next()

    def _draw_next(self, *, new: bool = False) -> None:
        """Draw the runs not drawn yet, one run per timer turn :data:`DRAW_EVERY_MS` apart
        (``new``: a timer's call), then the legend's rows in a turn of their own, so the
        cine's frames run between them. A run's items are those made when its scenario was
        listed (:meth:`_prepare_slots`), or made here if none were (adding pyqtgraph items
        is 5–15 ms a run). The turn the results arrive in (``new`` False) draws nothing:
        setting four runs' data in it added 15–30 ms of GUI-thread CPU beside a cine frame
        (stall14), and whatif13 saw the results' turn, new items and a frame in one 80-ms
        gap."""
        runs, slots = self._runs_to_draw, self._curve_slots
        legend = self.pv_plot.legend
        names = self._legend_texts([self.live_curve.opts["name"], *(n for n, _c, _rgb in runs)])
        stale = legend is not None and [label.text for _s, label in legend.items] != names
        if not new:
            if self._runs_drawn < len(runs) or stale:
                self._draw_soon()
            return
        if self._runs_drawn < len(runs):
            i = self._runs_drawn
            if i == len(slots):
                slots.append(_RunCurves(self.pv_plot, self.wiggers_plot))
            slots[i].show(*runs[i])
            self._runs_drawn += 1
            if self._runs_drawn < len(runs) or stale:
                self._draw_soon()
            return
        if stale:
            legend.clear()  # in the runs' order, under the live curve
            for item, text in zip((self.live_curve, *(s.loop for s in slots[:len(runs)])),
                                  names, strict=True):
                legend.addItem(item, text)
                for part in legend.items[-1]:  # the name whole, wherever it was broken
                    part.setToolTip(item.opts["name"])
            self._fit_legend_box()

    def _legend_texts(self, names: list[str]) -> list[str]:
        """The legend's labels: each name broken into lines that fit the tab's width (the
        longest ran past the plot's edge at 1280×720, its response mode cut)."""
        font = legend_font(LEGEND_PT)
        room = self.glw.width() - LEGEND_INDENT_PX if self.glw.isVisible() else 0
        return [wrapped(n, room, font) for n in names]

    def _draw_soon(self) -> None:
        if not self._draw_pending:
            self._draw_pending = True
            QTimer.singleShot(DRAW_EVERY_MS, self._draw_later)

    def _draw_later(self) -> None:
        self._draw_pending = False
        self._draw_next(new=True)

    def curves_drawn(self) -> bool:
        """Whether every run's curves (and the legend's rows) are drawn (:meth:`_draw_next`)."""
        return self._runs_drawn == len(self._runs_to_draw) and not self._draw_pending

    # ------------------------------------------------------------------ ranking
    def goal(self) -> Goal:
        """The goal set in the ranking tab (raises InterventionError if malformed)."""
        cons = tuple(Constraint.parse(p) for p in self.constraints_edit.text().split(";")
                     if p.strip())
        return Goal(self.goal_metric.currentData(), self.sense_box.currentText(), cons)

    def rank_scenarios(self) -> None:
        base = self.state.results
        res = {k: r for k, r in self.state.session.scenario_results.items()
               if base is not None and r.n == base.n}
        try:
            if base is None or not res:
                raise InterventionError("run scenarios on the ensemble first")
            ranking = rank(base, res, self.goal(),
                           evidence=self.table.evidence if self.table else None,
                           scenarios=self.scenarios)  # an off-size valve is not ranked
        except InterventionError as exc:
            self.rank_label.setText(str(exc))
            self.state.warn(str(exc))
            return
        # the goal is the user's choice: kept in the document, saved, in the report (the
        # twin event it sends refreshes this panel, so the ranking is shown after it)
        self.state.session.set_goal(str(ranking.goal))
        self.ranking = ranking
        rows = self.ranking.ordered()
        # each option by its display name with its mode, as in the results (review12b #3)
        shown = {s.name: shown_name(s) for s in self.scenarios}
        self.rank_table.setRowCount(len(rows))
        off = self.ranking.not_ranked
        for r, (name, frac) in enumerate(rows):
            for c, text in enumerate((shown.get(name, name),
                                      "not ranked\n(off-size valve)" if name in off
                                      else f"{100 * frac:.0f} %",
                                      f"{100 * self.ranking.feasible[name]:.0f} %")):
                item = QTableWidgetItem(text)
                if name in off:  # the reason on the row, and in full under the table
                    item.setToolTip(off[name])
                self.rank_table.setItem(r, c, item)
        self.rank_table.resizeRowsToContents()
        extra = (f"; no option meets the constraints in "
                 f"{100 * self.ranking.none_feasible:.0f} %" if self.ranking.none_feasible
                 else "")
        best = self.ranking.median_best
        best = shown.get(best, best) if best else "none feasible"
        verdict = f" {self.ranking.verdict[0].upper()}{self.ranking.verdict[1:]}." \
            if self.ranking.verdict else ""
        self.rank_label.setText(f"Goal: {self.ranking.goal} over {self.ranking.n} plausible "
                                f"twins.{verdict} Best on medians alone: "
                                f"{best}{extra}."
                                + "".join(f"\n! {shown.get(name, name)}: "
                                          f"{self.ranking.caution(name)}"
                                          for name, _ in rows if self.ranking.caution(name))
                                + "".join(f"\n! {shown.get(name, name)}: not ranked "
                                          f"({NOT_RANKED}): {why}"
                                          for name, why in off.items()))

    # ------------------------------------------------------------------ live slider
    def _setup_slider(self) -> None:
        iv = self.intervention
        s = iv.setting(iv.main_setting)
        if s.choices and s.only_choices:
            values = np.array(sorted(s.choices), dtype=float)
        else:
            lo, hi = s.limits
            values = np.round(np.linspace(lo, hi, SLIDER_STEPS + 1), _decimals(s))
        self._slider_values = values
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(values) - 1)
        self.slider.setValue(int(np.argmin(np.abs(values - s.default))))
        self.slider.blockSignals(False)
        self._update_slider_label()

    def _update_slider_label(self) -> None:
        s = self.intervention.setting(self.intervention.main_setting)
        ed = self.editors.get(s.name)
        value = ed.value() if ed is not None else self.slider_value()
        self.slider_label.setText(f"{s.display}: {value:g} {unit_text(s.unit)}")

    def slider_value(self) -> float:
        return float(self._slider_values[self.slider.value()])

    def set_slider_value(self, value: float) -> None:
        self.slider.setValue(int(np.argmin(np.abs(self._slider_values - value))))

    def _on_slider_moved(self, _pos: int) -> None:
        self.editors[self.intervention.main_setting].set_value(self.slider_value())
        self._update_slider_label()
        self.schedule_live()

    def schedule_live(self) -> None:
        """Coalesce slider moves: only the newest value is predicted."""
        self._live_timer.start()

    def live_scenario(self) -> Scenario:
        """What the form shows now: the selected intervention with the form's settings
        (the slider writes into the form), alone — steps already added are not applied."""
        step = self.current_step()
        mode = self.regulation
        return Scenario(scenario_title([step]), (step,), mode)

    def request_live(self) -> None:
        """Predict the live scenario (the coalescing timer calls this): in the preview's
        helper process, the result shown when it arrives (one prediction at a time; a form
        changed meanwhile is predicted when it ends); without a helper,
        :meth:`update_live` here."""
        twin = self.state.twin
        if twin is None:
            self.update_live()  # says to open a twin
            return
        if self._live_job is not None:
            self._live_again = True
            return
        from twinviewer.twins import model_of

        try:
            scenario = self.live_scenario()
        except InterventionError as exc:  # e.g. its plug-in was disabled meanwhile
            self._show_live(exc)
            return
        model, params = model_of(twin), twin.params
        if self.in_process and use_helper(twin):
            worker = preview_helper()
            # a plug-in's step is applied on the job's thread here (loaded and guarded in
            # this process only; its transform may take its whole budget), then simulated
            # in the helper with the built-in ones
            there = live_in_process if use_helper(twin, [scenario]) else live_applied_in_process

            def predict():
                return there(worker, model, params, scenario)
        else:  # a plug-in's model, or no helper: on the job's thread, never the GUI thread
            def predict():
                return self._predict_here(twin, scenario)

        def work(_progress, _is_cancelled):
            try:
                return predict()
            except (InterventionError, ModelError) as exc:  # shown, not reported as a failure
                return exc

        def ended(r) -> None:  # not called if the window closed meanwhile (TwinState)
            self._live_job = None
            if self.state.twin is twin and not self._live_again:
                self._show_live(r, scenario.regulation)  # the mode it ran in, not the form's now
            if self._live_again:
                self._live_again = False
                self.schedule_live()

        self._live_again = False
        self._live_job = self.state.run_job("Live what-if preview", work, ended, ended)

    def _set_live_text(self, text: str) -> None:
        """Show ``text`` in the live preview, the label as tall as its wrapped text."""
        self.live_label.setText(text)
        self._live_fit.update()

    def update_live(self) -> None:
        """Predict the live scenario for the twin's point estimate here, on the GUI thread
        (a few ms once the kernels are loaded; where no helper process can run)."""
        twin = self.state.twin
        if twin is None:
            self._set_live_text("open a twin to see live predictions")
            return
        try:
            r = self._predict_here(twin, self.live_scenario())
        except (InterventionError, ModelError) as exc:
            r = exc
        self._show_live(r)

    def _predict_here(self, twin, scenario: Scenario):
        """``scenario`` for ``twin``'s point estimate in this process, warm-started from the
        last prediction (any thread: one prediction at a time)."""
        with self._predictor_lock:
            predictor = self._predictor  # a twin opened meanwhile resets it (GUI thread)
            if predictor is None or self._predictor_twin is not twin:
                from twinviewer.twins import model_of

                predictor = SingleTwinPredictor(model_of(twin), twin.params)
                self._predictor, self._predictor_twin = predictor, twin
            return predictor.predict(scenario)

    def _show_live(self, r, mode: str | None = None) -> None:
        """Show the live prediction ``r`` (one member's Results, or the error that refused
        the scenario), run in response ``mode`` (default: the form's)."""
        if isinstance(r, (InterventionError, ModelError)):
            self._set_live_text(f"not applicable: {r}")
            self.refresh_interventions()  # a plug-in disabled by this preview: greyed out
            return
        if isinstance(r, BaseException):  # the helper died: the next prediction starts one
            self._set_live_text(f"live preview failed: {r}")
            return
        self.live_updates += 1
        self.live_result = r
        if not r.ok[0]:
            self._set_live_text(f"no periodic state: {r.errors()[0]}")
            self.live_curve.setData([], [])
            return
        from twinviewer.interventions.single import point_changes

        # the change from the point's own baseline, not a level: the point (the twin's
        # best fit) may sit far from the ensemble, whose baseline the table shows (review12b #2)
        live = [m for m in LIVE_METRICS if m in r.metrics]  # the model's own (a plug-in's)
        changes = point_changes(r, live)
        parts = []
        for m in live:
            x = float(r.metrics[m][0])
            if m == "VAD_flow" and x == 0.0:
                continue
            name = m if m.isalnum() and m.isupper() else METRIC_BY_NAME[m].label  # LVEDP, Qp:Qs
            u = unit_text(METRIC_BY_NAME[m].unit)
            if m in changes:
                x0, d = changes[m]
                dd = _fmt(d) if abs(d) >= 1e-9 else "0"
                parts.append(f"Δ\u00a0{name} {'+' if d > 0 else ''}{dd.replace('-', '−')} "
                             f"{u} (from {_fmt(x0)})".replace("  ", " "))
            else:
                parts.append(f"{name} {_fmt(x)} {u}".rstrip())
        flags = []
        if "LV_suction" in r.metrics and r.metrics["LV_suction"][0] > 0.5:
            flags.append("LV suction")
        if "AV_opening" in r.metrics and r.metrics["AV_opening"][0] < 0.5:
            flags.append("aortic valve does not open")
        base_ef = (getattr(r, "point_baseline", None) or {}).get("LVEF")
        where = (f"the twin's best-fit parameter set, LVEF {_fmt(base_ef)} % untreated"
                 if base_ef is not None and np.isfinite(base_ef) else
                 "the twin's best-fit parameter set")
        shown_mode = REGULATION_TEXT[mode or self.regulation]
        text = (f"point estimate ({where}), {shown_mode}: change from "
                "this point's own baseline, no interval; compare changes, not levels, with "
                "the ensemble (release the slider for it): " + " · ".join(parts))
        if flags:
            text += "\n⚠ " + ", ".join(flags)
        self._set_live_text(text)
        v, p = signal(r, "V_LV"), signal(r, "p_LV")  # through the model's roles
        if v is None or p is None:
            self.live_curve.setData([], [])
            return
        v, p = v[0], p[0]
        self.live_curve.setData(np.r_[v, v[:1]], np.r_[p, p[:1]])
        self.live_curve.setPen(pg.mkPen(QColor("#b00020") if flags else QColor(0, 0, 0),
                                        width=2, style=Qt.PenStyle.DashLine))


def _check_core_steps(model, ensemble: np.ndarray, scenarios: list[Scenario]) -> None:
    """Raise what ``scenarios``' built-in steps would refuse, without simulating.

    Only the package's own interventions are checked here, on the GUI thread: a plug-in's
    transform may take its whole time budget (a hanging one froze the window ~11 s at
    each check, review12 #2), so its steps are checked where they run, on the job's thread
    under the plug-in guard, and a refusal arrives through the job.
    """
    from twinviewer.interventions.library import CORE_INTERVENTIONS

    for sc in scenarios:
        core = tuple(st for st in sc.steps if st.name in CORE_INTERVENTIONS)
        if core:
            check_scenario(model, ensemble, Scenario(sc.name, core, sc.regulation))
