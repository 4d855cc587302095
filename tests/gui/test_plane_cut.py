"""The numpy plane cut of the slice views against VTK's cutter (a peer implementation)."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv

from twinviewer.gui.cycle import nan_percentile
from twinviewer.gui.plane_cut import plane_segments
from twinviewer.gui.slice_view import contour_segments


def _length(segs: np.ndarray) -> float:
    return float(np.linalg.norm(segs[:, 1] - segs[:, 0], axis=1).sum())


@pytest.mark.parametrize("seed", range(6))
def test_plane_cut_matches_vtk_cutter(seed):
    rng = np.random.default_rng(seed)
    mesh = pv.Sphere(radius=20, theta_resolution=40, phi_resolution=30).triangulate()
    pts = np.asarray(mesh.points, dtype=float) * rng.uniform(0.7, 1.3, 3)  # an ellipsoid
    pts += rng.normal(scale=0.3, size=pts.shape)  # an irregular surface
    faces = mesh.faces.reshape(-1, 4)[:, 1:]
    normal = rng.normal(size=3)
    origin = rng.uniform(-10, 10, 3)
    ours = plane_segments(pts, faces, origin, normal)
    vtk = contour_segments(pv.PolyData.from_regular_faces(pts, faces), origin, normal)
    assert len(ours) == len(vtk) > 10
    assert _length(ours) == pytest.approx(_length(vtk), rel=1e-9)
    # every endpoint lies on the plane and on a VTK endpoint
    n = normal / np.linalg.norm(normal)
    assert np.abs((ours.reshape(-1, 3) - origin) @ n).max() < 1e-9
    d = np.linalg.norm(ours.reshape(-1, 1, 3) - vtk.reshape(1, -1, 3), axis=2).min(axis=1)
    assert d.max() < 1e-9


def test_plane_cut_misses_and_vertices_on_the_plane():
    pts = np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    faces = np.array([[0, 1, 2], [0, 1, 3]])
    assert plane_segments(pts, faces, [0, 0, 5], [0, 0, 1]).shape == (0, 2, 3)
    # z = 0 plane through triangle 0 (all on the plane: one side) and an edge of triangle 1
    segs = plane_segments(pts, faces, [0, 0, 0.5], [0, 0, 1])
    assert segs.shape == (1, 2, 3)
    assert np.allclose(sorted(map(tuple, segs[0])), [(0, 0, 0.5), (0.5, 0, 0.5)])


def test_nan_percentile_matches_numpy():
    rng = np.random.default_rng(1)
    for shape in [(64, 500), (5, 7, 3), (1, 10)]:
        x = rng.normal(size=shape)
        x[rng.random(shape) < 0.1] = np.nan
        x[:, 0] = np.nan  # an all-NaN column stays NaN
        for q in (50, [5, 50, 95], 0, 100, 37.3):
            with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
                ref = np.nanpercentile(x, q, axis=0)
            np.testing.assert_allclose(nan_percentile(x, q), ref, equal_nan=True)
