"""A moving demo heart: biv-me's real ventricles over 25 frames, with atria and great vessels.

Ventricles and their motion are the biv-me example patient (``meshes/bivme_patient1``,
Apache-2.0; :func:`twinviewer.imaging.bivme.load_bivme`): LV and RV blood pools, capped at the
valves, and the epicardium, point for point over one R-R interval. The LV myocardium (free
wall and septum) is built from those three surfaces and moves with them
(:func:`twinviewer.imaging.bivme_wall.lv_wall`), so wall stress can be shown on it.

Atria (with appendages), great vessels (aortic sinuses and arch branches) and veins are our
own: the shipped phantom's ED surfaces (``meshes/demo_heart/<key>_ED.vtp``, how each was made
in its ``provenance.json``) placed on biv-me's heart by the rigid transform that maps the
phantom's mitral-plane centre, long axis and RV direction onto biv-me's (mitral annulus
centroid, mitral centroid → LV apex, LV → RV centroid); then the RA, aorta and pulmonary
artery are seated on biv-me's own valves: translated so that the point of their body facing
the valve lies on the valve's centroid (:data:`_SEATS`; veins move with their atrium).
Their motion is prescribed, not measured:

- atria fill while the ventricles eject (volume ``V_ED + ΔV × (1 − v(t))``, ``v`` the
  ventricle's volume normalised to 0 at ES and 1 at ED; ``ΔV`` = :data:`ATRIAL_FILLING` ×
  the ventricle's stroke volume), scaled about their centroid, and ride with the
  atrioventricular annulus (translation of the mitral / tricuspid annulus centroid);
- aorta and pulmonary trunk distend by up to :data:`VESSEL_DISTENSION` (radial, about their
  centroid) in step with ejection;
- the caval veins (``svc``, ``ivc``) and the four pulmonary veins (``pulmonary_veins``) ride
  with their atrium: each vein vertex moves as its nearest atrial vertex does (scaling and
  translation), so the ostia stay on the atrial wall and the veins keep their calibre
  (:data:`~twinviewer.imaging.vocabulary.ATRIUM_OF_VEIN`).

The valve annuli (``valve_annuli``: mitral, aortic, tricuspid, pulmonary) are closed tube
rings (tube radius :data:`RING_RADIUS_MM`) along biv-me's own valve openings, the boundary
loops of the uncapped LV and RV surfaces, rebuilt in every frame (:func:`valve_annuli`), so
they lie on the valve planes and move with the measured base.

Every frame of a structure shares one faces array, so the view interpolates points.

Examples
--------
>>> a = demo_heart_4d()
>>> sorted(a.structures)[:3], len(a.structures["la"].meshes)
(['aorta', 'epicardium', 'ivc'], 25)
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
from twinviewer.imaging.vocabulary import ATRIUM_OF_VEIN

DEMO_DIR = Path(__file__).resolve().parents[2] / "meshes" / "demo_heart"
ATRIAL_FILLING = 0.45  # atrial reservoir volume as a fraction of the ventricle's stroke volume
VESSEL_DISTENSION = 0.06  # peak relative radius change of aorta and pulmonary trunk
SOURCE = "demo heart: biv-me ventricles; prescribed atrial and vessel motion"
#: Triangles kept of each vein (thin tubes need few; keeps the moving heart's triangle count
#: within ~30 % of the four-chamber one for the playback frame rate).
VEIN_FACES: dict[str, int] = {"svc": 1200, "ivc": 1200, "pulmonary_veins": 2400}
RING_RADIUS_MM = 1.5  # valve annulus ring: a 3 mm thick tube
RING_SEGMENTS = 36  # points along each ring
RING_SIDES = 6  # points around the tube


def _ring_faces(m: int, k: int) -> np.ndarray:
    i, j = np.meshgrid(np.arange(m), np.arange(k), indexing="ij")
    a, b = i * k + j, ((i + 1) % m) * k + j
    c, d = ((i + 1) % m) * k + (j + 1) % k, i * k + (j + 1) % k
    return np.concatenate([np.stack([a, c, b], -1).reshape(-1, 3),
                           np.stack([a, d, c], -1).reshape(-1, 3)])


def _ring_points(loop: np.ndarray, m: int = RING_SEGMENTS, k: int = RING_SIDES,
                 radius: float = RING_RADIUS_MM) -> np.ndarray:
    """Tube points around a closed polyline: resampled to ``m`` points by arc length from its
    first vertex (so frames of one loop correspond), lightly smoothed, ``k`` around."""
    closed = np.vstack([loop, loop[:1]])
    arc = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(closed, axis=0), axis=1))]
    t = np.linspace(0.0, arc[-1], m, endpoint=False)
    c = np.stack([np.interp(t, arc, closed[:, d]) for d in range(3)], axis=1)
    for _ in range(3):
        c = 0.25 * np.roll(c, 1, 0) + 0.5 * c + 0.25 * np.roll(c, -1, 0)
    q = c - c.mean(0)
    normal = np.cross(q, np.roll(q, -1, 0)).sum(0)  # Newell: follows the loop's direction
    normal /= np.linalg.norm(normal)
    tan = np.roll(c, -1, 0) - np.roll(c, 1, 0)
    tan /= np.linalg.norm(tan, axis=1, keepdims=True)
    b1 = normal - (tan @ normal)[:, None] * tan
    b1 /= np.linalg.norm(b1, axis=1, keepdims=True)
    b2 = np.cross(tan, b1)
    ang = 2.0 * np.pi * np.arange(k) / k
    ring = (c[:, None, :] + radius * (np.cos(ang)[None, :, None] * b1[:, None, :]
                                      + np.sin(ang)[None, :, None] * b2[:, None, :]))
    return ring.reshape(-1, 3)


#: Valve -> (ventricle key, rank of its opening by size): the inflow valve is the larger.
VALVES: dict[str, tuple[str, int]] = {"mitral": ("lv_blood", 0), "aortic": ("lv_blood", 1),
                                      "tricuspid": ("rv_blood", 0),
                                      "pulmonary": ("rv_blood", 1)}


def valve_loops(a: Anatomy) -> dict[str, list[int]]:
    """Vertex indices of each valve opening of biv-me's uncapped ventricles (see :data:`VALVES`)."""
    out = {}
    for valve, (key, rank) in VALVES.items():
        m = a.structures[key].meshes[0].without_caps()
        out[valve] = sorted(boundary_loops(m.faces), key=len, reverse=True)[rank]
    return out


