"""Explain a prediction: what drives it, what it rests on, and when not to trust it.

Pick a metric (and a scenario, if any). The panel computes, in a background job, the local
elasticities (one ensemble call), the provenance of the parameters that matter, the
validity warnings, the model card and a plain-language summary; Sobol indices with
confidence intervals run on demand as a second job with progress and Cancel. All numbers
come from :mod:`twinviewer.explain` (Qt-free); this module only shows them.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

import twinviewer
from twinviewer.core.format import change_unit, interval, number, span
from twinviewer.core.format import unit as unit_text
from twinviewer.explain.words import model_or_none, plain_text
from twinviewer.gui import process_worker
from twinviewer.gui.axes import plain_axes
from twinviewer.gui.flow_layout import FlowLayout, compact, labelled
from twinviewer.gui.model_jobs import explanation, explanation_in_process, helper, use_helper
from twinviewer.gui.state import JobCancelled, TwinState
from twinviewer.gui.table_fit import keep_fitted
from twinviewer.interventions.scenario import shown_name
from twinviewer.physiology import METRIC_BY_NAME, METRICS

NO_SCENARIO = "(no scenario)"
ELASTIC_TITLE = "Local elasticity (% per +1 %)"
#: the chart's title while a scenario is chosen: its drivers are not the scenario's
BASELINE_ELASTIC_TITLE = "Baseline's local elasticity (% per +1 %)"
N_BARS = 10
DEBOUNCE_MS = 150  # a burst of changes (metric, scenario, results, twin) makes one job


def _table(headers: tuple[str, ...]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().setVisible(False)
    t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    h = t.horizontalHeader()
    h.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    h.setStretchLastSection(True)
    return t


def _fill(table: QTableWidget, rows: list[tuple[str, ...]]) -> None:
    table.setRowCount(len(rows))
    for i, row in enumerate(rows):
        for j, text in enumerate(row):
            table.setItem(i, j, QTableWidgetItem(text))


#: Height of one labelled bar (label line above, bar below): the plot asks for this much.
BAR_ROW_PX = 34


def _bars(plot: pg.PlotItem, labels: list[str], values: list[float],
          errors: list[float] | None = None) -> None:
    """Horizontal bars, largest at the top, with optional ± error bars. Each bar's label is
    written above it across the plot's width (not as axis ticks, which took the whole
    width of a narrow step panel and left no room for the bars)."""
    plot.clear()
    n = len(values)
    plot.getAxis("left").setTicks([[]])
    plot.getAxis("left").setStyle(showValues=False)
    plot.getAxis("left").setWidth(4)
    if n == 0:
        return
    y = np.arange(n)[::-1].astype(float)
    v = np.asarray(values, dtype=float)
    brushes = [pg.mkBrush(30, 90, 200) if x >= 0 else pg.mkBrush(200, 30, 40) for x in v]
    # row k: its label in the upper half (y .. y+0.5), its bar in the lower (y-0.38 .. y-0.02)
    plot.addItem(pg.BarGraphItem(x0=np.minimum(v, 0), y=y - 0.2, height=0.36,
                                 width=np.abs(v), brushes=brushes))
    err = np.zeros(n) if errors is None else np.nan_to_num(np.asarray(errors, float))
    if errors is not None:
        plot.addItem(pg.ErrorBarItem(x=v, y=y - 0.2, left=err, right=err, beam=0.12))
    left = float(min(0.0, np.nanmin(v - err)))
    shown = []
    for yy, text in zip(y, labels, strict=True):
        label = pg.TextItem(text, color=(40, 40, 40), anchor=(0, 1))  # bottom-left at pos
        label.setPos(left, yy + 0.02)
        label.setToolTip(text)
        plot.addItem(label)
        shown.append((label, text))
    plot._bar_labels = shown
    if not getattr(plot, "_elides", False):  # once per plot: refit on every resize
        plot._elides = True
        plot.vb.sigResized.connect(lambda *_a, plot=plot: _elide_bar_labels(plot))
        # and when the x range settles: the labels start at the leftmost bar, which moves
        # in the scene when the range is auto-fitted after the labels were first elided
        plot.vb.sigXRangeChanged.connect(lambda *_a, plot=plot: _elide_bar_labels(plot))
    _elide_bar_labels(plot)
    plot.setYRange(-0.5, n - 0.45, padding=0)
    for view in (plot.scene().views() if plot.scene() is not None else []):
        view.setMinimumHeight(BAR_ROW_PX * n + 50)  # every label readable: the tab scrolls


def _elide_bar_labels(plot: pg.PlotItem) -> None:
    """Elide each bar label to the plot's width, whole in its tooltip (at 1280×720
    "LV passive stiffness exponent of the EDPVR [calibrated]" ran past the plot's edge)."""
    right = plot.vb.sceneBoundingRect().right()
    for label, text in getattr(plot, "_bar_labels", ()):
        # from where the label starts (the leftmost bar, not the plot's edge) to the
        # plot's right edge, less the text item's own margins
        width = int(right - label.sceneBoundingRect().left()) - 12
        if width < 40:
            continue
        label.setText(elide_keeping_state(text, QFontMetrics(label.textItem.font()), width))


