"""The log panel: every message and error of the session, newest last."""

from __future__ import annotations

import logging
import time

from PySide6.QtGui import QColor, QTextCharFormat
from PySide6.QtWidgets import QPlainTextEdit, QToolButton, QVBoxLayout, QWidget

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


class ErrorBadge(QToolButton):
    """A red "⚠ N errors — show the log" button for the status bar, telling of the errors
    that came while the Log dock was hidden; a click opens the log (and clears it).

    Opening the Log dock on each error re-laid out the window's central area and repainted
    every plot at once (250–380 ms, plugrun13); the badge shows the error in the status bar
    without moving anything else.

    Examples
    --------
    >>> badge = ErrorBadge(lambda: None)  # doctest: +SKIP
    >>> badge.add("the file is empty"); badge.shown()  # doctest: +SKIP
    True
    """

    def __init__(self, open_log, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.count = 0
        self._open_log = open_log
        self.setAutoRaise(True)
        self.setStyleSheet(f"color: {LEVEL_COLOURS['error']}; font-weight: bold;")
        self.clicked.connect(self.show_log)
        # always in the status bar, empty and of one fixed height when there is no error:
        # shown or hidden, it changed the bar's height by a pixel, and that re-laid out
        # the plots above it
        self.setText("⚠ 2 errors — show the log")
        self.setFixedHeight(self.sizeHint().height())
        self._clear()

    def _clear(self) -> None:
        self.count = 0
        self.setText("")
        self.setToolTip("")
        self.setEnabled(False)

    def shown(self) -> bool:
        """Whether the badge tells of an error now."""
        return self.count > 0

    def add(self, text: str) -> None:
        """Count one more error (``text``, the newest, in the tooltip) and show the badge."""
        self.count += 1
        self.setText(f"⚠ {self.count} error{'s' if self.count > 1 else ''} — show the log")
        self.setToolTip(f"Newest: {text}\nClick to open the Log (View ▸ Log).")
        self.setEnabled(True)

    def show_log(self) -> None:
        """Open the log, and clear the badge: its errors are on show there."""
        self._clear()
        self._open_log()
