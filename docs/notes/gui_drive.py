"""The window driver the GUI scripts of these notes share (fix15e's, fix15f's, fix16b's): run
Qt's events for a while, wait for the window's jobs. Imported by the scripts from this folder
(``python docs/notes/<script>.py`` puts it first on the path)."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QApplication


def pump(seconds: float) -> None:
    """Process Qt's events for ``seconds``."""
    app = QApplication.instance()
    end = time.time() + seconds
    while time.time() < end:
        app.processEvents()
        time.sleep(0.01)


def wait_jobs(window, timeout: float = 600.0) -> None:
    """Wait (events processed) until ``window``'s state runs no job, at most ``timeout`` s."""
    app = QApplication.instance()
    pump(0.3)
    end = time.time() + timeout
    while time.time() < end and window.state.jobs:
        app.processEvents()
        time.sleep(0.02)
    pump(0.5)
