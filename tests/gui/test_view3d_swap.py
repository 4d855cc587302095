"""Heart switch in the 3D view: same triangles → points swapped on the same actors, and the
result equals a view built from scratch; different triangles → the scene is rebuilt."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.anatomy import Anatomy, Structure, SurfaceMesh


def _sphere(r: float, centre=(0.0, 0.0, 0.0), n: int = 24) -> SurfaceMesh:
    import pyvista as pv

    s = pv.Sphere(radius=r, center=centre, theta_resolution=n, phi_resolution=n)
    return SurfaceMesh(np.asarray(s.points, float), np.asarray(s.regular_faces),
                       np.full(s.n_points, 0.5))


def _heart(scale: float = 1.0, n: int = 24, name: str = "a") -> Anatomy:
    """An 'LV' beating over 4 phases and a static 'aorta', all points times ``scale``."""
    lv_base, ao = _sphere(20.0, n=n), _sphere(6.0, (0.0, 0.0, 35.0), n=n)
    lv = Structure("lv_blood", "LV blood pool", (1.0, 0.0, 0.0))
    for p in range(4):
        r = 1.0 - 0.1 * p
        lv.meshes[p] = SurfaceMesh(lv_base.points * r * scale, lv_base.faces,
                                   lv_base.uncertainty_mm * scale)
    aorta = Structure("aorta", "Aorta", (0.8, 0.1, 0.1))
    aorta.meshes[0] = SurfaceMesh(ao.points * scale, ao.faces, ao.uncertainty_mm * scale)
    return Anatomy(f"virtual-{name}", {"lv_blood": lv, "aorta": aorta},
                   phase_times_ms=[p * 200.0 for p in range(4)], rr_ms=800.0)


@pytest.fixture()
def views(qtbot):
    from twinviewer.gui.state import TwinState
    from twinviewer.gui.view3d import View3D

    out = []
    for _ in range(2):
        v = View3D(TwinState())
        qtbot.addWidget(v)
        out.append(v)
    return out


def test_same_triangles_swap_points_and_match_a_fresh_build(views):
    v, fresh = views
    a, b = _heart(1.0, name="a"), _heart(1.3, name="b")
    v.set_anatomy(a)
    actors, live = dict(v.actors), v.live["lv_blood"]
    v.state.session.set_time(0.3)
    v.set_anatomy(b)
    assert v.anatomy is b
    assert all(v.actors[k] is actors[k] for k in actors)  # no actor rebuilt
    assert v.live["lv_blood"] is live  # the same surface, points rewritten
    fresh.state.session.set_time(0.3)
    fresh.set_anatomy(b)
    for k in ("lv_blood", "aorta"):
        np.testing.assert_allclose(v._poly(k, v.phase).points,
                                   fresh._poly(k, fresh.phase).points, atol=1e-5)
        np.testing.assert_allclose(v._poly(k, v.phase)["uncertainty_mm"],
                                   fresh._poly(k, fresh.phase)["uncertainty_mm"])
        assert v.actors[k].GetMapper().GetInput() is v._poly(k, v.phase)
    assert v._clim["uncertainty"] == pytest.approx(fresh._clim["uncertainty"])
    np.testing.assert_allclose(v.frame.centre, fresh.frame.centre)
    assert v.frame.size == pytest.approx(fresh.frame.size)


def test_different_triangles_or_structures_rebuild(views):
    v, _ = views
    v.set_anatomy(_heart(1.0))
    actors = dict(v.actors)
    v.set_anatomy(_heart(1.0, n=18, name="coarser"))  # other triangulation
    assert all(v.actors[k] is not actors[k] for k in actors)
    fewer = _heart(1.0, n=18, name="no-aorta")
    del fewer.structures["aorta"]
    actors = dict(v.actors)
    v.set_anatomy(fewer)
    assert list(v.actors) == ["lv_blood"] and v.actors["lv_blood"] is not actors["lv_blood"]
    v.set_anatomy(None)
    assert not v.actors
