"""docs/notes/calib_demo_curve_fit.png: the demo twin (calibrated to its volume curves) in the
Wiggers and PV panels, measured curve beside the posterior band.

    xvfb-run -a -s "-screen 0 1920x1200x24" /work/main/.venv/bin/python \
        docs/notes/calib_curve_screenshot.py
"""

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from twinviewer.gui.main_window import MainWindow

out = sys.argv[1] if len(sys.argv) > 1 else "docs/notes/calib_demo_curve_fit.png"
app = QApplication.instance() or QApplication([])
with tempfile.TemporaryDirectory() as tmp:
    w = MainWindow(settings=QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat),
                   load_demo=False)
    w.resize(1600, 1000)
    w.show()
    w.load_demo()
    t0 = time.time()
    while (w.state.jobs or w.state.results is None) and time.time() - t0 < 600:
        app.processEvents()
        time.sleep(0.05)
    for _ in range(40):
        app.processEvents()
        time.sleep(0.05)
    for title in ("Wiggers diagram", "PV loops"):
        panel = w.panels[title]
        panel.ensure_built()  # a tab not shown yet is built when first shown
        panel.grab().save(out.replace(".png", f"_{title.split()[0].lower()}.png"))
    print("saved", out, "results", w.state.results is not None, "in", round(time.time() - t0))
    w.state.cancel_all()
    w.state.wait_for_jobs(10_000)
    w.close()
