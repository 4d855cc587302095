"""Screenshots of edu6's fixes at 1920×1080 (Xvfb, no window manager: geometry set by hand).

Usage: ``xvfb-run -a -s "-screen 0 1920x1080x24" python docs/notes/edu6_shots.py PATIENT.twin
OUTDIR [privacy|sbs|teach|all]``. PATIENT.twin is a patient's twin (not marked for teaching); the
unsaved-changes prompt is answered Discard.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QMessageBox

QMessageBox.question = staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard)
app = QApplication.instance() or QApplication(sys.argv)

from twinviewer.gui import twin_file_actions as tfa  # noqa: E402
from twinviewer.gui.main_window import MainWindow  # noqa: E402

PATIENT, OUT = sys.argv[1], Path(sys.argv[2])
WHAT = sys.argv[3] if len(sys.argv) > 3 else "all"
OUT.mkdir(parents=True, exist_ok=True)


def pause(s: float) -> None:
    t0 = time.time()
    while time.time() - t0 < s:
        app.processEvents()
        time.sleep(0.02)


def wait(cond, t: float = 300) -> None:
    t0 = time.time()
    while time.time() - t0 < t and not cond():
        app.processEvents()
        time.sleep(0.02)


def shot(name: str) -> None:
    app.primaryScreen().grabWindow(0).save(str(OUT / name))
    print("shot", name)


w = MainWindow(settings=QSettings(str(OUT / "s.ini"), QSettings.Format.IniFormat),
               load_demo=WHAT != "privacy")
w.setGeometry(0, 0, 1920, 1080)
w.show()
if WHAT in ("privacy", "all"):
    tfa.open_twin(w, w.state, PATIENT)
    wait(lambda: w.state.twin is not None and w.state.results is not None and not w.state.jobs)
    w.state.session.add_note("clinician note")
    pause(1)
    w.education_action.setChecked(True)
    pause(1)
    print("education on:", w.education_mode, "twin:", w.state.twin)
    shot("edu6_education_on.png")
    w.show_step("Teach")
    pause(2)
    lp = w.panels["Lessons"]
    lp.box.setCurrentIndex(2)
    wait(lambda: not w.state.jobs)
    lp.go(4)
    lp.present()
    pr = lp._presenter
    pr.setGeometry(0, 0, 1920, 1080)
    pause(1)
    app.sendEvent(pr, QKeyEvent(QKeyEvent.Type.KeyPress, Qt.Key.Key_H,
                                Qt.KeyboardModifier.NoModifier, "h"))
    wait(lambda: not w.state.jobs)
    pause(2)
    print("presenter 3D:", pr.state3d.twin.origin, pr.state3d.twin.anatomy.pseudonym)
    shot("edu6_presenter_3d.png")
    pr.close()
if WHAT in ("sbs", "all"):
    wait(lambda: w.state.twin is not None and not w.state.jobs)
    w.show_step("Teach")
    pause(1)
    sb = w.panels["Side by side"]
    w.step_pages["Teach"].ensureWidgetVisible(sb)
    sb.hearts[0].setCurrentIndex(sb.hearts[0].findData("severe_as"))
    sb.ivs[1].setCurrentIndex(sb.ivs[1].findData("tavi"))
    sb.hearts[1].setCurrentIndex(sb.hearts[1].findData("severe_as"))
    pause(1)
    print("summaries:", [s.text() for s in sb.summaries])
    shot("edu6_side_by_side.png")
    sb.link3d.setChecked(True)
    wait(lambda: not w.state.jobs)
    pause(2)
    win = sb.window3d
    win.setGeometry(100, 100, 1600, 800)
    sb.clock.setValue(30)
    pause(2)
    shot("edu6_side_by_side_3d.png")
if WHAT in ("teach", "all"):
    wait(lambda: w.state.twin is not None and not w.state.jobs)
    w.show_step("Teach")
    pause(1)
    lp = w.panels["Lessons"]
    lp.box.setCurrentIndex(1)  # preload, afterload and contractility
    wait(lambda: not w.state.jobs)
    lp.go(10)
    lp.group.buttons()[0].setChecked(True)
    lp.check()
    tc = w.panels["Teaching controls"]
    tc.sliders["afterload"].setValue(150)
    pause(1)
    w.step_pages["Teach"].ensureWidgetVisible(tc, 0, 0)
    pause(1)
    shot("edu6_teach_controls.png")
    w.step_pages["Teach"].ensureWidgetVisible(lp.feedback)
    pause(1)
    shot("edu6_lesson_player.png")
w.close()
