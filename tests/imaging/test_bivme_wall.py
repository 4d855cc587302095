"""The LV wall built from biv-me's surfaces: normal thickness and mass, incompressible,
inside the epicardium and outside both blood pools, moving with one topology."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.imaging.bivme import load_bivme
from twinviewer.imaging.bivme_wall import lv_wall
from twinviewer.imaging.disease_anatomy import mean_wall_thickness_mm
from twinviewer.imaging.meshing import check_surface
from twinviewer.physiology.wall_stress import wall_geometry


@pytest.fixture(scope="module")
def heart():
    a = load_bivme()
    return a, lv_wall(a)


def _signed(points, mesh):
    pv = pytest.importorskip("pyvista")
    surf = pv.PolyData.from_regular_faces(mesh.points, mesh.faces)
    return np.asarray(pv.PolyData(points).compute_implicit_distance(surf)["implicit_distance"])


def test_wall_thickness_and_mass_are_normal(heart):
    a, wall = heart
    lv = a.structures["lv_blood"].meshes
    # ASE/EACVI (Lang 2015, REFERENCE.md): septal/posterior wall 6–10 mm at end-diastole;
    # LV mass 88–224 g (men) at 1.05 g/mL.
    h_ed = mean_wall_thickness_mm(wall.meshes[0], lv[0])
    assert 6.0 <= h_ed <= 10.0
    assert 88.0 <= 1.05 * wall.meshes[0].volume_ml() <= 224.0
    # The wall thickens in systole (measured motion, not imposed).
    es = min(lv, key=lambda p: lv[p].volume_ml())
    assert mean_wall_thickness_mm(wall.meshes[es], lv[es]) > 1.3 * h_ed
    # Myocardium is nearly incompressible. biv-me's own fit is not: its whole myocardium
    # (epicardium − LV − RV) varies 145–178 mL (ratio 1.22); the LV wall may vary no more.
    vols = np.array([m.volume_ml() for m in wall.meshes.values()])
    s = a.structures
    src = np.array([s["epicardium"].meshes[p].volume_ml() - lv[p].volume_ml()
                    - s["rv_blood"].meshes[p].volume_ml() for p in lv])
    assert vols.max() / vols.min() < src.max() / src.min()


def test_wall_is_closed_moves_with_one_topology_and_sits_between_the_surfaces(heart):
    a, wall = heart
    assert sorted(wall.meshes) == sorted(a.structures["lv_blood"].meshes)
    f0 = wall.meshes[0].faces
    assert all(m.faces is f0 or np.array_equal(m.faces, f0) for m in wall.meshes.values())
    assert check_surface(wall.meshes[0].points, f0) == []
    for p in (0, 9):
        pts = wall.meshes[p].points
        # VTK's signed distance (negative inside): no wall vertex deeper than 1.5 mm (the
        # 1 mm grid and smoothing) inside either cavity or outside the epicardium.
        assert _signed(pts, a.structures["lv_blood"].meshes[p]).min() > -1.5
        assert _signed(pts, a.structures["rv_blood"].meshes[p]).min() > -1.5
        assert _signed(pts, a.structures["epicardium"].meshes[p]).max() < 1.5


def test_wall_stress_on_the_moving_wall(heart):
    a, wall = heart
    lv = a.structures["lv_blood"].meshes
    g = wall_geometry(wall.meshes[0].points, wall.meshes[0].faces, lv[0].points, lv[0].faces)
    assert np.all(g.thickness_mm >= 2.0) and np.median(g.thickness_mm) < 12.0
    # Laplace: at 120 mmHg and the biv-me ESV the stress is tens of kPa; rising pressure raises it.
    s1 = g.stress_kpa(120.0, lv[9].volume_ml())
    s2 = g.stress_kpa(140.0, lv[9].volume_ml())
    assert 5.0 < np.median(s1) < 100.0 and np.all(s2 > s1)
