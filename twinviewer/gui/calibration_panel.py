"""Calibrate the twin to its measurements and show what the calibration did and did not learn.

*Calibrate* runs :func:`twinviewer.personalize.calibrate` through ``state.run_job`` (progress
bar and Cancel in the status bar, plus a Cancel button here) in the session's helper
*process* (:mod:`twinviewer.gui.calibration_job`): the job's thread here only waits on its
pipe, so the calibration's Python does not hold this process's interpreter lock. The same
job then makes the updated twin (posterior ensemble, provenance, a new visit, the
calibration's audit entry), simulates it (warm-started from the calibration's own limit
cycles) and prepares what the plots draw of it. The GUI thread draws the result in one
event-loop turn and opens the twin with its results in the next, in one document batch: the
views refresh once, and no turn computes anything but drawing. A calibration that misses
measurements is shown and opened only on Apply anyway (then simulated in a second job).
The view shows, per parameter, the posterior 90 % interval against the prior's (relative to
the prior median, log scale), the fit table (measured beside predicted, never blended), and the
identifiability summary. The twin before calibration is never modified.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

import twinviewer
from twinviewer.core.format import interval, number, percent, span, unit_cell
from twinviewer.document import same_document
from twinviewer.gui import process_worker
from twinviewer.gui.axes import plain_axes
from twinviewer.gui.calibration_job import (  # noqa: F401 - CALIBRATION_SHARE re-exported
    CALIBRATION_SHARE,
    WARM,
    calibrated_in_process,
    calibrated_with_results,
    forget_anatomy,
    runs_in_process,
    share_anatomy,
    shown,
)
from twinviewer.gui.elided import ElidedComboBox
from twinviewer.gui.flow_layout import FlowLayout
from twinviewer.gui.prepared import prepared_results
from twinviewer.gui.state import Job, TwinState
from twinviewer.gui.table_fit import keep_fitted
from twinviewer.gui.whatif_recompute import recompute_what_ifs
from twinviewer.io.measurement_use import calibration_account, prior_of_record
from twinviewer.personalize import CalibrationResult
from twinviewer.personalize.calibrate import (
    AT_PRIOR,
    MOVED_NOT_NARROWED,
    NOT_INFORMED,
    nothing_changed,
    nothing_new,
    planned_prior,
)
from twinviewer.personalize.disease import AUTO, DISEASE_PRIORS, prior_title
from twinviewer.personalize.heart_size import describe as describe_size
from twinviewer.personalize.parameter_count import counts_text, twin_counts
from twinviewer.personalize.revisit import VisitPlan, last_day, plan_visit
from twinviewer.physiology import Cancelled
from twinviewer.physiology.plausible import beyond_legend, beyond_mark, beyond_plausible
from twinviewer.twins import parameter_label

FIT_COLUMNS = ("Measurement", "Measured ± 1 SD\n(source)", "Twin median\n(5–95 %)", "Unit",
               "z", "Note")  # two-line headers: the columns fit a narrow step column


_fmt = number  # the app's one number formatter (core/format.py)
#: The interval chart's key (shown under the chart, not over its bars).
INTERVAL_KEY = ("<span style='color:#969696'>▬</span> prior 90 % &nbsp; "
                "<span style='color:#1e64c8'>▬ ●</span> posterior 90 % and "
                "median (each relative to the prior median)")


#: Minimum heights, px: the parameter/curve plot, and the fit table (its wrapped header and
#: three wrapped rows), so both stay readable in the step column at 1280 × 720.
MIN_PLOT_H, MIN_FIT_TABLE_H = 220, 240

#: Height of one parameter's row in the interval plot (a label of up to two lines above, two
#: bars below): the plot asks for this much per parameter, and the step page scrolls.
#: The status line before any calibration of the open twin.
IDLE_STATUS = ("Calibrates the twin to the measurements stored in it (enter them in the "
               "Measurements panel and Apply).")
INTERVAL_ROW_PX = 56

#: The interval plot's x-axis title: short, so it is not clipped in a 350-px step column.
INTERVAL_AXIS = "× prior median (log scale)"
#: The prior box's width in characters; longer names are elided (whole in the tooltip).
PRIOR_BOX_CHARS = 24
PRIOR_RULE = ("Population prior the calibration starts from: 'auto' chooses it from the "
              "measurements (AVA < 1.5 cm² or mean gradient ≥ 20 mmHg → aortic stenosis; "
              "EROA ≥ 0.2 cm², RVol ≥ 30 mL or RF ≥ 30 % → mitral regurgitation; EF < 40 % → "
              "HFrEF; else healthy). A calibrated twin starts from its last posterior "
              "unless the data show a disease it was not calibrated for, or you choose a "
              "prior: then from that population prior, with all the data")

#: Shown instead of the interval plot before any calibration.
NOT_COMPUTED = ("Parameter intervals: not computed yet — Calibrate to see what the "
                "measurements taught the twin.")


def helper() -> process_worker.ProcessWorker:
    """The session's helper process for calibrations: the model's helper
    (:func:`twinviewer.gui.model_jobs.helper`, one per GUI process, kept warm; started by
    the model's readying after the first paint, or when the Calibrate step is shown)."""
    from twinviewer.gui.model_jobs import helper as model_helper

    return model_helper()


def draft_notice(n: int) -> str:
    """The Calibrate step's notice of ``n`` measurement rows typed and not applied.

    Examples
    --------
    >>> draft_notice(0)
    ''
    >>> draft_notice(2)
    '2 typed rows in Measurements are not applied: Apply them to use them in a calibration.'
    """
    if n <= 0:
        return ""
    if n == 1:
        return "1 typed row in Measurements is not applied: Apply it to use it in a calibration."
    return f"{n} typed rows in Measurements are not applied: Apply them to use them in a " \
           "calibration."


def already_calibrated_text(why: str, same_visit: bool = False) -> str:
    """What Calibrate says for a twin with nothing new to learn (not an error): at a new
    visit, no new measurement; at the same visit (``same_visit``), none changed.

    >>> already_calibrated_text("no new measurements since the last visit (day 0): SBP "
    ...                         "were already used there. Enter this visit's measurements.")[:46]
    'This twin is already calibrated to these data '
    >>> already_calibrated_text("no measurement changed since the calibration of day 0: "
    ...                         "it used these data.", same_visit=True)[-42:]
    'or give a later visit day for a new visit.'
    """
    head = "This twin is already calibrated to these data (" + why.split(": ", 1)[0] + "). "
    if same_visit:
        return head + ("Correct or add a measurement (Measurements step), choose another "
                       "prior, or give a later visit day for a new visit.")
    return head + "Enter this visit's new measurements (Measurements step), then Calibrate."


#: The visit box's tooltip: what the same day and a later day mean.
VISIT_RULE = ("The visit this calibration is for. The twin's last visit day (the default): "
              "the same visit, its data corrected (a value fixed, or an assumed one replaced "
              "by a measurement) — re-calibrated from the prior that visit started from, "
              "with all its corrected data; the old calibration of that day is replaced. A "
              "later day: a new visit, starting from the last posterior with a drift that "
              "grows with the days between the visits.")


def refusal(twin, plan: VisitPlan, prior) -> str:
    """Why Calibrate would learn nothing for ``plan`` with the prior box's ``prior`` (the
    status text), or "": a new visit without new measurements, or the same visit with its
    data unchanged and the prior left on 'auto' (another prior re-does it from that prior).

    >>> from twinviewer.twins import twin_from_preset
    >>> t = twin_from_preset("healthy", n=1)
    >>> refusal(t, plan_visit(t), AUTO)
    ''
    """
    if plan.redo:
        why = nothing_changed(twin) if prior == AUTO else None
        return already_calibrated_text(why, same_visit=True) if why else ""
    why = nothing_new(twin) if twin.visits else None
    return already_calibrated_text(why) if why else ""


class CalibrationPanel(QWidget):
    """Run a calibration and show posterior intervals, fit table and identifiability."""

    title = "Calibration"
    #: Run the calibration in the helper process (in a frozen bundle too: the app starts
    #: itself as the helper); False: on a worker thread of this process, as before.
    in_process = process_worker.available()

    def __init__(self, state: TwinState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.result: CalibrationResult | None = None
        self._unplotted: CalibrationResult | None = None  # its interval plot not drawn yet
        self.job: Job | None = None
        self._own_twin = None  # the twin this panel produced, whose result is on show
        self.recompute_job: Job | None = None  # the what-if results recomputed after it
        self._pending = None  # (twin, result) of a calibration not applied (misfit)

        self.members = QSpinBox()
        self.members.setRange(16, 2000)
        self.members.setValue(200)
        self.members.setSuffix(" members")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setPrefix("seed ")
        # The prior's centre: chosen from the measurements (auto), or the user's override.
        self.prior = ElidedComboBox(chars=PRIOR_BOX_CHARS, tooltip=False)
        self.prior.addItem("auto", AUTO)
        for name in DISEASE_PRIORS:
            self.prior.addItem(prior_title(name), name)
        # the long names ("prior: auto (Heart failure with reduced ejection fraction
        # prior)", 395 px) are elided in the box: the page scrolled sideways at 1280×720
        # (review9b #6); the whole name is in the open list and the tooltip
        self.prior.currentIndexChanged.connect(lambda _i: self._prior_tooltip())
        self._prior_tooltip()
        self.apply_button = QPushButton("Apply anyway")
        self.apply_button.setToolTip("Open the calibrated twin although it cannot reproduce "
                                     "some measurements (recorded in the audit trail)")
        self.apply_button.setVisible(False)
        self.apply_button.clicked.connect(self.apply_anyway)
        self.calibrate_button = QPushButton("Calibrate")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.calibrate_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.status = QLabel(IDLE_STATUS)
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # values carry '<' and '>'
        # rows typed in Measurements and not applied are not the twin's: a calibration
        # would silently leave them out (fix13d)
        self.draft_note = QLabel()
        self.draft_note.setWordWrap(True)
        self.draft_note.setStyleSheet("color: #8a5a00;")
        self.draft_note.setVisible(False)
        top = FlowLayout()  # wraps in a narrow step column (1280×720)
        # what the box sets is the *next* run's start: beside a result "calibrated from the
        # severe AS prior" a box reading "prior: auto (previous visit's posterior)" looked
        # like a contradiction (review13 #13)
        self.prior_label = QLabel("Next calibration starts from:")
        self.prior_label.setToolTip(PRIOR_RULE)
        # which visit: the same one (its data corrected) unless the user gives a later day
        # (newuser17 F2/F3: a corrected BP was booked as a new visit "on day 1")
        self.visit_day = QSpinBox()
        self.visit_day.setRange(0, 36500)
        self.visit_day.setPrefix("visit day ")
        self.visit_day.setToolTip(VISIT_RULE)
        self._visit_of = None  # (twin document, last visit day) the box was set for
        self.visit_day.valueChanged.connect(lambda _v: self._show_visit(self.state.twin))
        self.prior.currentIndexChanged.connect(lambda _i: self._show_refusal(self.state.twin))
        for w in (self.members, self.seed, self.visit_day, self.prior_label, self.prior,
                  self.calibrate_button, self.cancel_button, self.apply_button):
            top.addWidget(w)
        top.addStretch(1)
        self.visit_note = QLabel()  # the visit choice in words: same visit or a new one
        self.visit_note.setWordWrap(True)
        self.visit_note.setToolTip(VISIT_RULE)

        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", INTERVAL_AXIS)
        plain_axes(self.plot.getPlotItem())  # no "(x0.001)" on log10 ratios, phase fractions
        self.plot.showGrid(x=True, y=False, alpha=0.3)
        self.plot.setMouseEnabled(x=True, y=False)
        self._labels: list = []  # the interval plot's row labels (wrapped on resize)
        self.plot.getPlotItem().vb.sigResized.connect(self._wrap_labels)
        self.plot_status = QLabel(NOT_COMPUTED)
        self.plot_status.setWordWrap(True)
        # each chart's key, outside the plot: a legend inside covered a row's bars, and the
        # volume-curve chart's four-row legend covered the top of the curves at 1280×720
        self.plot_key = QLabel(INTERVAL_KEY)
        self.plot_key.setWordWrap(True)
        self.plot_key.setVisible(False)

        self.fit_table = QTableWidget(0, len(FIT_COLUMNS))
        self.fit_table.setHorizontalHeaderLabels(FIT_COLUMNS)
        self.fit_table.verticalHeader().setVisible(False)
        self.fit_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        keep_fitted(self.fit_table)  # every column in a 350-px step column (1280×720)

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QLabel(twinviewer.RESEARCH_USE)
        self.note.setStyleSheet("color: #8a5a00;")

        # readable minimums (review 7 #11: at 1280 × 720 the fit table was squeezed to its
        # header): the step page scrolls instead of crushing a view
        self.plot.setMinimumHeight(MIN_PLOT_H)
        self.fit_table.setMinimumHeight(MIN_FIT_TABLE_H)
        self.summary.setMinimumHeight(60)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        chart = QWidget()  # the plot, or "not computed yet" in its place
        cl = QVBoxLayout(chart)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addWidget(self.plot, 1)
        cl.addWidget(self.plot_key)
        cl.addWidget(self.plot_status)
        split.addWidget(chart)
        split.addWidget(self.fit_table)
        # the summary scrolls in its pane: its last lines (the calibration's warnings, e.g.
        # the compliance not opened below 48 members) were cut off at 1280 × 720
        self.summary_area = QScrollArea()
        self.summary_area.setWidgetResizable(True)
        self.summary_area.setFrameShape(QFrame.Shape.NoFrame)
        self.summary_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.summary_area.setWidget(self.summary)
        self.summary_area.setMinimumHeight(60)
        split.addWidget(self.summary_area)
        for i, stretch in enumerate((3, 2, 1)):
            split.setStretchFactor(i, stretch)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.visit_note)
        lay.addWidget(self.status)
        lay.addWidget(self.draft_note)
        lay.addWidget(split, 1)
        lay.addWidget(self.note)
        state.twinChanged.connect(self._on_twin)
        state.draftChanged.connect(self._show_draft)
        self._on_twin(state.twin)
        self._show_draft(state.session.measurement_draft)
        state.calibrationChanged.connect(self.show_stored)
        state.resultsChanged.connect(lambda _r: self.show_stored(state.session.calibration))
        self.show_stored(state.session.calibration)

    # -- running ----------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        pending = getattr(self, "_unplotted", None)
        if pending is not None and pending is self.result:  # drawn when first seen
            self._unplotted = None
            self._plot_intervals(shown(pending)["intervals"])
        twin = self.state.twin
        if self.in_process and twin is not None and runs_in_process(twin):
            if not helper().alive():
                helper().start()  # warm it while the user reads the step (fork-and-exec)
            if twin.anatomy is not None and not helper().has_shared("anatomy",
                                                                    twin.anatomy):
                # the anatomy goes to the helper now (if the model's readying has not sent
                # it), not when Calibrate is pressed: its pickling holds the interpreter
                # lock 20–40 ms, off the calibration's path
                threading.Thread(target=share_anatomy, args=(helper(), twin.anatomy),
                                 name="calibration helper: anatomy", daemon=True).start()

    def _on_twin(self, twin) -> None:
        if self.job is None and not same_document(getattr(self, "_document", None), twin):
            # "Calibration failed; the twin is unchanged…" was about the twin shown before:
            # never beside another patient (review14 #5); a running calibration says itself
            # when it ends that its twin is no longer open
            self.status.setText(IDLE_STATUS)
        self._document = twin
        self.calibrate_button.setEnabled(twin is not None and self.job is None)
        self._reset_visit(twin)
        self._show_visit(twin)
        anatomy = getattr(twin, "anatomy", None)
        if anatomy is not getattr(self, "_anatomy", None):  # closed, or another twin opened
            self._anatomy = anatomy  # (a calibrated twin shares its anatomy object)
            worker = helper() if self.in_process else None
            if worker is not None and worker.alive():
                # the helper (and its worker) must not keep the last twin's anatomy: the
                # worker's lock may be held by a job, so not on the GUI thread
                threading.Thread(target=forget_anatomy, args=(worker,), daemon=True,
                                 name="calibration helper: forget anatomy").start()
        own = self._own_twin
        if self.result is not None and twin is not own and own is not None and \
                twin is not None and twin.ensemble is own.ensemble and \
                same_document(own, twin):
            # the calibrated twin edited (a scenario added, what-ifs recomputed, a note): it
            # still carries the calibration on show, which stays (newuser17 F6)
            self._own_twin = twin
        elif self.result is not None and twin is not own \
                and not getattr(self, "_applying", False):
            self.clear()

    def _show_draft(self, draft) -> None:
        """Say, before a calibration, that typed rows not applied will not be used."""
        text = draft_notice(len(draft or ()) if self.state.twin is not None else 0)
        self.draft_note.setText(text)
        self.draft_note.setVisible(bool(text))

    def _reset_visit(self, twin) -> None:
        """The visit box at the twin's last visit day (the same visit) when another twin
        opens or a calibration added a visit; a day the user chose is kept over edits."""
        last = None if twin is None else last_day(twin)
        if self._visit_of is not None and self._visit_of[1] == last and \
                same_document(self._visit_of[0], twin):
            return
        self._visit_of = (twin, last)
        self.visit_day.blockSignals(True)
        self.visit_day.setMinimum(0 if last is None else last)
        self.visit_day.setValue(0 if last is None else last)
        self.visit_day.blockSignals(False)
        # a twin never calibrated has its first visit on day 0
        self.visit_day.setEnabled(twin is not None and last is not None)

    def plan(self, twin=None) -> VisitPlan | None:
        """The visit Calibrate would make of the open twin (None: no twin, or it cannot be
        re-done: then Calibrate says why)."""
        twin = twin if twin is not None else self.state.twin
        if twin is None:
            return None
        try:
            return plan_visit(twin, self.visit_day.value())
        except ValueError:
            return None

    def _show_visit(self, twin) -> None:
        """Say which visit Calibrate makes, name the prior it starts from, and whether it
        would be refused (before the user presses it)."""
        plan = self.plan(twin)
        self.visit_note.setText("" if plan is None else f"Calibrates {plan.describe()}.")
        self.visit_note.setVisible(plan is not None)
        self._show_auto_prior(twin, plan)
        self._show_refusal(twin, plan)

    def _show_refusal(self, twin, plan: VisitPlan | None = None) -> None:
        plan = plan or self.plan(twin)
        why = refusal(twin, plan, self.prior.currentData()) \
            if plan is not None and self.job is None else ""
        self.calibrate_button.setToolTip(why)

    def _show_auto_prior(self, twin, plan: VisitPlan | None = None) -> None:
        """Name, on the 'auto' entry, the prior the twin's measurements would choose."""
        if twin is None:
            self.prior.setItemText(0, "auto")
            return
        plan = plan or self.plan(twin)
        # what Calibrate will use: the same decision, for the visit it makes
        choice = planned_prior(plan.twin if plan is not None else twin)
        self.prior.setItemText(0, f"auto ({prior_title(choice.preset)})")
        self.prior.setItemData(0, choice.describe(), Qt.ItemDataRole.ToolTipRole)
        self._prior_tooltip()

    def _prior_tooltip(self) -> None:
        """The prior box's tooltip: the whole name on show (elided in the box) and the rule."""
        self.prior.setToolTip(f"{self.prior.currentText()}\n\n{PRIOR_RULE}")

    def show_stored(self, summary: dict | None) -> None:
        """A reopened twin: its saved calibration without a re-run (the summary is kept in
        the twin's audit trail, see ``Document.apply_calibration`` and
        :func:`twinviewer.document.latest_calibration`): the fit table with its misfit
        flags, the volume-curve fit (chart), the summary. A twin without one: cleared."""
        if self.result is not None:
            return  # a calibration of this session is on show
        if summary is None:
            self.clear()
            return
        from types import SimpleNamespace

        from twinviewer.personalize.calibrate import FitRow

        fields = set(FitRow.__dataclass_fields__)
        import dataclasses

        # a row saved before a field with a default existed (pred_lo, left_out …) still shows
        required = {f.name for f in dataclasses.fields(FitRow)
                    if f.default is dataclasses.MISSING}

        def row(f: dict) -> FitRow:  # strict JSON kept NaN as None
            return FitRow(**{k: (np.nan if v is None and k not in ("note", "source") else v)
                             for k, v in f.items() if k in fields})

        rows = [row(f) for f in summary.get("fit", []) if required <= set(f)]
        curves = [c for c in summary.get("volume_curves", []) if "per_phase" in c]
        if not curves and summary.get("volume_curves"):  # an entry that kept numbers only
            from twinviewer.document import recomputed_curve_fit

            curves = recomputed_curve_fit(self.state.twin, self.state.session.results)
        self._fill_fit(SimpleNamespace(fit=rows, curve_fit=_summaries(curves)))
        intervals = summary.get("parameter_intervals") or []
        if curves or not intervals:
            self._plot_curves(curves)
        else:  # saved by this version on: the parameter interval plot comes back
            self._plot_intervals(intervals)
        twin = self.state.twin
        # over the model's parameters, as the PDF and `info` count (not the provenance's keys)
        counts = "" if twin is None else twin_counts(twin)[1]
        self.summary.setText(_stored_html(summary, len(rows), curves, bool(intervals),
                                          label=self._label, counts=counts))

    def _plot_curves(self, curves: list[dict]) -> None:
        """The saved volume-curve fit: measured volumes ± 1 SD per phase beside the
        posterior median and its 90 % predictive band (``CurveFitSummary.to_dict``)."""
        self.plot.clear()
        self._labels = []
        axis = self.plot.getAxis("left")
        axis.setTicks(None)
        axis.setStyle(showValues=True)
        axis.setWidth(None)
        self.plot.getAxis("bottom").setTicks(None)
        self.plot.setLogMode(x=False, y=False)
        self._show_plot(bool(curves))
        if not curves:
            return
        self.plot.setMinimumHeight(MIN_PLOT_H)
        # the twin's curve is read at its own ED, ES and peak filling (volume_curve.
        # ALIGN_AT_EVENTS): its timing is not what this plot compares
        # short enough for the step column at 1280 px (review16 #11b: it was cut off); the
        # alignment is said in the key under the plot, which wraps
        self.plot.setLabel("bottom", "time from end-diastole (fraction of R-R)")
        self.plot.setLabel("left", "volume (mL)")
        colours = {"LV": (200, 40, 40), "RV": (30, 100, 200)}
        key = []
        for c in curves:
            pp = {k: np.asarray(v, dtype=float) for k, v in c["per_phase"].items()}
            rgb = colours.get(c["chamber"], (90, 90, 90))
            lo = pg.PlotCurveItem(pp["phase"], pp["pred_lo"], pen=pg.mkPen(None))
            hi = pg.PlotCurveItem(pp["phase"], pp["pred_hi"], pen=pg.mkPen(None))
            self.plot.addItem(pg.FillBetweenItem(lo, hi, brush=pg.mkBrush(*rgb, 50)))
            again = " (recomputed)" if c.get("recomputed") else ""
            self.plot.plot(pp["phase"], pp["median"], pen=pg.mkPen(rgb, width=2))
            self.plot.addItem(pg.ErrorBarItem(x=pp["phase"], y=pp["measured"],
                                              height=2 * pp["sd"], pen=pg.mkPen(rgb)))
            self.plot.plot(pp["phase"], pp["measured"], pen=None, symbol="o", symbolSize=6,
                           symbolBrush=rgb)
            hex_ = "#{:02x}{:02x}{:02x}".format(*rgb)
            key.append(f"<span style='color:{hex_}'>▬</span> {c['chamber']} twin median{again} "
                       f"(band: 90 % predictive) &nbsp; <span style='color:{hex_}'>●</span> "
                       f"{c['chamber']} measured ± 1 SD")
        key.append("The twin's curve is aligned at its own end-systole and peak filling.")
        self.plot_key.setText("<br>".join(key))
        self.plot_key.setVisible(True)
        self.plot.enableAutoRange()

    def clear(self) -> None:
        """Forget the result on show (another twin was opened)."""
        self.apply_button.setVisible(False)
        self._pending = None
        self.result = None
        self._unplotted = None
        self.plot.clear()
        self._show_plot(False)
        self.fit_table.setRowCount(0)
        self.summary.setText("")

    def start(self) -> Job | None:
        """Start a calibration of the open twin in the background."""
        twin = self.state.twin
        if twin is None:
            self.status.setText("Open a twin first.")
            return None
        day = self.visit_day.value()
        try:
            plan = plan_visit(twin, day)
        except ValueError as exc:  # e.g. a first visit whose start is not recorded
            self.status.setText(f"Not calibrated; the twin is unchanged: {exc}")
            return None
        prior = self.prior.currentData()
        why = refusal(twin, plan, prior)
        if why:  # e.g. the demo, calibrated to its data: not an error (review11 #5)
            self.status.setText(why)  # the result on show stays: the twin still has it
            return None
        n, seed = self.members.value(), self.seed.value()

        if self.in_process and runs_in_process(twin):
            worker = helper()

            def work(progress, is_cancelled):  # this thread only waits on the helper's pipe
                return calibrated_in_process(worker, twin, n=n, seed=seed, prior=prior,
                                             progress=progress, cancel=is_cancelled, day=day)
        else:
            def work(progress, is_cancelled):
                return calibrated_with_results(twin, n=n, seed=seed, prior=prior,
                                               progress=progress, cancel=is_cancelled, day=day)

        self.apply_button.setVisible(False)
        self._pending = None
        self.calibrate_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText("Calibrating…")
        self.state.jobProgress.connect(self._progress)
        self.state.jobFinished.connect(self._job_finished)
        self.job = self.state.run_job("Calibration", work,
                                      lambda rrr: self._done(twin, *rrr), self._failed)
        return self.job

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.status.setText("Cancelling…")

    def _progress(self, job, fraction: float, text: str) -> None:
        if job is self.job:
            self.status.setText(f"Calibrating… {percent(fraction)} {text}")

    def _job_finished(self, job) -> None:
        # Runs before the job's own callbacks, and also when a cancelled job's result is
        # dropped without any callback.
        if job is not self.job:
            return
        for sig, slot in ((self.state.jobProgress, self._progress),
                          (self.state.jobFinished, self._job_finished)):
            try:
                sig.disconnect(slot)
            except (RuntimeError, TypeError):  # pragma: no cover - already disconnected
                pass
        self.job = None
        self.cancel_button.setEnabled(False)
        self.calibrate_button.setEnabled(self.state.twin is not None)
        if job.is_cancelled():
            self.status.setText("Calibration cancelled; the twin is unchanged.")

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            why = f" ({exc})" if str(exc) else ""  # e.g. a stuck helper was ended
            self.status.setText(f"Calibration cancelled; the twin is unchanged.{why}")
            if why:
                self.state.info(f"Calibration cancelled: {exc}")
        else:
            self.status.setText(f"Calibration failed; the twin is unchanged. {exc}")

    def _done(self, twin, result: CalibrationResult, results=None, calibrated=None) -> None:
        if self.state.twin is not twin:  # the user opened another twin meanwhile
            self.status.setText("Calibration finished for a twin that is no longer open; "
                                "its result was not applied.")
            return
        self.result = result
        # the result is drawn over three turns of the event loop, each short: the fit table,
        # summary and status now; the interval plot next (on show if the step is hidden);
        # the calibrated twin's opening last (every view refreshes for it)
        self.show_result(result, plot=False)
        self._plot_later(result)
        if result.unreproduced:
            # Bad input: the twin stays as it was; say which measurements and by how much.
            self._pending = (twin, result)
            self.apply_button.setVisible(True)
            self.status.setText(
                "Calibration not applied; the twin is unchanged. It cannot reproduce: "
                + "; ".join(f.misfit_text() for f in result.unreproduced)
                + ". Check these values, or Apply anyway.")
            return
        # said with the result, in this turn: set as the twin opens, the longer text re-laid
        # out the panel and repainted its chart twice in the opening's turns
        self.status.setText(_finished_text(result))
        # the twin opens in a later turn of the event loop: drawing the result and
        # refreshing every view for the new twin in one turn stalled the interface. A timer
        # that is already due (0 ms) runs before the loop attends to anything else, so the
        # turns were one stall; 20 ms lets input, timers and paints in between
        QTimer.singleShot(2 * APPLY_DELAY_MS,
                          lambda: self._apply_if_current(twin, result, results, calibrated))

    def _plot_later(self, result: CalibrationResult) -> None:
        """Draw the interval plot of ``result`` in a later turn, or when the step is shown."""
        self._unplotted = result

        def plot() -> None:
            if self._unplotted is result and self.result is result and self.isVisible():
                self._unplotted = None
                self._plot_intervals(shown(result)["intervals"])

        QTimer.singleShot(APPLY_DELAY_MS, plot)

    def _apply_if_current(self, twin, result: CalibrationResult, results,
                          calibrated=None) -> None:
        if self.state.twin is not twin:  # the user opened another twin meanwhile
            self.status.setText("Calibration finished for a twin that is no longer open; "
                                "its result was not applied.")
            return
        self._apply(twin, result, accepted=False, results=results, calibrated=calibrated)

    def apply_anyway(self) -> None:
        """Open the calibrated twin despite measurements it cannot reproduce."""
        pending, self._pending = getattr(self, "_pending", None), None
        self.apply_button.setVisible(False)
        if pending is None or self.state.twin is not pending[0]:
            self.status.setText("Nothing to apply: the twin changed since the calibration.")
            return
        self._apply(*pending, accepted=True)

    def _apply(self, twin, result: CalibrationResult, accepted: bool, results=None,
               calibrated=None) -> None:
        self._applying = True  # the twin event below is our own result, not another twin
        try:
            new = self.state.session.apply_calibration(result, results, accept_misfit=accepted,
                                                       calibrated=calibrated, recompute=True)
        finally:
            self._applying = False
        self._own_twin = new
        stale = list(self.state.session.removed_results)
        running = self.recompute_job is not None and not self.recompute_job.finished
        if stale or running:  # in a later turn: this one refreshes every view for the new twin
            QTimer.singleShot(APPLY_DELAY_MS, lambda: self._recompute(new, stale))
        if results is None:  # applied anyway: simulate the opened twin now
            from twinviewer.gui.model_jobs import simulated_twin, use_helper

            warm = result.results.final_state
            worker = helper() if self.in_process and use_helper(new) else None
            self.state.run_job("Simulate calibrated twin",
                               lambda p, c: prepared_results(
                                   simulated_twin(new, warm_start=warm, progress=p, cancel=c,
                                                  worker=worker),
                                   new),
                               self._simulated)
        self.status.setText(_finished_text(result))

    def _recompute(self, twin, names: list[str]) -> None:
        """The what-if results the calibration removed, recomputed on ``twin`` (if still open;
        :mod:`twinviewer.gui.whatif_recompute`). A recompute still running for an earlier
        calibration is superseded and its scenarios are taken over: their results were
        removed too and must not be left behind."""
        if self.state.twin is not twin:
            return
        old = self.recompute_job
        if old is not None and not old.finished:
            old.supersede()
            names = list(dict.fromkeys([*getattr(old, "names", []), *names]))
        self.recompute_job = recompute_what_ifs(self.state, names, in_process=self.in_process)

    def _simulated(self, results) -> None:
        if self.state.twin is self._own_twin:
            self.state.session.set_results(results)

    # -- showing ----------------------------------------------------------------------------
    def show_result(self, r: CalibrationResult, plot: bool = True) -> None:
        """Fill the interval plot (unless ``plot`` is False), the fit table and the
        identifiability summary."""
        if plot:
            self._unplotted = None
            self._plot_intervals(shown(r)["intervals"])
        self._fill_fit(r)
        self.summary.setText(_summary_html(r, label=self._label))

    def _label(self, name: str) -> str:
        """The human label of the open twin's parameter ``name`` (never a code name)."""
        return parameter_label(self.state.twin, name)

    def _plot_intervals(self, rows: list[dict]) -> None:
        """Prior and posterior 90 % intervals relative to the prior median
        (:meth:`CalibrationResult.parameter_intervals`, also kept in the saved summary).

        Each parameter's label is written above its two bars across the plot's width (as
        Explain does): as left-axis ticks the labels took the whole width of the step column
        and left the bars a strip of a few pixels (review 8 #4). The x axis is log10 of the
        ratio with ticks written as ratios ("0.5×", "2×")."""
        self.plot.clear()
        self.plot.setLogMode(x=False, y=False)  # log10 is taken here (labels sit in data)
        self.plot.setLabel("bottom", INTERVAL_AXIS)
        self.plot.setLabel("left", "")
        left = self.plot.getAxis("left")
        left.setTicks([[]])
        left.setStyle(showValues=False)
        left.setWidth(4)
        self._show_plot(bool(rows))
        if not rows:
            return
        n = len(rows)
        y = np.arange(n)[::-1].astype(float)  # the first row at the top
        p_lo, p_hi = (np.log10(np.maximum([r["prior"][k] for r in rows], 1e-6))
                      for k in (0, 1))
        q_lo, q_mid, q_hi = (np.log10(np.maximum([r["posterior"][k] for r in rows], 1e-6))
                             for k in (0, 1, 2))
        # row k: its label above (y .. y+0.55), prior and posterior bars below
        for lo, hi, dy, colour in ((p_lo, p_hi, -0.14, (150, 150, 150)),
                                   (q_lo, q_hi, -0.32, (30, 100, 200))):
            xs = np.column_stack([lo, hi]).ravel()
            self.plot.plot(xs, np.repeat(y + dy, 2), connect="pairs",
                           pen=pg.mkPen(colour, width=6))
        self.plot.plot(q_mid, y - 0.32, pen=None, symbol="o", symbolSize=7,
                       symbolBrush=(30, 100, 200))
        self.plot_key.setText(INTERVAL_KEY)
        self.plot_key.setVisible(True)
        x0 = float(min(p_lo.min(), q_lo.min(), 0.0))
        x1 = float(max(p_hi.max(), q_hi.max(), 0.0))
        pad = 0.05 * max(x1 - x0, 0.1)
        self._labels = []
        for yy, r in zip(y, rows, strict=True):
            text = pg.TextItem(f"{self._label(r['name'])} — {r['state']}", color=(40, 40, 40),
                               anchor=(0, 1))  # bottom-left at its position
            text.setPos(x0 - pad, yy - 0.02)
            self.plot.addItem(text)
            self._labels.append(text)
        self._wrap_labels()
        self.plot.getAxis("bottom").setTicks([_ratio_ticks(x0 - pad, x1 + pad)])
        self.plot.setXRange(x0 - pad, x1 + pad, padding=0)
        self.plot.setYRange(-0.5, n - 0.45, padding=0)
        self.plot.setMinimumHeight(max(MIN_PLOT_H, INTERVAL_ROW_PX * n + 90))

    def _wrap_labels(self, *_args) -> None:
        """Wrap the interval labels to the plot's width (a long label and its state took
        two lines in a 350-px step column rather than run past the plot's edge)."""
        width = self.plot.getPlotItem().vb.width() - 6
        for t in getattr(self, "_labels", []):
            if width > 20:
                t.setTextWidth(width)

    def _show_plot(self, shown: bool) -> None:
        """The chart only when it has something to show; else "not computed yet" (an
        empty 0–1 log axis before any calibration read as a result)."""
        self.plot.setVisible(shown)
        self.plot_status.setVisible(not shown)
        self.plot_key.setVisible(False)  # set again by the interval plot
        if not shown:
            self.plot.setMinimumHeight(MIN_PLOT_H)

    def _fill_fit(self, r: CalibrationResult) -> None:
        t = self.fit_table
        gaps = [(c, g) for c in getattr(r, "curve_fit", []) for g in c.gaps()]
        t.setRowCount(len(r.fit) + len(gaps))
        # the curve points the twin misses first: the rows below are all within |z| ≤ 2
        # when the curve is fitted, so a miss at ED would otherwise sit under them unseen
        for i, f in enumerate(r.fit, start=len(gaps)):
            src = f" ({f.source})" if f.source else ""
            cells = (f.label, f"{_fmt(f.measured)} ± {_fmt(f.uncertainty)}{src}",
                     f"{interval(f.median, f.lo, f.hi)}; {f.band or 'z band'} 90 % "
                     f"{span(f.pred_lo, f.pred_hi)}", unit_cell(f.unit), f"{f.z:+.1f}",
                     f.note)
            self._set_row(i, cells, f.flag, f.note)
        for i, (c, g) in enumerate(gaps):
            # a curve point the twin misses: where, by how much, and why if at ED
            note = (f"twin {abs(g.difference):.0f} mL {'below' if g.difference < 0 else 'above'}"
                    f" the curve; measured outside the twin's 90 % interval at {g.phases} "
                    f"phase{'s' if g.phases != 1 else ''} ({g.start:.2f}–{g.end:.2f} R-R); "
                    f"{g.z_text()}")
            if "end-diastole" in g.part:
                m, tw = c.late_filling()
                note += (f"; late-diastolic (atrial) filling: curve {m:+.0f} mL, twin "
                         f"{tw:+.0f} mL")
            cells = (f"{g.chamber} volume curve at {g.worst_phase:.2f} R-R ({g.part})",
                     f"{_fmt(g.measured)} ± {_fmt(g.sd)} ({c.source})",
                     interval(g.twin, g.lo, g.hi), "mL", f"{g.z:+.1f}", note)
            self._set_row(i, cells, abs(g.z) > 2.0, note)

    def _set_row(self, i: int, cells: tuple, flag: bool, tip: str) -> None:
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if flag:
                item.setBackground(QBrush(QColor("#f6c6c6")))
            if tip:
                item.setToolTip(tip)
            self.fit_table.setItem(i, c, item)


def _ratio_ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    """Ticks of a log10 axis from ``lo`` to ``hi`` written as ratios: 1-2-5 a decade, or
    finer steps when that gives fewer than three.

    Examples
    --------
    >>> [t for _, t in _ratio_ticks(-0.35, 0.35)]
    ['0.5×', '1×', '2×']
    >>> [t for _, t in _ratio_ticks(-0.2, 0.2)]
    ['0.7×', '0.8×', '1×', '1.2×', '1.5×']
    """
    out: list[tuple[float, str]] = []
    for steps in ((1, 2, 5), (1, 1.2, 1.5, 2, 3, 4, 5, 7, 8)):
        out = []
        for decade in range(int(np.floor(lo)) - 1, int(np.ceil(hi)) + 1):
            for m in steps:
                x = np.log10(m) + decade
                if lo <= x <= hi:
                    out.append((float(x), f"{m * 10.0 ** decade:.2g}×"))
        if len(out) >= 3:
            break
    return out


def _finished_text(result: CalibrationResult) -> str:
    """The status line of a calibration that was applied."""
    return (f"Calibrated in {result.seconds:.1f} s from the {result.prior_choice.describe()}: "
            f"{result.convergence.message}; {result.status_line()}.")


#: Delay (ms) between drawing a calibration's result and opening the calibrated twin.
APPLY_DELAY_MS = 20

def _summaries(curves: list[dict]) -> list:
    """Saved curve fits (``CurveFitSummary.to_dict``) back as summaries; unreadable ones are
    left out of the table (the chart and summary still show what they hold)."""
    from twinviewer.personalize.volume_curve import CurveFitSummary

    out = []
    for c in curves:
        try:
            out.append(CurveFitSummary.from_dict(c))
        except (KeyError, TypeError, ValueError):
            continue
    return out


def _curve_line(c: dict) -> str:
    """'LV volume curve: 25 phases, RMS z 0.52, χ²/K 0.40, 0 missed (|z| > 2)'."""
    flag = " — <span style='color:#a00000'>flagged</span>" if c.get("flag") else ""
    return (f"{html.escape(str(c.get('chamber', '?')))} volume curve: {c.get('phases', '?')} "
            f"phases, RMS z {float(c.get('rms_z', np.nan)):.2f}, χ²/K "
            f"{float(c.get('chi2_per_phase', np.nan)):.2f}, {c.get('missed_phases', '?')} "
            f"missed (|z| &gt; 2){flag}")


def _stored_html(summary: dict, n_fit: int, curves: list[dict],
                 intervals: bool = False, label: Callable[[str], str] = str,
                 counts: str = "") -> str:
    """The summary of a calibration read back from the twin's audit trail; ``counts``: the
    parameters by state (:func:`twinviewer.personalize.parameter_count.counts_text`)."""
    ratio = summary.get("identifiability", {}).get("width_ratio", {})
    learnt = sorted(summary.get("calibrated", []), key=lambda p: ratio.get(p, 1.0))
    calibrated = ", ".join(f"{label(p)} {ratio[p]:.2f}" if p in ratio else label(p)
                           for p in learnt)
    parts = [f"<b>Saved calibration</b>: {html.escape(str(summary.get('method', '?')))}, "
             f"{summary.get('n_members', '?')} posterior members"
             + (f"; {html.escape(summary['convergence'].get('message', ''))}"
                if isinstance(summary.get("convergence"), dict) else "") + ".",
             "<b>Calibrated</b>" + (" (posterior/prior 90 % width)" if ratio else "")
             + f": {html.escape(calibrated) or 'none'}"]
    if counts:
        parts.insert(1, f"<b>Parameters</b>: {html.escape(counts)}.")
    if summary.get("fit") is not None:  # the one account (review13 #9)
        parts.append("<b>Data</b>: " + html.escape(calibration_account(summary).calibration_text()))
    elif summary.get("measurements"):
        parts.append("<b>To</b>: " + html.escape(", ".join(summary["measurements"])))
    prior = summary.get("prior") if isinstance(summary.get("prior"), dict) else {}
    # the prior it started from, kept in the file (review13 #7), and the heart's size in it
    parts.append("<b>Prior</b>: " + html.escape(prior_of_record(summary) or "")
                 + (f"; {html.escape(describe_size(prior['size_factor'], prior['size_log_sd']))}"
                    if prior.get("size_factor") else "") + ".")
    parts += [_curve_line(c) for c in summary.get("volume_curves", [])]
    misfits = summary.get("misfits") or []
    if misfits:
        parts.append("<span style='color:#a00000'><b>Missed by the posterior predictive "
                     "(|z| &gt; 2)</b>: " + "; ".join(html.escape(m) for m in misfits)
                     + "</span>")
    elif summary.get("status"):
        parts.append(f"<b>Fit</b>: {html.escape(summary['status'])}")
    again = [c for c in curves if c.get("recomputed")]
    if again:
        parts.append("<b>Chart</b>: the saved posterior ensemble's fit to the image volume "
                     "curves, recomputed from its simulation (this file kept the numbers "
                     "above only): " + "; ".join(_curve_line(c) for c in again))
    if summary.get("partial"):
        who = summary.get("command") or "an earlier version"
        parts.append(f"<i>This file's calibration entry (written by {html.escape(who)}, "
                     f"TwinViewer {html.escape(str(summary.get('app_version', '?')))}) keeps "
                     "no fit table: Calibrate again to see it.</i>")
    elif not n_fit:
        parts.append("<i>No fit table was saved with this calibration.</i>")
    if not intervals:
        parts.append("<i>Calibrate again to see the parameter interval plot"
                     + (" (the chart shows the volume-curve fit)." if curves else ".")
                     + "</i>")
    elif curves:
        parts.append("<i>The chart shows the volume-curve fit (the parameter intervals are "
                     "kept in the file).</i>")
    return "<br>".join(parts)


def _state(r: CalibrationResult, name: str) -> str:
    """The one state of parameter ``name`` after ``r``, as its provenance records it (a
    posterior as wide as its prior is :data:`NOT_INFORMED`, not "calibrated")."""
    if name in r.identifiability.uninformed:
        return NOT_INFORMED
    if name in r.identifiability.leaned:
        return MOVED_NOT_NARROWED
    return r.provenance[name].source.value


def _account(r: CalibrationResult):
    """What ``r`` used, in the words of ``twin create``, ``info`` and the report (one
    function: :func:`~twinviewer.io.measurement_use.calibration_account`)."""
    return calibration_account({"fit": [vars(f) for f in r.fit],
                                "volume_curves": [c.audit() for c in r.curve_fit]})


def _summary_html(r: CalibrationResult, label: Callable[[str], str] = str) -> str:
    ident = r.identifiability
    parts = [f"<b>Method</b>: {r.method}; {r.ensemble.shape[0]} posterior members; "
             f"{r.convergence.message}.",
             f"<b>Prior</b>: {html.escape(r.prior_choice.describe())}"
             + (f"; {html.escape(r.size_text())}." if r.size_factor else "."),
             f"<b>Data</b>: {html.escape(_account(r).calibration_text())}.",
             f"<b>Parameters</b>: "
             f"{html.escape(counts_text(r.provenance, r.parameter_names))}."]
    if r.calibrated:
        learnt = sorted(r.calibrated, key=lambda p: ident.width_ratio.get(p, 1.0))
        parts.append("<b>Calibrated</b> (posterior/prior 90 % width): " + ", ".join(
            f"{label(p)} {ident.width_ratio[p]:.2f}" for p in learnt))
    if r.measured_parameters:
        parts.append("<b>Measured</b>: " + ", ".join(
            f"{label(p)} ← {m}" + (" (its prior, narrowed by the other data: calibrated)"
                                   if p in r.calibrated else
                                   " (its prior, weighed with the other data)"
                                   if "weighed with" in r.provenance[p].detail else "")
            for p, m in r.measured_parameters.items()))
    parts.append(f"<b>Left at the prior</b> (not informed by these data): "
                 f"{len(ident.at_prior)} parameters "
                 f"({', '.join(label(p) for p in ident.at_prior[:8])}"
                 f"{'…' if len(ident.at_prior) > 8 else ''})")
    if ident.uninformed:
        parts.append(f"<b>Reached by the data but not narrowed</b> (posterior/prior 90 % width "
                     f"≥ {AT_PRIOR}, so {NOT_INFORMED}): " + ", ".join(
                         f"{label(p)} {ident.width_ratio[p]:.2f}" for p in ident.uninformed))
    if ident.leaned:
        parts.append(f"<b>Moved by the data but not narrowed</b> (posterior/prior 90 % width "
                     f"≥ {AT_PRIOR}; the fit leans on these, look at them first): " + ", ".join(
                         f"{label(p)} {ident.width_ratio[p]:.2f}"
                         + (" — wider than its prior" if ident.width_ratio[p] > 1.1 else "")
                         for p in ident.leaned))
    if ident.correlations:
        parts.append("<b>Traded off against each other</b>: " + ", ".join(
            f"{label(a)} ~ {label(b)} ({c:+.2f})" for a, b, c in ident.correlations[:5]))
    if ident.suggestions:
        parts.append("<b>Would help most next</b> (expected narrowing of the unmeasured "
                     "headline predictions): " + ", ".join(
                         f"{s.label} ({percent(s.variance_reduction)})" for s in ident.suggestions))
    predictions = shown(r)["predictions"]
    if predictions:
        beyond = [k for k, (_, lo, hi, _u) in predictions.items() if beyond_plausible(k, lo, hi)]
        parts.append("<b>Unmeasured predictions</b> (90 %: posterior ensemble with the learned "
                     "model discrepancy): " + ", ".join(
                         f"{k} {interval(med, lo, hi)} {unit}{beyond_mark(k, lo, hi)}"
                         for k, (med, lo, hi, unit) in predictions.items())
                     + (f". {html.escape(beyond_legend(beyond))}" if beyond else ""))
    if r.flagged:
        parts.append("<span style='color:#a00000'><b>Missed by the posterior predictive "
                     "(|z| &gt; 2)</b>: " + "; ".join(html.escape(m) for m in r.misfits)
                     + "</span>")
    else:
        parts.append(f"<b>Fit</b>: {html.escape(r.status_line())}")
    for d in r.divergence:
        parts.append(f"<span style='color:#a00000'><b>Divergence since the last visit</b>: "
                     f"{html.escape(d)}</span>")
    if r.from_previous:
        parts.append("<i>No divergence flag does not mean all is well.</i>")
    parts += [f"<span style='color:#8a5a00'>⚠ {html.escape(w)}</span>" for w in r.warnings]
    return "<br>".join(parts)
