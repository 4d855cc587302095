"""A plugin panel that hangs on the GUI thread (review10: opening its step froze the window for
over 60 s): the watchdog autosaves, interrupts it after the panels' budget (small here), the
plugin is disabled and named, and a later start disables a plugin an earlier session died in.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import types

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.plugins.helpers import contribution_folder as _folder
from twinviewer.plugins.registry import DISABLED

PANEL = """
    import time

    from PySide6.QtWidgets import QLabel

    class SlowPanel(QLabel):
        title = "Slow panel"

        def __init__(self, state, parent=None):
            super().__init__("slow", parent)
            time.sleep(30)  # finite: a failed guard fails the test, not hangs it
    """
MANIFEST = """
    [[contributions.panels]]
    name = "slow_panel"
    ref = "tv_slow_panel:SlowPanel"
    step = "Slow"
    """


def _window(tmp_path, qtbot):
    from twinviewer.gui.main_window import MainWindow

    qs = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=qs, load_demo=False)
    qtbot.addWidget(w)
    return w


def test_a_hanging_panel_is_interrupted_named_and_can_stay_disabled(
        plugin_registry, tmp_path, qtbot, monkeypatch):
    monkeypatch.setenv("TWINVIEWER_PLUGIN_BUDGETS", "panels=0.5")
    reg = plugin_registry(_folder(tmp_path, "tv-slow-panel", PANEL, MANIFEST), entry_points=[])
    w = _window(tmp_path, qtbot)
    saved: list[int] = []
    w.autosave = types.SimpleNamespace(autosave_now=lambda force=False: saved.append(1))
    children = set(w.children())
    t0 = time.monotonic()
    w.show_step("Slow")
    assert time.monotonic() - t0 < 5.0
    assert saved == [1]  # the user's work was autosaved while the panel was stuck
    assert "Slow panel" not in w.panels
    assert reg.plugins["tv-slow-panel"].status == DISABLED
    qtbot.waitUntil(lambda: w.findChild(QMessageBox, "plugin_hang_box") is not None)
    box = w.findChild(QMessageBox, "plugin_hang_box")
    assert "plugin 'tv-slow-panel': panel 'slow_panel'" in box.text()
    assert "Keep plugin 'tv-slow-panel' disabled next time too?" in box.text()
    assert any("tv-slow-panel" in t and "did not finish within 0.5 s" in t
               for _, t in w.log_panel.entries)
    QApplication.processEvents()
    assert not [c for c in set(w.children()) - children  # no half-built panel left on show
                if getattr(c, "text", None) and c.text() == "slow" and c.isVisible()]
    assert reg.store.disabled("tv-slow-panel") is None
    box.button(QMessageBox.StandardButton.Yes).click()
    assert "did not finish within 0.5 s" in reg.store.disabled("tv-slow-panel")


def test_a_plugin_an_earlier_session_died_in_is_disabled_at_start(plugin_registry, plugin_config,
                                                                  tmp_path, qtbot):
    reg = plugin_registry(_folder(tmp_path, "tv-slow-panel", PANEL, MANIFEST), entry_points=[])
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    markers = plugin_config / "plugin-calls"
    markers.mkdir(parents=True)
    (markers / f"{gone.stdout.strip()}.json").write_text(json.dumps(
        {"plugin": "tv-slow-panel", "what": "panel 'slow_panel' (tv_slow_panel:SlowPanel)",
         "started": 0.0, "hung": True, "pid": int(gone.stdout), "seconds": 5.0}))
    w = _window(tmp_path, qtbot)
    assert reg.plugins["tv-slow-panel"].status == DISABLED
    assert "Slow" not in w.steps  # its step is never shown, so it cannot freeze us again
    msg = reg.store.disabled("tv-slow-panel")
    assert "its panel 'slow_panel' (tv_slow_panel:SlowPanel) froze the window" in msg
    qtbot.waitUntil(lambda: any("plugin 'tv-slow-panel'" in t and "last session ended "
                                "inside it" in t for _, t in w.log_panel.entries))
    box = w.findChild(QMessageBox, "plugin_culprit_box")
    assert box is not None and "plugin 'tv-slow-panel'" in box.text()
    assert list(markers.glob("*.json")) == []


DIALOG_PANEL = """
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QDialog, QLabel

    class AskingPanel(QLabel):
        title = "Asking panel"

        def __init__(self, state, parent=None):
            super().__init__("asks", parent)
            dialog = QDialog(parent)  # the user answers after a while
            QTimer.singleShot(1500, dialog.accept)
            dialog.exec()
    """


def _plugin_window(plugin_registry, tmp_path, qtbot, name: str, code: str, panel: str,
                   ref: str, step: str):
    """A window with plugin ``name``'s panel ``panel`` (``ref``, its module holding ``code``)
    at ``step``, approved; and the list its autosaves are counted in."""
    manifest = (f'[[contributions.panels]]\nname = "{panel}"\nref = "{ref}"\n'
                f'step = "{step}"\n')
    reg = plugin_registry(_folder(tmp_path, name, code, manifest), entry_points=[])
    w = _window(tmp_path, qtbot)
    saved: list[int] = []
    w.autosave = types.SimpleNamespace(autosave_now=lambda force=False: saved.append(1))
    return reg, w, saved


def test_a_panel_running_its_own_dialog_is_not_a_hang(plugin_registry, tmp_path, qtbot,
                                                      monkeypatch):
    """review10b #3: a constructor that runs a modal dialog keeps the GUI ticking; the
    watchdog must neither autosave from its thread nor interrupt (its signal landed in the
    app's own timer slots)."""
    monkeypatch.setenv("TWINVIEWER_PLUGIN_BUDGETS", "panels=0.3")
    reg, w, saved = _plugin_window(plugin_registry, tmp_path, qtbot, "tv-asking-panel",
                                   DIALOG_PANEL, "asking_panel",
                                   "tv_asking_panel:AskingPanel", "Asking")
    w.show_step("Asking")
    assert "Asking panel" in w.panels
    assert saved == []
    assert reg.plugins["tv-asking-panel"].status != DISABLED
    time.sleep(0.6)  # a late signal would now land in whatever runs
    QApplication.processEvents()
    assert reg.incidents == []


BUSY_PANEL = """
    import time

    from PySide6.QtWidgets import QApplication, QLabel

    class BusyPanel(QLabel):
        title = "Busy panel"

        def __init__(self, state, parent=None):
            super().__init__("busy", parent)
            end = time.monotonic() + 30  # finite: a failed guard fails the test, not hangs it
            while time.monotonic() < end:
                QApplication.processEvents()
    """


def test_a_panel_busy_looping_with_process_events_is_a_hang(plugin_registry, tmp_path, qtbot,
                                                            monkeypatch):
    """review11b #12: a busy loop calling processEvents() ticked the heartbeat timer, so the
    watchdog saw a live GUI and never interrupted it (the panel never came, the plugin stayed
    enabled). Only a modal dialog beats now: the loop is interrupted, named and disabled."""
    monkeypatch.setenv("TWINVIEWER_PLUGIN_BUDGETS", "panels=0.5")
    reg, w, saved = _plugin_window(plugin_registry, tmp_path, qtbot, "tv-busy-panel",
                                   BUSY_PANEL, "busy_panel", "tv_busy_panel:BusyPanel",
                                   "Busy")
    t0 = time.monotonic()
    w.show_step("Busy")
    assert time.monotonic() - t0 < 10.0
    assert saved == [1]
    assert "Busy panel" not in w.panels
    assert reg.plugins["tv-busy-panel"].status == DISABLED
    assert any("tv-busy-panel" in m and "did not finish within 0.5 s" in m
               for _, m in reg.incidents)


IMPORT_SLEEPS = """
    import time

    time.sleep(30)  # finite: a failed guard fails the test, not hangs it

    from PySide6.QtWidgets import QLabel

    class SlowPanel(QLabel):
        title = "Slow panel"
    """


def test_a_panel_import_that_hangs_has_one_timer(plugin_registry, tmp_path, qtbot,
                                                 monkeypatch):
    """review10b #9: the import was timed twice (the watchdog and Registry.load, 60 s each),
    and whichever fired first decided the message, the autosave and the interrupt.
    Registry.load owns it now: one incident naming the import, nothing interrupted."""
    monkeypatch.setenv("TWINVIEWER_PLUGIN_BUDGETS", "imports=0.5")
    reg, w, saved = _plugin_window(plugin_registry, tmp_path, qtbot, "tv-hang-gui-import",
                                   IMPORT_SLEEPS, "slow_panel",
                                   "tv_hang_gui_import:SlowPanel", "Slow")
    w.show_step("Slow")
    time.sleep(0.3)
    QApplication.processEvents()
    assert "Slow panel" not in w.panels
    assert reg.plugins["tv-hang-gui-import"].status == DISABLED
    assert [m for _, m in reg.incidents] and len(reg.incidents) == 1
    assert "importing panel 'slow_panel'" in reg.incidents[0][1]
    assert "(interrupted)" not in reg.incidents[0][1]
    assert saved == []  # the GUI thread was waiting, not frozen: nothing to rescue
