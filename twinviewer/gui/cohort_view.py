"""A cohort study from a spec file, run as a background job, and its results.

File → Cohort study… opens this window: choose a spec (YAML) and where to write the table
(Parquet); the run goes to the job bar (progress in chunks, Cancel) on the Dask jobs that
the ``twinviewer`` command injects (``state.distributed``). A cancelled or interrupted run
resumes from its persisted chunks when run again with the same spec and table. The outcome
lands in the document (``Document.cohort``) and is shown here: one row per scenario and
metric (median paired difference over patients with their spread, share of plausible twins
improved) and the plots (distributions, responder curves) drawn as PNG beside the table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

import twinviewer
from twinviewer.core.format import MISSING, number
from twinviewer.core.format import unit as unit_text
from twinviewer.gui.state import Job, TwinState
from twinviewer.gui.table_fit import fit_columns, keep_fitted

# two-line headers: the six columns fit the 980-px dialog
HEADERS = ("Scenario", "Metric", "Paired Δ,\nmedian over patients", "Patients'\nrange",
           "Improves in\n(median of twins)", "Patients improving\nin ≥ 50 %")


def _num(x: float | None, unit: str = "", sign: bool = True) -> str:
    """The app's one formatter (no '-0.0298 mmHg' below the reporting resolution)."""
    text = number(x, signed=sign)
    shown = unit_text(unit)
    return text + (f" {shown}" if shown and text != MISSING else "")


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f} %"


def summary_rows(outcome: dict[str, Any]) -> list[tuple[str, ...]]:
    """Table rows of a cohort outcome (see ``twinviewer.cohort.jobs.cohort_summary``).

    Examples
    --------
    >>> summary_rows({"summary": [{"scenario": "tavi", "metric": "CO", "unit": "L/min",
    ...     "diff_median": 0.4, "diff_lo": 0.1, "diff_hi": 0.9, "improved_median": 0.8,
    ...     "patients_improving": 0.75}]})[0][2]
    '+0.4 L/min'
    """
    rows = []
    for r in outcome.get("summary", []):
        unit = r.get("unit", "")
        rows.append((r["scenario"], r["metric"], _num(r["diff_median"], unit),
                     f"{_num(r['diff_lo'])} to {_num(r['diff_hi'], unit)}",
                     _pct(r.get("improved_median")), _pct(r.get("patients_improving"))))
    return rows


