"""Label map → one smooth, closed, outward-oriented triangle surface per structure (VTK).

Pipeline (parameters in :class:`MeshingOptions`, all recorded in the demo meshes' provenance):

1. One pass over the map counts each label's voxels and voxel faces; a SurfaceNets mesh has
   two triangles per face, so this is each structure's triangle count. If one would exceed
   ``max_triangles``, the map is coarsened by whole voxels (block majority,
   :func:`coarsen_labels`) along its finest axes until none does: a 512² × 300 CT heart
   gets 2 × 2 × 2 blocks. The surface is then built from, and its uncertainty given for,
   the coarse voxels (below).
2. Where a label touches itself only along a voxel edge (two diagonal voxels of a 2×2 square),
   one of the other two voxels is given to it (:func:`break_edge_contacts`); otherwise the
   surface there is non-manifold or open. The map is padded by one voxel where labels reach
   the border, so surfaces leaving the field of view are closed.
3. ``vtkSurfaceNets3D`` (all boundaries at once, the settings of pyvista ``contour_labels``,
   its own constrained smoothing) on the label map laid out with its real spacing, so the
   smoothing works in mm. Every output polygon carries the two labels it separates,
   oriented outward from the first.
4. Per structure (in threads): the polygons bordering its label, flipped where it is the
   second label, so shared walls are identical in both neighbours' meshes and each mesh is
   closed. Anything still open is closed with ``vtkFillHolesFilter`` (holes up to
   ``fill_holes_mm``) and made consistent (``vtkPolyDataNormals``); what remains is reported
   in the notes.
5. Optionally (``decimate`` > 0, off by default: it costs ~7 µs per triangle)
   ``vtkQuadricDecimation`` removes that fraction of the triangles, preserving volume.
6. Voxel-frame coordinates are rotated and shifted into patient LPS mm by the image affine
   (image points are voxel centres, as DICOM ImagePositionPatient).

Per-vertex uncertainty (mm), with unit normal ``n`` and axes ``e_i, e_j, e_k`` of the voxels
the surface was built from, of spacing ``Δi, Δj, Δk`` (column, row, slice)::

    u = ½ (|n·e_i| Δi + |n·e_j| Δj + |n·e_k| Δk)  +  ½ max(0, T − Δk) |n·e_k|

The first term is half the voxel's extent along the normal: a boundary placed from voxel
labels is known to within that (for a coarsened map, the coarse voxel's). The second is the
through-plane partial-volume blur of a reconstructed slice thickness ``T`` wider than the
slice spacing (zero when unknown).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numba
import numpy as np
import pyvista as pv
from vtkmodules.util.numpy_support import numpy_to_vtk
from vtkmodules.vtkCommonDataModel import vtkImageData
from vtkmodules.vtkFiltersCore import vtkSurfaceNets3D

from twinviewer.core.anatomy import SurfaceMesh
from twinviewer.imaging.errors import ImagingError
from twinviewer.imaging.mesh_check import refuse_bad_surface

UNCERTAINTY_MODEL = (
    "u = 0.5*(|n.e_i|*di + |n.e_j|*dj + |n.e_k|*dk) + 0.5*max(0, T - dk)*|n.e_k| mm: half the "
    "voxel extent along the unit surface normal n (axes e_i, e_j, e_k and spacings di, dj, dk "
    "of the voxels the surface was built from: the image's, or blocks of them where the map "
    "was coarsened to the triangle budget) plus the through-plane partial-volume blur of a "
    "slice thickness T wider than the slice spacing dk")
MAX_COARSENING = 4  # voxels per block along one axis; beyond, thin walls would vanish


@dataclass(frozen=True)
class MeshingOptions:
    """Parameters of :func:`label_map_to_meshes` (see the module docstring).

    ``max_triangles`` is the per-structure triangle budget that sets the coarsening (None:
    always the image's voxels); ``decimate`` the fraction of triangles removed afterwards.
    """

    smoothing_iterations: int = 16
    smoothing_relaxation: float = 0.5
    decimate: float = 0.0
    fill_holes_mm: float = 4.0
    max_triangles: int | None = 200_000

    def __post_init__(self) -> None:
        if not 0.0 <= self.decimate < 1.0:
            raise ImagingError(f"MeshingOptions.decimate must be in [0, 1), got {self.decimate}")
        if self.max_triangles is not None and self.max_triangles < 1000:
            raise ImagingError("MeshingOptions.max_triangles must be at least 1000 (or None), "
                               f"got {self.max_triangles}")
        if self.smoothing_iterations < 0 or self.fill_holes_mm < 0:
            raise ImagingError("MeshingOptions.smoothing_iterations and fill_holes_mm must not "
                               "be negative")

    def to_dict(self) -> dict:
        return {"filters": ["coarsen_labels (block majority, only to keep every structure "
                            "within max_triangles)",
                            "break_edge_contacts",
                            "vtkSurfaceNets3D (all boundaries, triangles, "
                            "constraint distance = voxel diagonal)",
                            "vtkFillHolesFilter (only if open)",
                            "vtkQuadricDecimation (volume preservation; only if decimate > 0)"],
                **asdict(self)}


def voxel_frame(affine: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spacing ``(Δi, Δj, Δk)``, unit axes (3×3, columns e_i, e_j, e_k) and origin of an affine.

    ``affine`` maps ``(k, j, i, 1)`` to patient mm (see :mod:`twinviewer.core.anatomy`).
    """
    cols = np.asarray(affine, float)[:3, [2, 1, 0]]
    spacing = np.linalg.norm(cols, axis=0)
    if np.any(spacing <= 0) or not np.all(np.isfinite(cols)):
        raise ImagingError(f"image affine has zero or non-finite spacing: {spacing.tolist()}")
    return spacing, cols / spacing, np.asarray(affine, float)[:3, 3]


def vertex_uncertainty(normals: np.ndarray, affine: np.ndarray,
                       slice_thickness_mm: float | None = None) -> np.ndarray:
    """Per-vertex boundary uncertainty (mm) for unit ``normals`` (n, 3) in patient coords."""
    spacing, axes, _ = voxel_frame(affine)
    proj = np.abs(np.asarray(normals, float) @ axes)  # (n, 3): |n·e_i|, |n·e_j|, |n·e_k|
    u = 0.5 * proj @ spacing
    if slice_thickness_mm and slice_thickness_mm > spacing[2]:
        u += 0.5 * (slice_thickness_mm - spacing[2]) * proj[:, 2]
    return u


def _faces_of(poly: pv.PolyData) -> np.ndarray:
    return np.asarray(poly.regular_faces, dtype=np.int32) if poly.n_cells else np.zeros(
        (0, 3), np.int32)


def check_surface(points: np.ndarray, faces: np.ndarray) -> list[str]:
    """Problems of a triangle surface as text: open, non-manifold, inconsistent, inverted.

    An empty list means closed, manifold, consistently oriented with outward normals.
    """
    if len(faces) == 0:
        return ["no triangles"]
    problems = []
    n = np.int64(max(len(points), 1))
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]).astype(np.int64)
    # one sort: undirected edge key, with the direction in the lowest bit
    key = np.sort((e.min(axis=1) * n + e.max(axis=1)) * 2 + (e[:, 0] > e[:, 1]))
    undirected = key >> 1
    starts = np.flatnonzero(np.r_[True, undirected[1:] != undirected[:-1]])
    cnt = np.diff(np.r_[starts, len(undirected)])
    if (cnt == 1).any():
        problems.append(f"open ({int((cnt == 1).sum())} boundary edges)")
    if (cnt > 2).any():
        problems.append(f"non-manifold ({int((cnt > 2).sum())} edges shared by >2 triangles)")
    dup = int((key[1:] == key[:-1]).sum())
    if dup:
        problems.append(f"inconsistently oriented ({dup} edges)")
    if not problems and SurfaceMesh(points, faces).volume_ml() < 0:
        problems.append("inverted (normals point inwards)")
    return problems


