"""The predicted clinical metrics with their 90 % interval, and measured values beside them.

Predicted and measured are separate columns and are never blended. Measurements come from
``twin.measurements`` and from the anatomy's image-derived measurements (e.g. LVEDV from CT
segmentation), each with its source.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

import twinviewer
from twinviewer.core.format import interval, number, percent, unit_cell
from twinviewer.core.format import unit as unit_text  # `unit` is shadowed in _measured
from twinviewer.core.interval_marks import prior_note
from twinviewer.gui.prepared import shown_interval_of
from twinviewer.gui.state import TwinState
from twinviewer.gui.table_fit import fit_columns, keep_fitted, whole_rows
from twinviewer.io.measurement_use import in_force, is_assumed
from twinviewer.personalize.shown import MARK, MARK_ENSEMBLE, MARK_LEGEND, context_of_twin, row_mark
from twinviewer.physiology import METRICS
from twinviewer.physiology.plausible import (
    BEYOND,
    MEANING,
    beyond_legend,
    beyond_mark,
    beyond_plausible,
)

# two-line headers: all four columns fit a 350 px step column (1280×720)
COLUMNS = ("Metric", "Predicted\n(5–95 %)", "Unit", "Measured\n± SD")
HEADER_TIPS = ("Hover a metric for its name and definition",
               f"Model prediction: median over the ensemble, with its 90 % interval ({MARK}: "
               f"with the learned model error, for outputs not measured; {MARK_ENSEMBLE}: the "
               "ensemble's alone, without model error)",
               "Unit of the prediction (and of the measurement unless stated)",
               "Measured value with one standard deviation and its source; never blended "
               "with the prediction. A value marked \"assumed\" was not measured.")


_fmt = number  # the app's one number formatter (core/format.py)
#: The colour of a prediction whose interval leaves the plausible range (the research note's).
BEYOND_COLOR = "#8a5a00"

#: Shown instead of the table when no twin is open.
NO_TWIN = "No twin is open: open one (File menu) to see its predicted metrics."


def format_prediction(med: float, lo: float, hi: float) -> str:
    """``'58 (52–63)'``; a dash when nothing is known."""
    return interval(med, lo, hi)



def preset_prior_note(twin) -> str:
    """:func:`~twinviewer.core.interval_marks.prior_note` for a twin made from a preset and
    not calibrated (its ensemble is the preset's parameter-uncertainty prior), else ''."""
    origin = getattr(twin, "origin", "") or ""
    ens = getattr(twin, "ensemble", None)
    if not origin.startswith("preset:") or getattr(twin, "ensemble_kind", "") != "prior" \
            or ens is None or len(ens) < 2:
        return ""
    from twinviewer.physiology import get_preset

    try:
        title = get_preset(origin.split(":", 1)[1]).title
    except Exception:  # noqa: BLE001 - a preset this version lacks: its name
        title = origin.split(":", 1)[1]
    return prior_note(title, len(ens)) + "."

class MetricsPanel(QWidget):
    """Table of every model metric: median (5–95 %) with unit, and the measurement if any."""

    title = "Metrics"

    def __init__(self, state: TwinState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for i, tip in enumerate(HEADER_TIPS):
            self.table.horizontalHeaderItem(i).setToolTip(tip)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        keep_fitted(self.table)  # every column in view; long cells wrap
        self.sources = QLabel("")
        self.sources.setWordWrap(True)
        self.note = QLabel(twinviewer.RESEARCH_USE)
        self.note.setStyleSheet("color: #8a5a00;")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(whole_rows(self.table), 1)  # no row cut in half at the bottom
        lay.addWidget(self.sources)
        lay.addWidget(self.note)
        self._shown: tuple = ()  # (twin, results) the table shows
        state.resultsChanged.connect(self._on_results)
        state.twinChanged.connect(lambda _: self.refresh())
        self.refresh()

    def _on_results(self, _results) -> None:
        # opening a twin with its results fires both events: the twin's refresh already
        # showed these results
        # by identity: `!=` on the tuple falls through to the dataclasses' __eq__, which
        # compares numpy arrays and raises on a new twin object of the same document
        shown = self._shown
        if not (len(shown) == 2 and shown[0] is self.state.twin
                and shown[1] is self.state.results):
            self.refresh()

    def _measured(self, name: str, unit: str) -> tuple[str, str]:
        twin = self.state.twin
        # the values in force only (the PDF's rule): an entered value wins over the images',
        # an image SV or EF whose volumes were replaced is not shown
        m = in_force(twin).get(name) if twin is not None else None
        if m is None:
            return "", ""
        try:
            m = m.to(unit)
        except Exception:  # noqa: BLE001 - show as measured, in its own unit
            pass
        unit = "" if m.unit == unit else f" {unit_text(m.unit)}"  # the Unit column holds the rest
        shown = f"{_fmt(m.value)} ± {_fmt(m.uncertainty)}{unit}"
        # an assumption is never shown as a measurement: the cell itself says "assumed"
        return (f"assumed {shown}" if is_assumed(m) else shown), m.source or "unknown source"

    def shown_metrics(self) -> list:
        """The metrics that bear on this twin: a lesion's or device's rows (regurgitant
        volumes, shunt flow, LVAD flow) only when some member has it, or it was measured."""
        from twinviewer.physiology.metrics import relevant_metrics

        twin = self.state.twin
        if twin is None:
            return list(METRICS)
        from twinviewer.twins import model_of

        try:
            model = model_of(twin)
            keep = {m.name for m in relevant_metrics(model.parameter_names, twin.ensemble)}
        except Exception:  # noqa: BLE001 - unknown model: show every row
            return list(METRICS)
        anatomy = getattr(twin, "anatomy", None)
        measured = {m.name for m in [*(getattr(twin, "measurements", None) or ()),
                                     *(getattr(anatomy, "measurements", None) or ())]}
        return [m for m in METRICS if m.name in keep or m.name in measured]

    def refresh(self) -> None:
        """Rebuild the table from the open twin and its results."""
        r = self.state.results
        self._shown = (self.state.twin, r)
        if self.state.twin is None:  # closed: no rows "waiting for predictions…"
            self.metrics = []
            self.table.setRowCount(0)
            self.sources.setText(NO_TWIN)
            return
        rows = []
        sources: list[str] = []
        self.metrics = self.shown_metrics()
        ctx = context_of_twin(self.state.twin)  # the one shown interval (personalize.shown)
        marked = False
        beyond: list[str] = []  # outputs whose interval leaves the plausible range
        for m in self.metrics:
            if r is None or m.name not in r.metrics:
                pred = "waiting for predictions…" if r is None else "–"
            elif m.unit == "1" and set(np.unique(r.metrics[m.name][r.ok])) <= {0.0, 1.0}:
                share = float(np.mean(r.metrics[m.name][r.ok])) if r.ok.any() else float("nan")
                pred = f"yes in {percent(share)} of members" if np.isfinite(share) else "–"
            else:
                shown_iv = shown_interval_of(r, m.name, ctx)  # the job's
                pred = format_prediction(*shown_iv)
                # † incl. the model's own error, ‡ the ensemble's alone (review15b #5)
                pred += row_mark(ctx, m.name)
                marked = marked or ctx is not None
                if beyond_plausible(m.name, *shown_iv[1:]):  # marked, never clipped
                    pred += beyond_mark(m.name, *shown_iv[1:])
                    beyond.append(m.name)
            measured, source = self._measured(m.name, m.unit)
            if source and source not in sources:
                sources.append(source)
            if source:
                measured += " " + "*" * (sources.index(source) + 1)
            # LVEF, but "Forward stroke volume" and "Qp:Qs" (not QpQs)
            shown = m.name if m.name.isalnum() and m.name.isupper() else m.label
            tip = f"{m.label}: {m.description}" if m.label else m.description
            if m.name in beyond:
                tip += f"\n{BEYOND} {beyond_plausible(m.name, *shown_iv[1:])}: {MEANING}"
            rows.append((shown, pred, unit_cell(m.unit), measured, tip))
        prior = preset_prior_note(self.state.twin)  # not a population (review15b #10)
        self.sources.setText("  ".join(  # an assumed value says so, never "measured by"
            [f"{'*' * (i + 1)} {s}" if s.startswith("assumed") else
             f"{'*' * (i + 1)} measured by {s}" for i, s in enumerate(sources)]
            + ([MARK_LEGEND] if marked else [])
            + ([prior] if prior and r is not None else [])
            + ([beyond_legend(beyond)] if beyond else [])))
        self.table.setUpdatesEnabled(False)
        # fill first, then measure once (re-measuring at every setItem took ~0.9 s)
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            for j, text in enumerate(row[:4]):
                item = QTableWidgetItem(text)
                item.setToolTip(row[4])
                if j == 1 or j == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight |
                                          Qt.AlignmentFlag.AlignVCenter)
                if j == 1 and BEYOND in text:  # beyond the plausible range: seen at a glance
                    item.setForeground(QColor(BEYOND_COLOR))
                self.table.setItem(i, j, item)
        fit_columns(self.table)
        self.table.setUpdatesEnabled(True)

    def text_of(self, metric: str) -> tuple[str, str]:
        """(predicted, measured) cell texts of ``metric`` (for tests and reports)."""
        for i, m in enumerate(self.metrics):
            if m.name == metric:
                return self.table.item(i, 1).text(), self.table.item(i, 3).text()
        raise KeyError(metric)

