"""fix15f: the What-if table's Δ of edge-to-edge repair on the severe-MR virtual patient
(review15b #2), at 1600×900 under Xvfb; prints the table's rows and saves
``fix15f_gui/whatif.png``::

    xvfb-run -a -s "-screen 0 1920x1080x24" python docs/notes/fix15f_gui_check.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

app = QApplication.instance() or QApplication(sys.argv)
QMessageBox.question = staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes)

from gui_drive import pump, wait_jobs  # noqa: E402 - docs/notes/gui_drive.py

from twinviewer.gui.main_window import MainWindow  # noqa: E402 - after the QApplication
from twinviewer.gui.scenario_panel import ScenarioPanel  # noqa: E402

out = Path("fix15f_gui")
out.mkdir(exist_ok=True)
w = MainWindow(settings=QSettings(str(out / "s.ini"), QSettings.Format.IniFormat))
w.resize(1600, 900)
w.show()
wait_jobs(w)
w.state.session.dirty = False
w.new_virtual_patient("severe_mr")
wait_jobs(w)
w.show_step("What-if")
pump(1)
panel = next(p for p in w.panels.values() if isinstance(p, ScenarioPanel))
panel.select_intervention("mitral_teer")
pump(1)
panel.add_scenario()
panel.run_all()
wait_jobs(w)
pump(2)
table = panel.result_table
for r in range(table.rowCount()):
    cells = [table.item(r, c).text() if table.item(r, c) else "" for c in
             range(table.columnCount())]
    print(" | ".join(cells), flush=True)
w.grab().save(str(out / "whatif.png"))
w.state.session.dirty = False
w.close()
pump(1)
