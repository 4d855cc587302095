"""The LV wall of the biv-me heart: LV free wall and septum as a closed, moving shell.

biv-me gives three surfaces per frame (LV endocardium, RV endocardium, epicardium of both
ventricles), all frames sharing their triangles. The LV myocardium is built once, at frame 0
(the R wave, 2.5 % below the largest LV volume at frame 24), on a 1 mm grid:

1. wall = inside the epicardium, outside both blood pools (VTK's polygon-to-stencil scan
   conversion of the capped surfaces);
2. LV part of the wall = wall voxels nearer the LV endocardium than the RV endocardium, plus
   the septum: voxels whose nearest LV point and nearest RV point lie on opposite sides
   (they sit *between* the two cavities; Euclidean distance transform with indices, SciPy);
   the RV free wall (nearest LV and RV points on the same side) and tissue more than
   :data:`MAX_WALL_MM` from the LV cavity are left out;
3. the largest connected part, meshed by marching cubes (scikit-image, 2 mm steps) and smoothed
   without shrinkage (VTK's windowed-sinc filter).

Every vertex of that mesh is then attached to the nearest point of one biv-me surface at
frame 0 (triangle, barycentric coordinates and offset along the triangle's normal). Because
biv-me's frames share triangles, re-evaluating the attachment on frame ``t`` moves the wall
with the measured motion: 25 frames, one triangulation, so the 3D view interpolates points.

Examples
--------
>>> from twinviewer.imaging.bivme import load_bivme
>>> wall = lv_wall(load_bivme())  # doctest: +SKIP
>>> len(wall.meshes)  # doctest: +SKIP
25
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from twinviewer.core.anatomy import Anatomy, Structure, SurfaceMesh

GRID_MM = 1.0
#: Wall farther than this from the LV cavity (mm) is not LV wall (tissue about the base
#: between the LV and the RV outflow tract, which biv-me's epicardium encloses).
MAX_WALL_MM = 15.0
SOURCES = ("lv_blood", "rv_blood", "epicardium")


def _poly(mesh: SurfaceMesh):
    import pyvista as pv

    return pv.PolyData.from_regular_faces(np.asarray(mesh.points, float),
                                          np.asarray(mesh.faces))


#: (triangle, grid line) pairs :func:`solid_mask` tests at once (bounds its memory: ~100 MB).
_CHUNK = 500_000


def solid_mask(mesh: SurfaceMesh, origin: np.ndarray, dims: tuple[int, int, int],
               h: float) -> np.ndarray:
    """Voxels (x, y, z order) of a regular grid inside a closed surface.

    Ray parity along z: every triangle is intersected with the grid's z-lines under it
    (vectorised over all triangle and line pairs); a voxel is inside when an odd number of
    crossings lies below it. Parity does not depend on the triangles' orientation, so a few
    flipped triangles do not matter (VTK's slice-based stencil filled wrong regions on such
    meshes).

    Examples
    --------
    >>> from twinviewer.imaging.disease_anatomy import sphere_mesh
    >>> m = solid_mask(sphere_mesh(10.0, 32), np.array([-12.0] * 3), (25, 25, 25), 1.0)
    >>> bool(4.0 < m.sum() / 1000 < 4.4)  # 4/3·π·10³ mm³ = 4.19 mL
    True
    """
    nx, ny, nz = dims
    # Grid-index coordinates, nudged so that no z-line passes exactly through a vertex/edge.
    q = (np.asarray(mesh.points, float) - origin) / h + np.array([1.234e-5, 2.345e-5, 0.0])
    tri = q[np.asarray(mesh.faces)]
    lo = np.ceil(tri[:, :, :2].min(axis=1)).astype(int)
    hi = np.floor(tri[:, :, :2].max(axis=1)).astype(int)
    span = hi - lo
    keep = np.all(span >= 0, axis=1)
    tri, lo, span = tri[keep], lo[keep], span[keep]
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    det = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1])
    ok = det != 0
    a, b, c, det, lo, span = a[ok], b[ok], c[ok], det[ok], lo[ok], span[ok]
    # every (triangle, z-line under it) pair at once, in chunks of ~CHUNK pairs: the z-lines
    # of triangle t are lo[t] + (di, dj), 0 ≤ di ≤ span[t, 0], 0 ≤ dj ≤ span[t, 1]
    ny_t = span[:, 1] + 1
    n_lines = (span[:, 0] + 1) * ny_t
    ends = np.cumsum(n_lines)
    first, crossings = 0, []
    while first < len(n_lines):
        last = int(np.searchsorted(ends, ends[first] - n_lines[first] + _CHUNK, "right"))
        last = max(last, first + 1)
        t = np.repeat(np.arange(first, last), n_lines[first:last])
        local = np.arange(t.size) - np.repeat(ends[first:last] - n_lines[first:last]
                                              - (ends[first] - n_lines[first]),
                                              n_lines[first:last])
        x = (lo[t, 0] + local // ny_t[t]).astype(float)
        y = (lo[t, 1] + local % ny_t[t]).astype(float)
        aa, bb, cc, dd = a[t], b[t], c[t], det[t]
        u = ((bb[:, 0] - x) * (cc[:, 1] - y) - (cc[:, 0] - x) * (bb[:, 1] - y)) / dd
        v = ((cc[:, 0] - x) * (aa[:, 1] - y) - (aa[:, 0] - x) * (cc[:, 1] - y)) / dd
        w = 1.0 - u - v
        hit = (u >= 0) & (v >= 0) & (w >= 0)
        z = u * aa[:, 2] + v * bb[:, 2] + w * cc[:, 2]
        i, j = x[hit].astype(int), y[hit].astype(int)
        k = np.clip(np.ceil(z[hit]).astype(int), 0, nz)
        inside = (i >= 0) & (i < nx) & (j >= 0) & (j < ny)
        crossings.append((i[inside] * ny + j[inside]) * (nz + 1) + k[inside])
        first = last
    flat = np.concatenate(crossings) if crossings else np.zeros(0, int)
    cnt = np.bincount(flat, minlength=nx * ny * (nz + 1)).reshape(nx, ny, nz + 1)
    return (np.cumsum(cnt, axis=2)[:, :, :nz] % 2).astype(bool)


def wall_mask(lv: SurfaceMesh, rv: SurfaceMesh, epi: SurfaceMesh, h: float = GRID_MM
              ) -> tuple[np.ndarray, np.ndarray]:
    """LV free wall + septum voxels and the grid origin (see module docstring, steps 1–2)."""
    lo = epi.points.min(axis=0) - 3 * h
    hi = epi.points.max(axis=0) + 3 * h
    dims = tuple(int(v) for v in np.ceil((hi - lo) / h) + 1)
    in_epi = solid_mask(epi, lo, dims, h)
    in_lv = solid_mask(lv, lo, dims, h)
    in_rv = solid_mask(rv, lo, dims, h)
    wall = in_epi & ~in_lv & ~in_rv
    d_lv, i_lv = ndimage.distance_transform_edt(~in_lv, return_indices=True)
    d_rv, i_rv = ndimage.distance_transform_edt(~in_rv, return_indices=True)
    grid = np.indices(dims)
    to_lv = (i_lv - grid).astype(np.float32)
    to_rv = (i_rv - grid).astype(np.float32)
    between = np.einsum("i...,i...->...", to_lv, to_rv) < 0
    lv_wall = wall & ((d_lv <= d_rv) | between) & (d_lv * h <= MAX_WALL_MM)
    lab, n = ndimage.label(lv_wall)
    if n > 1:
        sizes = ndimage.sum(lv_wall, lab, range(1, n + 1))
        lv_wall = lab == 1 + int(np.argmax(sizes))
    return lv_wall, lo


def _mesh_mask(mask: np.ndarray, origin: np.ndarray, h: float) -> SurfaceMesh:
    import pyvista as pv
    from skimage.measure import marching_cubes

    padded = np.pad(mask.astype(np.float32), 1)
    smooth = ndimage.gaussian_filter(padded, 0.6)
    verts, faces, _, _ = marching_cubes(smooth, 0.5, spacing=(h, h, h), step_size=2)
    verts = verts - h + origin
    poly = pv.PolyData.from_regular_faces(verts, faces.astype(np.int64))
    poly = poly.clean().smooth_taubin(n_iter=20, pass_band=0.1)
    poly = poly.connectivity("largest").extract_surface(algorithm="dataset_surface").clean()
    mesh = SurfaceMesh(np.asarray(poly.points, float), np.asarray(poly.regular_faces))
    if mesh.volume_ml() < 0:  # marching cubes' winding depends on the axis order
        mesh = SurfaceMesh(mesh.points, mesh.faces[:, ::-1].copy())
    return mesh


def _normals(points: np.ndarray, faces: np.ndarray) -> np.ndarray:
    a, b, c = (points[..., faces[:, i], :] for i in range(3))
    n = np.cross(b - a, c - a)
    return n / np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-12)


def _attach(points: np.ndarray, surfaces: list[SurfaceMesh]):
    # Nearest triangle of the nearest surface, its barycentric coordinates and normal offset.
    best = np.full(len(points), np.inf)
    which = np.zeros(len(points), int)
    tri = np.zeros(len(points), int)
    closest = np.zeros_like(points)
    for s, mesh in enumerate(surfaces):
        cell, pt = _poly(mesh).find_closest_cell(points, return_closest_point=True)
        d = np.linalg.norm(points - pt, axis=1)
        take = d < best
        best[take], which[take], tri[take], closest[take] = d[take], s, cell[take], pt[take]
    bary = np.zeros((len(points), 3))
    offset = np.zeros(len(points))
    for s, mesh in enumerate(surfaces):
        sel = which == s
        f = mesh.faces[tri[sel]]
        a, b, c = (mesh.points[f[:, i]] for i in range(3))
        v0, v1, v2 = b - a, c - a, closest[sel] - a
        d00, d01, d11 = (v0 * v0).sum(1), (v0 * v1).sum(1), (v1 * v1).sum(1)
        d20, d21 = (v2 * v0).sum(1), (v2 * v1).sum(1)
        den = np.maximum(d00 * d11 - d01 * d01, 1e-12)
        v = (d11 * d20 - d01 * d21) / den
        w = (d00 * d21 - d01 * d20) / den
        bary[sel] = np.c_[1 - v - w, v, w]
        n = _normals(mesh.points, f)
        offset[sel] = ((points[sel] - closest[sel]) * n).sum(1)
    return which, tri, bary, offset


def _place(which, tri, bary, offset, surfaces: list[SurfaceMesh]) -> np.ndarray:
    out = np.zeros((len(which), 3))
    for s, mesh in enumerate(surfaces):
        sel = which == s
        f = mesh.faces[tri[sel]]
        p = sum(bary[sel, i, None] * mesh.points[f[:, i]] for i in range(3))
        out[sel] = p + offset[sel, None] * _normals(mesh.points, f)
    return out


def lv_wall(anatomy: Anatomy, h: float = GRID_MM) -> Structure:
    """The LV myocardium (free wall + septum) of a biv-me anatomy, one mesh per frame.

    ``anatomy`` needs ``lv_blood``, ``rv_blood`` and ``epicardium`` with the same frames,
    each structure's frames sharing one triangulation (as :func:`load_bivme` gives them).

    Examples
    --------
    >>> from twinviewer.imaging.bivme import load_bivme
    >>> wall = lv_wall(load_bivme())  # doctest: +SKIP
    >>> round(wall.meshes[0].volume_ml())  # doctest: +SKIP
    125
    """
    from twinviewer.imaging.segmentation import display

    st = {k: anatomy.structures[k].meshes for k in SOURCES}
    ed = min(st["lv_blood"])
    mask, origin = wall_mask(st["lv_blood"][ed], st["rv_blood"][ed], st["epicardium"][ed], h)
    m0 = _mesh_mask(mask, origin, h)
    attach = _attach(m0.points, [st[k][ed] for k in SOURCES])
    name, color = display("lv_myocardium")
    out = Structure("lv_myocardium", name, color)
    for p in st["lv_blood"]:
        pts = _place(*attach, [st[k][p] for k in SOURCES])
        out.meshes[p] = SurfaceMesh(pts, m0.faces)
    return out
