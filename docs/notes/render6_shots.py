"""Screenshots of playback at 1280×800 for docs/notes/render6.md (run from a tree's root).

    PYTHONPATH=. xvfb-run -a -s "-screen 0 1920x1080x24" python docs/notes/render6_shots.py OUT

Plays the demo heart in real time with the pressure overlay for two seconds, grabs the window
while it plays, then pauses at 0.26 of the beat (ejection) and 0.6 (filling) and grabs each.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings

from twinviewer.gui.app import _app, grab_window, wait_for_predictions
from twinviewer.gui.main_window import MainWindow


def main(out: str) -> None:
    app = _app(None)
    qs = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=qs)
    w.resize(1280, 800)
    w.show()
    assert wait_for_predictions(app, w), w.last_error
    w.view3d.set_overlay("pressure")
    w.cine.speed.setCurrentIndex(w.cine.speed.findData(1.0))
    w.cine.set_playing(True)
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 2.0:
        app.processEvents()
        time.sleep(0.002)
    grab_window(w, f"{out}_playing.png")
    w.cine.set_playing(False)
    for f in (0.26, 0.6):
        w.state.session.set_time(f)
        for _ in range(40):  # the corner text's held-back time, the slices' cuts
            app.processEvents()
            time.sleep(0.01)
        grab_window(w, f"{out}_t{f}.png")
        w.view3d.screenshot(f"{out}_3d_t{f}.png")
    w.state.session.dirty = False


if __name__ == "__main__":
    main(sys.argv[1])
    import os

    os._exit(0)  # skip Qt/VTK teardown (tests/conftest.py explains the X connection)