def _close(poly: pv.PolyData, hole_mm: float) -> pv.PolyData:
    poly = poly.fill_holes(hole_mm)
    return poly.compute_normals(consistent_normals=True, auto_orient_normals=False,
                                split_vertices=False, point_normals=False,
                                cell_normals=True).triangulate()


@numba.njit(cache=True, nogil=True)
def _break_edge_contacts_pass(lab: np.ndarray) -> int:  # pragma: no cover - compiled
    nz, ny, nx = lab.shape
    changed = 0
    for k in range(nz):
        for j in range(ny):
            for i in range(nx):
                for plane in range(3):
                    a = lab[k, j, i]
                    if plane == 0:
                        if j + 1 >= ny or i + 1 >= nx:
                            continue
                        b, c, d = lab[k, j, i + 1], lab[k, j + 1, i], lab[k, j + 1, i + 1]
                    elif plane == 1:
                        if k + 1 >= nz or i + 1 >= nx:
                            continue
                        b, c, d = lab[k, j, i + 1], lab[k + 1, j, i], lab[k + 1, j, i + 1]
                    else:
                        if k + 1 >= nz or j + 1 >= ny:
                            continue
                        b, c, d = lab[k, j + 1, i], lab[k + 1, j, i], lab[k + 1, j + 1, i]
                    if a != 0 and a == d and b != a and c != a:
                        # a touches itself only across the diagonal: give it corner c
                        if plane == 0:
                            lab[k, j + 1, i] = a
                        else:
                            lab[k + 1, j, i] = a
                        changed += 1
                    elif b != 0 and b == c and a != b and d != b:
                        lab[k, j, i] = b
                        changed += 1
    return changed


