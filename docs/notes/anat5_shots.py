"""Off-screen renders of the moving demo heart (frame 0, end-diastole) from three views.

Run: ``xvfb-run -a python docs/notes/anat5_shots.py OUT.png`` (PYTHONPATH = the checkout).
"""

from __future__ import annotations

import sys

import numpy as np
import pyvista as pv

from twinviewer.imaging.demo4d import demo_heart_4d

VIEWS = {"anterior": (0.0, -1.0, 0.0), "left posterior": (0.7, 0.7, 0.1),
         "from above-right": (-0.6, -0.3, 0.75)}


def main(out: str) -> None:
    a = demo_heart_4d()
    pl = pv.Plotter(shape=(1, 3), off_screen=True, window_size=(1500, 560))
    faces = sum(st.meshes[0].n_faces for st in a.structures.values())
    for n, (title, direction) in enumerate(VIEWS.items()):
        pl.subplot(0, n)
        for key, st in a.structures.items():
            if key == "epicardium":
                continue
            m = st.meshes[0]
            poly = pv.PolyData.from_regular_faces(m.points, m.faces)
            pl.add_mesh(poly, color=st.color, smooth_shading=True,
                        opacity=0.35 if key == "lv_myocardium" else 1.0)
        pl.add_text(title, font_size=10)
        centre = np.concatenate([s.meshes[0].points for s in a.structures.values()]).mean(0)
        pl.camera.focal_point = centre
        pl.camera.position = centre + 450.0 * np.asarray(direction)
        pl.camera.up = (0.0, 0.0, 1.0)
    pl.screenshot(out)
    print(f"{out}: {len(a.structures)} structures, {faces} triangles at frame 0 (full meshes)")


if __name__ == "__main__":
    main(sys.argv[1])
