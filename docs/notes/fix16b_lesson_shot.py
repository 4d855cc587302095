"""fix16b (final15 #7): the Teach step after a shipped lesson (which opens with a heart) and
then a user-written lesson that opens with a text step, at 1600×900 under Xvfb; saves
``<out>/first.png`` (the shipped lesson) and ``<out>/text_first.png``::

    xvfb-run -a -s "-screen 0 1920x1080x24" python docs/notes/fix16b_lesson_shot.py <out>
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
from twinviewer.teaching.lesson import parse_lesson  # noqa: E402

TEXT_FIRST = ("title: My own lesson\nsteps:\n  - text: Before we look at a heart, think about"
              " what the aortic valve does.\n  - load_heart: severe_as\n  - text: Here it is.\n")


out = Path(sys.argv[1] if len(sys.argv) > 1 else "fix16b_lesson")
out.mkdir(exist_ok=True, parents=True)
w = MainWindow(settings=QSettings(str(out / "s.ini"), QSettings.Format.IniFormat),
               load_demo=False)
w.resize(1600, 900)
w.move(0, 0)
w.show()
w.show_step("Teach")
wait_jobs(w)
pump(2)
app.primaryScreen().grabWindow(0).save(str(out / "first.png"))
lp = w.panels["Lessons"]
lp.open_lesson(parse_lesson(TEXT_FIRST))
wait_jobs(w)
pump(2)
app.primaryScreen().grabWindow(0).save(str(out / "text_first.png"))
print("header:", w.lesson_centre.header.text())
w.close()