def elide_keeping_state(text: str, fm: QFontMetrics, width: int) -> str:
    """``text`` elided to ``width`` pixels in its name, never in its trailing state tag
    ("LV passive elastance at the unstressed volume [p." lost the state: review13 #10)."""
    name, sep, tag = text.rpartition(" [")
    if not sep or fm.horizontalAdvance(text) <= width:
        return fm.elidedText(text, Qt.TextElideMode.ElideRight, width)
    tag = sep + tag
    room = width - fm.horizontalAdvance(tag)
    if room < fm.horizontalAdvance("…") * 4:
        return fm.elidedText(text, Qt.TextElideMode.ElideRight, width)
    return fm.elidedText(name, Qt.TextElideMode.ElideRight, room) + tag


def scenario_headline(scenario: str, att, tag=str) -> str:
    """The headline of a chosen scenario: its change of the metric (median, 90 % interval
    over the members), the parameter that carries most of it, and that the local drivers
    shown are the baseline's (the headline and chart stayed the baseline's with nothing
    said: review14b #6). Short: it stands above the baseline's summary in a narrow column.
    ``att``: an :class:`~twinviewer.explain.shapley.Attribution`; ``tag``: how a parameter
    is named.

    Examples
    --------
    >>> import numpy as np
    >>> from twinviewer.explain.shapley import Attribution
    >>> att = Attribution("MAP", "mmHg", ("HR", "R_sys"), np.array([[4.0, 1.0], [6.0, 1.0]]),
    ...                   np.array([90.0, 92.0]), np.array([95.0, 99.0]))
    >>> head, tail = scenario_headline("Pacing 90 bpm", att).split(". ", 1)
    >>> head
    'Pacing 90 bpm: MAP +6.0 (+5.1 to +6.9) mmHg, the largest part through HR'
    >>> tail
    "The drivers below its attribution are the baseline's."
    """
    tail = "The drivers below its attribution are the baseline's."
    ok = att.ok
    if not ok.any():
        return f"{scenario}: no member reached a periodic state, no attribution. {tail}"
    lo, med, hi = np.quantile(att.change[ok], [0.05, 0.5, 0.95])
    text = f"{scenario}: {att.metric} {interval(med, lo, hi, signed=True)} " \
           f"{change_unit(att.unit)}".rstrip()
    parts = {n: v[0] for n, v in att.summary().items() if math.isfinite(v[0])}
    if parts:
        top = tag(max(parts, key=lambda n: abs(parts[n])))
        top = top[:1].lower() + top[1:] if top[1:2].islower() else top  # 'LV …' stays
        text += f", the largest part through {top}"
    return f"{text}. {tail}"


def idle_text(twin_open: bool) -> str:
    """What the step says before it has an explanation: with a twin open, its predictions
    are on their way ("Open a twin…" while one was open read as broken: review13 #13)."""
    if twin_open:
        return "Waiting for the twin's predictions…"
    return "Open a twin to see an explanation of its predictions."


def card_markdown(text: str) -> str:
    """The model card's Markdown for the step column: its headings two levels smaller (a
    level-1 title took a third of the panel at 1280×720: review13 #13), developer-note
    pointers taken out (a clinician cannot reach them)."""
    import re

    from twinviewer.report.reader_text import without_notes

    text = re.sub(r"^(#{1,4}) ", lambda m: "#" * (len(m.group(1)) + 2) + " ", text,
                  flags=re.MULTILINE)
    return without_notes(text)[0]


