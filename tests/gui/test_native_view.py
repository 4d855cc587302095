"""The app's 3D view as a native child window (X11): it draws the heart, moves it in place,
and the process ends cleanly. Run in a subprocess under its own Xvfb (see tests/conftest.py
for why not in the test process)."""

from __future__ import annotations

from pathlib import Path

from tests.benchmarks.xvfb import run_script

#: A 400×400 px View3D showing a red sphere that shrinks by ``SHRINK`` per phase (3 phases).
_SPHERE_VIEW = r"""
import json, os
import numpy as np
import pyvista as pv
from PySide6.QtWidgets import QApplication
from twinviewer.core.anatomy import Anatomy, Structure, SurfaceMesh
from twinviewer.gui.state import TwinState
from twinviewer.gui.view3d import View3D
app = QApplication([])
s = pv.Sphere(radius=20.0, theta_resolution=24, phi_resolution=24)
lv = Structure("lv_blood", "LV blood pool", (1.0, 0.0, 0.0))
for p in range(3):
    lv.meshes[p] = SurfaceMesh(np.asarray(s.points) * (1 - SHRINK * p), s.regular_faces)
a = Anatomy("x", {"lv_blood": lv}, phase_times_ms=[0.0, 300.0, 600.0], rr_ms=900.0)
v = View3D(TwinState()); v.resize(400, 400); v.show()
v.set_overlay("none"); v.set_anatomy(a)
"""

_SCRIPT = "SHRINK = 0.15\n" + _SPHERE_VIEW + r"""
for _ in range(5):
    app.processEvents()
img = v.screenshot()
h, w, _ = img.shape
centre = img[h // 2 - 5:h // 2 + 5, w // 2 - 5:w // 2 + 5].reshape(-1, 3).mean(axis=0)
corner = img[-8:-2, -8:-2].reshape(-1, 3).mean(axis=0)
live = v.live["lv_blood"]; before = np.array(live.points)
v.state.session.set_time(0.33); app.processEvents()
moved = float(np.abs(np.asarray(live.points) - before).max())
print("BENCH" + json.dumps({"widget": type(v.plotter).__name__, "centre": centre.tolist(),
      "corner": corner.tolist(), "same_surface": v.live["lv_blood"] is live, "moved": moved}),
      flush=True)
v.close(); app.processEvents()
"""


def test_native_view_draws_and_moves_the_heart():
    r = run_script(_SCRIPT, Path(__file__).resolve().parents[2], timeout=300)
    assert r["widget"] == "NativeInteractor"
    red, green, blue = r["centre"]
    assert red > 100 and red > 2 * green and red > 2 * blue  # the red LV at the centre
    assert max(r["corner"]) < 60  # the dark background around it
    assert r["same_surface"] and r["moved"] > 2.0  # moved in place


_AHEAD = "SHRINK = 0.3\n" + _SPHERE_VIEW + r"""
from PySide6.QtGui import QGuiApplication
v.status_interval_s = 0.0  # the corner text at once (a full render draws it too)
for _ in range(5):
    app.processEvents()
renders = []  # True: drawn ahead (no swap), False: drawn and shown by a paint or a call
v.plotter.ren_win.AddObserver("StartEvent", lambda *_: renders.append(v.plotter._drawing_ahead))
def shown():  # the window's pixels on the X server: what the user sees
    img = QGuiApplication.primaryScreen().grabWindow(int(v.plotter.winId())).toImage()
    a = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
    return a[:, :img.width() * 4].reshape(img.height(), img.width(), 4)[..., 2::-1].copy()
out = {}
def frame(name, *times, then=None):
    renders.clear()
    for t in times:  # in one event-loop turn
        v.state.session.set_time(t)
    if then is not None:
        then()
    app.processEvents(); app.processEvents()
    img = shown()
    out[name] = {"renders": list(renders)}
    v.plotter.render(); app.processEvents()  # the same scene, drawn and shown at once
    out[name]["same_as_full_render"] = bool(np.array_equal(img, shown()))
    c = img[195:205, 195:205].reshape(-1, 3).mean(axis=0)
    out[name]["centre"] = c.tolist()
frame("one frame", 0.33)
frame("two times in one turn", 0.5, 0.7)
frame("changed after drawing", 0.1, then=lambda: v.set_structure_opacity("lv_blood", 0.3))
print("BENCH" + json.dumps(out), flush=True)
v.close(); app.processEvents()
"""


def test_a_playback_frame_is_drawn_ahead_and_shown_by_the_paint():
    """A time step draws the 3D frame at once without the swap (llvmpipe rasterises while
    the other views update); the paint shows that frame: one render, and the window shows
    the same pixels as a full render. Two steps in one event-loop turn, or a change after
    drawing ahead, make the paint render again rather than show an old frame."""
    r = run_script(_AHEAD, Path(__file__).resolve().parents[2], timeout=300)
    one = r["one frame"]
    assert one["renders"] == [True] and one["same_as_full_render"]
    two = r["two times in one turn"]
    assert two["renders"] == [True, False] and two["same_as_full_render"]
    changed = r["changed after drawing"]
    assert changed["renders"] == [True, False] and changed["same_as_full_render"]
    # the translucent LV, not the opaque one drawn ahead before the change
    assert changed["centre"][0] < 0.6 * one["centre"][0]
