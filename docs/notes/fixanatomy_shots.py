import sys
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

app = QApplication.instance() or QApplication(sys.argv)
from twinviewer.gui.main_window import MainWindow  # noqa: E402  (after QApplication)

out = Path("/tmp/fa_shots")
out.mkdir(exist_ok=True)
qs = QSettings("/tmp/fa_shots/s.ini", QSettings.Format.IniFormat)
w = MainWindow(settings=qs, load_demo=True)
w.resize(1600, 1000)
w.show()


def wait(t=600):
    t0 = time.time()
    while (w.state.jobs or w.state.twin is None) and time.time() - t0 < t:
        app.processEvents()
        time.sleep(0.05)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)


wait()
w.view3d.screenshot(str(out / "demo_base.png"))
w.show_step("Teach")
panel = w.panels["Teaching controls"]
for name in ("healthy", "hfref", "severe_as", "hypertensive_heart"):
    panel.heart_box.setCurrentIndex(panel.heart_box.findData(name))
    wait()
    panel.open_in_workflow()
    wait()
    a = w.state.twin.anatomy
    print(name, a.pseudonym, w.view3d.anatomy is a, flush=True)
    w.view3d.screenshot(str(out / f"{name}_3d.png"))
    w.grab().save(str(out / f"{name}_window.png"))
