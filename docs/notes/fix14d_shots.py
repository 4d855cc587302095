"""Screenshots of the Teach step at 1280×720 and 1920×1080 (fix14d, review14 #9).

Run from the repository root under Xvfb:
``xvfb-run -a -s "-screen 0 1920x1080x24" python docs/notes/fix14d_shots.py OUT_DIR TAG``.
Prints, for each size, the Teach page's scroll range and whether the lesson's text, Back/Next
and the lesson heart's loop are inside the window without scrolling.
"""

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QRect, QSettings
from PySide6.QtWidgets import QApplication

app = QApplication.instance() or QApplication(sys.argv)
from twinviewer.gui.main_window import MainWindow  # noqa: E402

out, tag = Path(sys.argv[1]), sys.argv[2]
out.mkdir(parents=True, exist_ok=True)


def pump(sec: float) -> None:
    t = time.time()
    while time.time() - t < sec:
        app.processEvents()
        time.sleep(0.005)


def seen(widget, w) -> str:
    """How much of ``widget`` shows, unscrolled: its rectangle clipped by every ancestor's."""
    if not widget.isVisible():
        return "hidden"
    rect = QRect(widget.mapTo(w, widget.rect().topLeft()), widget.size())
    shown, p = QRect(rect), widget.parentWidget()
    while p is not None and p is not w:
        shown = shown.intersected(QRect(p.mapTo(w, p.rect().topLeft()), p.size()))
        p = p.parentWidget()
    shown = shown.intersected(w.rect())
    whole = widget.width() * widget.height()
    part = shown.width() * shown.height() / max(whole, 1)
    return f"{part:.0%} of {widget.width()}×{widget.height()}"


for size in ((1280, 720), (1920, 1080)):
    tmp = tempfile.mkdtemp()
    w = MainWindow(settings=QSettings(f"{tmp}/s.ini", QSettings.Format.IniFormat))
    w.resize(*size)
    w.show()
    pump(4)
    w._default_sizes()
    w.show_step("Teach")
    pump(4)
    lp = w.panels["Lessons"]
    lp.box.setCurrentIndex(2)  # the aortic stenosis lesson
    pump(2)
    lp.go(3)
    pump(3)
    page = w.step_pages["Teach"]
    print(tag, size, "scroll range", page.verticalScrollBar().maximum(), "over",
          page.viewport().height())
    for name, wid in (("text", lp.text), ("next", lp.next_btn), ("back", lp.prev_btn),
                      ("choices", lp.choices), ("check", lp.check_btn),
                      ("loop+Wiggers", lp.view.glw), ("key", lp.view.key)):
        print("   ", name, seen(wid, w))
    w.grab().save(str(out / f"{tag}_teach_{size[0]}.png"))
    sections = getattr(w, "step_sections", {}).get("Teach")
    if sections is not None:  # fix14d: the sliders' section open
        tc = w.panels["Teaching controls"]
        before = w.step_stack.width()
        sections.open(tc)
        pump(3)
        print("    step column width", before, "→", w.step_stack.width())
        print(tag, size, "sliders open: scroll range", page.verticalScrollBar().maximum())
        for name, wid in (("sliders", tc.sliders["afterload"]), ("readout", tc.readout),
                          ("loop+Wiggers", tc.view.glw)):
            print("   ", name, seen(wid, w))
        w.grab().save(str(out / f"{tag}_sliders_{size[0]}.png"))
        for title in ("Diagnose the hidden lesion", "Side by side"):
            sections.open(w.panels[title])
            pump(2)
            print(tag, size, f"{title} open: scroll range", page.verticalScrollBar().maximum())
            w.grab().save(str(out / f"{tag}_{title.split()[0].lower()}_{size[0]}.png"))
    w.state.session.dirty = False
    w.close()
    pump(1)