def valve_annuli(a: Anatomy) -> Structure:
    """The four valve annuli as one structure: a closed tube ring along each valve opening,
    per frame, one shared triangulation (outward normals).

    Examples
    --------
    >>> from twinviewer.imaging.bivme import load_bivme
    >>> rings = valve_annuli(load_bivme())
    >>> rings.meshes[0].n_faces, rings.meshes[0].volume_ml() > 0
    (1728, True)
    """
    from twinviewer.imaging.segmentation import display

    loops = valve_loops(a)
    per = RING_SEGMENTS * RING_SIDES
    one = _ring_faces(RING_SEGMENTS, RING_SIDES)
    faces = np.concatenate([one + n * per for n in range(len(loops))])
    meshes = {}
    for p in sorted(a.structures["lv_blood"].meshes):
        pts = [_ring_points(a.structures[VALVES[v][0]].meshes[p].points[loop])
               for v, loop in loops.items()]
        meshes[p] = SurfaceMesh(np.concatenate(pts), faces)
    if meshes[0].volume_ml() < 0:  # the loops run the other way: turn the faces out
        meshes = {p: SurfaceMesh(m.points, faces[:, ::-1].copy()) for p, m in meshes.items()}
    name, color = display("valve_annuli")
    st = Structure("valve_annuli", name, color, meshes)
    st.volumes = {p: mesh_volume(m, "valve_annuli", SOURCE) for p, m in meshes.items()}
    return st


def _frame(axis: np.ndarray, towards: np.ndarray) -> np.ndarray:
    u = axis / np.linalg.norm(axis)
    v = towards - (towards @ u) * u
    v /= np.linalg.norm(v)
    return np.stack([u, v, np.cross(u, v)])


def _annulus(mesh: SurfaceMesh, n: int) -> list[np.ndarray]:
    """Centroids of the ``n`` largest openings of the uncapped surface, largest first."""
    loops = sorted(boundary_loops(mesh.without_caps().faces), key=len, reverse=True)[:n]
    return [mesh.points[loop].mean(axis=0) for loop in loops]


def _read(path: Path, max_faces: int | None = None) -> SurfaceMesh:
    import pyvista as pv

    poly = pv.read(path)
    if max_faces is not None and poly.n_cells > max_faces:
        poly = poly.decimate(1.0 - max_faces / poly.n_cells, volume_preservation=True)
    return SurfaceMesh(np.asarray(poly.points, float), np.asarray(poly.regular_faces))