class ExplainPanel(QWidget):
    """Drivers (elasticities, Sobol, attribution), basis, validity, model card, summary."""

    #: Explain in the model's helper process (:mod:`twinviewer.gui.model_jobs`: the GUI
    #: process never imports numba); False: on a worker thread here.
    in_process = process_worker.available()

    title = "Explain"

    def __init__(self, state: TwinState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.explanation = None
        self.sobol_job = None
        self.job = None  # the running explanation job
        self._generation = 0
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(DEBOUNCE_MS)
        self._refresh_timer.timeout.connect(self._start_refresh)

        self.metric_box = QComboBox()
        for m in METRICS:
            self.metric_box.addItem(f"{m.label} ({m.name})", m.name)
        self.metric_box.setCurrentIndex(self.metric_box.findData("MAP"))
        self.scenario = QComboBox()
        self.scenario.addItem(NO_SCENARIO)
        top = QFormLayout()  # one control a line: fits a narrow step column
        top.addRow("Metric", compact(self.metric_box))
        top.addRow("Scenario", compact(self.scenario))

        self.summary = QLabel(idle_text(state.twin is not None))
        self.summary.setWordWrap(True)

        # Drivers tab: elasticities (instant), Sobol (on demand), attribution (scenario)
        # short titles: the step column is narrow at 1280 × 720 (a long one was clipped)
        # its title a wrapped label, not the plot's own (a pyqtgraph title is one line of
        # fixed width: cut at the pane's edge at 1280×720, review14b #6)
        self.elastic_title = QLabel(ELASTIC_TITLE)
        self.elastic_title.setWordWrap(True)
        self.elastic_title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.elastic_title.setStyleSheet("font-weight: bold;")
        self.elastic_plot = pg.PlotWidget()
        plain_axes(self.elastic_plot.getPlotItem())  # 0.79 read 790 (newuser17 F1)
        self.elastic_plot.setMinimumHeight(BAR_ROW_PX * 6 + 40)
        self.elastic_plot.setMinimumWidth(0)
        self.n_base = QSpinBox()
        self.n_base.setRange(16, 16384)
        self.n_base.setValue(256)
        self.n_base.setToolTip("Sobol base samples N; the direct method needs N·(d+2) runs")
        self.method = QComboBox()
        self.method.addItem("Direct (Saltelli)", "saltelli")
        self.method.addItem("Surrogate (polynomial chaos)", "pce")
        self.dask_box = QCheckBox("Large study on Dask")
        self.dask_box.setToolTip(
            "Run the Saltelli sampling on a local Dask cluster (one worker per core) as a "
            "background job: N up to 16,384, convergence verdict at a CI half-width of "
            "0.01, finished blocks kept so a cancelled study resumes")
        self.sobol_job_options: dict = {}  # passed to the Dask job (tests: small clusters)
        self.sobol_button = QPushButton("Compute Sobol indices")
        self.sobol_status = QLabel("")
        self.sobol_status.setWordWrap(True)
        self.sobol_plot = pg.PlotWidget(title="Sobol total index (± 95 % CI)")
        plain_axes(self.sobol_plot.getPlotItem())  # indices 0–1: never "(x0.001)"
        self.sobol_plot.setMinimumHeight(BAR_ROW_PX * 4 + 40)
        self.sobol_table = _table(("Parameter", "First-order S1", "Total ST", "Range used"))
        self._show_sobol_views(False)  # nothing computed yet: no empty plot
        self.attr_table = _table(("Parameter", "Share: median (90 %)"))
        # the value whole, the name wrapped (the value column was cut at 1280×720)
        keep_fitted(self.attr_table, squeeze={0})
        self.attr_table.verticalHeader().sectionResized.connect(
            lambda *_a: self._fit_attr_height())
        self.attr_table._refit.timer.timeout.connect(self._fit_attr_height)  # after the fit
        sob = FlowLayout()  # wraps onto two lines at 1280×720
        sob.addWidget(labelled("N", self.n_base))
        sob.addWidget(self.method)
        sob.addWidget(self.dask_box)
        sob.addWidget(self.sobol_button)
        drivers = QWidget()
        dl = QVBoxLayout(drivers)
        # a chosen scenario's attribution first: it is what the user asked about (below the
        # baseline's chart it was below the fold at 1280×720: review14b #6); wrapped (one
        # line of it widened the tab past its pane)
        self.attr_label = QLabel("Attribution of the scenario's effect (Shapley)")
        self.attr_label.setWordWrap(True)
        self.attr_label.setStyleSheet("font-weight: bold;")
        dl.addWidget(self.attr_label)
        dl.addWidget(self.attr_table)
        dl.addWidget(self.elastic_title)
        dl.addWidget(self.elastic_plot, 1)
        dl.addLayout(sob)
        dl.addWidget(self.sobol_status)
        dl.addWidget(self.sobol_plot, 1)
        dl.addWidget(self.sobol_table, 1)

        self.basis_table = _table(("Parameter", "Value", "Unit", "Basis", "Evidence"))
        # the name (with its state), value and unit always in view; where the step column
        # is too narrow (1280×720) the basis and evidence columns give way to the name's
        # tooltip, which holds them
        keep_fitted(self.basis_table, squeeze={0, 4}, drop={3})
        self.warnings = QListWidget()
        self.card = QTextBrowser()
        self.tabs = QTabWidget()
        scroll = QScrollArea()  # the plots keep readable heights; the tab scrolls instead
        scroll.setWidgetResizable(True)
        self.drivers_scroll = scroll
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(drivers)
        # short titles: all four fit a 350-px step column at 1280×720 ("When not to" was
        # cut behind scroll arrows); the question each answers is its tooltip
        for page, title, tip in ((scroll, "Drivers", "What drives it"),
                                 (self.basis_table, "Evidence", "What it rests on"),
                                 (self.warnings, "Cautions", "When not to trust it"),
                                 (self.card, "Model card", "What the model is and how it "
                                                           "was checked")):
            self.tabs.setTabToolTip(self.tabs.addTab(page, title), tip)

        self.note = QLabel(twinviewer.RESEARCH_USE)
        self.note.setStyleSheet("color: #8a5a00;")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.summary)
        lay.addWidget(self.tabs, 1)
        lay.addWidget(self.note)

        self.metric_box.currentIndexChanged.connect(lambda _: self.refresh())
        self.scenario.currentIndexChanged.connect(lambda _: self.refresh())
        self.sobol_button.clicked.connect(self.compute_sobol)
        state.resultsChanged.connect(lambda _: self.refresh())
        state.twinChanged.connect(lambda _: self.refresh())
        state.scenarioResultsChanged.connect(self._on_scenarios)
        self._on_scenarios(state.session.scenario_results)

    # ------------------------------------------------------------------ inputs
    def current_metric(self) -> str:
        return self.metric_box.currentData()

    def _on_scenarios(self, scenarios) -> None:
        # Each item shows the name the What-if table and the PV legend show (words, with the
        # response mode: review14b #2); its data is the results' key.
        keep = self.scenario.currentData()
        twin = self.state.twin
        by_name = {s.name: s for s in (twin.scenarios if twin is not None else ())}
        self.scenario.blockSignals(True)
        self.scenario.clear()
        self.scenario.addItem(NO_SCENARIO, None)
        for name in scenarios or {}:
            shown = shown_name(by_name[name]) if name in by_name else name
            self.scenario.addItem(shown, name)
        i = self.scenario.findData(keep) if keep is not None else 0
        self.scenario.setCurrentIndex(max(i, 0))
        self.scenario.blockSignals(False)
        self.refresh()

    # ------------------------------------------------------------------ the instant part
    def refresh(self) -> None:
        """Recompute the explanation soon (debounced; see :meth:`_start_refresh`).

        Running jobs are cancelled at once and their results will be ignored.
        """
        self._generation += 1
        self._cancel_jobs()
        self.sobol_button.setEnabled(False)
        self._refresh_timer.start()

    def _cancel_jobs(self) -> None:
        for job in (self.job, self.sobol_job):
            if job is not None:
                job.supersede()  # a newer explanation replaces it: not news for the user
        self.job = None

    def _start_refresh(self) -> None:
        """Start the explanation job (elasticities take one ensemble run)."""
        self._cancel_jobs()
        twin, results = self.state.twin, self.state.results
        metric = self.current_metric()
        self.sobol_button.setEnabled(False)
        if twin is None or results is None:
            self._clear_shown()
            self.summary.setText(idle_text(twin is not None))
            return
        if metric not in results.metrics:
            self._clear_shown()
            self.summary.setText(f"{metric} is not computed by this model.")
            return
        scen_name = self.scenario.currentData()
        scen = (self.state.session.scenario_results.get(scen_name)
                if scen_name is not None else None)
        scen_params = None
        if scen is not None:
            if scen.params.shape != results.params.shape:
                self.state.warn(f"scenario {self.scenario.currentText()!r} has "
                                f"{scen.params.shape[0]} members, the baseline "
                                f"{results.params.shape[0]}: no attribution")
            else:
                scen_params = scen.params
        self.summary.setText(f"Explaining {METRIC_BY_NAME[metric].label}…")
        gen = self._generation

        in_process = self.in_process and use_helper(twin)

        def work(progress, is_cancelled):
            def check() -> None:
                if is_cancelled():
                    raise JobCancelled(f"explaining {metric} was superseded")

            from twinviewer.plugins.registry import get_registry

            explainers = get_registry().explainers()  # the explainer plugins' paragraphs
            check()
            if in_process and not explainers:  # plug-ins' explainers run here, in the app
                ex = explanation_in_process(helper(), twin, metric, results, scen_params,
                                            progress=progress, cancel=is_cancelled)
            else:
                ex = explanation(twin, metric, results, scen_params, explainers,
                                 progress=progress, cancel=is_cancelled)
            check()
            return ex

        job = self.state.run_job(f"Explaining {metric}", work,
                                 lambda ex: self._show(ex, gen, job),
                                 lambda exc: self._failed(exc, gen, job))
        self.job = job

    def _failed(self, exc: BaseException, gen: int, job=None) -> None:
        if job is not None and self.job is job:
            self.job = None
        if gen == self._generation and not (job is not None and job.is_cancelled()):
            self._clear_shown()
            self.summary.setText(f"Could not explain this prediction: {exc}")

    def _tag(self, name: str, *, scenario: bool = False) -> str:
        """A parameter as shown: its human label, marked with its state (measured,
        calibrated, prior…); with ``scenario``, in the scenario's attribution, a value the
        user chose there is marked '[scenario setting]' (newuser17 F8: the LVAD speed read
        '[prior]')."""
        from twinviewer.twins import parameter_label

        label = parameter_label(self.state.twin, name)
        ex = self.explanation
        if ex is None:
            return label
        return (ex.attribution_tag(name) if scenario else ex.tag(name)).replace(name, label, 1)

    def _attr_tag(self, name: str) -> str:
        """:meth:`_tag` of a parameter in the scenario's attribution."""
        return self._tag(name, scenario=True)

    def _show(self, ex, gen: int, job=None) -> None:
        if job is not None and self.job is job:
            self.job = None
        if gen != self._generation:
            return  # a newer request superseded this one
        self.explanation = ex
        text = "\n\n".join([*self._scenario_lines(ex), ex.summary,
                             *(f"[{n}] {t}" for n, t in ex.contributed)])
        self.summary.setText(plain_text(text, model_or_none(self.state.twin)))
        self.elastic_title.setText(BASELINE_ELASTIC_TITLE
                                   if self.scenario.currentData() is not None
                                   else ELASTIC_TITLE)
        ranked = ex.elasticities.ranked(N_BARS)
        # each bar's number in its label, and an axis with its unit on top, in view above
        # the bars (review16 #11e: the bars could not be read off; the bottom axis scrolled
        # out of the tab)
        plot = self.elastic_plot.getPlotItem()
        _bars(plot, [f"{v:+.2f} · {self._tag(n)}" for n, v in ranked], [v for _, v in ranked])
        plot.showAxis("top")
        plot.hideAxis("bottom")
        plot.getAxis("top").setLabel(f"% change of {ex.metric} per +1 %")
        self.sobol_plot.getPlotItem().clear()
        self.sobol_table.setRowCount(0)
        self._show_sobol_views(False)
        self.sobol_status.setText(
            f"Sobol indices not computed yet. They would cover the {len(ex.screened)} "
            f"parameters that matter locally: "
            f"{', '.join(self._tag(n) for n in ex.screened)}.")
        self.sobol_button.setEnabled(bool(ex.screened))
        self._show_saved_study(ex.metric)

        twin = self.state.twin
        # the state beside the name, as on the bars: the Basis column is off-screen at
        # 1280×720 (review13 #10: every parameter one state, shown everywhere)
        _fill(self.basis_table, [(self._tag(b.name), number(b.value),
                                  unit_text(b.unit), b.label,
                                  "; ".join(b.evidence)) for b in ex.basis])
        for i, b in enumerate(ex.basis):
            self.basis_table.item(i, 0).setToolTip(
                "\n".join([b.label, *b.evidence]))
        self.warnings.clear()
        model = model_or_none(twin)
        for w in ex.warnings:  # a solver's message carried in a warning may name a code
            self.warnings.addItem(f"[{w.severity}] {plain_text(w.text, model)}")
        if not ex.warnings:
            self.warnings.addItem("No warnings: the twin is inside the model's checked domain.")
        self.card.setMarkdown(card_markdown(ex.card.to_text()))
        self._show_attribution(ex.attribution)

    def _scenario_lines(self, ex) -> list[str]:
        """With a scenario chosen, what the summary says first: the scenario's change and
        what carries it, or that there is no attribution (the rest is the baseline's)."""
        if self.scenario.currentData() is None:
            return []
        name = self.scenario.currentText()
        if ex.attribution is None:
            return [f"{name}: no attribution of its change (see the messages). The drivers "
                    f"shown are the baseline's."]
        return [scenario_headline(name, ex.attribution, self._attr_tag)]

    def _clear_shown(self) -> None:
        """Nothing explained: no bars, indices, Sobol status, attribution, evidence or
        cautions of an earlier explanation — of another twin once one is opened without
        results, or its explanation fails (review14 #5)."""
        self.explanation = None
        self.elastic_plot.getPlotItem().clear()
        self.sobol_plot.getPlotItem().clear()
        self.sobol_table.setRowCount(0)
        self._show_sobol_views(False)
        self.sobol_status.setText("")
        self.sobol_button.setEnabled(False)
        self._show_attribution(None)
        self.basis_table.setRowCount(0)
        self.warnings.clear()

    def _show_sobol_views(self, shown: bool) -> None:
        """The Sobol plot and table only once there are indices to show."""
        self.sobol_plot.setVisible(shown)
        self.sobol_table.setVisible(shown)

    def _show_attribution(self, att) -> None:
        visible = att is not None
        self.attr_label.setVisible(visible)
        self.attr_table.setVisible(visible)
        if not visible:
            return
        rows = []
        for name, (med, lo, hi) in att.summary().items():
            if math.isfinite(med):
                # the one formatter and the human label with its state (no 'HR', no
                # '+0.0041 (-0.027 to +0.016)')
                rows.append((self._attr_tag(name), f"{interval(med, lo, hi, signed=True)} "
                                                   f"{change_unit(att.unit)}".rstrip()))
            else:
                rows.append((self._attr_tag(name), "– (no periodic member)"))
        self.attr_label.setText(
            f"Attribution of the scenario's change in {att.metric} (Shapley, "
            f"{int(att.ok.sum())} of {att.values.shape[0]} members)")
        _fill(self.attr_table, rows)
        self._fit_attr_height()

    def _fit_attr_height(self) -> None:
        """The attribution table as tall as its rows (first in the tab: the baseline's
        chart follows it in view, with no empty rows between)."""
        t = self.attr_table
        bar = t.horizontalScrollBar()
        height = (t.horizontalHeader().height() + 2 * t.frameWidth()
                  + sum(t.rowHeight(i) for i in range(t.rowCount()))
                  + (bar.sizeHint().height() if bar.isVisible() else 0))
        t.setFixedHeight(height)

    # ------------------------------------------------------------------ Sobol on demand
    def compute_sobol(self) -> None:
        ex, twin = self.explanation, self.state.twin
        if ex is None or twin is None or not ex.screened:
            return
        n, method = self.n_base.value(), self.method.currentData()
        names = ex.screened
        engine = self.state.distributed if self.dask_box.isChecked() else None
        if self.dask_box.isChecked():
            if engine is None:
                self.state.error("Large Sobol studies need the Dask jobs of the twinviewer "
                                 "command: start the app with `twinviewer gui`")
                return
            if method != "saltelli":
                self.state.warn("The Dask study samples directly (Saltelli): choose "
                                "'Direct (Saltelli)'")
                return
        runs = n * (len(names) + 2) if method == "saltelli" else n
        self.sobol_status.setText(f"Sampling {runs} runs{' on Dask' if engine else ''}…")
        self.sobol_button.setEnabled(False)
        gen = self._generation
        options = dict(self.sobol_job_options)

        def work(progress, is_cancelled):
            if engine is not None:
                return engine.run_sobol_job(twin, ex.metric, tuple(names), n, progress,
                                            is_cancelled, **options)
            from twinviewer.explain.report import explain_sobol

            return explain_sobol(twin, ex.metric, names, n=n, method=method,
                                 progress=progress, cancel=is_cancelled)

        title = f"Sobol indices of {ex.metric}" + (" on Dask" if engine else "")
        self.sobol_job = self.state.run_job(
            title, work, lambda res: self._show_sobol(res, gen),
            lambda exc: self._sobol_failed(exc, gen))

    def _sobol_failed(self, exc: BaseException, gen: int) -> None:
        job, self.sobol_job = self.sobol_job, None
        if gen == self._generation:
            self.sobol_button.setEnabled(True)
            if job is not None and job.is_cancelled():
                resume = (" Finished blocks are kept: compute again with the same N to "
                          "resume." if self.dask_box.isChecked() else "")
                self.sobol_status.setText("Sobol analysis stopped: cancelled." + resume)
            else:
                self.sobol_status.setText(f"Sobol analysis stopped: {exc}")

    def _show_saved_study(self, metric: str) -> None:
        """The twin's latest saved Sobol study of ``metric`` (from its audit trail)."""
        saved = [r for r in self.state.session.sensitivity if r.get("metric") == metric]
        if not saved:
            return
        rec = saved[-1]
        idx = rec["indices"]
        order = sorted(idx, key=lambda k: -(idx[k]["ST"] if idx[k]["ST"] is not None
                                             else -1.0))

        def pm(v, c) -> str:
            return "–" if v is None or c is None else f"{v:.2f} ± {c:.2f}"

        rows = []
        for name in order:
            lo, hi = rec.get("ranges", {}).get(name, (math.nan, math.nan))
            rows.append((self._tag(name),
                         pm(idx[name]["S1"], idx[name]["S1_conf"]),
                         pm(idx[name]["ST"], idx[name]["ST_conf"]), span(lo, hi)))
        _fill(self.sobol_table, rows)
        _bars(self.sobol_plot.getPlotItem(), [r[0] for r in rows],
              [idx[n]["ST"] or 0.0 for n in order], [idx[n]["ST_conf"] or 0.0 for n in order])
        self._show_sobol_views(True)
        self.sobol_status.setText("Saved with the twin: " + self._verdict(rec))

    @staticmethod
    def _verdict(rec: dict) -> str:
        thr = rec.get("ci_threshold", 0.05)
        where = f" on {rec['workers']} Dask workers" if rec.get("distributed") else ""
        status = "converged" if rec.get("converged") else "NOT converged — increase N"
        return (f"{rec['method']}, N = {rec['n_base']}: {rec['n_runs']} runs in "
                f"{rec['elapsed_s']:.1f} s{where}; {status}; "
                f"{100 * rec['converged_share']:.0f} % of the indices have a 95 % CI "
                f"half-width ≤ {thr:g}.")

    def _show_sobol(self, res, gen: int) -> None:
        self.sobol_job = None
        if gen != self._generation or self.explanation is None:
            return
        metric = self.explanation.metric
        self.explanation = self.explanation.with_sobol(res)
        s = self.explanation.sobol
        self.summary.setText(plain_text(self.explanation.summary, model_or_none(self.state.twin)))
        ranked = s.ranked()
        _bars(self.sobol_plot.getPlotItem(), [self._tag(r[0]) for r in ranked],
              [r[1] for r in ranked], [r[2] for r in ranked])
        self._show_sobol_views(True)
        from twinviewer.twins import model_of

        model = model_of(self.state.twin)
        unit = {n: f" {unit_text(model.parameter(n).unit)}" for n in s.names}
        rows = []
        for name, _, _ in ranked:
            i = s.names.index(name)
            lo, hi = self.explanation.sobol_ranges[name]
            rows.append((self._tag(name), f"{s.S1[i]:.2f} ± {s.S1_conf[i]:.2f}",
                         f"{s.ST[i]:.2f} ± {s.ST_conf[i]:.2f}",
                         f"{span(lo, hi)}{unit.get(name, '')}"))
        _fill(self.sobol_table, rows)
        # the study belongs to the twin: kept in its audit trail, saved in the .twin
        rec = self.state.session.add_sensitivity(res, metric)
        extra = "" if s.validation_error is None else \
            f", surrogate validation error {100 * s.validation_error:.1f} %"
        self.sobol_status.setText(self._verdict(rec) + extra + " " + " ".join(s.notes))
        self.sobol_button.setEnabled(True)
