"""Diagnose the hidden lesion: the app draws a virtual heart (seeded, optionally with random
severity), the student reads the measurements (and the PV loop if asked for), proposes a
diagnosis and severity, and gets a score with the numbers that decide it.

The hidden heart's 3D view opens in a window of its own: a native 3D window inside the Teach
step's scroll area would draw over the widgets around it (as side by side's did).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
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

from twinviewer.gui.flow_layout import FlowLayout, labelled
from twinviewer.gui.state import TwinState
from twinviewer.gui.teaching_controls import LoopView, unit_text
from twinviewer.teaching.diagnose import Case, make_case, score
from twinviewer.teaching.grading import DIAGNOSES, SEVERITIES

GROUPS = {"vitals": "Vital signs", "echo": "Echocardiography", "pressures": "Catheter pressures"}
METHOD = 2  # the readings table's method column


class ReadingsTable(QTableWidget):
    """The case's measurements, fitted to its width: all three columns when they fit; in a
    narrow column (the Teach step at 1280×720) the measurement wraps, the value keeps its
    width and the method moves to the row's tooltip, so nothing is cut or scrolled
    sideways."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 3, parent)
        self.setHorizontalHeaderLabels(["Measurement", "Value (95 % interval)", "Method"])
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setWordWrap(True)
        self.narrow = False

    def fit(self) -> None:
        """Choose the wide or the narrow layout for the current width."""
        need = sum(self.sizeHintForColumn(c) for c in range(3)) + 2 * self.frameWidth()
        self.narrow = self.rowCount() > 0 and need > self.viewport().width()
        hdr = self.horizontalHeader()
        mode = QHeaderView.ResizeMode
        self.setColumnHidden(METHOD, self.narrow)
        hdr.setSectionResizeMode(0, mode.Stretch if self.narrow else mode.ResizeToContents)
        hdr.setSectionResizeMode(1, mode.ResizeToContents)
        hdr.setSectionResizeMode(METHOD, mode.Stretch)

    def sizeHintForRow(self, row: int) -> int:  # noqa: N802 - Qt naming
        """At least the wrapped label's height, measured with a margin to spare: Qt's own
        estimate broke the label a few pixels wider than it draws it, so a label of four
        lines got a row of three (CI, session 10)."""
        hint = super().sizeHintForRow(row)
        item = self.item(row, 0)
        if item is None or self.isColumnHidden(0):
            return hint
        r = self.fontMetrics().boundingRect(0, 0, max(self.columnWidth(0) - 10, 1), 10_000,
                                            int(Qt.TextFlag.TextWordWrap), item.text())
        return max(hint, r.height() + 4)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        self.fit()


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
        self.show_3d = QCheckBox("show the heart in 3D")
        self.show_3d.setToolTip("Its anatomy: the demo heart deformed to this heart's own "
                                "volumes and wall thickness (as an echo or MRI would show it)")
        self.show_3d.toggled.connect(self._3d_visibility)
        self.view3d = None  # built on first use, in ``window3d``
        self.window3d = None
        self._state3d: TwinState | None = None
        new = QPushButton("New hidden heart")
        new.clicked.connect(self.new_case)
        self.table = ReadingsTable()
        self.view = LoopView()
        self.view.glw.setMinimumHeight(240)  # the plots; the key goes under them
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
        for w in (self.random_sev, self.pressures, self.show_loop, self.show_3d):
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
                      "typical error, shown with its 95 % interval. Hover a row for its "
                      "method.")
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
            cells = (f"{r.label} ({GROUPS[r.group]})",
                     f"{r.value:.{d}f} {u} ({r.low:.{d}f}–{r.high:.{d}f})", r.method)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{r.label} ({GROUPS[r.group]}): {r.method}")
                self.table.setItem(i, c, item)
        self.table.fit()
        self.view.show(self.case.results)
        self._loop_visibility(self.show_loop.isChecked())
        self.submit.setEnabled(True)
        self.result.setText("Which lesion, and how severe?")
        self._3d_visibility(self.show_3d.isChecked())
        self.seed.setValue(self.seed.value() + 1)

    def _3d_visibility(self, on: bool) -> None:
        if self.window3d is not None:
            self.window3d.setVisible(on and self.case is not None)
        if on and self.case is not None:
            self._make_anatomy(self.case)

    def _make_anatomy(self, case: Case) -> None:
        """The case's own anatomy, made in a worker; the job, the 3D view and the anatomy
        do not name the heart (pseudonym ``virtual-hidden-heart``)."""
        from twinviewer.gui.heart_anatomy import hidden_heart_anatomy

        if getattr(self, "_shown_case", None) is case:
            return
        self._shown_case = case
        self.state.run_job("Anatomy of the hidden heart",
                           lambda p, c: hidden_heart_anatomy(case.heart_name, case.results,
                                                             progress=p, cancel=c),
                           lambda a: self._show_anatomy(case, a),
                           lambda e: self.state.warn(f"the hidden heart's anatomy could not "
                                                     f"be made ({e})"))

    def _show_anatomy(self, case: Case, anatomy) -> None:
        if case is not self.case:
            return  # a newer case was drawn meanwhile
        from twinviewer.gui.heart_anatomy import HIDDEN
        from twinviewer.twins import twin_from_preset

        twin = twin_from_preset(case.heart_name, n=1, pseudonym=HIDDEN, anatomy=anatomy)
        if self.view3d is None:
            from twinviewer.gui.side_by_side import Linked3DWindow
            from twinviewer.gui.view3d import View3D

            self._state3d = TwinState(parent=self)
            self.view3d = View3D(self._state3d)
            self.view3d.setMinimumSize(320, 260)
            # the window's title must not name the heart either
            self.window3d = Linked3DWindow([self.view3d], self,
                                           title="TwinViewer — the hidden heart in 3D")
            self.window3d.titles[0].setText("The hidden heart (its own volumes and walls)")
            self.window3d.resize(700, 600)
            self.window3d.closed.connect(lambda: self.show_3d.setChecked(False))
        self._state3d.session.open_twin(twin, results=case.results)
        self.window3d.setVisible(self.show_3d.isChecked())
        if self.show_3d.isChecked():
            self.window3d.raise_()

    def answer(self) -> int | None:
        """Score the chosen diagnosis and severity; returns the points."""
        if self.case is None:
            return None
        s = score(self.case, self.diagnosis.currentText(), self.severity.currentText())
        self.result.setText(s.explanation)
        self.submit.setEnabled(False)
        return s.points
