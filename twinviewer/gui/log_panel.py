"""The log panel: every message and error of the session, newest last."""

from __future__ import annotations

import logging
import time

from PySide6.QtGui import QColor, QTextCharFormat
from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget

from twinviewer.gui.state import TOLD, TwinState

LEVEL_COLOURS = {"info": "#303030", "warning": "#9a6700", "error": "#c01010"}


class LogPanel(QWidget):
    """Shows ``state.message`` (and ``twinviewer`` log records of WARNING and above)."""

    title = "Log"

    def __init__(self, state: TwinState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(5000)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.text)
        self.entries: list[tuple[str, str]] = []
        state.message.connect(self.add)

    def add(self, level: str, text: str) -> None:
        self.entries.append((level, text))
        fmt = QTextCharFormat()
        fmt.setForeground(QColor(LEVEL_COLOURS.get(level, "#303030")))
        cursor = self.text.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        cursor.insertText(f"{time.strftime('%H:%M:%S')} {level.upper():7s} {text}\n", fmt)
        self.text.setTextCursor(cursor)
        self.text.ensureCursorVisible()


class StateLogHandler(logging.Handler):
    """Forwards ``twinviewer`` log records (WARNING+) to ``state`` messages."""

    def __init__(self, state: TwinState) -> None:
        super().__init__(logging.WARNING)
        self.state = state

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, TOLD, False):  # its message was already shown (state.error)
            return
        level = "error" if record.levelno >= logging.ERROR else "warning"
        msg = record.getMessage().splitlines()[0]
        try:
            self.state.message.emit(level, msg)
        except RuntimeError:  # state already deleted during shutdown
            pass
