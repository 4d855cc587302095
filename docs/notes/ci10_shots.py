"""ci10: the three library hearts whose LV wall turned faces on model 3.1 (moderate AS,
severe AS, HFpEF), at the end-systolic phase where they turned, built as the app builds them
(the demo base's 25 frames, the teaching predictions); faces turned against end-diastole in
red, each marked by a red ball so that one face shows. The title gives the wall's volume
range over the cycle.

Run from a tree: ``PYTHONPATH=$PWD xvfb-run -a python docs/notes/ci10_shots.py OUT.png
[PICKLE_DIR]`` (PICKLE_DIR: built anatomies read from / written to ``NAME.pkl`` there).
"""

import pickle
import sys
from pathlib import Path

import pyvista as pv

from twinviewer.gui import heart_anatomy as ha
from twinviewer.gui.demo_heart import demo_anatomy
from twinviewer.imaging.disease_anatomy import flipped_faces
from twinviewer.teaching.predictions import virtual_twin

HEARTS = (("moderate_as", 9), ("severe_as", 10), ("hfpef", 9))
out = sys.argv[1]
store = Path(sys.argv[2]) if len(sys.argv) > 2 else None
base = None


def built(name):
    global base
    f = store / f"{name}.pkl" if store is not None else None
    if f is not None and f.exists():
        return pickle.loads(f.read_bytes())
    base = base or demo_anatomy()
    a = ha.build_heart_anatomy(name, base, virtual_twin(name)[1], image=False)
    if f is not None:
        f.write_bytes(pickle.dumps(a))
    return a


def poly(m):
    return pv.PolyData.from_regular_faces(m.points, m.faces)


pv.OFF_SCREEN = True
plot = pv.Plotter(shape=(1, 3), window_size=(1800, 700), off_screen=True)
for col, (name, p) in enumerate(HEARTS):
    a = built(name)
    lv, my = a.structures["lv_blood"].meshes, a.structures["lv_myocardium"].meshes
    ed = max(lv, key=lambda q: lv[q].volume_ml())
    turned = flipped_faces(my[ed], my[p])
    vol = [m.volume_ml() for m in my.values()]
    plot.subplot(0, col)
    w = poly(my[p])
    w.cell_data["turned"] = turned.astype(int)
    plot.add_mesh(w, scalars="turned", cmap=["#e8b0a0", "#ff0000"], clim=(0, 1),
                  show_scalar_bar=False, show_edges=True, edge_color="#806060", line_width=0.3)
    if turned.any():
        c = my[p].points[my[p].faces[turned]].mean(axis=1)
        plot.add_mesh(pv.PolyData(c).glyph(geom=pv.Sphere(radius=2.0), scale=False),
                      color="#ff0000")
    plot.add_text(f"{name}, phase {p} (ED {ed}): turned {int(turned.sum())} of "
                  f"{len(turned)} faces\nwall {min(vol):.1f}–{max(vol):.1f} mL over the cycle",
                  font_size=10)
    plot.view_vector((-1.0, -0.6, 0.5))
    n_all = sum(int(flipped_faces(my[ed], m).sum()) for m in my.values())
    print(name, "phase", p, "turned", int(turned.sum()), "all phases", n_all,
          f"wall {min(vol):.1f}-{max(vol):.1f} mL")
plot.screenshot(out)
print(out)
