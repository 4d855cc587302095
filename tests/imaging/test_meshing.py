"""Label map → meshes: closed, outward, on the slices, with the documented uncertainty."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv

from twinviewer.imaging.errors import ImagingError
from twinviewer.imaging.meshing import (
    MeshingOptions,
    _label_stats,
    break_edge_contacts,
    check_surface,
    coarsen_labels,
    from_polydata,
    label_map_to_meshes,
    vertex_normals,
    vertex_uncertainty,
)

CHAMBERS = ("lv_blood", "lv_myocardium", "rv_blood", "la", "ra")


@pytest.fixture(scope="module")
def demo_meshes(demo_study):
    notes: list[str] = []
    meshes = label_map_to_meshes(demo_study.labels["ED"], demo_study.affine,
                                 demo_study.label_values, slice_thickness_mm=None, notes=notes)
    return meshes, notes


def test_every_structure_closed_manifold_outward(demo_study, demo_meshes):
    meshes, notes = demo_meshes
    assert set(meshes) == set(demo_study.label_values)
    truth = demo_study.volumes_ml("ED")
    for key, m in meshes.items():
        assert check_surface(m.points, m.faces) == [], key
        tol = 0.05 if key in CHAMBERS else 0.12  # smoothing shrinks thin tubes more
        assert m.volume_ml() == pytest.approx(truth[key], rel=tol), key
    assert not any("still" in n for n in notes)


def _sample(labels, affine, xyz):
    """Label at patient points; -1 outside the field of view (in no label)."""
    kji = np.rint(np.linalg.solve(affine[:3, :3], (xyz - affine[:3, 3]).T).T).astype(int)
    inside = np.all((kji >= 0) & (kji < np.array(labels.shape)), axis=1)
    idx = np.clip(kji, 0, np.array(labels.shape) - 1)
    return np.where(inside, labels[idx[:, 0], idx[:, 1], idx[:, 2]], -1)


def test_mesh_overlays_the_label_map(demo_study, demo_meshes):
    """A vertex moved inward by its uncertainty (half a voxel along the normal) lands in its
    own label; moved outward it leaves it (the caps closing the aorta where it leaves the
    field of view move out of the image) — in patient mm, through the image affine."""
    meshes, _ = demo_meshes
    lab = demo_study.labels["ED"]
    for key, m in meshes.items():
        n = vertex_normals(m)
        u = m.uncertainty_mm[:, None]
        inside = _sample(lab, demo_study.affine, m.points - n * u)
        outside = _sample(lab, demo_study.affine, m.points + n * u)
        value = demo_study.label_values[key]
        assert (inside == value).mean() > 0.9, key
        assert (outside != value).mean() > 0.9, key


def test_uncertainty_formula():
    affine = np.diag([3.0, 0.5, 0.8, 1.0])  # k -> x (3 mm), j -> y (0.5 mm), i -> z (0.8 mm)
    normals = np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [0.6, 0.8, 0]])
    u = vertex_uncertainty(normals, affine)
    np.testing.assert_allclose(u, [1.5, 0.25, 0.4, 0.5 * (0.6 * 3 + 0.8 * 0.5)])
    thick = vertex_uncertainty(normals, affine, slice_thickness_mm=5.0)
    np.testing.assert_allclose(thick - u, [1.0, 0.0, 0.0, 0.6])


def _ball(n=20, r=7.0):
    k, j, i = np.mgrid[:n, :n, :n]
    c = (n - 1) / 2
    return (((k - c) ** 2 + (j - c) ** 2 + (i - c) ** 2) < r * r).astype(np.uint8)


def test_left_handed_oblique_affine_keeps_outward_normals():
    rot = np.linalg.qr(np.random.default_rng(3).normal(size=(3, 3)))[0]
    if np.linalg.det(rot) > 0:
        rot[:, 0] *= -1
    affine = np.eye(4)
    affine[:3, :3] = rot @ np.diag([2.0, 1.0, 1.5])
    affine[:3, 3] = [100.0, -40.0, 7.0]
    ball = _ball()
    m = label_map_to_meshes(ball, affine, {"la": 1})["la"]
    assert check_surface(m.points, m.faces) == []
    plain = label_map_to_meshes(ball, np.diag([2.0, 1.0, 1.5, 1.0]), {"la": 1})["la"]
    assert m.volume_ml() == pytest.approx(plain.volume_ml(), rel=1e-6)  # same shape, moved
    assert m.volume_ml() == pytest.approx(ball.sum() * 3.0 / 1000, rel=0.2)


def test_structure_cut_by_the_field_of_view_is_closed():
    lab = np.zeros((10, 12, 12), np.uint8)
    lab[:, 3:9, 3:9] = 6  # a tube through every slice
    m = label_map_to_meshes(lab, np.eye(4), {"aorta": 6})["aorta"]
    assert check_surface(m.points, m.faces) == []


def test_edge_only_contacts_are_broken():
    lab = np.zeros((6, 6, 6), np.uint8)
    lab[1:3, 1:3, 1:3] = 1
    lab[3:5, 3:5, 1:3] = 1  # touches the first block only along an edge
    work = lab.copy()
    assert break_edge_contacts(work) > 0
    assert break_edge_contacts(work) == 0
    notes: list[str] = []
    m = label_map_to_meshes(lab, np.eye(4), {"la": 1}, notes=notes,
                            options=MeshingOptions(decimate=0))["la"]
    assert check_surface(m.points, m.faces) == []
    assert any("edge-only contacts" in n for n in notes)
    assert lab[3, 2, 1] == 0  # the input is not modified


def test_absent_labels_and_bad_input():
    assert label_map_to_meshes(np.zeros((5, 5, 5), np.uint8), np.eye(4), {"la": 4}) == {}
    with pytest.raises(ImagingError, match="must be 3D"):
        label_map_to_meshes(np.zeros((5, 5), np.uint8), np.eye(4), {"la": 4})
    with pytest.raises(ImagingError, match="zero or non-finite spacing"):
        label_map_to_meshes(_ball(), np.zeros((4, 4)), {"la": 1})


def test_from_polydata_repairs_and_reports():
    notes: list[str] = []
    cube = pv.Cube(x_length=40, y_length=40, z_length=40).triangulate()
    inverted = pv.PolyData.from_regular_faces(cube.points, cube.regular_faces[:, ::-1])
    m = from_polydata(inverted, "cube.vtp", notes)
    assert m.volume_ml() == pytest.approx(64.0)
    with pytest.raises(ImagingError, match="empty.vtp: no surface triangles"):
        from_polydata(pv.PolyData(np.zeros((3, 3))), "empty.vtp")
    # two cubes sharing one edge: non-manifold, reported not hidden
    a = pv.Cube(center=(0, 0, 0), x_length=2, y_length=2, z_length=2).triangulate()
    b = pv.Cube(center=(2, 2, 0), x_length=2, y_length=2, z_length=2).triangulate()
    m = from_polydata((a + b).scale(20.0), "pair.vtp", notes)
    assert any("pair.vtp" in n and "non-manifold" in n for n in notes)


def test_decimation_keeps_the_guarantees():
    ball = _ball(24, 9.0)
    full = label_map_to_meshes(ball, np.eye(4), {"la": 1})["la"]
    half = label_map_to_meshes(ball, np.eye(4), {"la": 1},
                               options=MeshingOptions(decimate=0.5))["la"]
    assert check_surface(half.points, half.faces) == []
    assert len(half.faces) == pytest.approx(len(full.faces) / 2, rel=0.05)
    assert half.volume_ml() == pytest.approx(full.volume_ml(), rel=0.01)


def test_face_counts_predict_the_triangle_count():
    """Two SurfaceNets triangles per voxel face: the estimate that sets the coarsening."""
    lab = np.zeros((12, 14, 16), np.uint8)
    lab[2:9, 3:10, 4:12] = 3
    lab[2:9, 3:10, 12:15] = 5  # shares a wall with label 3
    counts, faces = _label_stats(lab)
    assert counts[3] == 7 * 7 * 8 and counts[5] == 7 * 7 * 3
    assert faces[:, 3].tolist() == [2 * 7 * 8, 2 * 7 * 8, 2 * 7 * 7]  # k, j, i faces
    meshes = label_map_to_meshes(lab, np.eye(4), {"lv_blood": 3, "aorta": 5},
                                 options=MeshingOptions(max_triangles=None))
    assert len(meshes["lv_blood"].faces) == 2 * faces[:, 3].sum()
    assert len(meshes["aorta"].faces) == 2 * faces[:, 5].sum()


def test_coarsen_labels_majority_and_ties():
    lab = np.zeros((2, 2, 4), np.uint8)
    lab[:, :, :2] = [[[1, 1], [1, 2]], [[2, 2], [1, 0]]]  # 1 has four of eight
    lab[:, :, 2:] = [[[0, 0], [0, 4]], [[4, 0], [4, 4]]]  # 4 ties with background
    np.testing.assert_array_equal(coarsen_labels(lab, (2, 2, 2)), [[[1, 4]]])
    # partial blocks at the border; one block per voxel is the identity
    odd = np.arange(5 * 3 * 7, dtype=np.uint8).reshape(5, 3, 7) % 3
    assert coarsen_labels(odd, (2, 2, 2)).shape == (3, 2, 4)
    np.testing.assert_array_equal(coarsen_labels(odd, (1, 1, 1)), odd)
    with pytest.raises(ImagingError, match="coarsening factors"):
        coarsen_labels(odd, (0, 1, 1))


def test_over_budget_map_is_meshed_on_coarse_blocks():
    """Past ``max_triangles`` the map is meshed on voxel blocks: within budget, still closed
    and on its label, with the uncertainty of the blocks."""
    ball = _ball(64, 26.0)
    affine = np.diag([0.8, 0.5, 0.5, 1.0])
    fine_notes: list[str] = []
    fine = label_map_to_meshes(ball, affine, {"la": 1}, notes=fine_notes,
                               options=MeshingOptions(max_triangles=None))["la"]
    notes: list[str] = []
    coarse = label_map_to_meshes(ball, affine, {"la": 1}, notes=notes,
                                 options=MeshingOptions(max_triangles=len(fine.faces) // 2))["la"]
    assert any("(1, 2, 2) voxel blocks" in n for n in notes)  # finest axes first
    assert not any("blocks" in n for n in fine_notes)
    assert len(coarse.faces) <= len(fine.faces) // 2
    assert check_surface(coarse.points, coarse.faces) == []
    assert coarse.volume_ml() == pytest.approx(ball.sum() * 0.2 / 1000, rel=0.03)
    n = vertex_normals(coarse)
    block = np.diag([0.8, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(coarse.uncertainty_mm, vertex_uncertainty(n, block))
    u = coarse.uncertainty_mm[:, None]
    assert (_sample(ball, affine, coarse.points - n * u) == 1).mean() > 0.95
    assert (_sample(ball, affine, coarse.points + n * u) != 1).mean() > 0.95


def test_structure_that_would_vanish_keeps_the_image_voxels():
    lab = _ball(64, 26.0)
    lab[5, 5, 5] = 2  # one voxel: lost in any block
    notes: list[str] = []
    meshes = label_map_to_meshes(lab, np.eye(4), {"la": 1, "ra": 2}, notes=notes,
                                 options=MeshingOptions(max_triangles=5000))
    assert set(meshes) == {"la", "ra"}
    assert any("ra would vanish" in n for n in notes)
    assert meshes["ra"].uncertainty_mm.max() <= 0.5 * np.sqrt(3) + 1e-9  # 1 mm voxels
    assert check_surface(meshes["ra"].points, meshes["ra"].faces) == []


@pytest.mark.parametrize("kwargs, match", [
    ({"decimate": 1.0}, "decimate must be in"),
    ({"decimate": -0.1}, "decimate must be in"),
    ({"max_triangles": 10}, "max_triangles must be at least 1000"),
    ({"smoothing_iterations": -1}, "must not be negative"),
])
def test_bad_meshing_options(kwargs, match):
    with pytest.raises(ImagingError, match=match):
        MeshingOptions(**kwargs)
