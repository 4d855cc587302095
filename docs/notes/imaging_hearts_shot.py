"""The 13 virtual hearts' disease anatomy at ED, cut in a mid-ventricular short-axis plane
(the LV's long axis), chambers pushed apart (or not, with a third argument ``nopush``).

Run: xvfb-run -a python docs/notes/imaging_hearts_shot.py OUT.png [2|4] [nopush]
"""

import sys

import numpy as np
import pyvista as pv

from twinviewer.gui.demo_heart import load_shipped_meshes
from twinviewer.imaging.demo4d import demo_heart_4d
from twinviewer.imaging.disease_anatomy import deform_anatomy, volume_curves
from twinviewer.physiology import simulate
from twinviewer.physiology.virtual_hearts import HEARTS

COLOURS = {"lv_blood": "red", "lv_myocardium": "tan", "rv_blood": "royalblue", "la": "salmon",
           "ra": "lightblue"}
base = load_shipped_meshes() if sys.argv[2:3] in ([], ["2"]) else demo_heart_4d()
push = "nopush" not in sys.argv
for s in base.structures.values():
    s.meshes = {0: s.meshes[0]}
pl = pv.Plotter(off_screen=True, shape=(3, 5), window_size=(1750, 1050), border=False)
for n, h in enumerate(HEARTS):
    r = simulate(h.model, h.vector())
    a = deform_anatomy(base, volume_curves(r.series), lv_wall_mm=h.anatomy.lv_wall_mm,
                       push=push)
    pl.subplot(n // 5, n % 5)
    lv = base.structures["lv_blood"].meshes[0].points
    c0 = lv.mean(axis=0)
    axis = np.linalg.svd(lv - c0, full_matrices=False)[2][0]
    for k, c in COLOURS.items():
        m = a.structures[k].meshes[0]
        poly = pv.PolyData.from_regular_faces(m.points, m.faces)
        cut = poly.slice(normal=axis, origin=c0)
        if cut.n_points:
            pl.add_mesh(cut, color=c, line_width=3)
    pl.add_text(h.name + ("" if push else " (not pushed)"), font_size=9)
    pl.view_vector(axis)
    pl.camera.zoom(1.2)
pl.link_views()
pl.screenshot(sys.argv[1])
