"""cal17: the demo heart at 1280x720 under Xvfb: a what-if run, then a calibration with 32
members to a new visit's cuff BP. Saves ``<out>/recomputing.png`` (the status bar while the
what-if results are recomputed), ``<out>/calibrate_32.png`` (the Calibrate step's summary
saying the compliance was not opened) and ``<out>/whatif_after.png``::

    xvfb-run -a -s "-screen 0 1920x1080x24" python docs/notes/cal17_screenshot.py <out>
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

app = QApplication.instance() or QApplication(sys.argv)
QMessageBox.question = staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes)

from gui_drive import pump, wait_jobs  # noqa: E402 - docs/notes/gui_drive.py

from twinviewer.core.measurement import Measurement  # noqa: E402
from twinviewer.gui.app import wait_for_predictions  # noqa: E402
from twinviewer.gui.main_window import MainWindow  # noqa: E402 - after the QApplication

out = Path(sys.argv[1] if len(sys.argv) > 1 else "cal17_shots")
out.mkdir(exist_ok=True, parents=True)


def shot(name: str) -> None:
    """The window as on screen (a widget grab leaves the 3D view's GL surface as noise)."""
    g = w.frameGeometry()
    app.primaryScreen().grabWindow(0, g.x(), g.y(), g.width(), g.height()).save(str(out / name))


w = MainWindow(settings=QSettings(str(out / "s.ini"), QSettings.Format.IniFormat))
w.resize(1280, 720)
w.move(0, 0)
w.show()
assert wait_for_predictions(app, w), w.last_error
wait_jobs(w)
w.show_step("What-if")
panel = w.panels["What-if scenarios"]
panel.select_intervention("vasodilator")
panel.name_edit.setText("Vasodilator")
assert panel.add_scenario(), panel.error_label.text()
panel.run_all()
wait_jobs(w)
doc = w.state.session
doc.add_measurement(Measurement("SBP", 138.0, "mmHg", 8.0, "cuff, visit 2"))
doc.add_measurement(Measurement("DBP", 76.0, "mmHg", 6.0, "cuff, visit 2"))
w.show_step("Calibrate")
cal = w.panels["Calibration"]
cal.members.setValue(32)
twin0 = w.state.twin
cal.start()
end = time.time() + 600
while time.time() < end and cal.recompute_job is None:
    app.processEvents()
    time.sleep(0.01)
pump(0.3)
shot("recomputing.png")
print("status bar:", w.statusBar().currentMessage())
wait_jobs(w)
pump(1)
area = cal.summary.parent()
while area is not None:  # the summary and the step page scroll: show the summary's end
    if hasattr(area, "verticalScrollBar"):
        area.verticalScrollBar().setValue(area.verticalScrollBar().maximum())
    area = area.parent()
pump(1)
shot("calibrate_32.png")
print("summary says:", [ln for ln in cal.summary.text().split("<br>") if "C_AR" in ln])
w.show_step("What-if")
pump(2)
shot("whatif_after.png")
print("recomputed:", sorted(doc.scenario_results), "new twin:", w.state.twin is not twin0)
doc.dirty = False
w.close()
