"""Screenshots for fix5: the presenter's 3D colour bar at 1920×1080 and the diagnose table
at 1280×720 (looked at, see docs/notes/fix5.md).

Run: ``xvfb-run -a -s "-screen 0 1920x1200x24" python docs/notes/fix5_shots.py OUT``
"""

import sys
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

app = QApplication.instance() or QApplication(sys.argv)
from twinviewer.gui.main_window import MainWindow  # noqa: E402  (after QApplication)
from twinviewer.gui.presenter import Presenter  # noqa: E402
from twinviewer.teaching.lesson import lesson_files, load_lesson  # noqa: E402

out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/fix5_shots")
out.mkdir(parents=True, exist_ok=True)
qs = QSettings(str(out / "s.ini"), QSettings.Format.IniFormat)
w = MainWindow(settings=qs, load_demo=True)
w.resize(1280, 720)
w.show()


def wait(t: float = 900.0) -> None:
    t0 = time.time()
    while (w.state.jobs or w.state.twin is None) and time.time() - t0 < t:
        app.processEvents()
        time.sleep(0.05)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)


wait()
w.show_step("Teach")
dp = w.panels["Diagnose the hidden lesion"]
dp.seed.setValue(11)
dp.new_case()
wait()
w.step_pages["Teach"].ensureWidgetVisible(dp.table)
wait()
w.grab().save(str(out / "diagnose_1280x720.png"))
dp.grab().save(str(out / "diagnose_panel_1280x720.png"))
t = dp.table
print("table viewport", t.viewport().width(), "columns", [t.columnWidth(c) for c in range(3)],
      "horizontal scroll max", t.horizontalScrollBar().maximum(), flush=True)

pres = Presenter(w.state, load_lesson(lesson_files()[0]), start=0)
pres.resize(1920, 1080)
pres.show()
wait()
pres.toggle_3d()
pres.view3d.set_overlay("pressure")
wait()
pres.grab().save(str(out / "presenter_3d_pressure_1920x1080.png"))
pres.view3d.plotter.render()  # a widget grab does not hold the GL picture: VTK's own
pres.view3d.plotter.screenshot(str(out / "presenter_3d_render_1920x1080.png"))
pres.close()
w.close()
