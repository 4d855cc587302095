"""Chambers push their neighbours: remove the overlap a resized chamber makes with the others.

A chamber that has grown (a dilated LV, a large LA) must displace its neighbours rather than
run through them. :func:`push_out` moves the vertices of one closed surface out of a solid
(the union of the chambers already placed), given as a signed distance field on a regular
grid (VTK scan conversion + SciPy's Euclidean distance transform): each vertex closer than
``gap_mm`` to the solid moves along the field's gradient to ``gap_mm``, and that move is
shared with the space around it (:data:`SPREAD_MM`), so the surface does not fold.
:func:`restore_volume` then gives the pushed chamber back the volume it lost by moving its
*free* vertices (those away from the contact) outward along their normals; the volume of a
triangulated surface changes by Σ aᵢ·tᵢ for small normal moves tᵢ of vertices with area aᵢ,
so the step is solved, not searched.

Examples
--------
>>> from twinviewer.imaging.disease_anatomy import sphere_mesh
>>> big, small = sphere_mesh(20.0, 32), sphere_mesh(10.0, 32)
>>> small = SurfaceMesh(small.points + [25.0, 0.0, 0.0], small.faces)  # 5 mm inside big
>>> field = SignedDistance.of([big], around=[small])
>>> moved = restore_volume(push_out(small, field), small.volume_ml(), field)
>>> bool(field.sample(moved.points)[0].min() > 0.0)
True
>>> bool(abs(moved.volume_ml() / small.volume_ml() - 1.0) < 0.02)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage, sparse

from twinviewer.core.anatomy import SurfaceMesh

GRID_MM = 1.5
GAP_MM = 0.5
#: Free vertices (eligible to inflate) are at least this far (mm) from the pushing solid.
FREE_MM = 4.0
#: Width (mm, Gaussian SD) over which a contact move is shared with the space around it.
SPREAD_MM = 3.0


@dataclass
class SignedDistance:
    """Signed distance (mm, negative inside) to a union of closed surfaces on a grid."""

    origin: np.ndarray
    h: float
    sd: np.ndarray  # (x, y, z)
    grad: np.ndarray  # (3, x, y, z), unit length where defined

    @classmethod
    def of(cls, solids: Sequence[SurfaceMesh], around: Sequence[SurfaceMesh],
           h: float = GRID_MM, margin_mm: float = 12.0) -> SignedDistance:
        """The field of ``solids`` on a grid covering ``around`` (+ ``margin_mm``)."""
        from twinviewer.imaging.bivme_wall import solid_mask

        pts = np.vstack([m.points for m in around])
        lo = pts.min(axis=0) - margin_mm
        hi = pts.max(axis=0) + margin_mm
        dims = tuple(int(v) for v in np.ceil((hi - lo) / h) + 1)
        inside = np.zeros(dims, bool)
        for m in solids:
            inside |= solid_mask(m, lo, dims, h)
        out = ndimage.distance_transform_edt(~inside, sampling=h)
        inn = ndimage.distance_transform_edt(inside, sampling=h)
        sd = np.where(inside, -(inn - 0.5 * h), out - 0.5 * h).astype(np.float32)
        g = np.stack(np.gradient(sd, h))
        g /= np.maximum(np.linalg.norm(g, axis=0), 1e-6)
        return cls(lo, h, sd, g.astype(np.float32))

    def sample(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Signed distance (mm) and unit outward direction at ``points`` (trilinear)."""
        idx = ((points - self.origin) / self.h).T
        d = ndimage.map_coordinates(self.sd, idx, order=1, mode="nearest")
        g = np.stack([ndimage.map_coordinates(c, idx, order=1, mode="nearest")
                      for c in self.grad], axis=1)
        g /= np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-6)
        return d, g


_ADJ: dict[tuple, sparse.csr_matrix] = {}