class CohortView(QWidget):
    """Run a cohort spec in the background and show the outcome kept by the document."""

    def __init__(self, state: TwinState, parent: QWidget | None = None,
                 **job_options: Any) -> None:
        super().__init__(parent)
        self.state = state
        self.job_options = job_options  # e.g. workers / processes (tests: small clusters)
        self.job: Job | None = None
        self.last_job: Job | None = None
        self.spec_path: Path | None = None
        self.output: Path | None = None
        self.run_button = QPushButton("Run a cohort spec…")
        self.resume_button = QPushButton("Run again / resume")
        self.resume_button.setEnabled(False)
        self.resume_button.setToolTip("Completed chunks are kept: the same spec and table "
                                      "continue where the last run stopped")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        keep_fitted(self.table)  # every column in view, long cells wrap
        self.responders = QLabel("")
        self.responders.setWordWrap(True)
        self.plots = QWidget()
        self.plot_layout = QVBoxLayout(self.plots)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        self.plot_scroll = scroll
        # a steady viewport width for scaling the figures to it
        scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.plot_layout.setContentsMargins(0, 0, 0, 0)
        scroll.setWidget(self.plots)
        note = QLabel(twinviewer.RESEARCH_USE)
        note.setStyleSheet("color: #8a5a00;")
        top = QHBoxLayout()
        top.addWidget(self.run_button)
        top.addWidget(self.resume_button)
        top.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.status)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.responders)
        lay.addWidget(scroll, 2)
        lay.addWidget(note)
        self.run_button.clicked.connect(self.choose_and_run)
        self.resume_button.clicked.connect(self.resume)
        state.studiesChanged.connect(self._on_studies)
        state.jobFinished.connect(self._job_finished)
        if state.session.cohort is not None:
            self.show_outcome(state.session.cohort)

    # ------------------------------------------------------------------ running
    def choose_and_run(self) -> None:
        spec, _ = QFileDialog.getOpenFileName(self, "Cohort spec", "", "Cohort spec (*.yaml *.yml)")
        if not spec:
            return
        default = str(Path(spec).with_suffix(".parquet"))
        out, _ = QFileDialog.getSaveFileName(self, "Write the cohort table to", default,
                                             "Parquet table (*.parquet)")
        if out:
            self.start(spec, out)

    def resume(self) -> None:
        if self.spec_path is not None and self.output is not None:
            self.start(self.spec_path, self.output)

    def start(self, spec_path: Path | str, output: Path | str) -> Job | None:
        """Run ``spec_path`` to ``output`` as a background job (resumes a stopped run)."""
        engine = self.state.distributed
        if engine is None:
            self.state.error("Cohort studies need the Dask jobs of the twinviewer command: "
                             "start the app with `twinviewer gui`")
            return None
        if self.job is not None:
            self.state.warn("A cohort is already running; cancel it first")
            return None
        self.spec_path, self.output = Path(spec_path), Path(output)
        spec, out, options = self.spec_path, self.output, dict(self.job_options)
        self.status.setText(f"Running {spec.name} → {out.name}…")
        self.run_button.setEnabled(False)
        self.resume_button.setEnabled(False)

        def work(progress, is_cancelled):
            return engine.run_cohort_job(spec, out, progress, is_cancelled, **options)

        self.job = self.state.run_job(f"Cohort {spec.name}", work, self._done, self._failed)
        return self.job

    def _job_finished(self, job: Job) -> None:
        """Every end of the run (done, failed, cancelled) passes here first."""
        if job is not self.job:
            return
        self.job, self.last_job = None, job
        self.run_button.setEnabled(True)
        self.resume_button.setEnabled(True)
        if job.is_cancelled():
            self.status.setText("Cancelled. Completed chunks are kept: “Run again / resume” "
                                "continues where it stopped.")

    def _done(self, outcome: dict[str, Any]) -> None:
        self.state.session.set_cohort(outcome)  # → studiesChanged → show_outcome

    def _failed(self, exc: BaseException) -> None:
        if self.last_job is None or not self.last_job.is_cancelled():
            self.status.setText(f"The cohort run failed: {exc}")

    # ------------------------------------------------------------------ showing
    def _on_studies(self, kind: str, payload: Any) -> None:
        if kind == "cohort" and payload is not None:
            self.show_outcome(payload)

    def show_outcome(self, outcome: dict[str, Any]) -> None:
        """Fill the table, the responder lines and the plots of a cohort outcome."""
        rows = summary_rows(outcome)
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            for j, text in enumerate(row):
                self.table.setItem(i, j, QTableWidgetItem(text))
        fit_columns(self.table)
        level = 100 * outcome.get("level", 0.9)
        reused = outcome.get("chunks_reused", 0)
        self.status.setText(
            f"{outcome['patients']} patients × {outcome['members']} members, "
            f"{outcome['rows']} rows → {Path(outcome['output']).name} "
            f"({outcome['chunks']} chunks, {reused} reused from an earlier run; "
            f"{outcome['elapsed_s']:.1f} s "
            + (f"on {outcome['workers']} Dask workers). " if outcome["workers"]
               else "in this process). ") +
            f"Ranges are the patients' central {level:.0f} %.")
        lines = outcome.get("responder_lines") or []
        self.responders.setText("Responders (Spearman ρ of a feature with the benefit):\n"
                                + ("\n".join(lines) if lines else "none found"))
        while self.plot_layout.count():
            w = self.plot_layout.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        self._pixmaps = []
        for f in outcome.get("plots", []):
            label = QLabel()
            pix = QPixmap(f)
            if pix.isNull():
                label.setText(f"{Path(f).name}: cannot be shown (missing or unreadable)")
            else:
                self._pixmaps.append((label, pix))
            label.setAlignment(Qt.AlignmentFlag.AlignLeft)
            self.plot_layout.addWidget(label)
        self._scale_plots()

    def _scale_plots(self) -> None:
        """Each figure scaled to the width in view (a 1000-px figure cut off the third
        histogram in the 980-px dialog)."""
        width = max(self.plot_scroll.viewport().width() - 2, 200)
        for label, pix in getattr(self, "_pixmaps", []):
            label.setPixmap(pix if pix.width() <= width else pix.scaledToWidth(
                width, Qt.TransformationMode.SmoothTransformation))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        self._scale_plots()


def open_cohort_window(window) -> QDialog:
    """The cohort window of the main window (created once, kept while the app runs)."""
    dlg = getattr(window, "_cohort_dialog", None)
    if dlg is None:
        dlg = QDialog(window)
        dlg.setWindowTitle("Cohort study — TwinViewer")
        dlg.resize(980, 760)
        dlg.view = CohortView(window.state, dlg)
        QVBoxLayout(dlg).addWidget(dlg.view)
        window._cohort_dialog = dlg
    dlg.show()
    dlg.raise_()
    return dlg


def add_cohort_action(window, menu) -> None:
    """File → Cohort study…"""
    window._act(menu, "C&ohort study…", lambda: open_cohort_window(window))
