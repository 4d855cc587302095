"""Moving anatomy: each structure's surface at any point of the beat, on one triangulation.

The 3D view animates a structure by rewriting the point coordinates of a single surface in
place (no actor or mesh rebuilt per frame). When every phase of a structure shares the same
faces (a tracked 4D mesh, e.g. 25 frames of one template), the phases are interpolated
exactly. When the phases were meshed independently (the 2-phase ED/ES demo), the other
phases are mapped onto the reference phase's vertices by nearest-vertex correspondence with
a smoothed displacement field — a display approximation only; volumes and measurements
always come from the true meshes.

Where in the beat: with trigger times for every phase, linear interpolation in time between
the neighbouring phases (cyclic). With two phases (ED, ES) and no usable times, the model's
median LV volume drives the motion: weight ``(EDV − V(t)) / (EDV − ESV)`` toward ES.
(numpy/scipy only; no Qt.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twinviewer.gui import cycle


@dataclass
class PhaseMotion:
    """One structure's surface at each phase, on the reference phase's triangulation.

    Attributes
    ----------
    phases : tuple of int
        Phase indices, ascending.
    points : (K, n, 3) ndarray
        Vertex positions (mm) at each phase.
    faces : (F, 3) ndarray
        The shared triangles.
    exact : bool
        True if every phase had these faces (no correspondence approximation).
    normals : (K, n, 3) ndarray or None
        Vertex normals at each phase, if computed (the 3D view does).
    source_index : (n,) ndarray or None
        For a display surface simplified from the reference mesh: the reference vertex each
        vertex takes per-vertex data from (uncertainty, wall thickness); None if unchanged.
    """

    phases: tuple[int, ...]
    points: np.ndarray
    faces: np.ndarray
    exact: bool
    normals: np.ndarray | None = None
    source_index: np.ndarray | None = None

    def vertex_data(self, values: np.ndarray) -> np.ndarray:
        """Per-vertex data of the reference mesh, on this surface's vertices."""
        v = np.asarray(values)
        return v if self.source_index is None else v[self.source_index]

    def at(self, i: int, j: int, w: float, out: np.ndarray | None = None) -> np.ndarray:
        """Points between phase slots ``i`` and ``j`` (weight ``w`` toward ``j``), into ``out``.

        Examples
        --------
        >>> m = PhaseMotion((0, 1), np.array([[[0., 0, 0]], [[2., 0, 0]]]), np.zeros((0, 3)),
        ...                 True)
        >>> m.at(0, 1, 0.25).tolist()
        [[0.5, 0.0, 0.0]]
        """
        a, b = self.points[i], self.points[j]
        if out is None:
            return a + w * (b - a)
        np.subtract(b, a, out=out)
        out *= w
        out += a
        return out


def _smooth(displacement: np.ndarray, faces: np.ndarray, passes: int = 3) -> np.ndarray:
    """Average each vertex's displacement with its neighbours' (``passes`` times)."""
    from scipy.sparse import coo_matrix

    n = displacement.shape[0]
    i = np.concatenate([faces[:, 0], faces[:, 1], faces[:, 2], np.arange(n)])
    j = np.concatenate([faces[:, 1], faces[:, 2], faces[:, 0], np.arange(n)])
    a = coo_matrix((np.ones(i.size), (i, j)), shape=(n, n)).tocsr()
    a = ((a + a.T) > 0).astype(float)
    deg = np.asarray(a.sum(axis=1)).ravel()
    d = displacement
    for _ in range(passes):
        d = (a @ d) / deg[:, None]
    return d


def build_motion(meshes: dict, reference: int | None = None, *,
                 max_faces: int | None = None) -> PhaseMotion:
    """The motion of one structure from its per-phase meshes (phase → SurfaceMesh).

    Parameters
    ----------
    meshes : dict
        Phase index → mesh with ``points`` (n, 3) and ``faces`` (F, 3).
    reference : int, optional
        Phase whose triangulation is used (default: the lowest, end-diastole).
    max_faces : int, optional
        When the phases do not share faces (the correspondence is approximate anyway), the
        reference surface is simplified to about this many triangles for display (software
        OpenGL draws fewer triangles faster). Exact 4D meshes are never simplified.
    """
    phases = tuple(sorted(meshes))
    ref = phases[0] if reference is None or reference not in meshes else reference
    base = meshes[ref]
    faces = np.asarray(base.faces)
    p0 = np.asarray(base.points, dtype=float)
    exact = all(np.shape(meshes[p].faces) == faces.shape
                and np.array_equal(meshes[p].faces, faces) for p in phases)
    if exact:
        pts = np.stack([np.asarray(meshes[p].points, dtype=float) for p in phases])
        return PhaseMotion(phases, pts, faces, True)
    from scipy.spatial import cKDTree

    source_index = None
    if max_faces is not None and faces.shape[0] > max_faces:
        import pyvista as pv

        simple = pv.PolyData.from_regular_faces(p0, faces).decimate_pro(
            1.0 - max_faces / faces.shape[0], preserve_topology=True)
        if simple.n_cells > 0 and simple.is_all_triangles:
            _, source_index = cKDTree(p0).query(np.asarray(simple.points, dtype=float))
            p0 = np.asarray(simple.points, dtype=float)
            faces = np.asarray(simple.regular_faces)
    out = []
    for p in phases:
        if p == ref:
            out.append(p0)
            continue
        target = np.asarray(meshes[p].points, dtype=float)
        _, k = cKDTree(target).query(p0)
        out.append(p0 + _smooth(target[k] - p0, faces))
    return PhaseMotion(phases, np.stack(out), faces, False, source_index=source_index)