#: Part -> (the centre of its body in the phantom, relative to the mitral-plane centre; the
#: semi-axes (x, y, z, mm) of the body, which leave out the appendages and the rest of the
#: vessel; the valve it sits on). The LA is not moved: the rigid transform already puts the
#: phantom's mitral centre on biv-me's (LA 12 mm from it); seating it on the valve centroid
#: would push 3.5 mL of it into the LV pool and 2.9 mL into the aorta (measured).
_SEATS: dict[str, tuple[tuple[float, ...], tuple[float, ...], str]] = {
    "ra": ((-38.0, 6.0, 14.0), (21.0, 20.0, 25.0), "tricuspid"),
    "aorta": ((-14.0, 4.0, 10.0), (20.0, 20.0, 20.0), "aortic"),
    "pulmonary_artery": ((4.0, -26.0, 22.0), (16.0, 16.0, 16.0), "pulmonary")}


def _seat_offset(key: str, place, rot: np.ndarray, a: Anatomy, base: np.ndarray,
                 loops: dict[str, list[int]]) -> np.ndarray:
    """Translation putting the point of the part's body (the ellipsoid of :data:`_SEATS`)
    that faces its valve on the valve's centroid (biv-me, frame 0), so the part sits on the
    valve (the rigid placement alone leaves the RA ~34 mm off biv-me's tricuspid valve)."""
    centre, axes, valve = _SEATS[key]
    ventricle = a.structures[VALVES[valve][0]].meshes[0]
    target = ventricle.points[loops[valve]].mean(0)
    c = place((base + np.asarray(centre))[None])[0]
    d = (target - c) / np.linalg.norm(target - c)
    t = 1.0 / np.sqrt((((d @ rot) / np.asarray(axes)) ** 2).sum())  # ellipsoid radius along d
    return target - (c + t * d)


def demo_heart_4d(demo_dir: Path = DEMO_DIR, pseudonym: str = "virtual-heart") -> Anatomy:
    """The 25-frame demo heart (see module docstring); phase 0 = the R wave (ED is the largest
    LV volume, biv-me's frame 24: :func:`twinviewer.imaging.bivme.ed_es_words`)."""
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
    # Atrium -> (its ED centroid, per-frame scale and translation): its veins get the same.
    motion: dict[str, tuple[np.ndarray, list[float], np.ndarray, np.ndarray]] = {}
    loops = valve_loops(a)
    offsets: dict[str, np.ndarray] = {}
    keys = list(rules) + list(ATRIUM_OF_VEIN)
    for key in keys:
        path = demo_dir / f"{key}_ED.vtp"
        if not path.exists():
            a.notes.append(f"demo heart: {path.name} missing; {key} left out")
            continue
        m0 = _read(path, VEIN_FACES.get(key))
        pts0 = place(m0.points)
        if key in _SEATS:  # sit on biv-me's own valve opening
            offsets[key] = _seat_offset(key, place, rot, a, base, loops)
        pts0 = pts0 + offsets.get(ATRIUM_OF_VEIN.get(key, key), 0.0)  # veins: their atrium's
        meshes = {}
        if key in ATRIUM_OF_VEIN:
            if ATRIUM_OF_VEIN[key] not in motion:
                continue
            # Each vein vertex moves as its nearest atrial vertex does: the vein follows
            # the wall at its ostium without growing with the atrium.
            from scipy.spatial import cKDTree

            c0, scale, shift, wall = motion[ATRIUM_OF_VEIN[key]]
            w = wall[cKDTree(wall).query(pts0)[1]]
            meshes = {p: SurfaceMesh(pts0 + (scale[p] - 1.0) * (w - c0) + shift[p], m0.faces)
                      for p in range(n)}
        else:
            chamber, annulus = rules[key]
            c0 = pts0.mean(axis=0)
            sv = vols[chamber].max() - vols[chamber].min()
            if annulus is not None:
                v_ed = abs(m0.volume_ml())
                scale = [((v_ed + ATRIAL_FILLING * sv * (1 - norm[chamber][p])) / v_ed)
                         ** (1 / 3) for p in range(n)]
                motion[key] = (c0, scale, annulus - annulus[0], pts0)
                meshes = {p: SurfaceMesh(c0 + scale[p] * (pts0 - c0) + (annulus[p] - annulus[0]),
                                         m0.faces) for p in range(n)}
            else:
                meshes = {p: SurfaceMesh(c0 + (1 + VESSEL_DISTENSION * (1 - norm[chamber][p]))
                                         * (pts0 - c0), m0.faces) for p in range(n)}
        name, color = display(key)
        st = a.structures[key] = Structure(key, name, color, meshes)
        st.volumes = {p: mesh_volume(m, key, SOURCE) for p, m in meshes.items()}
    a.structures["valve_annuli"] = valve_annuli(a)
    a.notes.append("demo heart: ventricles from biv-me patient1 (measured motion); atria, "
                   "great vessels and veins placed on them with prescribed motion; valve "
                   "annuli along biv-me's valve openings")
    return a
