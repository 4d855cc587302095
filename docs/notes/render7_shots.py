"""Screenshots of playback at 1280×800 for docs/notes/render7.md (run from a tree's root).

    PYTHONPATH=. xvfb-run -a -s "-screen 0 1920x1080x24" python docs/notes/render7_shots.py OUT

Plays the demo heart in real time with the pressure overlay and grabs the window from the X
server *while it plays* (no extra render first: what the user sees between two frames). Then
steps to 0.26 of the beat (ejection) and 0.6 (filling) as the cine does, grabs the screen,
renders the 3D view afresh and grabs again: ``OUT_3d_same.txt`` says whether the two 3D
pictures are the same pixels (the frame drawn ahead against a full render).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings

from twinviewer.gui.app import _app, wait_for_predictions
from twinviewer.gui.main_window import MainWindow


def _screen(widget):
    """``widget``'s pixels on the X server, as a QPixmap."""
    return (widget.screen() or _app(None).primaryScreen()).grabWindow(int(widget.winId()))


def _rgb(pixmap) -> np.ndarray:
    img = pixmap.toImage()
    a = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
    return a[:, :img.width() * 4].reshape(img.height(), img.width(), 4)[..., :3].copy()


def _turn(app, seconds: float) -> None:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        app.processEvents()
        time.sleep(0.002)


def main(out: str) -> None:
    app = _app(None)
    qs = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=qs)
    w.resize(1280, 800)
    w.show()
    assert wait_for_predictions(app, w), w.last_error
    _turn(app, 1.0)
    w.view3d.set_overlay("pressure")
    w.cine.speed.setCurrentIndex(w.cine.speed.findData(1.0))
    w.cine.set_playing(True)
    _turn(app, 2.0)
    _screen(w).save(f"{out}_playing.png")
    w.cine.set_playing(False)
    lines = []
    v = w.view3d
    v.status_interval_s = 0.0  # the corner text at once: a full render shows it too
    for f in (0.26, 0.6):
        w.state.session.set_time(f)
        app.processEvents()
        app.processEvents()
        shown = _screen(v.plotter)
        _screen(w).save(f"{out}_t{f}.png")
        v.plotter.render()
        app.processEvents()
        again = _screen(v.plotter)
        diff = np.abs(_rgb(shown).astype(int) - _rgb(again).astype(int))
        lines.append(f"t={f}: {int((diff.max(axis=2) > 0).sum())} of {diff.shape[0]}x"
                     f"{diff.shape[1]} px differ from a full render")
    Path(f"{out}_3d_same.txt").write_text("\n".join(lines) + "\n")
    w.state.session.dirty = False


if __name__ == "__main__":
    main(sys.argv[1])
    import os

    os._exit(0)  # skip Qt/VTK teardown (tests/conftest.py explains the X connection)