def _adjacency(faces: np.ndarray, n: int) -> sparse.csr_matrix:
    # Row-normalised vertex adjacency (neighbour average), cached per triangulation.
    key = (n, faces.shape[0], int(faces[:: max(1, len(faces) // 64)].sum()))
    a = _ADJ.get(key)
    if a is None:
        i = np.r_[faces[:, 0], faces[:, 1], faces[:, 2], faces[:, 1], faces[:, 2], faces[:, 0]]
        j = np.r_[faces[:, 1], faces[:, 2], faces[:, 0], faces[:, 0], faces[:, 1], faces[:, 2]]
        a = sparse.csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
        a.data[:] = 1.0
        deg = np.asarray(a.sum(axis=1)).ravel()
        a = sparse.diags(1.0 / np.maximum(deg, 1.0)) @ a
        if len(_ADJ) > 64:
            _ADJ.clear()
        _ADJ[key] = a = a.tocsr()
    return a


def vertex_normals_areas(points: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Area-weighted unit vertex normals and one third of the adjacent triangles' area (mm²)."""
    a, b, c = (points[faces[:, i]] for i in range(3))
    fn = 0.5 * np.cross(b - a, c - a)
    area = np.linalg.norm(fn, axis=1)
    n = np.zeros_like(points)
    ar = np.zeros(len(points))
    for i in range(3):
        np.add.at(n, faces[:, i], fn)
        np.add.at(ar, faces[:, i], area / 3.0)
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    return n, ar


def push_out(mesh: SurfaceMesh, field: SignedDistance, gap_mm: float = GAP_MM,
             iterations: int = 30) -> SurfaceMesh:
    """``mesh`` with every vertex at least ``gap_mm`` outside ``field``'s solid.

    Each step, the vertices closer than ``gap_mm`` ask to move along the field's gradient;
    those moves are spread in *space* (normalised Gaussian of width :data:`SPREAD_MM` on a
    local grid), so everything near the contact moves with it — the far wall of a thin
    chamber moves with the pushed near wall instead of being crossed by it.

    Examples
    --------
    >>> from twinviewer.imaging.disease_anatomy import sphere_mesh
    >>> f = SignedDistance.of([sphere_mesh(20.0)], around=[sphere_mesh(30.0)])
    >>> p = push_out(sphere_mesh(15.0), f)  # wholly inside: pushed onto the surface
    >>> bool(np.linalg.norm(p.points, axis=1).min() > 20.0)
    True
    """
    pts = mesh.points.copy()
    h = field.h
    sig = SPREAD_MM / h
    for _ in range(iterations):
        d, g = field.sample(pts)
        need = np.clip(gap_mm - d, 0.0, None)
        hit = need > 0.05 * gap_mm
        if not hit.any():
            break
        pad = 3.0 * SPREAD_MM + h
        lo = pts[hit].min(axis=0) - pad
        dims = tuple(int(v) for v in np.ceil((pts[hit].max(axis=0) + pad - lo) / h) + 1)
        ijk = np.rint((pts[hit] - lo) / h).astype(int)
        acc = np.zeros((4, *dims), np.float32)
        flat = np.ravel_multi_index(ijk.T, dims)
        for c in range(3):
            np.add.at(acc[c].reshape(-1), flat, need[hit] * g[hit, c])
        np.add.at(acc[3].reshape(-1), flat, 1.0)
        acc = np.stack([ndimage.gaussian_filter(a, sig, mode="constant") for a in acc])
        peak = 1.0 / ((2.0 * np.pi) ** 1.5 * sig ** 3)  # one vertex's own weight
        disp_grid = acc[:3] / np.maximum(acc[3], peak)
        idx = ((pts - lo) / h).T
        inside = np.all((idx >= 0) & (idx <= np.array(dims)[:, None] - 1), axis=0)
        disp = np.zeros_like(pts)
        disp[inside] = np.stack([ndimage.map_coordinates(c, idx[:, inside], order=1)
                                 for c in disp_grid], axis=1)
        pts += disp
    # Smooth the total move along the surface (undoes single-triangle folds at sharp rims).
    adj = _adjacency(mesh.faces, len(pts))
    move = pts - mesh.points
    for _ in range(3):
        move = 0.5 * (move + adj @ move)
    return SurfaceMesh(mesh.points + move, mesh.faces, mesh.uncertainty_mm.copy())


def restore_volume(mesh: SurfaceMesh, target_ml: float, field: SignedDistance,
                   gap_mm: float = GAP_MM, steps: int = 8) -> SurfaceMesh:
    """``mesh`` with its free vertices moved along their normals until it holds ``target_ml``.

    Vertices within :data:`FREE_MM` of the solid stay (weight rising from 0 at the contact
    to 1 at twice that distance), so the contact is kept; a final :func:`push_out` removes
    any overlap the step made.
    """
    pts = mesh.points.copy()
    adj = _adjacency(mesh.faces, len(pts))
    for _ in range(steps):
        vol = SurfaceMesh(pts, mesh.faces).volume_ml()
        deficit = (target_ml - vol) * 1000.0
        if abs(deficit) < 2.0 * target_ml:  # 0.2 %
            break
        d, _ = field.sample(pts)
        w = np.clip((d - FREE_MM) / FREE_MM, 0.0, 1.0)
        w = adj @ (adj @ w)
        n, a = vertex_normals_areas(pts, mesh.faces)
        denom = float((w * a).sum())
        if denom <= 0.0:
            break
        pts += (deficit / denom) * w[:, None] * n
    return push_out(SurfaceMesh(pts, mesh.faces, mesh.uncertainty_mm.copy()), field, gap_mm)


def penetration_mm(points: np.ndarray, solid: SurfaceMesh) -> float:
    """Deepest of ``points`` inside the closed surface ``solid`` (mm; 0 if none is inside).

    Independent of the grid used to push: inside is VTK's ray casting
    (``vtkSelectEnclosedPoints``), depth the unsigned distance to the surface
    (``vtkImplicitPolyDataDistance``).

    Examples
    --------
    >>> from twinviewer.imaging.disease_anatomy import sphere_mesh
    >>> round(penetration_mm(np.array([[0.0, 0.0, 5.0], [0.0, 0.0, 30.0]]),
    ...                      sphere_mesh(10.0, 48)), 1)
    5.0
    """
    import pyvista as pv

    surf = pv.PolyData.from_regular_faces(np.asarray(solid.points, float),
                                          np.asarray(solid.faces))
    pts = np.asarray(points, float)
    box = np.all((pts >= solid.points.min(axis=0)) & (pts <= solid.points.max(axis=0)), axis=1)
    if not box.any():
        return 0.0
    cand = pv.PolyData(pts[box])
    inside = np.asarray(cand.select_interior_points(surf, check_surface=False)[
        "selected_points"]).astype(bool)
    if not inside.any():
        return 0.0
    d = np.asarray(pv.PolyData(pts[box][inside]).compute_implicit_distance(surf)[
        "implicit_distance"])
    return float(np.abs(d).max())


def overlap_ml(a: SurfaceMesh, b: SurfaceMesh, h: float = 1.0) -> float:
    """Volume (mL) inside both closed surfaces, counted on a grid of ``h`` mm.

    Examples
    --------
    >>> from twinviewer.imaging.disease_anatomy import sphere_mesh
    >>> b = sphere_mesh(10.0, 48)
    >>> round(overlap_ml(sphere_mesh(10.0, 48), SurfaceMesh(b.points + [10.0, 0, 0], b.faces),
    ...                  0.5), 1)  # lens of two spheres r apart: 5πr³/12 = 1.31 mL
    1.3
    """
    from twinviewer.imaging.bivme_wall import solid_mask

    lo = np.maximum(a.points.min(axis=0), b.points.min(axis=0)) - h
    hi = np.minimum(a.points.max(axis=0), b.points.max(axis=0)) + h
    if np.any(hi <= lo):
        return 0.0
    dims = tuple(int(v) for v in np.ceil((hi - lo) / h) + 1)
    both = solid_mask(a, lo, dims, h) & solid_mask(b, lo, dims, h)
    return float(both.sum() * h ** 3 / 1000.0)
