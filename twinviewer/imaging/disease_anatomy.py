"""Disease anatomy: deform a base heart so that it matches a virtual heart's model.

The base :class:`~twinviewer.core.anatomy.Anatomy` (the demo meshes today, the
biventricular-atlas heart later: any anatomy with the standard vocabulary keys ``lv_blood``,
``rv_blood``, ``la``, ``ra`` and optionally ``lv_myocardium``) is deformed phase by phase:

* each chamber's blood pool is scaled by a linear map so that its mesh volume equals the
  model's volume at that phase. A base phase's place in the cycle is read from the base
  chamber's own volume curve: its fraction between the base's smallest and largest volume
  is mapped onto the model's smallest and largest volume (so ED → EDV, ES → ESV for any
  number of frames). A dilating chamber grows more across than along its long axis
  (eccentric remodelling makes the LV rounder), a shrinking one uniformly. Each chamber is
  anchored at its base end (the end nearest the heart's centre), so it grows away from the
  valves;
* the LV myocardium follows the LV blood pool and is then thickened or thinned along the
  direction from the endocardium, so that its wall thickness at end-diastole, as an echo
  caliper measures it (:func:`wall_thickness_mm`), is the heart's ``lv_wall_mm`` and the
  myocardial volume is the same in every phase (the wall is incompressible);
* chambers push their neighbours (:mod:`twinviewer.imaging.contact`): the LV (blood pool
  and wall) stays where its volume put it; the other chambers, the most grown first, are
  pushed out of everything placed before them and then given back their volume by moving
  their free walls outward — a dilated LV displaces the RV instead of running through the
  septum, a large LA pushes the RA. A biventricular epicardium, if the base has one, is
  pushed out to cover the ventricles, and at least the heart's ``rv_wall_mm`` outside the RV
  blood pool (the RV free wall: thickened in pressure-loaded RVs);
* vessels are left as they are.

Volumes of the result are *model predictions*, not measurements: the result carries no
:class:`~twinviewer.core.measurement.Measurement` and says so in its notes.

Examples
--------
>>> import numpy as np
>>> from twinviewer.core.anatomy import Anatomy, Structure
>>> base = Anatomy("base", {"lv_blood": Structure("lv_blood", "LV", (1, 0, 0),
...                                               {0: sphere_mesh(30.0), 1: sphere_mesh(22.0)})})
>>> curve = {"lv_blood": np.array([200.0, 120.0])}
>>> out = deform_anatomy(base, curve)
>>> [round(out.structures["lv_blood"].meshes[p].volume_ml()) for p in (0, 1)]
[200, 120]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from scipy.spatial import cKDTree

from twinviewer.core.anatomy import Anatomy, Structure, SurfaceMesh

#: Blood-pool keys deformed to the model's chamber volumes.
CHAMBERS = ("lv_blood", "rv_blood", "la", "ra")
#: Share of a dilating chamber's linear growth taken along its long axis (1/3: uniform).
LONG_AXIS_SHARE = 0.2
#: Least distance (mm) from the ventricles to a pushed epicardium (RV free wall ≈ 3 mm).
EPI_GAP_MM = 2.0


#: Model state → chamber key (the four-chamber models' volume states).
STATE_OF_CHAMBER = {"lv_blood": "V_LV", "rv_blood": "V_RV", "la": "V_LA", "ra": "V_RA"}


def volume_curves(series: Mapping[str, np.ndarray], member: int = 0) -> dict[str, np.ndarray]:
    """Chamber key → one member's volume over the beat, from a simulation's ``series``.

    Examples
    --------
    >>> volume_curves({"V_LV": np.array([[130.0, 52.0]])})
    {'lv_blood': array([130.,  52.])}
    """
    return {k: np.asarray(series[s])[member] for k, s in STATE_OF_CHAMBER.items()
            if s in series}


class DiseaseAnatomyError(ValueError):
    """A base anatomy or a volume curve that cannot be deformed (names the structure)."""


def sphere_mesh(radius_mm: float, n: int = 24) -> SurfaceMesh:
    """A closed UV sphere (outward faces), for examples and tests.

    Examples
    --------
    >>> round(sphere_mesh(10.0, 48).volume_ml(), 1)
    4.2
    """
    th = np.linspace(0, np.pi, n + 1)[1:-1]
    ph = np.linspace(0, 2 * np.pi, 2 * n, endpoint=False)
    t, p = np.meshgrid(th, ph, indexing="ij")
    pts = np.c_[np.sin(t).ravel() * np.cos(p).ravel(), np.sin(t).ravel() * np.sin(p).ravel(),
                np.cos(t).ravel()]
    pts = np.vstack([[0, 0, 1], pts, [0, 0, -1]]) * radius_mm
    m = 2 * n
    faces = []
    ring = lambda i, j: 1 + i * m + (j % m)  # noqa: E731
    for j in range(m):
        faces.append([0, ring(0, j), ring(0, j + 1)])
        last = len(pts) - 1
        faces.append([last, ring(n - 2, j + 1), ring(n - 2, j)])
    for i in range(n - 2):
        for j in range(m):
            a, b, c, d = ring(i, j), ring(i, j + 1), ring(i + 1, j), ring(i + 1, j + 1)
            faces += [[a, c, b], [b, c, d]]
    return SurfaceMesh(pts, np.array(faces))


def _frame(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Centroid and unit long axis (first principal direction) of a point cloud.
    c = points.mean(axis=0)
    _, _, vt = np.linalg.svd(points - c, full_matrices=False)
    return c, vt[0]


def _scale_matrix(axis: np.ndarray, ratio: float) -> np.ndarray:
    """Linear map with determinant ``ratio``: along ``axis`` by a, across by b (a·b² = r)."""
    share = LONG_AXIS_SHARE if ratio > 1.0 else 1.0 / 3.0
    a = ratio ** share
    b = np.sqrt(ratio / a)
    u = np.outer(axis, axis)
    return b * np.eye(3) + (a - b) * u


def _phase_fractions(volumes: Mapping[int, float]) -> dict[int, float]:
    # Each phase's place between the smallest (0) and largest (1) base volume.
    vs = np.array(list(volumes.values()))
    lo, hi = vs.min(), vs.max()
    span = hi - lo
    return {p: (0.5 if span <= 1e-9 else (v - lo) / span) for p, v in volumes.items()}


def _heart_centre(structures: Mapping[str, Structure]) -> np.ndarray:
    cs = [next(iter(s.meshes.values())).points.mean(axis=0)
          for k, s in structures.items() if k in CHAMBERS and s.meshes]
    return np.mean(cs, axis=0)


def _deform_chamber(s: Structure, vmin: float, vmax: float, centre: np.ndarray,
                    ) -> tuple[Structure, dict[int, np.ndarray]]:
    base_vol = {p: m.volume_ml() for p, m in s.meshes.items()}
    if min(base_vol.values()) <= 0:
        raise DiseaseAnatomyError(f"{s.key}: a base mesh has no positive volume "
                                  f"({min(base_vol.values()):.1f} mL); faces must point out")
    frac = _phase_fractions(base_vol)
    ref = max(base_vol, key=base_vol.get)  # the largest phase fixes the axis and anchor
    c, axis = _frame(s.meshes[ref].points)
    proj = (s.meshes[ref].points - c) @ axis
    # Anchor at the end of the long axis nearest the heart's centre (the valve end).
    end = proj.max() if (centre - c) @ axis > 0 else proj.min()
    anchor = c + end * axis
    out = Structure(s.key, s.name, s.color)
    maps = {}
    for p, m in s.meshes.items():
        target = vmin + frac[p] * (vmax - vmin)
        A = _scale_matrix(axis, target / base_vol[p])
        pts = (m.points - anchor) @ A.T + anchor
        out.meshes[p] = SurfaceMesh(pts, m.faces.copy(), m.uncertainty_mm.copy())
        maps[p] = np.c_[A, anchor - A @ anchor]
    return out, maps


def mean_wall_thickness_mm(myocardium: SurfaceMesh, cavity: SurfaceMesh) -> float:
    """Mean wall thickness (mm): myocardial volume over endocardial area.

    ``myocardium`` is the wall itself (a closed shell with an outer and an inner surface,
    as a label map of the myocardium gives it), ``cavity`` the blood pool inside it.

    Examples
    --------
    >>> wall = shell_mesh(25.0, 30.0, 48)
    >>> round(mean_wall_thickness_mm(wall, sphere_mesh(25.0, 48)), 1)
    6.1
    """
    return myocardium.volume_ml() * 1000.0 / cavity.area_mm2()


#: Wall vertices closer than this to the endocardium are its inner side (mm).
INNER_SIDE_MM = 1.0


def wall_thickness_mm(myocardium: SurfaceMesh, cavity: SurfaceMesh) -> float:
    """Wall thickness as an echo caliper measures it (mm): the median distance from the
    wall's outer surface to the endocardium (each vertex farther than
    :data:`INNER_SIDE_MM` from the cavity's surface, to its closest point there). This is
    what the ASE/EACVI ranges mean (septal and posterior wall 6–10 mm in men, Lang 2015);
    :func:`mean_wall_thickness_mm` (volume / area) runs 15–35 % above it on a heart.

    Examples
    --------
    >>> round(wall_thickness_mm(shell_mesh(25.0, 31.0, 48), sphere_mesh(25.0, 48)), 1)
    6.0
    """
    d = np.linalg.norm(myocardium.points - closest_points(cavity, myocardium.points), axis=1)
    outer = d > INNER_SIDE_MM
    if not outer.any():
        raise DiseaseAnatomyError("lv_myocardium: no wall outside the endocardium to measure")
    return float(np.median(d[outer]))


def shell_mesh(r_inner_mm: float, r_outer_mm: float, n: int = 24) -> SurfaceMesh:
    """A spherical shell (outer sphere, inner sphere facing inwards), for examples and tests.

    Examples
    --------
    >>> round(shell_mesh(10.0, 12.0, 48).volume_ml(), 2)
    3.04
    """
    outer, inner = sphere_mesh(r_outer_mm, n), sphere_mesh(r_inner_mm, n)
    faces = np.vstack([outer.faces, inner.faces[:, ::-1] + outer.n_points])
    return SurfaceMesh(np.vstack([outer.points, inner.points]), faces)


def _triple(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    return float(np.einsum("ij,ij->", a, np.cross(b, c)))


def closest_points(surface: SurfaceMesh, points: np.ndarray) -> np.ndarray:
    """The point of the triangle mesh ``surface`` closest to each of ``points`` (n, 3).

    Examples
    --------
    >>> p = closest_points(sphere_mesh(10.0, 48), np.array([[0.0, 0.0, 25.0]]))
    >>> np.round(p, 1).tolist()
    [[0.0, 0.0, 10.0]]
    """
    from twinviewer.imaging.meshing import to_polydata

    _, pts = to_polydata(surface).find_closest_cell(np.asarray(points, float),
                                                    return_closest_point=True)
    return np.asarray(pts, float).reshape(-1, 3)


def _averaging(mesh: SurfaceMesh):
    # Row-normalised vertex adjacency (each vertex and its edge neighbours, equal weights).
    from scipy.sparse import coo_matrix, diags

    f, n = mesh.faces, mesh.n_points
    rows = np.r_[f[:, 0], f[:, 1], f[:, 2], f[:, 1], f[:, 2], f[:, 0], np.arange(n)]
    cols = np.r_[f[:, 1], f[:, 2], f[:, 0], f[:, 0], f[:, 1], f[:, 2], np.arange(n)]
    adj = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsr()
    adj.data[:] = 1.0  # repeated edges count once
    return diags(1.0 / np.asarray(adj.sum(axis=1)).ravel()) @ adj


#: Rounds of neighbour averaging of the closest-point offsets when the wall *thickens*
#: (moving outward, paths from a concave stretch of the epicardium converge; averaged, they
#: do not cross). Not when it thins: averaging there mixes the thin and thick parts of the
#: wall and made the fold this method removes. 20: on the app's decimated base, 10 left a
#: fold in severe AS (frame 9, wall × 3.2) that the unfolding could not take back.
THICKEN_SMOOTHING = 20


def _smoothed(mesh: SurfaceMesh, offsets: np.ndarray, rounds: int) -> np.ndarray:
    avg = _averaging(mesh)
    out = np.asarray(offsets, float)
    for _ in range(rounds):
        out = avg @ out
    return out


#: Largest change of the wall's volume in one thickening step (ratio); bigger changes are
#: made in several steps, the offsets averaged again between them.
STEP_RATIO = 1.12


def _thicken(myo: SurfaceMesh, cavity: SurfaceMesh, target_ml: float) -> SurfaceMesh:
    # In steps of at most STEP_RATIO in volume (so that a thickening wall's averaged paths
    # bend with the surface instead of crossing).
    ratio = target_ml / max(myo.volume_ml(), 1e-9)
    n = max(1, int(np.ceil(abs(np.log(ratio)) / np.log(STEP_RATIO))))
    start, first = myo.volume_ml(), myo
    foot = closest_points(cavity, myo.points)  # kept: a vertex moves along its foot's ray
    for i in range(1, n + 1):
        myo = _thicken_step(myo, foot, start * ratio ** (i / n))
    # faces still turned over: their vertices' displacement averaged with their
    # neighbours' (growing rings), the rest of the wall then brought back to the volume;
    # on a coarse mesh the region can take most of the wall, then one averaging sweep a
    # ring (the earlier method, which moves up to ~1.5 % of the wall's volume) may do
    # better: the result with fewer turned faces (slivers apart), then the closer volume,
    # among those that keep the wall's volume within VOLUME_KEPT (the wall is
    # incompressible: one sweep a ring took a third of severe AS's end-systolic wall on the
    # app base, frame 9, wall × 3; turning 4 of its 3000 faces is the lesser harm)
    if not flipped_faces(first, myo).any():
        return myo
    thin = slivers(first)
    tried = [myo, _unfold(first, myo, thin), _unfold_once(first, myo)]
    return min(tried, key=lambda m: (abs(m.volume_ml() / target_ml - 1.0) > VOLUME_KEPT,
                                     int((flipped_faces(first, m) & ~thin).sum()),
                                     abs(m.volume_ml() - myo.volume_ml())))


#: Largest relative change of the wall's volume an unfolding may make (:func:`_thicken`).
VOLUME_KEPT = 0.02


#: Averaging sweeps of the displacement per ring the unfolded region grows by, the most
#: rings, and the rounds of unfolding and restoring the wall's volume.
UNFOLD_SWEEPS, UNFOLD_RINGS, UNFOLD_ROUNDS = 30, 50, 4
#: A face lower than this fraction of the median face height is a sliver (:func:`slivers`).
SLIVER_HEIGHT = 0.25


def slivers(mesh: SurfaceMesh) -> np.ndarray:
    """Mask of the faces whose height (twice the area over the longest edge) is under
    :data:`SLIVER_HEIGHT` of the median: slivers of a decimated mesh, which any non-affine
    motion can turn over (0.03–0.5 mm high against a median of ~1–2.5 mm).

    Examples
    --------
    >>> int(slivers(sphere_mesh(10.0, 12)).sum())
    0
    """
    height = _heights(mesh.points, mesh.faces)
    return height < SLIVER_HEIGHT * np.median(height)


def _unfold_once(before: SurfaceMesh, after: SurfaceMesh, rounds: int = 50) -> SurfaceMesh:
    # Displacement of turned faces averaged with their neighbours', one sweep per ring.
    bad = flipped_faces(before, after)
    avg = _averaging(before)
    d = after.points - before.points
    region = np.zeros(before.n_points, bool)
    for _ in range(rounds):
        region[before.faces[bad].ravel()] = True
        region = (avg @ region.astype(float)) > 0  # one more ring of neighbours
        d[region] = (avg @ d)[region]
        bad = flipped_faces(before, SurfaceMesh(before.points + d, after.faces))
        if not bad.any():
            break
    return SurfaceMesh(before.points + d, after.faces.copy(), after.uncertainty_mm.copy())


#: Most of the wall's vertices the unfolded region of :func:`_unfold` may take (the rest
#: restores the wall's volume).
UNFOLD_MAX_SHARE = 0.3


def _unfold(before: SurfaceMesh, after: SurfaceMesh, thin: np.ndarray) -> SurfaceMesh:
    # Faces of ``after`` turned over (slivers apart) get their vertices' displacement from
    # ``before`` averaged with their neighbours' over a region grown ring by ring, several
    # sweeps a ring, until none is turned. The region joins both faces of the wall (at the
    # basal rim), so averaging there thickens it: the rest of the wall is then thinned
    # along its own displacement (one cubic in k, :func:`_solve_k`) to the volume asked,
    # and what that turns over is unfolded again.
    bad = flipped_faces(before, after) & ~thin
    if not bad.any():
        return after
    target = after.volume_ml()
    avg = _averaging(before)
    pts = after.points.copy()
    for _ in range(UNFOLD_ROUNDS):
        d = pts - before.points
        region = np.zeros(before.n_points, bool)
        for _ in range(UNFOLD_RINGS):
            region[before.faces[bad].ravel()] = True
            region = (avg @ region.astype(float)) > 0  # one more ring of neighbours
            for _ in range(UNFOLD_SWEEPS):
                d[region] = (avg @ d)[region]
            bad = flipped_faces(before, SurfaceMesh(before.points + d, after.faces)) & ~thin
            if not bad.any() or region.mean() > UNFOLD_MAX_SHARE:
                break
        pts = before.points + d
        for _ in range(3):  # leave the unfolded region and three rings around it alone
            region = (avg @ region.astype(float)) > 0
        off = np.where(region[:, None], 0.0, d)
        try:
            k = _solve_k(pts - off, off, before.faces, target)
        except DiseaseAnatomyError:  # the region holds (nearly) the whole wall: keep it
            break
        pts = pts + (k - 1.0) * off
        bad = flipped_faces(before, SurfaceMesh(pts, after.faces)) & ~thin
        if not bad.any():
            break
    return SurfaceMesh(pts, after.faces.copy(), after.uncertainty_mm.copy())


def _solve_k(q: np.ndarray, off: np.ndarray, faces: np.ndarray, target_ml: float) -> float:
    # The k > 0 nearest 1 for which the mesh q + k·off encloses target_ml: its volume is a
    # cubic in k (each face's signed volume is a triple product of points linear in k).
    qa, qb, qc = (q[faces[:, n]] for n in range(3))
    oa, ob, oc = (off[faces[:, n]] for n in range(3))
    coeffs = [_triple(oa, ob, oc),
              _triple(oa, ob, qc) + _triple(oa, qb, oc) + _triple(qa, ob, oc),
              _triple(oa, qb, qc) + _triple(qa, ob, qc) + _triple(qa, qb, oc),
              _triple(qa, qb, qc) - 6000.0 * target_ml]  # mm³·6 = mL·6000
    roots = np.roots(coeffs)
    real = roots[np.abs(roots.imag) < 1e-9].real
    real = real[real > 0.0]
    if real.size == 0:
        raise DiseaseAnatomyError(f"lv_myocardium: no wall offset gives {target_ml:.1f} mL")
    return float(real[np.argmin(np.abs(real - 1.0))])


def flipped_faces(before: SurfaceMesh, after: SurfaceMesh) -> np.ndarray:
    """Mask of the faces of ``after`` turned over relative to ``before`` (same faces):
    their normals point more than 90° apart.

    Examples
    --------
    >>> m = sphere_mesh(10.0, 8)
    >>> int(flipped_faces(m, SurfaceMesh(m.points, m.faces[:, ::-1])).sum()) == m.n_faces
    True
    """
    def normals(m: SurfaceMesh) -> np.ndarray:
        p = m.points[m.faces]
        return np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])

    return np.einsum("ij,ij->i", normals(before), normals(after)) < 0.0


def _thicken_step(myo: SurfaceMesh, foot: np.ndarray, target_ml: float) -> SurfaceMesh:
    # Move every wall vertex by k−1 times its offset from its foot: the closest point of
    # the endocardium (the cavity's surface) to where the vertex started (the offset is ~0
    # on the wall's endocardial side, which stays in place). Closest-point offsets are the
    # distance field's gradient lines: a continuous field that no two vertices cross while
    # the wall thins (they meet only on the endocardium itself), and a point on the ray keeps
    # its foot, so the foot is found once. The earlier offsets, from the nearest *vertex*
    # averaged over neighbours, varied faster than the surface where the wall is thick:
    # thinning the HFrEF heart's end-systolic wall to a third turned faces over there
    # (issue 17). The enclosed volume is a cubic in k (each face's signed volume is a
    # triple product of points linear in k), so k comes from one cubic.
    off = myo.points - foot
    if target_ml > myo.volume_ml() and THICKEN_SMOOTHING:
        off = _smoothed(myo, off, THICKEN_SMOOTHING)
    q = myo.points - off
    k = _solve_k(q, off, myo.faces, target_ml)
    return SurfaceMesh(q + k * off, myo.faces.copy(), myo.uncertainty_mm.copy())


def deform_anatomy(base: Anatomy, volume_curves: Mapping[str, np.ndarray], *,
                   lv_wall_mm: float | None = None, rv_wall_mm: float | None = None,
                   label: str = "virtual heart", push: bool = True,
                   cancel: Callable[[], bool] | None = None) -> Anatomy:
    """A copy of ``base`` whose chambers hold the model's volumes.

    Parameters
    ----------
    base
        Anatomy with meshes per phase for the keys of :data:`CHAMBERS` it has.
    volume_curves
        Chamber key → the model's volume over one beat (mL); only its smallest and largest
        values are used. Keys missing here keep their base meshes.
    lv_wall_mm
        LV wall thickness (:func:`wall_thickness_mm`) at the largest LV volume
        (end-diastole); ``None`` keeps the base's. Needs ``lv_myocardium`` and ``lv_blood``
        in ``base``.
    rv_wall_mm
        Least RV free-wall thickness: the epicardium is pushed at least this far out of the
        RV blood pool in every phase (only with ``push`` and an ``epicardium`` in ``base``;
        a thicker base wall is kept). ``None``: :data:`EPI_GAP_MM`.
    label
        Said in the notes of the result.
    push
        Let chambers push their neighbours (:func:`separate_chambers`); ``False`` leaves
        the overlaps the resizing makes.
    cancel
        Polled between chambers and phases (a worker's job): True raises InterruptedError.

    Returns
    -------
    Anatomy
        New meshes; veins moved with their atrium; arteries, valve annuli and any other
        structure copied unchanged; no measurements (the volumes are predictions).

    Raises
    ------
    DiseaseAnatomyError
        Naming the structure: a curve that is not finite and positive, a mesh with no
        positive volume, or a wall thickness asked of an anatomy without LV myocardium.
    """
    for key, curve in volume_curves.items():
        arr = np.asarray(curve, dtype=float)
        if arr.size == 0 or not np.all(np.isfinite(arr)) or arr.min() <= 0:
            raise DiseaseAnatomyError(f"{key}: the model's volume curve must be finite and "
                                      "positive (mL)")
    def check() -> None:
        if cancel is not None and cancel():
            raise InterruptedError(f"{label}: deforming the anatomy was cancelled")

    centre = _heart_centre(base.structures)
    out = Anatomy(base.pseudonym, image=None, notes=[
        f"{label}: chamber meshes deformed from the base anatomy to the model's predicted "
        "volumes (not measured)"])
    maps: dict[str, dict[int, np.ndarray]] = {}
    for key, s in base.structures.items():
        check()
        if key in volume_curves and key in CHAMBERS and s.meshes:
            curve = np.asarray(volume_curves[key], dtype=float)
            out.structures[key], maps[key] = _deform_chamber(s, float(curve.min()),
                                                             float(curve.max()), centre)
        else:
            out.structures[key] = Structure(s.key, s.name, s.color, {
                p: SurfaceMesh(m.points.copy(), m.faces.copy(), m.uncertainty_mm.copy())
                for p, m in s.meshes.items()})
    myo = base.structures.get("lv_myocardium")
    if myo is None or "lv_blood" not in base.structures:
        if lv_wall_mm is not None:
            raise DiseaseAnatomyError("lv_myocardium: the base anatomy has no LV myocardium "
                                      "(and LV blood pool) to thicken")
    else:
        _wall(out, base, maps, lv_wall_mm, check)
    if push:
        if rv_wall_mm is not None and not (0.5 <= rv_wall_mm <= 30.0):
            raise DiseaseAnatomyError(f"epicardium: RV wall thickness {rv_wall_mm} mm is "
                                      "outside 0.5–30 mm")
        separate_chambers(out, base, check, rv_wall_mm=rv_wall_mm)
    _veins_follow(out, base, maps)
    return out


def _veins_follow(out: Anatomy, base: Anatomy, maps: dict) -> None:
    """Veins ride with their atrium: the atrium's map, plus the push its nearest wall vertex
    got (so every ostium stays on the atrial wall)."""
    from twinviewer.imaging.vocabulary import ATRIUM_OF_VEIN

    for vein, atrium in ATRIUM_OF_VEIN.items():
        if vein not in out.structures or atrium not in maps:
            continue
        st, wall, new_wall = out.structures[vein], base.structures[atrium], out.structures[atrium]
        for p, m in st.meshes.items():
            if p not in maps[atrium] or p not in wall.meshes:
                continue
            T = maps[atrium][p]
            w = wall.meshes[p].points
            push = new_wall.meshes[p].points - (w @ T[:, :3].T + T[:, 3])
            near = cKDTree(w).query(base.structures[vein].meshes[p].points)[1]
            pts = base.structures[vein].meshes[p].points @ T[:, :3].T + T[:, 3] + push[near]
            st.meshes[p] = SurfaceMesh(pts, m.faces, m.uncertainty_mm)


def _wall(out: Anatomy, base: Anatomy, maps: dict, lv_wall_mm: float | None,
          check: Callable[[], None] = lambda: None) -> None:
    # The LV myocardium follows the LV pool's map, then is thickened to ``lv_wall_mm``.
    myo = base.structures["lv_myocardium"]
    cav = out.structures["lv_blood"]
    new_myo = out.structures["lv_myocardium"]
    for p, m in myo.meshes.items():
        if p in maps.get("lv_blood", {}):  # follow the LV blood pool's map first
            T = maps["lv_blood"][p]  # symmetric positive definite: turns no face over
            new_myo.meshes[p] = SurfaceMesh(m.points @ T[:, :3].T + T[:, 3], m.faces.copy(),
                                            m.uncertainty_mm.copy())
    phases = [p for p in new_myo.meshes if p in cav.meshes]
    if not phases:
        return
    ed = max(phases, key=lambda p: cav.meshes[p].volume_ml())
    if lv_wall_mm is None:
        target = myo.meshes[ed].volume_ml()  # the base's myocardial volume
    else:
        if not (0.5 <= lv_wall_mm <= 40.0):
            raise DiseaseAnatomyError(f"lv_myocardium: wall thickness {lv_wall_mm} mm is "
                                      "outside 0.5–40 mm")
        target = _wall_volume_ml(new_myo.meshes[ed], cav.meshes[ed], lv_wall_mm)
    for p in phases:
        check()
        new_myo.meshes[p] = _thicken(new_myo.meshes[p], cav.meshes[p], target)
    if ed in myo.meshes:
        keep_faces_facing_out(new_myo.meshes, myo.meshes[ed], ed, cavities=cav.meshes)


def _normals(points: np.ndarray, faces: np.ndarray) -> np.ndarray:
    p = points[faces]
    return np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])


def _heights(points: np.ndarray, faces: np.ndarray) -> np.ndarray:
    # twice the area over the longest edge (see :func:`slivers`)
    p = points[faces]
    area2 = np.linalg.norm(np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]), axis=1)
    longest = np.max([np.linalg.norm(p[:, i] - p[:, (i + 1) % 3], axis=1)
                      for i in range(3)], axis=0)
    return area2 / np.maximum(longest, 1e-12)


#: Rounds of edge flips of :func:`keep_faces_facing_out`, and rings and averaging sweeps of
#: its local unfolding of what the flips leave.
FLIP_ROUNDS, UNTANGLE_RINGS, UNTANGLE_SWEEPS = 10, 6, 10


def keep_faces_facing_out(meshes: dict[int, SurfaceMesh], reference: SurfaceMesh,
                          ed: int | None = None,
                          cavities: Mapping[int, SurfaceMesh] | None = None) -> None:
    """Make no face of the frames ``meshes`` (one topology, the thickened LV wall of every
    phase) turned over against ``reference`` (the base wall at end-diastole, same points)
    nor against frame ``ed`` (end-diastole; ``None``: the reference only).

    Why faces turn: the base is a decimated mesh with slivers (~6 % of its wall's faces
    under a quarter of the median height) and its wall moves non-affinely over the cycle
    (the base descends); the base itself turns 71 of its 3000 wall faces over against its
    own end-diastole, 59 of them slivers, and a thick wall adds a few more. Two steps, in
    place: (1) edge flips, the same in every frame — a sliver's longest edge, and any edge
    of a turned face, is replaced by the quad's other diagonal when both new faces face out
    in every frame and the thinner new face is not thinner than before; (2) in each frame,
    the displacement from ``reference`` of what is still turned is averaged with its
    neighbours' over a few rings: end-diastole's displacement from ``reference``, the other
    frames' motion from end-diastole (moves ≤ ~4 mm). With ``cavities`` (phase → the blood
    pool inside the wall) each frame the averaging changed is then given back its volume by
    moving the rest of the wall along its offset from the cavity (the wall is
    incompressible: on model 3.1 the averaging alone left HFpEF's end-systolic wall 5 %
    larger and 6 faces still turned); the averaging and restoring are repeated, with
    stronger averaging until no face is turned and the volume is kept (else the result with
    the fewest turned faces, its volume kept, and the least moved is taken).

    Examples
    --------
    >>> m = sphere_mesh(10.0, 8)
    >>> frames = {0: m, 1: SurfaceMesh(m.points * 1.1, m.faces)}
    >>> keep_faces_facing_out(frames, m)
    >>> int(sum(flipped_faces(m, f).sum() for f in frames.values()))
    0
    """
    phases = sorted(meshes, key=lambda p: p != ed)  # end-diastole first
    faces = meshes[phases[0]].faces
    if any(not np.array_equal(meshes[p].faces, faces) for p in phases) \
            or reference.n_points != meshes[phases[0]].n_points:
        return
    # edge flips judged against end-diastole (the frame the others are shown against);
    # the reference's own orientation is kept at end-diastole by the unfolding below
    frames = [meshes[phases[0]].points, reference.points,
              *(meshes[p].points for p in phases[1:])]
    faces = _flip_edges(frames, faces)
    ref = SurfaceMesh(reference.points, faces)
    origin, against = ref, [ref]
    for p in phases:
        m = meshes[p]
        cavity = cavities.get(p) if cavities is not None else None
        meshes[p] = SurfaceMesh(_untangled(origin, m.points, against, cavity), faces.copy(),
                                m.uncertainty_mm.copy())
        if p == ed:  # the other frames: their motion from it is what gets averaged
            origin = meshes[p]
            against = [origin]


def _turned(frames: list[np.ndarray], faces: np.ndarray, refs: int) -> np.ndarray:
    # faces turned over in any frame against any of the first ``refs`` frames
    out = np.zeros(len(faces), bool)
    normals = [_normals(pts, faces) for pts in frames]
    for n0 in normals[:refs]:
        for n in normals:
            out |= np.einsum("ij,ij->i", n0, n) <= 0.0
    return out


def _flip_edges(frames: list[np.ndarray], faces: np.ndarray, refs: int = 1) -> np.ndarray:
    # Edge flips that turn no face over in any frame against the first ``refs`` frames.
    faces = faces.copy()
    ref = frames[0]
    for _ in range(FLIP_ROUNDS):
        h = _heights(ref, faces)
        turned = _turned(frames, faces, refs)
        owner = {}  # directed edge → its face
        for f, (a, b, c) in enumerate(faces):
            owner[(a, b)], owner[(b, c)], owner[(c, a)] = f, f, f
        thin = np.flatnonzero(h < SLIVER_HEIGHT * np.median(h))
        tries = [(f, None) for f in thin[np.argsort(h[thin])]]
        tries += [(f, i) for f in np.flatnonzero(turned) for i in range(3)]
        flipped = 0
        for f, i in tries:
            tri = faces[f]
            if i is None:  # a sliver: its longest edge
                i = int(np.argmax([np.linalg.norm(ref[tri[(j + 1) % 3]] - ref[tri[j]])
                                   for j in range(3)]))
            a, b, v = tri[i], tri[(i + 1) % 3], tri[(i + 2) % 3]
            g = owner.get((b, a))
            if g is None or owner.get((a, b)) != f:
                continue
            w = next(x for x in faces[g] if x != a and x != b)
            if (v, w) in owner or (w, v) in owner:
                continue  # the other diagonal is an edge already
            new = np.array([[a, w, v], [w, b, v]])  # the quad a-w-b-v split along v-w
            n_ref = _normals(ref, new)
            if (n_ref @ _normals(ref, np.array([tri, faces[g]])).sum(axis=0) <= 0).any() \
                    or _turned(frames, new, refs).any():
                continue
            worst = _heights(ref, np.array([tri, faces[g]])).min()
            if _heights(ref, new).min() <= worst * (0.5 if turned[f] or turned[g] else 1.0):
                continue
            for e in ((a, b), (b, v), (v, a), (b, a), (a, w), (w, b)):
                owner.pop(e, None)
            faces[f], faces[g] = new
            for k in (f, g):
                x, y, z = faces[k]
                owner[(x, y)], owner[(y, z)], owner[(z, x)] = k, k, k
            flipped += 1
        if not flipped:
            break
    return faces


#: Averaging sweeps a ring tried by :func:`_untangled` when it restores the wall's volume,
#: the rounds of averaging and restoring, and the rings around the averaged region that
#: restoring leaves alone.
UNTANGLE_TRIES, UNTANGLE_ROUNDS, UNTANGLE_MARGIN = (10, 30, 50, 100), 4, 1


def _untangled(reference: SurfaceMesh, points: np.ndarray, against: list[SurfaceMesh],
               cavity: SurfaceMesh | None = None) -> np.ndarray:
    # The displacement from ``reference`` of the vertices of faces turned over against any
    # of ``against``, averaged with their neighbours' over a region grown ring by ring
    # (from end-diastole: the wall's motion, not its thickening, whose inner and outer
    # sides averaging would bring together at the rim). With ``cavity``: then the volume
    # restored (see keep_faces_facing_out), in rounds, for UNTANGLE_TRIES in turn.
    def turned(pts: np.ndarray) -> np.ndarray:
        m = SurfaceMesh(pts, reference.faces)
        return np.any([flipped_faces(a, m) for a in against], axis=0)

    if not turned(points).any():
        return points
    avg = _averaging(reference)
    if cavity is None:
        return _averaged(reference, points, turned, avg, UNTANGLE_SWEEPS)[0]
    faces = reference.faces
    target = SurfaceMesh(points, faces).volume_ml()
    best, best_key = points, None
    for sweeps in UNTANGLE_TRIES:
        pts = points
        for _ in range(UNTANGLE_ROUNDS):
            pts, region = _averaged(reference, pts, turned, avg, sweeps)
            if not turned(pts).any() and abs(SurfaceMesh(pts, faces).volume_ml() / target
                                             - 1.0) <= UNTANGLE_VOLUME:
                break  # the averaging alone did it (most frames: no closest points needed)
            for _ in range(UNTANGLE_MARGIN):
                region = (avg @ region.astype(float)) > 0
            off = pts - closest_points(cavity, pts)
            off[region] = 0.0
            try:
                k = _solve_k(pts - off, off, faces, target)
            except DiseaseAnatomyError:  # the region holds (nearly) the whole wall
                break
            pts = pts + (k - 1.0) * off
            if not turned(pts).any():
                break
        kept = abs(SurfaceMesh(pts, faces).volume_ml() / target - 1.0) <= UNTANGLE_VOLUME
        key = (int(turned(pts).sum()), not kept,
               float(np.sqrt(np.mean(np.sum((pts - points) ** 2, axis=1)))))
        if best_key is None or key < best_key:
            best, best_key = pts, key
        if key[:2] == (0, False):  # the weakest averaging that does it
            break
    return best


#: Largest relative change of a frame's wall volume :func:`_untangled` counts as kept.
UNTANGLE_VOLUME = 0.002


def _averaged(reference: SurfaceMesh, points: np.ndarray,
              turned: Callable[[np.ndarray], np.ndarray], avg, sweeps: int
              ) -> tuple[np.ndarray, np.ndarray]:
    # One averaging of the displacement (UNTANGLE_RINGS rings, ``sweeps`` a ring): the new
    # points and the averaged region.
    bad = turned(points)
    d = points - reference.points
    region = np.zeros(reference.n_points, bool)
    for _ in range(UNTANGLE_RINGS):
        region[reference.faces[bad].ravel()] = True
        region = (avg @ region.astype(float)) > 0
        for _ in range(sweeps):
            d[region] = (avg @ d)[region]
        bad = turned(reference.points + d)
        if not bad.any():
            break
    return reference.points + d, region


#: Tolerance (relative) and most rounds of the search for the wall volume that gives the
#: asked thickness (:func:`_wall_volume_ml`).
WALL_TOLERANCE, WALL_ROUNDS = 0.01, 6


def _wall_volume_ml(myo: SurfaceMesh, cavity: SurfaceMesh, thickness_mm: float) -> float:
    # The end-diastolic wall volume whose thickened wall measures ``thickness_mm``: from
    # volume = thickness × area, corrected by the measured ratio (the volume grows a little
    # faster than linearly with the thickness: exponent 1.3; 2–3 rounds on the demo hearts).
    target = thickness_mm * cavity.area_mm2() / 1000.0
    for _ in range(WALL_ROUNDS):
        h = wall_thickness_mm(_thicken(myo, cavity, target), cavity)
        if abs(h / thickness_mm - 1.0) <= WALL_TOLERANCE:
            break
        target *= (thickness_mm / h) ** 1.3
    return target


def _growth(out: Anatomy, base: Anatomy, key: str) -> float:
    a, b = out.structures[key].meshes, base.structures[key].meshes
    return max(m.volume_ml() for m in a.values()) / max(m.volume_ml() for m in b.values())


def separate_chambers(out: Anatomy, base: Anatomy,
                      check: Callable[[], None] = lambda: None, *,
                      rv_wall_mm: float | None = None) -> None:
    """Push the chambers of ``out`` apart in every phase (in place; see module docstring);
    an epicardium ends at least ``rv_wall_mm`` outside the RV blood pool.

    Examples
    --------
    >>> a = Anatomy("x", {k: Structure(k, k, (1, 1, 1), {0: sphere_mesh(r)})
    ...                   for k, r in (("lv_blood", 20.0), ("rv_blood", 12.0))})
    >>> a.structures["rv_blood"].meshes[0].points[:, 0] += 25.0  # 7 mm into the LV
    >>> separate_chambers(a, a)
    >>> from twinviewer.imaging.contact import penetration_mm
    >>> penetration_mm(a.structures["rv_blood"].meshes[0].points,
    ...                a.structures["lv_blood"].meshes[0])
    0.0
    """
    fixed = [k for k in ("lv_blood", "lv_myocardium") if k in out.structures]
    movable = sorted((k for k in CHAMBERS if k != "lv_blood" and k in out.structures
                      and out.structures[k].meshes and k in base.structures),
                     key=lambda k: -_growth(out, base, k))
    phases = sorted(set().union(*(out.structures[k].meshes for k in fixed + movable)))
    lv = out.structures.get("lv_blood")
    keys = movable + (["epicardium"] if "epicardium" in out.structures else [])
    if lv is None or len(phases) <= 2 or not _shared_topology(out, keys, phases):
        for p in phases:
            check()
            _separate_phase(out, p, fixed, movable, rv_wall_mm)
        return
    # Many frames of one topology: separate at the largest and smallest LV phase, and move
    # the other frames by the same per-vertex displacement, weighted by their place in the
    # cycle (as the volumes are): 2 separations instead of one per frame.
    frac = _phase_fractions({p: lv.meshes[p].volume_ml() for p in phases if p in lv.meshes})
    ed, es = max(frac, key=frac.get), min(frac, key=frac.get)
    before = {k: {p: out.structures[k].meshes[p].points for p in (ed, es)} for k in keys}
    for p in (ed, es):
        check()
        _separate_phase(out, p, fixed, movable, rv_wall_mm)
    for k in keys:
        st = out.structures[k]
        d_ed = st.meshes[ed].points - before[k][ed]
        d_es = st.meshes[es].points - before[k][es]
        for p in phases:
            if p in (ed, es) or p not in st.meshes:
                continue
            w = frac.get(p, 0.5)
            m = st.meshes[p]
            st.meshes[p] = SurfaceMesh(m.points + w * d_ed + (1.0 - w) * d_es, m.faces,
                                       m.uncertainty_mm.copy())


def _shared_topology(out: Anatomy, keys: list[str], phases: list[int]) -> bool:
    for k in keys:
        ms = out.structures[k].meshes
        n = {ms[p].n_points for p in phases if p in ms}
        if len(n) > 1:
            return False
    return True


def _separate_phase(out: Anatomy, p: int, fixed: list[str], movable: list[str],
                    rv_wall_mm: float | None = None) -> None:
    from twinviewer.imaging.contact import SignedDistance, push_out, restore_volume

    placed = [out.structures[k].meshes[p] for k in fixed if p in out.structures[k].meshes]
    for k in movable:
        m = out.structures[k].meshes.get(p)
        if m is None:
            continue
        if placed:
            field = SignedDistance.of(placed, around=[m])
            target = m.volume_ml()
            m = restore_volume(push_out(m, field), target, field)
            if abs(m.volume_ml() / target - 1.0) > 0.005:  # the last push took some back
                m = restore_volume(m, target, field)
            out.structures[k].meshes[p] = m
        placed.append(m)
    epi = out.structures.get("epicardium")
    if epi is not None and p in epi.meshes:
        ventricles = [out.structures[k].meshes[p] for k in ("lv_blood", "lv_myocardium",
                                                            "rv_blood")
                      if k in out.structures and p in out.structures[k].meshes]
        field = SignedDistance.of(ventricles, around=[epi.meshes[p]])
        epi.meshes[p] = push_out(epi.meshes[p], field, gap_mm=EPI_GAP_MM)
        rv = out.structures.get("rv_blood")
        if rv_wall_mm is not None and rv_wall_mm > EPI_GAP_MM and rv is not None \
                and p in rv.meshes:  # the RV free wall: the epicardium over the RV pool
            field = SignedDistance.of([rv.meshes[p]], around=[epi.meshes[p]])
            epi.meshes[p] = push_out(epi.meshes[p], field, gap_mm=rv_wall_mm)
