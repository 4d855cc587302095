"""Render the virtual-heart montage ``docs/screenshots/virtual_hearts.png``.

Run from the repository root under a display (``xvfb-run -a python
docs/screenshots/make_virtual_hearts.py``). Each panel is the demo heart deformed by
:func:`twinviewer.imaging.disease_anatomy.deform_anatomy` to one virtual heart's simulated
end-diastolic volumes and LV wall thickness, all with the same camera and scale.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyvista as pv

from twinviewer.core.anatomy import Anatomy, Structure, SurfaceMesh
from twinviewer.imaging.disease_anatomy import deform_anatomy, volume_curves
from twinviewer.imaging.segmentation import display
from twinviewer.physiology import simulate
from twinviewer.physiology.virtual_hearts import get_heart

ROOT = Path(__file__).resolve().parents[2]
HEARTS = ("healthy", "hfref", "severe_ar", "severe_as", "mitral_stenosis", "asd",
          "pulmonary_hypertension", "hfpef")


def _base() -> Anatomy:
    anatomy = Anatomy("virtual-heart")
    for f in sorted((ROOT / "meshes" / "demo_heart").glob("*_E[DS].vtp")):
        key, phase = f.stem.rsplit("_", 1)
        poly = pv.read(f)
        name, color = display(key)
        s = anatomy.structures.setdefault(key, Structure(key, name, color))
        s.meshes[{"ED": 0, "ES": 1}[phase]] = SurfaceMesh(
            np.asarray(poly.points, float), np.asarray(poly.faces).reshape(-1, 4)[:, 1:])
    return anatomy


def _poly(m: SurfaceMesh) -> pv.PolyData:
    return pv.PolyData(m.points, np.c_[np.full(m.n_faces, 3), m.faces].ravel())


def main(out: Path = ROOT / "docs" / "screenshots" / "virtual_hearts.png") -> None:
    base = _base()
    pl = pv.Plotter(off_screen=True, shape=(2, 4), window_size=(1800, 950), border=False)
    camera = None
    for n, name in enumerate(HEARTS):
        h = get_heart(name)
        r = simulate(h.model, h.vector())
        a = deform_anatomy(base, volume_curves(r.series), lv_wall_mm=h.anatomy.lv_wall_mm,
                           label=h.title)
        pl.subplot(n // 4, n % 4)
        for key, s in a.structures.items():
            opacity = {"lv_myocardium": 0.45, "rv_blood": 0.75}.get(key, 1.0)
            pl.add_mesh(_poly(s.meshes[0]), color=s.color, opacity=opacity,
                        smooth_shading=True)
        m = {k: float(v[0]) for k, v in r.metrics.items()}
        pl.add_text(f"{h.title}\nLVEDV {m['LVEDV']:.0f} mL  RVEDV {m['RVEDV']:.0f} mL  "
                    f"LV wall {h.anatomy.lv_wall_mm:.0f} mm", font_size=9)
        if camera is None:
            pl.view_vector((1.0, -0.7, 0.3), viewup=(0, 0, 1))
            pl.camera.zoom(1.25)
            camera = pl.camera.copy()
        else:
            pl.camera = camera.copy()
    pl.screenshot(str(out))
    print(out)


if __name__ == "__main__":
    main(*(Path(a) for a in sys.argv[1:]))
