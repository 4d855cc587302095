"""Diagnose the hidden lesion: the app draws a virtual heart (seeded, optionally with random
severity), the student reads the measurements (and the PV loop if asked for), proposes a
diagnosis and severity, and gets a score with the numbers that decide it."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from twinviewer.gui.flow_layout import FlowLayout, labelled
from twinviewer.gui.state import TwinState
from twinviewer.gui.teaching_controls import LoopView, unit_text
from twinviewer.teaching.diagnose import Case, make_case, score
from twinviewer.teaching.grading import DIAGNOSES, SEVERITIES

GROUPS = {"vitals": "Vital signs", "echo": "Echocardiography", "pressures": "Catheter pressures"}


class DiagnosePanel(QWidget):
    """A hidden-lesion quiz on the virtual hearts."""

    title = "Diagnose the hidden lesion"
    step = "Teach"

    def __init__(self, state: TwinState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.case: Case | None = None
        self.seed = QSpinBox()
        self.seed.setRange(0, 999_999)
        self.random_sev = QCheckBox("random severity")
        self.random_sev.setChecked(True)
        self.pressures = QCheckBox("catheter pressures")
        self.pressures.setChecked(True)
        self.show_loop = QCheckBox("show the PV loop")
        new = QPushButton("New hidden heart")
        new.clicked.connect(self.new_case)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Measurement", "Value (95 % interval)", "Method"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.view = LoopView()
        self.view.setMinimumHeight(240)
        self.view.setVisible(False)
        self.show_loop.toggled.connect(self._loop_visibility)
        self.diagnosis = QComboBox()
        self.diagnosis.addItems(list(DIAGNOSES))
        self.severity = QComboBox()
        self.severity.addItems(list(SEVERITIES))
        self.submit = QPushButton("Submit diagnosis")
        self.submit.clicked.connect(self.answer)
        self.submit.setEnabled(False)
        self.result = QLabel("Press “New hidden heart”.")
        self.result.setWordWrap(True)
        opts = FlowLayout()  # wraps onto further lines at 1280×720
        opts.addWidget(labelled("seed", self.seed))
        for w in (self.random_sev, self.pressures, self.show_loop):
            opts.addWidget(w)
        opts.addStretch(1)
        opts.addWidget(new)
        form = QFormLayout()
        form.addRow("Diagnosis", self.diagnosis)
        form.addRow("Severity", self.severity)
        lay = QVBoxLayout(self)
        lay.addLayout(opts)
        lay.addWidget(self.table, 2)
        lay.addWidget(self.view, 2)
        lay.addLayout(form)
        lay.addWidget(self.submit)
        lay.addWidget(self.result)
        note = QLabel("Simulated measurements of a virtual heart: true value plus the method's "
                      "typical error, shown with its 95 % interval.")
        note.setWordWrap(True)
        note.setStyleSheet("color: #555")
        lay.addWidget(note)

    def _loop_visibility(self, on: bool) -> None:
        self.view.setVisible(on and self.case is not None)

    def new_case(self) -> None:
        """Draw a hidden heart with the chosen seed; the next seed is ready afterwards."""
        try:
            self.case = make_case(self.seed.value(), random_severity=self.random_sev.isChecked())
        except Exception as exc:  # noqa: BLE001 - a failed case must not close the panel
            self.state.error(f"could not make a hidden-heart case: {exc}")
            return
        rows = [r for r in self.case.readings
                if self.pressures.isChecked() or r.group != "pressures"]
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            d = 2 if r.unit == "cm^2" else 1 if abs(r.value) < 10 else 0
            u = unit_text(r.unit)
            self.table.setItem(i, 0, QTableWidgetItem(f"{r.label} ({GROUPS[r.group]})"))
            self.table.setItem(i, 1, QTableWidgetItem(
                f"{r.value:.{d}f} {u} ({r.low:.{d}f}–{r.high:.{d}f})"))
            self.table.setItem(i, 2, QTableWidgetItem(r.method))
        self.table.resizeColumnsToContents()
        self.view.show(self.case.results)
        self._loop_visibility(self.show_loop.isChecked())
        self.submit.setEnabled(True)
        self.result.setText("Which lesion, and how severe?")
        self.seed.setValue(self.seed.value() + 1)

    def answer(self) -> int | None:
        """Score the chosen diagnosis and severity; returns the points."""
        if self.case is None:
            return None
        s = score(self.case, self.diagnosis.currentText(), self.severity.currentText())
        self.result.setText(s.explanation)
        self.submit.setEnabled(False)
        return s.points
