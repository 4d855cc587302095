"""File dialogs that leave no trace of the folders browsed.

Qt's file dialog writes its history and last-visited folder to the user's ``QtProject``
settings (``~/.config/QtProject.conf`` on Linux) each time it closes, with no option to turn
that off. Folders exported from a hospital system are often named after the patient, so
every dialog of the app goes through these wrappers, which remove those two entries as soon
as the dialog has closed; :func:`forget_history` also runs at start-up (a trace left by a
crash or by an earlier version). The app's own settings never hold a folder either
(recent studies are kept for the session only).
"""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QWidget

#: Entries of Qt's ``FileDialog`` settings group that hold browsed folders.
TRACE_KEYS = ("history", "lastVisited")


def qt_dialog_settings() -> QSettings:
    """Qt's own file-dialog settings (user scope, organisation ``QtProject``)."""
    return QSettings(QSettings.Scope.UserScope, "QtProject")


def forget_history() -> bool:
    """Remove the browsed folders from Qt's file-dialog settings; True if any were there.

    Examples
    --------
    >>> forget_history() in (True, False)
    True
    """
    qs = qt_dialog_settings()
    qs.beginGroup("FileDialog")
    found = [k for k in TRACE_KEYS if qs.contains(k)]
    for k in found:
        qs.remove(k)
    qs.endGroup()
    qs.sync()
    return bool(found)


def get_existing_directory(parent: QWidget | None, caption: str = "",
                           directory: str = "") -> str:
    """:meth:`QFileDialog.getExistingDirectory`, leaving no history behind ('' if cancelled)."""
    try:
        return QFileDialog.getExistingDirectory(parent, caption, directory)
    finally:
        forget_history()


def get_open_file_name(parent: QWidget | None, caption: str = "", directory: str = "",
                       filters: str = "") -> tuple[str, str]:
    """:meth:`QFileDialog.getOpenFileName` (path, chosen filter), leaving no history behind."""
    try:
        return QFileDialog.getOpenFileName(parent, caption, directory, filters)
    finally:
        forget_history()


def get_open_file_names(parent: QWidget | None, caption: str = "", directory: str = "",
                        filters: str = "") -> tuple[list[str], str]:
    """:meth:`QFileDialog.getOpenFileNames` (paths, chosen filter), leaving no history."""
    try:
        return QFileDialog.getOpenFileNames(parent, caption, directory, filters)
    finally:
        forget_history()


def get_save_file_name(parent: QWidget | None, caption: str = "", directory: str = "",
                       filters: str = "") -> tuple[str, str]:
    """:meth:`QFileDialog.getSaveFileName` (path, chosen filter), leaving no history behind."""
    try:
        return QFileDialog.getSaveFileName(parent, caption, directory, filters)
    finally:
        forget_history()


__all__ = ["TRACE_KEYS", "forget_history", "get_existing_directory", "get_open_file_name",
           "get_open_file_names", "get_save_file_name", "qt_dialog_settings"]
