"""The app's 3D view as a native child window (X11): it draws the heart, moves it in place,
and the process ends cleanly. Run in a subprocess under its own Xvfb (see tests/conftest.py
for why not in the test process)."""

from __future__ import annotations

from pathlib import Path

from tests.benchmarks.xvfb import run_script

_SCRIPT = r"""
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
    lv.meshes[p] = SurfaceMesh(np.asarray(s.points) * (1 - 0.15 * p), s.regular_faces)
a = Anatomy("x", {"lv_blood": lv}, phase_times_ms=[0.0, 300.0, 600.0], rr_ms=900.0)
v = View3D(TwinState()); v.resize(400, 400); v.show()
v.set_overlay("none"); v.set_anatomy(a)
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
