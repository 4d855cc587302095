"""The Log dock opens on an error, but a later session does not start with it open."""

from __future__ import annotations

from PySide6.QtCore import QSettings


def test_log_opened_by_an_error_is_not_restored_open(qtbot, tmp_path):
    from twinviewer.gui.main_window import MainWindow

    path = str(tmp_path / "settings.ini")
    first = MainWindow(settings=QSettings(path, QSettings.Format.IniFormat), load_demo=False)
    qtbot.addWidget(first)
    first.show()
    first.state.error("scanning the folder failed: the chosen folder: folder is empty")
    assert first.docks["Log"].isVisible()
    first.close()  # saves the window state with the log open
    again = MainWindow(settings=QSettings(path, QSettings.Format.IniFormat), load_demo=False)
    qtbot.addWidget(again)
    again.show()
    assert not again.docks["Log"].isVisible()
    again.close()
