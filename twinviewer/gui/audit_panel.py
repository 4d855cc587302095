"""The twin's audit trail: every recorded action with the chain's verification, and a form for
the clinician's conclusion and notes (including where they disagree with the twin, and why).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

import twinviewer
from twinviewer.explain.words import model_or_none, words
from twinviewer.gui.table_fit import keep_fitted
from twinviewer.interventions.scenario import shown_name
from twinviewer.io import audit_log
from twinviewer.io.audit_text import human_details
from twinviewer.io.errors import PrivacyError

COLUMNS = ("#", "Time (UTC)", "Action", "Details")


class AuditPanel(QWidget):
    """Shows the open twin's audit chain and lets the clinician add a note or conclusion."""

    title = "Audit trail"

    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        # every column in the step column (it scrolled sideways at 1280×720, "method
        # tempered …" cut): the details wrap, whole in each cell's tooltip as well
        # (the entry number gives way first, then time and action wrap); cells read from
        # the top, so a tall entry's time and action are not centred out of view
        keep_fitted(self.table, squeeze={1, 2, 3}, drop={0})

        self.note = QPlainTextEdit()
        self.note.setPlaceholderText("Your note or conclusion")
        self.note.setMaximumHeight(80)
        self.disagreement = QLineEdit()
        self.disagreement.setPlaceholderText("e.g. the predicted LVEDP")
        self.why = QLineEdit()
        self.why.setPlaceholderText("e.g. catheter LVEDP 22 mmHg the day before")
        self.conclusion = QCheckBox("This is my conclusion")
        self.add_button = QPushButton("Add to the audit trail")
        self.add_button.clicked.connect(self.add_note)
        self.refresh_button = QPushButton("Verify again")
        self.refresh_button.clicked.connect(self.refresh)

        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # narrow step column
        form.addRow("Note", self.note)
        form.addRow("Where I disagree with the twin", self.disagreement)
        form.addRow("Why", self.why)
        form.addRow(self.conclusion, self.add_button)
        research = QLabel(twinviewer.RESEARCH_USE)
        research.setStyleSheet("color: #8a5a00;")
        lay = QVBoxLayout(self)
        lay.addWidget(self.status)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.refresh_button)
        lay.addLayout(form)
        lay.addWidget(research)

        state.twinChanged.connect(lambda _t: self.refresh())
        state.auditChanged.connect(lambda _e: self.refresh())
        state.resultsChanged.connect(lambda _r: self.refresh())
        state.scenarioResultsChanged.connect(lambda _r: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        """Re-read and re-verify the open twin's audit chain."""
        twin = self.state.session.twin
        self.add_button.setEnabled(twin is not None)
        if twin is None:
            self.table.setRowCount(0)
            self.status.setText("No twin open.")
            self.status.setStyleSheet("")
            return
        log = audit_log(twin)
        check = log.verify_chain()
        self.status.setText(("✔ " if check.ok else "✖ ") + check.message)
        self.status.setStyleSheet("color: #1b6e20;" if check.ok else
                                  "color: #b00020; font-weight: bold;")
        entries = log.entries
        self.table.setRowCount(len(entries))
        word = words(model_or_none(twin))
        for row, e in enumerate(entries):
            details = human_details(e.details, word, shown_name)
            for col, text in enumerate((str(e.index), e.time[:19].replace("T", " "), e.action,
                                        details)):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
                item.setToolTip(f"{text}\nhash {e.hash}\nprevious {e.prev_hash}\n"
                                f"app {e.app_version}, model {e.model}")
                self.table.setItem(row, col, item)
        self.table.scrollToBottom()

    def add_note(self) -> None:
        """Append the form's note (or conclusion) to the twin's audit trail."""
        twin = self.state.session.twin
        if twin is None:
            self.state.session.message("warning", "Open a twin before adding a note.")
            return
        text = self.note.toPlainText().strip()
        if not text:
            self.state.session.message("warning", "Write the note before adding it.")
            return
        if self.disagreement.text().strip() and not self.why.text().strip():
            self.state.session.message("warning", "Say why you disagree with the twin.")
            return
        try:
            entry = self.state.session.add_note(text, disagreement=self.disagreement.text(),
                                                why=self.why.text(),
                                                conclusion=self.conclusion.isChecked())
        except PrivacyError as exc:  # the form keeps the text for the author to edit
            self.state.session.message("warning", f"Not added: {exc}.")
            return
        self.note.clear()
        self.disagreement.clear()
        self.why.clear()
        self.conclusion.setChecked(False)
        self.refresh()
        self.state.session.message("info", f"{entry.action.capitalize()} added to the audit "
                                           f"trail (entry #{entry.index}).")

