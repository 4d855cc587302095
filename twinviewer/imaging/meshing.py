"""Label map → one smooth, closed, outward-oriented triangle surface per structure (VTK).

Pipeline (parameters in :class:`MeshingOptions`, all recorded in the demo meshes' provenance):

1. Where a label touches itself only along a voxel edge (two diagonal voxels of a 2×2 square),
   one of the other two voxels is given to it (:func:`break_edge_contacts`); otherwise the
   surface there is non-manifold or open. The map is padded by one voxel where labels reach
   the border, so surfaces leaving the field of view are closed.
2. ``vtkSurfaceNets3D`` (all boundaries, the settings of pyvista ``contour_labels``) on the
   label map laid out with its real spacing, so the constrained smoothing works in mm. Every
   output polygon carries the two labels it separates, oriented outward from the first.
3. Per structure: the polygons bordering its label, flipped where it is the second label, so
   shared walls are identical in both neighbours' meshes and each mesh is closed. Anything
   still open is closed with ``vtkFillHolesFilter`` (holes up to ``fill_holes_mm``) and made
   consistent (``vtkPolyDataNormals``); what remains is reported in the notes.
4. ``vtkQuadricDecimation`` removes ``decimate`` of the triangles, preserving volume.
5. Voxel-frame coordinates are rotated and shifted into patient LPS mm by the image affine
   (image points are voxel centres, as DICOM ImagePositionPatient).

Per-vertex uncertainty (mm), with unit normal ``n`` and voxel axes ``e_i, e_j, e_k`` of
spacing ``Δi, Δj, Δk`` (column, row, slice)::

    u = ½ (|n·e_i| Δi + |n·e_j| Δj + |n·e_k| Δk)  +  ½ max(0, T − Δk) |n·e_k|

The first term is half the voxel's extent along the normal: a boundary placed from voxel
labels is known to within that. The second is the through-plane partial-volume blur of a
reconstructed slice thickness ``T`` wider than the slice spacing (zero when unknown).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import numba
import numpy as np
import pyvista as pv
from vtkmodules.util.numpy_support import numpy_to_vtk
from vtkmodules.vtkCommonDataModel import vtkImageData
from vtkmodules.vtkFiltersCore import vtkSurfaceNets3D

from twinviewer.core.anatomy import SurfaceMesh
from twinviewer.imaging.errors import ImagingError


@dataclass(frozen=True)
class MeshingOptions:
    """Parameters of :func:`label_map_to_meshes` (see the module docstring)."""

    smoothing_iterations: int = 16
    smoothing_relaxation: float = 0.5
    decimate: float = 0.5
    fill_holes_mm: float = 4.0

    def to_dict(self) -> dict:
        return {"filters": ["break_edge_contacts", "vtkSurfaceNets3D (all boundaries, triangles, "
                                                   "constraint distance = voxel diagonal)",
                            "vtkFillHolesFilter (only if open)",
                            "vtkQuadricDecimation (volume preservation)"],
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
    directed = np.sort(e[:, 0] * n + e[:, 1])
    undirected = np.sort(e.min(axis=1) * n + e.max(axis=1))
    starts = np.flatnonzero(np.r_[True, undirected[1:] != undirected[:-1]])
    cnt = np.diff(np.r_[starts, len(undirected)])
    if (cnt == 1).any():
        problems.append(f"open ({int((cnt == 1).sum())} boundary edges)")
    if (cnt > 2).any():
        problems.append(f"non-manifold ({int((cnt > 2).sum())} edges shared by >2 triangles)")
    dup = int((directed[1:] == directed[:-1]).sum())
    if dup:
        problems.append(f"inconsistently oriented ({dup} edges)")
    if not problems and SurfaceMesh(points, faces).volume_ml() < 0:
        problems.append("inverted (normals point inwards)")
    return problems


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
def _label_counts(lab: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    counts = np.zeros(256, np.int64)
    for v in lab.ravel():
        counts[v] += 1
    return counts


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
    >>> float(ball.sum()) / 1000, round(m.volume_ml(), 2)   # mL by voxels, by mesh
    (2.176, 1.9)
    """
    options = options or MeshingOptions()
    notes = notes if notes is not None else []
    labels = np.asarray(labels)
    if labels.ndim != 3:
        raise ImagingError(f"label map must be 3D (z, y, x), got shape {labels.shape}")
    spacing, axes, origin = voxel_frame(affine)
    work = np.ascontiguousarray(labels, dtype=np.uint8) if labels.dtype != np.uint8 \
        else labels.copy()
    if labels.dtype != np.uint8 and not np.array_equal(work, labels):
        raise ImagingError("label values must be integers 0..255")
    counts = _label_counts(work)
    present = {k: int(v) for k, v in label_values.items() if 0 < int(v) < 256 and counts[int(v)]}
    if not present:
        return {}
    others = set(np.flatnonzero(counts)) - set(present.values()) - {0}
    if others:
        work[~np.isin(work, list(present.values()))] = 0
    changed = break_edge_contacts(work)
    if changed:
        notes.append(f"meshing: {changed} voxel(s) relabelled to remove edge-only contacts "
                     "that would make surfaces non-manifold")
    pad = any(np.any(f) for f in (work[0], work[-1], work[:, 0], work[:, -1],
                                  work[:, :, 0], work[:, :, -1]))
    if pad:  # close surfaces that run out of the field of view
        work = np.pad(work, 1)
        origin = origin - axes @ spacing
    surf = _surface_nets(work, spacing, sorted(present.values()), options)
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
        mesh = SurfaceMesh(pts, tri)
        mesh.uncertainty_mm = vertex_uncertainty(vertex_normals(mesh), affine,
                                                 slice_thickness_mm)
        return key, mesh, msgs

    out: dict[str, SurfaceMesh] = {}
    with ThreadPoolExecutor(min(len(present), os.cpu_count() or 1)) as pool:
        for key, mesh, msgs in pool.map(one, sorted(present.items(), key=lambda kv: kv[1])):
            out[key] = mesh
            notes.extend(msgs)
    return out


def vertex_normals(mesh: SurfaceMesh) -> np.ndarray:
    """Area-weighted unit vertex normals (n, 3) of a triangle mesh."""
    p = mesh.points[mesh.faces]
    fn = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    n = len(mesh.points)
    vn = np.stack([sum(np.bincount(mesh.faces[:, c], fn[:, a], minlength=n) for c in range(3))
                   for a in range(3)], axis=1)
    norm = np.linalg.norm(vn, axis=1, keepdims=True)
    return np.divide(vn, norm, out=np.zeros_like(vn), where=norm > 0)


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
    poly = poly.triangulate().clean()
    if poly.n_cells == 0 or poly.n_points < 4:
        raise ImagingError(f"{name}: no surface triangles in the file")
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
