"""Walk through every lesson and diagnose mode as an educator would; save screenshots.

Run: ``xvfb-run -a -s "-screen 0 1920x1200x24" python docs/notes/teach4_walkthrough.py OUT``
"""

import sys
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

app = QApplication.instance() or QApplication(sys.argv)
from twinviewer.gui.main_window import MainWindow  # noqa: E402  (after QApplication)
from twinviewer.gui.presenter import Presenter  # noqa: E402

out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/teach4_shots")
out.mkdir(parents=True, exist_ok=True)
qs = QSettings(str(out / "s.ini"), QSettings.Format.IniFormat)
w = MainWindow(settings=qs, load_demo=True)
w.resize(1600, 1000)
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
lp = w.panels["Lessons"]
for n in range(lp.box.count()):
    lp.box.setCurrentIndex(n)
    wait()
    steps = lp.lesson.steps
    shown = set()
    for i, s in enumerate(steps):
        if s.action in ("load_heart", "highlight", "question") and s.action not in shown:
            lp.go(i)
            wait()
            shown.add(s.action)
            name = f"lesson{n + 1}_step{i + 1}_{s.action}"
            w.grab().save(str(out / f"{name}.png"))
            print(name, w.state.twin.anatomy.pseudonym if w.state.twin else None, flush=True)

pres = Presenter(w.state, lp.lesson, start=0)
pres.resize(1920, 1080)
pres.show()
wait()
pres.grab().save(str(out / "presenter_1920x1080.png"))
pres.toggle_3d()
wait()
pres.grab().save(str(out / "presenter_3d_1920x1080.png"))
pres.close()

dp = w.panels["Diagnose the hidden lesion"]
dp.seed.setValue(11)
dp.show_loop.setChecked(True)
dp.new_case()
dp.show_3d.setChecked(True)
wait()
w.step_pages["Teach"].ensureWidgetVisible(dp)
wait()
w.grab().save(str(out / "diagnose.png"))
dp.grab().save(str(out / "diagnose_panel.png"))
print("diagnose", dp.case.heart_name, flush=True)

w.resize(1280, 720)
wait()
sb = w.panels["Side by side"]
w.step_pages["Teach"].ensureWidgetVisible(sb)
wait()
w.grab().save(str(out / "side_by_side_1280x720.png"))
sb.grab().save(str(out / "side_by_side_panel_1280x720.png"))
w.state.session.dirty = False
w.close()
