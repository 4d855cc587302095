"""docs/notes/calib4_*.png: the calibrated demo twin — the window and the Measurements table
at 1280×720; at 1700×1050 the Calibrate step (whole window), the Wiggers panel (LV and RV
volume curves beside the model with the predictive interval), PV loops and the calibration
panel's fit table.

    xvfb-run -a -s "-screen 0 1920x1200x24" /work/main/.venv/bin/python \\
        docs/notes/calib4_screenshot.py [OUT_PREFIX]
"""

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from twinviewer.gui.main_window import MainWindow

prefix = sys.argv[1] if len(sys.argv) > 1 else "docs/notes/calib4"
app = QApplication.instance() or QApplication([])


def settle(seconds: float = 2.0) -> None:
    end = time.time() + seconds
    while time.time() < end:
        app.processEvents()
        time.sleep(0.05)


with tempfile.TemporaryDirectory() as tmp:
    w = MainWindow(settings=QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat),
                   load_demo=False)
    w.resize(1280, 720)
    w.show()
    w.load_demo()
    t0 = time.time()
    while (w.state.jobs or w.state.results is None) and time.time() - t0 < 600:
        app.processEvents()
        time.sleep(0.05)
    settle()
    w.grab().save(f"{prefix}_window_1280x720.png")
    w.show_step("Measurements")
    settle(1.5)
    w.grab().save(f"{prefix}_measurements_1280x720.png")
    # a larger window for the details of the fit: Wiggers, PV and the fit table
    w.resize(1700, 1050)
    w.show_step("Calibrate")
    settle(2.0)
    w.grab().save(f"{prefix}_calibrate_step.png")
    for title in ("Wiggers diagram", "PV loops"):
        w.panels[title].ensure_built()  # a tab not shown yet is built when first shown
        w.panels[title].grab().save(f"{prefix}_{title.split()[0].lower()}.png")
    cal = w.panels["Calibration"]
    w.step_pages["Calibrate"].ensureWidgetVisible(cal.fit_table)
    settle(1.0)
    cal.grab().save(f"{prefix}_fit_table.png")
    print("saved", prefix, "in", round(time.time() - t0), "s")
    w.state.cancel_all()
    w.state.wait_for_jobs(10_000)
    w.close()