@numba.njit(cache=True, nogil=True)
def _label_stats_chunk(lab: np.ndarray, k0: int, k1: int, counts: np.ndarray,
                       faces: np.ndarray) -> None:  # pragma: no cover - compiled
    # voxels per label, and voxel faces per label and axis (k, j, i) with another label or
    # the outside, over slices k0..k1-1; labels change rarely along a row, so count runs
    nz, ny, nx = lab.shape
    for k in range(k0, k1):
        for j in range(ny):
            row = lab[k, j]
            start = 0
            for i in range(1, nx):
                if row[i] != row[i - 1]:
                    counts[row[i - 1]] += i - start
                    start = i
                    faces[2, row[i - 1]] += 1
                    faces[2, row[i]] += 1
            counts[row[nx - 1]] += nx - start
            faces[2, row[0]] += 1
            faces[2, row[nx - 1]] += 1
            for axis, nxt_ok, first in ((1, j + 1 < ny, j == 0), (0, k + 1 < nz, k == 0)):
                if nxt_ok:
                    nxt = lab[k, j + 1] if axis == 1 else lab[k + 1, j]
                    for i in range(nx):
                        if row[i] != nxt[i]:
                            faces[axis, row[i]] += 1
                            faces[axis, nxt[i]] += 1
                else:
                    for i in range(nx):
                        faces[axis, row[i]] += 1
                if first:
                    for i in range(nx):
                        faces[axis, row[i]] += 1


@numba.njit(cache=True, nogil=True)
def _coarsen_chunk(lab: np.ndarray, f0: int, f1: int, f2: int, out: np.ndarray,
                   k0: int, k1: int) -> None:  # pragma: no cover - compiled
    nz, ny, nx = lab.shape
    _, oy, ox = out.shape
    cnt = np.zeros(256, np.int32)
    for kk in range(k0, k1):
        ka, kb = kk * f0, min(kk * f0 + f0, nz)
        for jj in range(oy):
            ja, jb = jj * f1, min(jj * f1 + f1, ny)
            for ii in range(ox):
                ia, ib = ii * f2, min(ii * f2 + f2, nx)
                first = lab[ka, ja, ia]
                uniform = True
                for k in range(ka, kb):
                    for j in range(ja, jb):
                        for i in range(ia, ib):
                            if lab[k, j, i] != first:
                                uniform = False
                if uniform:  # most blocks
                    out[kk, jj, ii] = first
                    continue
                best, most = 0, 0
                for k in range(ka, kb):
                    for j in range(ja, jb):
                        for i in range(ia, ib):
                            v = lab[k, j, i]
                            cnt[v] += 1
                            # ties go to the first label met, and to a label over background
                            if cnt[v] > most or (cnt[v] == most and best == 0):
                                best, most = v, cnt[v]
                for k in range(ka, kb):
                    for j in range(ja, jb):
                        for i in range(ia, ib):
                            cnt[lab[k, j, i]] = 0
                out[kk, jj, ii] = best


