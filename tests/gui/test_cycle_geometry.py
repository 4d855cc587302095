"""Laplace wall stress and the cardiac axes, on shapes with known answers (no Qt)."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv

from twinviewer.core.anatomy import Anatomy, Structure, SurfaceMesh
from twinviewer.gui import cycle
from twinviewer.gui.cardiac_frame import cardiac_frame


def _mesh(poly: pv.PolyData) -> SurfaceMesh:
    poly = poly.triangulate()
    return SurfaceMesh(np.asarray(poly.points), np.asarray(poly.faces).reshape(-1, 4)[:, 1:])


def test_laplace_stress_of_a_thick_sphere():
    inner = pv.Sphere(radius=30.0, theta_resolution=60, phi_resolution=60)
    outer = pv.Sphere(radius=40.0, theta_resolution=60, phi_resolution=60)
    shell = _mesh(inner + outer)
    cav = _mesh(inner)
    w = cycle.wall_geometry(shell.points, shell.faces, cav.points, cav.faces)
    outer_pts = np.linalg.norm(shell.points, axis=1) > 35
    assert np.median(w.thickness_mm[outer_pts]) == pytest.approx(10.0, abs=0.2)
    v = abs(cav.volume_ml())
    # sigma = P r / (2 h): 100 mmHg = 13.33 kPa, r = 30 mm, h = 10 mm -> 20 kPa
    sigma = w.stress_kpa(100.0, v)
    assert np.median(sigma) == pytest.approx(13.332 * 30 / 20, rel=0.03)
    # a smaller cavity at the same pressure: smaller radius, thicker wall, lower stress
    assert np.median(w.stress_kpa(100.0, v / 2)) < 0.7 * np.median(sigma)


def test_cardiac_frame_points_apex_to_base():
    lv = pv.ParametricEllipsoid(20, 20, 45).triangulate()  # long axis along z
    la = pv.Sphere(radius=15, center=(0, 0, 70))
    rv = pv.Sphere(radius=20, center=(35, 0, 0))
    a = Anatomy("t", structures={
        "lv_blood": Structure("lv_blood", "LV", (1, 0, 0), {0: _mesh(lv)}),
        "la": Structure("la", "LA", (1, 0, 0), {0: _mesh(la)}),
        "rv_blood": Structure("rv_blood", "RV", (0, 0, 1), {0: _mesh(rv)})})
    f = cardiac_frame(a)
    assert f.long_axis == pytest.approx([0, 0, 1], abs=0.05)
    assert f.septal == pytest.approx([1, 0, 0], abs=0.05)
    assert np.dot(f.view("four_chamber")["normal"], f.long_axis) == pytest.approx(0, abs=1e-9)
    with pytest.raises(ValueError, match="unknown cardiac view"):
        f.view("apical")
    with pytest.raises(ValueError, match="no LV blood pool"):
        cardiac_frame(Anatomy("empty"))
