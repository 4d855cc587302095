"""fix15e: the What-if step's live preview with a plug-in intervention that forgot `return P`
(review15 #4), at 1280×720 under Xvfb; prints the preview's text and the plug-ins' states and
saves ``fix15e_gui/live.png``.

Run from a folder whose environment has the reviewer's plug-in ``forgot-return`` installed and
approved (see docs/notes/fix15e.md)::

    xvfb-run -a -s "-screen 0 1920x1080x24" python docs/notes/fix15e_gui_check.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox, QScrollArea

app = QApplication.instance() or QApplication(sys.argv)
QMessageBox.question = staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes)

from gui_drive import pump, wait_jobs  # noqa: E402 - docs/notes/gui_drive.py

from twinviewer.gui.main_window import MainWindow  # noqa: E402 - after the QApplication
from twinviewer.gui.scenario_panel import ScenarioPanel  # noqa: E402
from twinviewer.plugins.registry import get_registry  # noqa: E402

out = Path("fix15e_gui")
out.mkdir(exist_ok=True)
w = MainWindow(settings=QSettings(str(out / "s.ini"), QSettings.Format.IniFormat))
w.resize(1280, 720)
w.show()
wait_jobs(w, 300.0)
w.show_step("What-if")
pump(1)
panel = next(p for p in w.panels.values() if isinstance(p, ScenarioPanel))
panel.select_intervention("forgot_return")  # starts the live preview
pump(1)
wait_jobs(w, 300.0)
pump(3)
print("live:", panel.live_label.text(), flush=True)
print("status:", w.statusBar().currentMessage(), "| last error:", w.last_error, flush=True)
area = panel.live_label.parent()
while area is not None and not isinstance(area, QScrollArea):
    area = area.parent()
if area is not None:
    area.ensureWidgetVisible(panel.live_label)
pump(1)
w.grab().save(str(out / "live.png"))
print({k: v.status for k, v in get_registry().plugins.items()}, flush=True)
w.state.session.dirty = False
w.close()
pump(1)
