"""The Report step: what the .twin file holds (exactly what a save writes), save and export.

The summary is built from the document as a save would write it (``Document.twin_document``
and :func:`twinviewer.io.twinfile.describe`), so what you read here is what the file and the
PDF report will hold. Export runs in the background (see ``twin_file_actions.export_report``).
"""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from twinviewer.gui.flow_layout import FlowLayout
from twinviewer.gui.state import TwinState
from twinviewer.io import TwinFileError
from twinviewer.io.twinfile import describe


class ReportPanel(QWidget):
    """What the file holds; Save, Save as and Export report buttons."""

    title = "The twin file and its report"

    def __init__(self, state: TwinState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.summary = QPlainTextEdit()
        self.summary.setReadOnly(True)
        self.summary.setObjectName("file_summary")
        mono = QFont("DejaVu Sans Mono")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPointSize(9)
        self.summary.setFont(mono)
        self.summary.setMinimumHeight(160)
        self.save_button = QPushButton("Save")
        self.save_as_button = QPushButton("Save as…")
        self.export_button = QPushButton("Export PDF report…")
        self.save_button.clicked.connect(lambda: self._action("save_twin"))
        self.save_as_button.clicked.connect(lambda: self._action("save_twin_as"))
        self.export_button.clicked.connect(lambda: self._action("export_report"))
        buttons = FlowLayout()  # wraps in a narrow step column (1280×720)
        for b in (self.save_button, self.save_as_button, self.export_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addWidget(self.heading)
        lay.addWidget(self.summary, 1)
        lay.addLayout(buttons)
        for sig in (state.twinChanged, state.fileChanged, state.dirtyChanged,
                    state.scenariosChanged, state.resultsChanged,
                    state.scenarioResultsChanged, state.auditChanged):
            sig.connect(lambda *_: self.refresh())
        self.refresh()

    def _action(self, name: str) -> None:
        window = self.window()
        if hasattr(window, "file_action"):
            window.file_action(name)

    def refresh(self) -> None:
        """Re-describe the document as a save would write it."""
        doc = self.state.session
        has = doc.twin is not None
        for b in (self.save_button, self.save_as_button, self.export_button):
            b.setEnabled(has)
        if not has:
            self.heading.setText("No twin open.")
            self.summary.setPlainText("")
            return
        self.heading.setText(heading(doc.file.name, doc.dirty))
        try:
            from twinviewer.interventions.constants_digest import held_back
            from twinviewer.interventions.scenario import shown_name

            td = doc.twin_document()  # what info and the PDF hold back, held back here too
            lines = describe(td, held_back(td.results, td.twin.scenarios), shown_name)
        except (TwinFileError, ValueError) as exc:
            lines = [f"cannot describe the twin: {exc}"]
        self.summary.setPlainText("\n".join(lines))


def heading(file_name: str | None, dirty: bool) -> str:
    """The Report step's first line: which file, whether it is saved, what follows.

    Examples
    --------
    >>> heading(None, False)
    '<b>Not saved to a file yet</b>. Save as… would write, and the report lists:'
    >>> heading("case.twin", True)
    '<b>case.twin</b> — unsaved changes. Save writes, and the report lists:'
    >>> heading("case.twin", False)
    '<b>case.twin</b> — saved. The file holds, and the report lists:'
    """
    if not file_name:
        return ("<b>Not saved to a file yet</b>" + (" — unsaved changes" if dirty else "")
                + ". Save as… would write, and the report lists:")
    if dirty:
        return f"<b>{file_name}</b> — unsaved changes. Save writes, and the report lists:"
    return f"<b>{file_name}</b> — saved. The file holds, and the report lists:"
