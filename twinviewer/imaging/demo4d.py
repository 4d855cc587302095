"""A moving demo heart: biv-me's real ventricles over 25 frames, with atria and great vessels.

Ventricles and their motion are the biv-me example patient (``meshes/bivme_patient1``,
Apache-2.0; :func:`twinviewer.imaging.bivme.load_bivme`): LV and RV blood pools, capped at the
valves, and the epicardium, point for point over one R-R interval. The LV myocardium (free
wall and septum) is built from those three surfaces and moves with them
(:func:`twinviewer.imaging.bivme_wall.lv_wall`), so wall stress can be shown on it.

Atria and great vessels are our own: the shipped phantom's ED surfaces
(``meshes/demo_heart/{la,ra,aorta,pulmonary_artery}_ED.vtp``) placed on biv-me's heart by the
rigid transform that maps the phantom's mitral-plane centre, long axis and RV direction onto
biv-me's (mitral annulus centroid, mitral centroid → LV apex, LV → RV centroid). Their motion
is prescribed, not measured:

- atria fill while the ventricles eject (volume ``V_ED + ΔV × (1 − v(t))``, ``v`` the
  ventricle's volume normalised to 0 at ES and 1 at ED; ``ΔV`` = :data:`ATRIAL_FILLING` ×
  the ventricle's stroke volume), scaled about their centroid, and ride with the
  atrioventricular annulus (translation of the mitral / tricuspid annulus centroid);
- aorta and pulmonary trunk distend by up to :data:`VESSEL_DISTENSION` (radial, about their
  centroid) in step with ejection.

Every frame of a structure shares one faces array, so the view interpolates points.

Examples
--------
>>> a = demo_heart_4d()
>>> sorted(a.structures)[:3], len(a.structures["la"].meshes)
(['aorta', 'epicardium', 'la'], 25)
>>> len(a.structures["lv_myocardium"].meshes)
25
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twinviewer.core.anatomy import Anatomy, Structure, SurfaceMesh
from twinviewer.imaging.bivme import load_bivme
from twinviewer.imaging.bivme_wall import lv_wall
from twinviewer.imaging.curves import mesh_volume
from twinviewer.imaging.mesh_series import boundary_loops

DEMO_DIR = Path(__file__).resolve().parents[2] / "meshes" / "demo_heart"
ATRIAL_FILLING = 0.45  # atrial reservoir volume as a fraction of the ventricle's stroke volume
VESSEL_DISTENSION = 0.06  # peak relative radius change of aorta and pulmonary trunk
SOURCE = "demo heart: biv-me ventricles; prescribed atrial and vessel motion"


def _frame(axis: np.ndarray, towards: np.ndarray) -> np.ndarray:
    u = axis / np.linalg.norm(axis)
    v = towards - (towards @ u) * u
    v /= np.linalg.norm(v)
    return np.stack([u, v, np.cross(u, v)])


def _annulus(mesh: SurfaceMesh, n: int) -> list[np.ndarray]:
    """Centroids of the ``n`` largest openings of the uncapped surface, largest first."""
    loops = sorted(boundary_loops(mesh.without_caps().faces), key=len, reverse=True)[:n]
    return [mesh.points[loop].mean(axis=0) for loop in loops]


def _read(path: Path) -> SurfaceMesh:
    import pyvista as pv

    poly = pv.read(path)
    return SurfaceMesh(np.asarray(poly.points, float), np.asarray(poly.regular_faces))


def demo_heart_4d(demo_dir: Path = DEMO_DIR, pseudonym: str = "virtual-heart") -> Anatomy:
    """The 25-frame demo heart (see module docstring); phase 0 = end-diastole."""
    from twinviewer.imaging import phantom
    from twinviewer.imaging.segmentation import display

    a = load_bivme(pseudonym=pseudonym)
    wall = a.structures["lv_myocardium"] = lv_wall(a)
    wall.volumes = {p: mesh_volume(m, "lv_myocardium", SOURCE) for p, m in wall.meshes.items()}
    lv, rv = a.structures["lv_blood"].meshes, a.structures["rv_blood"].meshes
    n = len(lv)
    mitral = np.array([_annulus(lv[p], 1)[0] for p in range(n)])
    tricuspid = np.array([_annulus(rv[p], 1)[0] for p in range(n)])
    apex = lv[0].points[np.argmax(np.linalg.norm(lv[0].points - mitral[0], axis=1))]
    target = _frame(apex - mitral[0], rv[0].points.mean(0) - lv[0].points.mean(0))
    source = _frame(phantom.U, phantom.V)
    rot = target.T @ source  # phantom direction -> biv-me direction
    base = phantom.FOV_CENTRE + phantom._BASE_OFFSET

    def place(p: np.ndarray) -> np.ndarray:
        return (p - base) @ rot.T + mitral[0]

    vols = {k: np.array([a.structures[k].volumes[p].value for p in range(n)])
            for k in ("lv_blood", "rv_blood")}
    norm = {k: (v - v.min()) / (v.max() - v.min()) for k, v in vols.items()}
    rules = {"la": ("lv_blood", mitral), "ra": ("rv_blood", tricuspid),
             "aorta": ("lv_blood", None), "pulmonary_artery": ("rv_blood", None)}
    for key, (chamber, annulus) in rules.items():
        path = demo_dir / f"{key}_ED.vtp"
        if not path.exists():
            a.notes.append(f"demo heart: {path.name} missing; {key} left out")
            continue
        m0 = _read(path)
        pts0 = place(m0.points)
        c0 = pts0.mean(axis=0)
        sv = vols[chamber].max() - vols[chamber].min()
        meshes = {}
        for p in range(n):
            if annulus is not None:
                v_ed = abs(m0.volume_ml())
                s = ((v_ed + ATRIAL_FILLING * sv * (1 - norm[chamber][p])) / v_ed) ** (1 / 3)
                pts = c0 + s * (pts0 - c0) + (annulus[p] - annulus[0])
            else:
                pts = c0 + (1 + VESSEL_DISTENSION * (1 - norm[chamber][p])) * (pts0 - c0)
            meshes[p] = SurfaceMesh(pts, m0.faces)
        name, color = display(key)
        st = a.structures[key] = Structure(key, name, color, meshes)
        st.volumes = {p: mesh_volume(m, key, SOURCE) for p, m in meshes.items()}
    a.notes.append("demo heart: ventricles from biv-me patient1 (measured motion); atria and "
                   "great vessels placed on them with prescribed motion")
    return a