def _by_slabs(kernel, nz: int) -> None:
    """Run ``kernel(slab, k0, k1)`` over slabs of slices in threads (kernels drop the GIL)."""
    n = max(1, min(os.cpu_count() or 1, nz))
    edges = np.linspace(0, nz, n + 1).astype(int)
    if n == 1:
        kernel(0, 0, nz)
        return
    with ThreadPoolExecutor(n) as pool:
        list(pool.map(kernel, range(n), edges[:-1], edges[1:]))


def _label_stats(lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Voxel count (256,) and voxel-face count per axis (3, 256) of every label value."""
    n = max(1, min(os.cpu_count() or 1, lab.shape[0]))
    counts, faces = np.zeros((n, 256), np.int64), np.zeros((n, 3, 256), np.int64)
    _by_slabs(lambda s, k0, k1: _label_stats_chunk(lab, k0, k1, counts[s], faces[s]),
              lab.shape[0])
    return counts.sum(axis=0), faces.sum(axis=0)


def coarsen_labels(labels: np.ndarray, factors: tuple[int, int, int]) -> np.ndarray:
    """Label map of ``factors`` = (fk, fj, fi) voxel blocks, each given its majority label.

    Ties go to a label over background (thin structures survive) and otherwise to the first
    label in the block. Blocks at the far border may be partial. Voxel ``(K, J, I)`` of the
    result is centred at ``(K fk + (fk-1)/2, J fj + (fj-1)/2, I fi + (fi-1)/2)`` of the input.
    """
    lab = np.ascontiguousarray(labels, dtype=np.uint8)
    f = tuple(int(x) for x in factors)
    if len(f) != 3 or min(f) < 1:
        raise ImagingError(f"coarsening factors must be three integers >= 1, got {factors}")
    out = np.zeros(tuple(-(-n // g) for n, g in zip(lab.shape, f, strict=True)), np.uint8)
    _by_slabs(lambda _, k0, k1: _coarsen_chunk(lab, *f, out, k0, k1), out.shape[0])
    return out


def _coarsening(faces: np.ndarray, values: list[int], spacing_kji: np.ndarray,
                max_triangles: int | None) -> tuple[int, int, int]:
    """Smallest blocks (finest axes grown first) keeping every label within the budget."""
    f = np.ones(3, int)
    if max_triangles is None:
        return (1, 1, 1)
    fc = faces[:, values].astype(float)  # (3 axes, labels)

    def triangles() -> float:  # two per face; a face normal to axis a spans the other two
        return float((2 * (fc[0] / (f[1] * f[2]) + fc[1] / (f[0] * f[2])
                           + fc[2] / (f[0] * f[1]))).max())

    while triangles() > max_triangles and f.min() < MAX_COARSENING:
        size = np.where(f < MAX_COARSENING, spacing_kji * f, np.inf)
        f[int(np.argmin(size))] += 1
    return (int(f[0]), int(f[1]), int(f[2]))


def break_edge_contacts(labels: np.ndarray, max_passes: int = 6) -> int:
    """Relabel voxels (in place) so no label touches itself only along a voxel edge.

    Where a label occupies two diagonal voxels of a 2×2 square and neither of the other two,
    one of those is given to it. Such edge-only contacts make SurfaceNets (and any voxel
    surface) non-manifold or open. Returns the number of voxels changed (a few hundred in a
    512² × 300 heart: volume effect well below the voxel-count uncertainty).
    """
    total = 0
    for _ in range(max_passes):
        n = int(_break_edge_contacts_pass(labels))
        total += n
        if n == 0:
            break
    return total


def _surface_nets(labels: np.ndarray, spacing: np.ndarray, values: list[int],
                  options: MeshingOptions) -> pv.PolyData:
    nz, ny, nx = labels.shape
    img = vtkImageData()
    img.SetDimensions(nx, ny, nz)
    img.SetSpacing(*(float(s) for s in spacing))
    arr = numpy_to_vtk(labels.ravel(), deep=False)
    arr.SetName("labels")
    img.GetPointData().SetScalars(arr)
    alg = vtkSurfaceNets3D()
    alg.SetInputData(img)
    alg.SetBackgroundLabel(0)
    alg.SetOutputMeshTypeToTriangles()
    for n, v in enumerate(values):
        alg.SetLabel(n, float(v))
    alg.SmoothingOn()
    alg.GetSmoother().SetNumberOfIterations(options.smoothing_iterations)
    alg.GetSmoother().SetRelaxationFactor(options.smoothing_relaxation)
    alg.AutomaticSmoothingConstraintsOff()
    # pyvista's default: points may move at most one voxel diagonal from their voxel
    alg.GetSmoother().SetConstraintDistance(float(np.linalg.norm(spacing)))
    alg.Update()
    out = pv.wrap(alg.GetOutput())
    del arr, img  # the VTK array only borrowed the numpy buffer
    return out


def label_map_to_meshes(labels: np.ndarray, affine: np.ndarray, label_values: dict[str, int],
                        *, slice_thickness_mm: float | None = None,
                        options: MeshingOptions | None = None,
                        notes: list[str] | None = None) -> dict[str, SurfaceMesh]:
    """Surface per structure from a label map.

    Parameters
    ----------
    labels : (z, y, x) integer ndarray
        Label map ``[slice k, row j, column i]`` (not modified).
    affine : (4, 4) ndarray
        ``(k, j, i, 1)`` → patient LPS mm.
    label_values : dict
        Vocabulary key → label value; absent labels are skipped.
    slice_thickness_mm : float, optional
        Reconstructed slice thickness for the blur term of the uncertainty.
    options : MeshingOptions, optional
    notes : list of str, optional
        Repairs and remaining problems are appended here.

    Returns
    -------
    dict
        Key → :class:`~twinviewer.core.anatomy.SurfaceMesh` in patient mm, outward normals.

    Examples
    --------
    >>> import numpy as np
    >>> k, j, i = np.mgrid[:24, :24, :24]
    >>> ball = ((k - 11.5)**2 + (j - 11.5)**2 + (i - 11.5)**2 < 8**2).astype(np.uint8)
    >>> m = label_map_to_meshes(ball, np.eye(4), {"la": 1})["la"]   # 1 mm voxels
    >>> float(ball.sum()) / 1000, round(m.volume_ml(), 1)   # mL by voxels, by mesh
    (2.176, 1.9)
    """
    options = options or MeshingOptions()
    notes = notes if notes is not None else []
    labels = np.asarray(labels)
    if labels.ndim != 3:
        raise ImagingError(f"label map must be 3D (z, y, x), got shape {labels.shape}")
    voxel_frame(affine)  # validate before any work
    work = labels if labels.dtype == np.uint8 else np.ascontiguousarray(labels, dtype=np.uint8)
    if work is not labels and not np.array_equal(work, labels):
        raise ImagingError("label values must be integers 0..255")
    counts, face_counts = _label_stats(work)
    present = {k: int(v) for k, v in label_values.items() if 0 < int(v) < 256 and counts[int(v)]}
    if not present:
        return {}
    values = sorted(present.values())
    if set(np.flatnonzero(counts)) - set(values) - {0}:
        work = np.where(np.isin(work, values), work, np.uint8(0))
        counts, face_counts = _label_stats(work)
    factors = _coarsening(face_counts, values, voxel_frame(affine)[0][::-1], options.max_triangles)
    mesh_affine = np.asarray(affine, float)
    if factors != (1, 1, 1):
        coarse = coarsen_labels(work, factors)
        kept = np.bincount(coarse.ravel(), minlength=256)
        lost = sorted(k for k, v in present.items() if not kept[v])
        if lost:
            notes.append(f"meshing: {', '.join(lost)} would vanish on {factors} voxel blocks; "
                         "meshed on the image's voxels (over the triangle budget)")
            factors = (1, 1, 1)
        else:
            work = coarse
            block = np.diag([*factors, 1]).astype(float)
            block[:3, 3] = (np.array(factors) - 1) / 2
            mesh_affine = mesh_affine @ block
            notes.append(f"meshing: label map coarsened to {factors} voxel blocks (slice, row, "
                         f"column) to keep each structure within {options.max_triangles} "
                         "triangles; uncertainty is that of the blocks")
    if factors == (1, 1, 1):
        work = work.copy() if work is labels else work  # the input is not modified
    spacing, axes, origin = voxel_frame(mesh_affine)
    changed = break_edge_contacts(work)
    if changed:
        notes.append(f"meshing: {changed} voxel(s) relabelled to remove edge-only contacts "
                     "that would make surfaces non-manifold")
    pad = any(np.any(f) for f in (work[0], work[-1], work[:, 0], work[:, -1],
                                  work[:, :, 0], work[:, :, -1]))
    if pad:  # close surfaces that run out of the field of view
        work = np.pad(work, 1)
        origin = origin - axes @ spacing
    surf = _surface_nets(work, spacing, values, options)
    del work
    bl = np.asarray(surf.cell_data["BoundaryLabels"]).astype(np.int64)
    faces = _faces_of(surf)
    all_points = np.asarray(surf.points, dtype=np.float64)
    flip = np.linalg.det(axes) < 0  # a left-handed voxel frame mirrors the surface

    def one(item: tuple[str, int]) -> tuple[str, SurfaceMesh, list[str]]:
        key, value = item
        msgs: list[str] = []
        f = np.vstack([faces[bl[:, 0] == value], faces[bl[:, 1] == value][:, ::-1]])
        used = np.zeros(len(all_points), bool)
        used[f] = True
        f = (np.cumsum(used) - 1)[f]
        poly = pv.PolyData.from_regular_faces(all_points[used], f)
        problems = check_surface(np.asarray(poly.points), _faces_of(poly))
        changed = bool(problems)
        if problems:
            poly = _close(poly, options.fill_holes_mm)
            msgs.append(f"{key}: surface was {', '.join(problems)}; holes filled and "
                        "orientation made consistent")
        if options.decimate > 0 and poly.n_cells > 200:
            poly = poly.decimate(options.decimate, volume_preservation=True)
            changed = True
        pts = np.asarray(poly.points, float) @ axes.T + origin
        tri = _faces_of(poly)
        if flip:
            tri = tri[:, ::-1].copy()
        if changed:  # the first check stands for an untouched surface (a rotation keeps it)
            problems = check_surface(pts, tri)
        if problems == ["inverted (normals point inwards)"]:
            tri = tri[:, ::-1].copy()
            msgs.append(f"{key}: surface was inverted; faces flipped")
            problems = []
        if problems:
            msgs.append(f"{key}: surface still {', '.join(problems)} after repair")
        if options.max_triangles and len(tri) > options.max_triangles:
            msgs.append(f"{key}: {len(tri)} triangles, over the budget of "
                        f"{options.max_triangles} (blocks of at most {MAX_COARSENING} voxels)")
        mesh = SurfaceMesh(pts, tri)
        mesh.uncertainty_mm = vertex_uncertainty(vertex_normals(mesh), mesh_affine,
                                                 slice_thickness_mm)
        return key, mesh, msgs

    out: dict[str, SurfaceMesh] = {}
    with ThreadPoolExecutor(min(len(present), os.cpu_count() or 1)) as pool:
        for key, mesh, msgs in pool.map(one, sorted(present.items(), key=lambda kv: kv[1])):
            out[key] = mesh
            notes.extend(msgs)
    return out


@numba.njit(cache=True, nogil=True)
def _vertex_normals(points: np.ndarray, faces: np.ndarray) -> np.ndarray:  # pragma: no cover
    vn = np.zeros(points.shape)
    for t in range(faces.shape[0]):
        a, b, c = faces[t, 0], faces[t, 1], faces[t, 2]
        ux, uy, uz = points[b, 0] - points[a, 0], points[b, 1] - points[a, 1], \
            points[b, 2] - points[a, 2]
        vx, vy, vz = points[c, 0] - points[a, 0], points[c, 1] - points[a, 1], \
            points[c, 2] - points[a, 2]
        # twice the triangle's area times its unit normal
        nx, ny, nz = uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx
        for q in (a, b, c):
            vn[q, 0] += nx
            vn[q, 1] += ny
            vn[q, 2] += nz
    for p in range(vn.shape[0]):
        norm = np.sqrt(vn[p, 0] ** 2 + vn[p, 1] ** 2 + vn[p, 2] ** 2)
        if norm > 0:
            vn[p] /= norm
    return vn


def vertex_normals(mesh: SurfaceMesh) -> np.ndarray:
    """Area-weighted unit vertex normals (n, 3) of a triangle mesh (zero where undefined)."""
    return _vertex_normals(np.ascontiguousarray(mesh.points, dtype=np.float64),
                           np.ascontiguousarray(mesh.faces, dtype=np.int64))


def to_polydata(mesh: SurfaceMesh) -> pv.PolyData:
    """A :class:`pyvista.PolyData` with ``uncertainty_mm`` point data."""
    poly = pv.PolyData.from_regular_faces(mesh.points, mesh.faces)
    poly.point_data["uncertainty_mm"] = mesh.uncertainty_mm
    return poly


def from_polydata(poly: pv.DataSet, name: str, notes: list[str] | None = None) -> SurfaceMesh:
    """Repair an external surface where safe and return it in mm with outward normals.

    Repairs: triangulate and merge duplicate points; a bounding-box diagonal under 1 is taken
    as metres and under 25 as centimetres (a cardiac structure spans 30–250 mm), with a note;
    holes up to 10 mm filled; orientation made consistent and outward. Problems that remain
    (non-manifold edges, large holes) go to ``notes``.

    Raises
    ------
    ImagingError
        Naming ``name`` when the file holds no surface triangles.
    """
    notes = notes if notes is not None else []
    if not isinstance(poly, pv.PolyData):
        poly = poly.extract_surface(algorithm="dataset_surface")
    refuse_bad_surface(np.asarray(poly.points, float), None, Path(name).name)
    poly = poly.triangulate().clean()
    if poly.n_cells == 0 or poly.n_points < 4:
        raise ImagingError(f"{name}: no surface triangles in the file")
    refuse_bad_surface(np.asarray(poly.points, float), _faces_of(poly), Path(name).name)
    diag = float(np.linalg.norm(np.ptp(np.asarray(poly.points), axis=0)))
    if diag < 1.0:
        poly.points = np.asarray(poly.points) * 1000.0
        notes.append(f"{name}: extent {diag:.3g} looks like metres; scaled ×1000 to mm")
    elif diag < 25.0:
        poly.points = np.asarray(poly.points) * 10.0
        notes.append(f"{name}: extent {diag:.3g} looks like centimetres; scaled ×10 to mm")
    if poly.n_open_edges:
        n = poly.n_open_edges
        poly = poly.fill_holes(10.0).triangulate()
        notes.append(f"{name}: filled holes ({n} open edges)")
    poly = poly.compute_normals(consistent_normals=True, auto_orient_normals=True,
                                split_vertices=False, point_normals=False,
                                cell_normals=True).triangulate()
    mesh = SurfaceMesh(np.asarray(poly.points, float), _faces_of(poly))
    problems = check_surface(mesh.points, mesh.faces)
    if "inverted (normals point inwards)" in problems:
        mesh = SurfaceMesh(mesh.points, mesh.faces[:, ::-1])
        notes.append(f"{name}: normals pointed inwards; faces flipped")
        problems.remove("inverted (normals point inwards)")
    if problems:
        notes.append(f"{name}: mesh is {', '.join(problems)}; its volume is not reliable")
    return mesh