#: Triangles per structure drawn for an approximately corresponded (independently meshed)
#: moving surface; software OpenGL's cost grows with the triangle count.
DISPLAY_MAX_FACES = 8000


def vertex_normals(points: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals (n, 3) of a triangle surface (numpy only)."""
    p = np.asarray(points, dtype=float)
    f = np.asarray(faces)
    fn = np.cross(p[f[:, 1]] - p[f[:, 0]], p[f[:, 2]] - p[f[:, 0]])
    # per-vertex sums by bincount: ~5× faster than np.add.at (start-up: 300 meshes)
    n = np.column_stack([sum(np.bincount(f[:, k], fn[:, j], len(p)) for k in range(3))
                         for j in range(3)])
    length = np.linalg.norm(n, axis=1, keepdims=True)
    return n / np.where(length > 0, length, 1.0)


def closed_outward(points: np.ndarray, faces: np.ndarray) -> bool:
    """True if the triangles close a surface (every edge shared by exactly two faces, wound
    consistently) and face outward (positive enclosed volume). Such a surface shows only its
    front faces from outside, so its back faces need not be drawn (back-face culling).

    Examples
    --------
    >>> p = np.array([[0., 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    >>> f = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    >>> closed_outward(p, f), closed_outward(p, f[:, ::-1]), closed_outward(p, f[:3])
    (True, False, False)
    """
    f = np.asarray(faces)
    if f.ndim != 2 or f.shape[0] < 4 or f.shape[1] != 3:
        return False
    # directed edges: on a closed, consistently wound surface each appears once, its
    # reverse once
    directed = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]).astype(np.int64)
    n = int(directed.max()) + 1
    code = directed[:, 0] * n + directed[:, 1]
    back = directed[:, 1] * n + directed[:, 0]
    if np.unique(code).size != code.size or not np.isin(back, code).all():
        return False
    p = np.asarray(points, dtype=float)
    volume = np.einsum("ij,ij->i", p[f[:, 0]], np.cross(p[f[:, 1]], p[f[:, 2]])).sum()
    return bool(volume > 0)


def motion_of(anatomy, key: str, reference: int | None = None) -> PhaseMotion:
    """The motion of structure ``key`` with its normals, computed once per anatomy.

    Cached on the anatomy object, so a worker thread can prepare it before the view needs it
    (see :func:`prepare_motion`)."""
    cache = anatomy.__dict__.setdefault("_motion_cache", {})
    hit = cache.get((key, reference))
    if hit is None:
        hit = build_motion(anatomy.structures[key].meshes, reference,
                           max_faces=DISPLAY_MAX_FACES)
        hit.normals = np.stack([vertex_normals(pts, hit.faces) for pts in hit.points])
        cache[(key, reference)] = hit
    return hit


def frame_of(anatomy):
    """The anatomy's :func:`~twinviewer.gui.cardiac_frame.cardiac_frame` (cached on it), or
    None if it has no LV blood pool."""
    from twinviewer.gui.cardiac_frame import cardiac_frame

    cache = anatomy.__dict__
    if "_cardiac_frame" not in cache:
        try:
            cache["_cardiac_frame"] = cardiac_frame(anatomy)
        except ValueError:
            cache["_cardiac_frame"] = None
    return cache["_cardiac_frame"]


def prepare_motion(anatomy):
    """Compute every multi-phase structure's motion and the cardiac axes (for a worker
    thread, see :func:`frame_of`); returns anatomy."""
    frame_of(anatomy)
    img = getattr(anatomy, "image", None)
    ref = img.ed_index if img is not None else 0
    for key, s in anatomy.structures.items():
        if len(s.meshes) > 1:
            motion_of(anatomy, key, ref if ref in s.meshes else min(s.meshes))
    return anatomy


def phase_weights(anatomy, results, fraction: float, phases: tuple[int, ...]
                  ) -> tuple[int, int, float]:
    """Which two phase slots to blend at ``fraction`` of the beat, and the weight of the 2nd.

    Returns slots (indices into ``phases``) ``(i, j, w)``.
    """
    k = len(phases)
    if k <= 1:
        return 0, 0, 0.0
    img = getattr(anatomy, "image", None)
    times = np.asarray(img.phase_times_ms, dtype=float) if img is not None else np.array([])
    period_ms = cycle.beat_period_s(results) * 1000.0 if results is not None else None
    f = float(fraction) % 1.0
    if k > 2:
        t_ph = None
        if img is not None and times.size == img.n_phases and max(phases) < times.size:
            t_ph = times[list(phases)]
        if t_ph is not None and np.isfinite(t_ph).all() and period_ms:
            frac_ph = (t_ph / period_ms) % 1.0
        else:
            frac_ph = np.arange(k) / k
        order = np.argsort(frac_ph)
        fr = frac_ph[order]
        nxt = int(np.searchsorted(fr, f, side="right"))
        a, b = (nxt - 1) % k, nxt % k
        span = (fr[b] - fr[a]) % 1.0 or 1.0
        w = ((f - fr[a]) % 1.0) / span
        return int(order[a]), int(order[b]), float(np.clip(w, 0.0, 1.0))
    # two phases: ED and ES, driven by the model's LV volume
    ed = img.ed_index if img is not None else phases[0]
    es = img.es_index if img is not None else phases[1]
    i = phases.index(ed) if ed in phases else 0
    j = phases.index(es) if es in phases else 1
    if results is None or "V_LV" not in results.series:
        return i, j, 0.0
    v = cycle.band(results, "V_LV")[0]
    edv, esv = float(np.max(v)), float(np.min(v))
    w = (edv - float(v[cycle.sample_index(results, f)])) / max(edv - esv, 1e-9)
    return i, j, float(np.clip(w, 0.0, 1.0))
