"""fix6: the HFrEF virtual heart's LV wall at ED and ES on the app's base (the moving biv-me
heart, decimated as the app shows it), with turned-over faces in red.

Run from a worktree: ``PYTHONPATH=$PWD python docs/notes/fix6_shots.py OUT.png [HEART]``.
"""

import sys

import numpy as np
import pyvista as pv

from twinviewer.gui.demo_heart import simplify_series
from twinviewer.imaging import disease_anatomy as da
from twinviewer.imaging.demo4d import demo_heart_4d
from twinviewer.physiology import simulate
from twinviewer.physiology.virtual_hearts import get_heart

out = sys.argv[1]
name = sys.argv[2] if len(sys.argv) > 2 else "hfref"
base = demo_heart_4d()
for s in base.structures.values():
    simplify_series(s)
h = get_heart(name)
r = simulate(h.model, h.vector())
heart = da.deform_anatomy(base, da.volume_curves(r.series), lv_wall_mm=h.anatomy.lv_wall_mm)
lv = heart.structures["lv_blood"].meshes
ed, es = max(lv, key=lambda p: lv[p].volume_ml()), min(lv, key=lambda p: lv[p].volume_ml())


def poly(m):
    return pv.PolyData.from_regular_faces(m.points, m.faces)


pv.OFF_SCREEN = True
plot = pv.Plotter(shape=(1, 2), window_size=(1600, 800), off_screen=True)
for col, (tag, p) in enumerate((("ED", ed), ("ES", es))):
    plot.subplot(0, col)
    wall = heart.structures["lv_myocardium"].meshes[p]
    turned = da.flipped_faces(base.structures["lv_myocardium"].meshes[p], wall)
    sl = da.slivers(base.structures["lv_myocardium"].meshes[p])
    w = poly(wall)
    w.cell_data["turned"] = np.where(turned & ~sl, 2, np.where(turned, 1, 0))
    plot.add_mesh(w, scalars="turned", cmap=["#e8b0a0", "#ffd000", "#ff0000"], clim=(0, 2),
                  show_scalar_bar=False, opacity=1.0, smooth_shading=False)
    plot.add_mesh(poly(heart.structures["rv_blood"].meshes[p]), color="#3050ff", opacity=0.35)
    for k in ("la", "ra"):
        plot.add_mesh(poly(heart.structures[k].meshes[p]), color="#c06080", opacity=0.25)
    plot.add_text(f"{h.title}, {tag} (frame {p}): LV {lv[p].volume_ml():.0f} mL, wall "
                  f"{wall.volume_ml():.0f} mL; turned faces {int((turned & ~sl).sum())} "
                  f"(slivers {int((turned & sl).sum())}, yellow)", font_size=10)
    plot.view_vector((-1.0, -0.6, 0.5))
plot.link_views()
plot.screenshot(out)
print(out, name, "ED", ed, "ES", es)
