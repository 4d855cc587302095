"""The living twin's timeline: visits, each parameter's trajectory with its 90 % interval, any
quantity's predicted and measured values over time (never blended), the prediction-check flags
with the statement that no flag does not mean all is well, wearable series, and the consent
ledger with withdrawal. Adding a visit (FHIR bundle, wearable CSV) and re-calibrating after a
model change run in the background through ``state.run_job``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

import twinviewer
from twinviewer.core.consent import CONSENTS
from twinviewer.core.format import unit as shown_unit
from twinviewer.gui import file_dialogs
from twinviewer.gui.axes import plain_axes
from twinviewer.gui.flow_layout import FlowLayout, compact, labelled
from twinviewer.gui.wrapped_title import WrappedTitlePlot
from twinviewer.personalize import timeline as tl
from twinviewer.personalize.quantities import QUANTITY_BY_NAME
from twinviewer.physiology import MODELS

FLAG_COLUMNS = ("Day", "Quantity", "Measured", "Predicted before (90 %)", "Surprise", "z", "")
PREDICTED = (70, 130, 220)
MEASURED = (230, 120, 20)


class TimelinePanel(QWidget):
    """Visits of the open twin on a timeline (see the module docstring)."""

    title = "Timeline"

    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._twin = None
        self._warned = None
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("color: #8a1c00; font-weight: bold;")
        self.recalibrate_button = QPushButton("Re-calibrate with the installed model")
        self.recalibrate_button.clicked.connect(self.recalibrate)

        self.parameter = QComboBox()
        self.parameter.currentTextChanged.connect(lambda _t: self._plot_parameter())
        self.quantity = QComboBox()
        self.quantity.currentTextChanged.connect(lambda _t: self._plot_quantity())
        self.param_plot = WrappedTitlePlot()  # never wider than the panel (G8)
        self.param_plot.setLabel("bottom", "day since the first visit")
        self.metric_plot = WrappedTitlePlot()  # never wider than the panel (G8)
        self.metric_plot.setLabel("bottom", "day since the first visit")
        self.metric_plot.addLegend(offset=(5, 5))
        self.series_plot = pg.PlotWidget()
        self.series_plot.setLabel("bottom", "hours since the first reading")
        self.series_plot.addLegend(offset=(5, 5))
        self.series_plot.setVisible(False)
        for plot in (self.param_plot, self.metric_plot, self.series_plot):
            plain_axes(plot.getPlotItem())  # days, hours, a parameter < 1: as they are

        self.flags = QTableWidget(0, len(FLAG_COLUMNS))
        self.flags.setHorizontalHeaderLabels(FLAG_COLUMNS)
        self.flags.verticalHeader().setVisible(False)
        self.flags.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.flags.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.caveat = QLabel(tl.NO_FLAG_CAVEAT)
        self.caveat.setWordWrap(True)
        self.caveat.setStyleSheet("color: #8a5a00;")

        self.sources = QComboBox()
        self.withdraw_button = QPushButton("Withdraw this source…")
        self.withdraw_button.clicked.connect(self.withdraw)
        self.fhir_button = QPushButton("Add visit from FHIR bundle…")
        self.fhir_button.clicked.connect(lambda: self._add_from_file("fhir"))
        self.wearable_button = QPushButton("Add wearable CSV…")
        self.wearable_button.clicked.connect(lambda: self._add_from_file("wearable"))

        self.day = QSpinBox()
        self.day.setRange(-1, 36500)
        self.day.setValue(-1)
        self.day.setSpecialValueText("auto")
        self.day.setSuffix(" d")
        self.day.setToolTip("Day offset of the new visit from the first visit. 'auto': from "
                            "the FHIR effective times, else the last visit + 1.")
        self.consent = QComboBox()
        self.consent.addItems(["(default)", *CONSENTS])
        self.consent.setToolTip("Consent under which the new data are used (default: "
                                "treatment for FHIR, patient-provided for wearables)")
        row = QFormLayout()  # one control a line: fits a narrow step column
        row.addRow("Parameter", compact(self.parameter))
        row.addRow("Quantity", compact(self.quantity))
        add = FlowLayout()  # wraps onto further lines at 1280×720
        add.addWidget(labelled("Visit day", self.day))
        add.addWidget(labelled("Consent", compact(self.consent)))
        add.addWidget(self.fhir_button)
        add.addWidget(self.wearable_button)
        ledger = FlowLayout()
        ledger.addWidget(labelled("Data source", compact(self.sources)))
        ledger.addWidget(self.withdraw_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.banner)
        lay.addWidget(self.recalibrate_button)
        lay.addWidget(self.summary)
        lay.addLayout(add)
        lay.addLayout(row)
        lay.addWidget(self.param_plot, 2)
        lay.addWidget(self.metric_plot, 2)
        lay.addWidget(self.series_plot, 1)
        lay.addWidget(QLabel("Prediction check before each update"))
        lay.addWidget(self.flags, 1)
        lay.addWidget(self.caveat)
        lay.addLayout(ledger)
        research = QLabel(twinviewer.RESEARCH_USE)
        research.setStyleSheet("color: #8a5a00;")
        lay.addWidget(research)
        state.twinChanged.connect(self.show_twin)
        self.show_twin(state.twin)

    # -- showing ----------------------------------------------------------------------------
    def show_twin(self, twin) -> None:
        """Fill every view from ``twin`` (None clears them)."""
        self._twin = twin
        has = twin is not None
        for b in (self.fhir_button, self.wearable_button):
            b.setEnabled(has)
        change = tl.model_change(twin) if has else None
        self.banner.setVisible(bool(change))
        self.recalibrate_button.setVisible(bool(change) and bool(twin and twin.visits))
        if change and twin is not self._warned:
            self._warned = twin
            self.state.warn(f"Timeline: {change}; the timeline panel offers re-calibration "
                            "with the installed model (both results kept side by side).")
        if change:
            self.banner.setText(f"The model changed: {change}. This twin's results are from "
                                "the earlier model; re-calibrate to compare both side by side.")
        if not has or not twin.visits:
            self.summary.setText("No visits yet. Add one from a FHIR bundle or a wearable "
                                 "CSV (or `twinviewer visit add`).")
        else:
            self.summary.setText(
                f"{len(twin.visits)} visit(s) on days "
                f"{', '.join(str(v.day) for v in twin.visits)}; each visit starts from the "
                f"previous posterior. {check_text(twin.visits)}"
                + (f" {len(twin.timeline.get('superseded', []))} earlier model result(s) kept "
                   "for comparison." if twin.timeline.get("superseded") else ""))
        self._fill_choices(twin)
        self._plot_parameter()
        self._plot_quantity()
        self._plot_series()
        self._fill_flags()
        self.sources.clear()
        if has:
            self.sources.addItems(twin.ledger.sources())
        self.withdraw_button.setEnabled(has and self.sources.count() > 0)

    def _fill_choices(self, twin) -> None:
        keep_p, keep_q = self.parameter.currentData(), self.quantity.currentText()
        self.parameter.blockSignals(True)
        self.quantity.blockSignals(True)
        self.parameter.clear()
        self.quantity.clear()
        model = MODELS.get(twin.model_name) if twin is not None else None
        if model is not None and twin.visits:
            for p in model.parameters:  # in words; the code name is the item's data
                self.parameter.addItem(p.label or p.name, p.name)
                self.parameter.setItemData(self.parameter.count() - 1, p.name,
                                           Qt.ItemDataRole.ToolTipRole)
            self.parameter.setCurrentIndex(max(0, self.parameter.findData(keep_p or "LV.EA")))
            # what the twin predicted and what was measured (a visit made before the twin
            # kept its predictions still has its measurements to show)
            measured = [m.name for v in twin.visits for m in v.measurements
                        if m.name in QUANTITY_BY_NAME]
            names = sorted({q for v in twin.visits for q in v.predicted} | set(measured))
            self.quantity.addItems(names)
            self.quantity.setCurrentText(keep_q or (measured[0] if measured else "SBP"))
        self.parameter.blockSignals(False)
        self.quantity.blockSignals(False)

    def _say_empty(self, plot: pg.PlotWidget, what: str) -> None:
        """An empty plot says why it is empty (review16 #11d: a bare frame with an axis)."""
        twin = self._twin
        why = ("no twin is open" if twin is None else
               "no visits yet: add one above" if not twin.visits else
               f"no {what} chosen" if what == "parameter" or self.quantity.count() else
               "no visit recorded a quantity the model predicts")
        plot.setTitle(f"Nothing to plot: {why}", color="#505050")
        plot.getAxis("left").setLabel("")

    def _plot_parameter(self) -> None:
        self.param_plot.clear()
        twin, name = self._twin, self.parameter.currentData()
        if twin is None or not twin.visits or not name:
            self._say_empty(self.param_plot, "parameter")
            return
        try:
            tr = tl.trajectory(twin, name)
        except KeyError:
            return
        days, med, lo, hi = (np.array(x, dtype=float) for x in zip(*tr, strict=True))
        par = MODELS[twin.model_name].parameter(name)
        label, unit = par.label or name, shown_unit(par.unit)
        # short title (the axis names the parameter): not clipped at 1280 × 720
        self.param_plot.setTitle("posterior median and 90 % interval per visit")
        self.param_plot.getAxis("left").setLabel(f"{label} ({unit})" if unit else label)
        self.param_plot.addItem(pg.ErrorBarItem(x=days, y=med, top=hi - med, bottom=med - lo,
                                                beam=_beam(days), pen=pg.mkPen(PREDICTED)))
        self.param_plot.plot(days, med, pen=pg.mkPen(PREDICTED, width=2), symbol="o",
                             symbolBrush=PREDICTED)
        self.param_plot.setXRange(*day_range(days), padding=0)

    def _plot_quantity(self) -> None:
        self.metric_plot.clear()
        twin, name = self._twin, self.quantity.currentText()
        if twin is None or not twin.visits or not name:
            self._say_empty(self.metric_plot, "quantity")
            return
        hist = tl.metric_history(twin, name)
        unit = QUANTITY_BY_NAME[name].unit if name in QUANTITY_BY_NAME else ""
        self.metric_plot.setTitle(f"{name}: twin (median, 90 % interval) and measured")
        self.metric_plot.getAxis("left").setLabel(f"{name} ({unit})")
        p = [h for h in hist if "predicted" in h]
        if p:
            d = np.array([h["day"] for h in p], dtype=float)
            med = np.array([h["predicted"]["median"] for h in p])
            lo = np.array([h["predicted"]["lo"] for h in p])
            hi = np.array([h["predicted"]["hi"] for h in p])
            self.metric_plot.addItem(pg.ErrorBarItem(x=d, y=med, top=hi - med,
                                                     bottom=med - lo, beam=_beam(d),
                                                     pen=pg.mkPen(PREDICTED)))
            self.metric_plot.plot(d, med, pen=pg.mkPen(PREDICTED, width=2), symbol="o",
                                  symbolBrush=PREDICTED, name="twin (after the visit)")
        m = [h for h in hist if "measured" in h]
        if m:
            # drawn a hair to the right of the prediction so both stay visible (same day)
            d = np.array([h["day"] for h in m], dtype=float)
            d = d + 0.3 * _beam(d)
            v = np.array([h["measured"]["value"] for h in m])
            sd = np.array([h["measured"]["sd"] for h in m])
            self.metric_plot.addItem(pg.ErrorBarItem(x=d, y=v, height=2 * sd, beam=_beam(d),
                                                     pen=pg.mkPen(MEASURED)))
            self.metric_plot.plot(d, v, pen=None, symbol="s", symbolBrush=MEASURED,
                                  name="measured (± 1 SD)")
        days = np.array([h["day"] for h in hist], dtype=float)
        if days.size:
            self.metric_plot.setXRange(*day_range(days), padding=0)

    def _plot_series(self) -> None:
        self.series_plot.clear()
        twin = self._twin
        series = [v.series for v in (twin.visits if twin else []) if v.series.get("hours")]
        self.series_plot.setVisible(bool(series))
        if not series:
            return
        s = series[-1]
        self.series_plot.setTitle(f"Wearable series ({s.get('source', '')}), latest visit")
        hours = np.asarray(s["hours"], dtype=float)
        colours = {"HR": (200, 40, 40), "SBP": (40, 40, 200), "DBP": (40, 140, 200)}
        for key, col in colours.items():
            if key in s:
                self.series_plot.plot(hours, np.asarray(s[key], dtype=float),
                                      pen=pg.mkPen(col), name=key)
        self.series_plot.getAxis("left").setLabel("HR (bpm) / BP (mmHg)")

    def _fill_flags(self) -> None:
        twin = self._twin
        rows = [(v.day, f) for v in (twin.visits if twin else []) for f in v.flags]
        self.flags.setRowCount(len(rows))
        for r, (day, f) in enumerate(rows):
            cells = (str(day), f["name"], f"{f['measured']:.3g} {f['unit']}",
                     f"{f['median']:.3g} ({f['lo']:.3g}–{f['hi']:.3g}) {f['unit']}",
                     f"{f['surprise']:+.3g} {f['unit']}", f"{f['z']:+.1f}",
                     "FLAG: outside the predictive interval" if f["outside"] else "")
            for c, text in enumerate(cells):
                self.flags.setItem(r, c, QTableWidgetItem(text))

    # -- actions ----------------------------------------------------------------------------
    def _add_from_file(self, kind: str) -> None:
        flt = "FHIR bundle (*.json)" if kind == "fhir" else "Wearable series (*.csv)"
        path, _ = file_dialogs.get_open_file_name(self, "Add a visit", "", flt)
        if path:
            self.add_visit(kind, path)

    def add_visit(self, kind: str, path: str) -> None:
        """Add a visit from a FHIR bundle or a wearable CSV in the background."""
        from twinviewer import living

        twin = self._twin
        if twin is None:
            return
        fn = living.add_fhir_visit if kind == "fhir" else living.add_wearable_visit
        day = None if self.day.value() < 0 else self.day.value()
        kw = {} if self.consent.currentIndex() == 0 else {"consent": self.consent.currentText()}
        self.state.run_job(
            "Add visit", lambda p, c: fn(twin, path, day=day, progress=p, cancel=c, **kw),
            lambda rep: self._apply(twin, rep.twin, "\n".join(rep.lines())),
            lambda exc: self.summary.setText(f"Visit not added (the twin is unchanged): {exc}"))

    def withdraw(self) -> None:
        """Withdraw the selected source: its data leave and the twin is re-calibrated."""
        from twinviewer import living

        twin, source = self._twin, self.sources.currentText()
        if twin is None or not source:
            return
        self.state.run_job(
            f"Withdraw {source}",
            lambda p, c: living.withdraw_source(twin, source, progress=p, cancel=c),
            lambda out: self._apply(twin, out[0], f"Withdrawn {source}; re-calibrated from "
                                                  "the remaining data."),
            lambda exc: self.summary.setText(f"Not withdrawn (the twin is unchanged): {exc}"))

    def recalibrate(self) -> None:
        """Re-calibrate every visit with the installed model, keeping the earlier results."""
        from twinviewer import living

        twin = self._twin
        if twin is None:
            return
        self.state.run_job(
            "Re-calibrate with the installed model",
            lambda p, c: living.recalibrate_new_model(twin, progress=p, cancel=c),
            lambda new: self._apply(twin, new, "Re-calibrated with the installed model; the "
                                               "earlier model's results are kept beside."),
            lambda exc: self.summary.setText(f"Not re-calibrated: {exc}"))

    def _apply(self, old, new, text: str) -> None:
        if self.state.twin is not old:  # the user opened another twin meanwhile
            return
        self.state.session.set_twin(new)
        self.state.info(text.splitlines()[0])
        self.summary.setText(self.summary.text() + "\n" + text)


def day_range(days: np.ndarray) -> tuple[float, float]:
    """The x range of a visit plot: from just before the first visit (room for its marker,
    too little for a tick: no day before the first is labelled as if it existed) to a margin
    after the last, a week after a single visit (auto-range put one visit on day 0 in an axis
    from −150 days; ±2 days showed "−1.5 day since the first visit": newuser17b G8).

    Examples
    --------
    >>> day_range(np.array([0.0])), day_range(np.array([0.0, 100.0]))
    ((-0.3, 7.0), (-1.5, 108.0))
    """
    lo, hi = float(np.nanmin(days)), float(np.nanmax(days))
    # half an error bar's beam (_beam) before the first: far less than a tick step
    return lo - max(0.015 * (hi - lo), 0.3), hi + max(0.08 * (hi - lo), 7.0 if hi == lo else 2.0)


def check_text(visits) -> str:
    """What the prediction check found over ``visits``, or that none could run: a flag count
    of 0 is said only where a check ran (newuser17b G5).

    Examples
    --------
    >>> from types import SimpleNamespace as V
    >>> check_text([V(flags=[])])
    'No prediction check (single visit): a check needs a later visit predicted before its data.'
    >>> check_text([V(flags=[]), V(flags=[{"outside": True}, {"outside": False}])])
    'Prediction check at 1 later visit(s): 1 of 2 measurement(s) flagged.'
    """
    checked = [v for v in visits if v.flags]
    if len(visits) == 1 and not checked:
        return ("No prediction check (single visit): a check needs a later visit predicted "
                "before its data.")
    if not checked:
        return "No prediction check (no later visit was predicted before its data)."
    n = sum(len(v.flags) for v in checked)
    n_flag = sum(1 for v in checked for f in v.flags if f.get("outside"))
    return (f"Prediction check at {len(checked)} later visit(s): {n_flag} of {n} "
            "measurement(s) flagged.")


def _beam(days: np.ndarray) -> float:
    span = float(days.max() - days.min()) if days.size > 1 else 1.0
    return max(span * 0.02, 0.3)
