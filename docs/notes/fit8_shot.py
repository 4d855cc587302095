"""docs/notes/fit8_calibrate*.png: the demo twin at the Calibrate step (fit table, parameter
intervals, the prior with its heart-size factor), and its Wiggers and PV panels.

    XDG_CACHE_HOME=/tmp/fit8cache xvfb-run -a -s "-screen 0 1920x1200x24" \\
        /work/main/.venv/bin/python docs/notes/fit8_shot.py [OUT_PREFIX]

(a private cache: the demo twin is recalibrated, not read from another branch's cache)
"""

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from twinviewer.gui.main_window import MainWindow

prefix = sys.argv[1] if len(sys.argv) > 1 else "docs/notes/fit8_calibrate"
app = QApplication.instance() or QApplication([])


def settle(seconds: float = 2.0) -> None:
    end = time.time() + seconds
    while time.time() < end:
        app.processEvents()
        time.sleep(0.05)


with tempfile.TemporaryDirectory() as tmp:
    w = MainWindow(settings=QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat),
                   load_demo=False)
    w.resize(1700, 1050)
    w.show()
    w.load_demo()
    t0 = time.time()
    while (w.state.jobs or w.state.results is None) and time.time() - t0 < 900:
        app.processEvents()
        time.sleep(0.05)
    settle()
    w.show_step("Calibrate")
    settle(2.0)
    w.grab().save(f"{prefix}.png")
    for title in ("Wiggers diagram", "PV loops"):
        w.panels[title].grab().save(f"{prefix}_{title.split()[0].lower()}.png")
    cal = w.panels["Calibration"]
    cal.grab().save(f"{prefix}_panel.png")
    print("saved", prefix, "in", round(time.time() - t0), "s")
    w.state.cancel_all()
    w.state.wait_for_jobs(10_000)
    w.close()
