"""An error shows a badge in the status bar, not the Log dock (opening the dock re-laid out
every plot, plugrun13): the window keeps its layout, and the badge opens the log. A later
session does not start with the log open."""

from __future__ import annotations

from PySide6.QtCore import QSettings


def test_an_error_shows_a_badge_not_the_dock_and_the_badge_opens_it(qtbot, tmp_path):
    from twinviewer.gui.main_window import MainWindow

    path = str(tmp_path / "settings.ini")
    w = MainWindow(settings=QSettings(path, QSettings.Format.IniFormat), load_demo=False)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    qtbot.wait(100)
    centre = w.centralWidget().geometry()
    w.state.error("scanning the folder failed: the chosen folder: folder is empty")
    w.state.error("reading x.dcm failed: not a DICOM file")
    qtbot.wait(100)
    assert not w.docks["Log"].isVisible()
    assert w.centralWidget().geometry() == centre  # nothing re-laid out
    badge = w.error_badge
    assert badge.shown() and badge.isVisible() and "2 errors" in badge.text()
    assert "not a DICOM file" in badge.toolTip()
    assert "folder is empty" in w.statusBar().currentMessage() or \
        "not a DICOM" in w.statusBar().currentMessage()
    badge.click()
    assert w.docks["Log"].isVisible() and not badge.shown() and not badge.text()
    assert "not a DICOM file" in w.log_panel.text.toPlainText()
    w.state.error("a third")  # the log is open: it shows it, no badge
    assert not badge.shown()
    w.close()  # saves the window state with the log open
    again = MainWindow(settings=QSettings(path, QSettings.Format.IniFormat), load_demo=False)
    qtbot.addWidget(again)
    again.show()
    assert not again.docks["Log"].isVisible()
    again.close()
