"""Moving anatomy: phases blended on one triangulation, in place, at the right time."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.anatomy import SurfaceMesh
from twinviewer.gui.motion import build_motion, phase_weights


def _sphere(r: float, n: int = 12):
    import pyvista as pv

    s = pv.Sphere(radius=r, theta_resolution=n, phi_resolution=n).triangulate()
    return SurfaceMesh(np.asarray(s.points, float),
                       np.asarray(s.faces).reshape(-1, 4)[:, 1:],
                       np.zeros(s.n_points))


def test_shared_faces_interpolate_exactly():
    a, b = _sphere(10.0), _sphere(10.0)
    b = SurfaceMesh(a.points * 0.8, a.faces, a.uncertainty_mm)
    m = build_motion({0: a, 1: b})
    assert m.exact
    mid = m.at(0, 1, 0.5)
    r = np.linalg.norm(mid, axis=1)
    assert r == pytest.approx(np.full(len(r), 9.0), abs=1e-5)
    out = np.empty_like(mid)
    assert m.at(0, 1, 0.5, out=out) is out


def test_independent_meshes_map_onto_the_reference_surface():
    m = build_motion({0: _sphere(10.0, 16), 1: _sphere(7.0, 11)})
    assert not m.exact and m.points.shape[1] == m.points[0].shape[0]
    r_es = np.linalg.norm(m.points[1], axis=1)  # the ES shape on ED vertices
    assert np.median(r_es) == pytest.approx(7.0, abs=0.5)


class _Img:
    n_phases, ed_index, es_index = 25, 0, 9

    def __init__(self, period_ms: float) -> None:
        self.phase_times_ms = list(np.arange(25) * period_ms / 25)


class _Anat:
    def __init__(self, img) -> None:
        self.image = img


class _Res:
    def __init__(self, period_s: float, n: int = 101) -> None:
        t = np.linspace(0, period_s * (n - 1) / n, n)
        self.time = np.tile(t, (3, 1))
        self.ok = np.ones(3, bool)
        v = 120 - 70 * np.sin(np.pi * np.clip(t / (0.4 * period_s), 0, 1))
        self.series = {"V_LV": np.tile(v, (3, 1))}


def test_weights_follow_trigger_times_with_25_phases():
    res = _Res(0.8)
    phases = tuple(range(25))
    i, j, w = phase_weights(_Anat(_Img(800.0)), res, 0.5 / 25, phases)
    assert (i, j) == (0, 1) and w == pytest.approx(0.5, abs=0.02)
    i, j, w = phase_weights(_Anat(_Img(800.0)), res, 24.5 / 25, phases)
    assert (i, j) == (24, 0) and w == pytest.approx(0.5, abs=0.02)  # wraps to the next beat


def test_two_phases_follow_the_model_lv_volume():
    res = _Res(0.8)
    img = _Img(800.0)
    img.n_phases, img.es_index, img.phase_times_ms = 2, 1, [0.0, 300.0]
    assert phase_weights(_Anat(img), res, 0.0, (0, 1))[2] == pytest.approx(0.0)
    i, j, w = phase_weights(_Anat(img), res, 0.2, (0, 1))  # end-systole: smallest LV
    assert (i, j) == (0, 1) and w == pytest.approx(1.0, abs=0.02)


def test_vertex_normals_point_outward_on_a_sphere():
    from twinviewer.gui.motion import vertex_normals

    s = _sphere(10.0, 16)
    n = vertex_normals(s.points, s.faces)
    radial = s.points / np.linalg.norm(s.points, axis=1, keepdims=True)
    assert np.median(np.sum(n * radial, axis=1)) > 0.99


def test_independent_meshes_are_simplified_for_display_with_their_vertex_data():
    a, b = _sphere(10.0, 40), _sphere(7.0, 30)
    m = build_motion({0: a, 1: b}, max_faces=800)
    assert m.faces.shape[0] <= 1000 and m.source_index is not None
    assert m.vertex_data(np.arange(a.points.shape[0])).shape == (m.points.shape[1],)
    exact = build_motion({0: a, 1: SurfaceMesh(a.points * 0.9, a.faces)}, max_faces=800)
    assert exact.exact and exact.faces.shape == a.faces.shape  # 4D meshes never simplified


def test_closed_outward_agrees_with_pyvista_on_closed_open_and_turned_surfaces():
    import pyvista as pv

    from twinviewer.gui.motion import closed_outward

    for surface in (pv.Sphere(theta_resolution=16, phi_resolution=16),
                    pv.Cube().triangulate(), pv.Cylinder(resolution=24).triangulate()):
        s = surface.clean()
        p, f = np.asarray(s.points), np.asarray(s.regular_faces)
        assert s.is_manifold and s.volume > 0
        assert closed_outward(p, f)
        assert not closed_outward(p, f[:, ::-1])  # turned inside out
        assert not closed_outward(p, f[1:])  # a hole
        g = f.copy()
        g[0] = g[0, ::-1]  # one triangle wound against its neighbours
        assert not closed_outward(p, g)
    assert not closed_outward(np.zeros((3, 3)), np.zeros((0, 3), int))
