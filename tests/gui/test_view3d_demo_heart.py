"""The moving demo heart: its synthetic CT matches its meshes; measured curves beside V(t)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twinviewer.core.anatomy import Anatomy, Measurement, Structure, SurfaceMesh


def _sphere(r: float, centre=(0.0, 0.0, 0.0)) -> SurfaceMesh:
    import pyvista as pv

    s = pv.Sphere(radius=r, center=centre, theta_resolution=40, phi_resolution=40)
    return SurfaceMesh(np.asarray(s.points, float), np.asarray(s.regular_faces))


def _beating_ball(n: int = 5) -> Anatomy:
    """An 'LV' sphere whose radius shrinks then grows over ``n`` phases (shared faces)."""
    base = _sphere(20.0)
    radii = 20.0 - 4.0 * np.sin(np.pi * np.arange(n) / n)
    lv = Structure("lv_blood", "LV blood pool", (1.0, 0.0, 0.0))
    for p, r in enumerate(radii):
        lv.meshes[p] = SurfaceMesh(base.points * (r / 20.0), base.faces)
        lv.volumes[p] = Measurement("LV volume", 4 / 3 * math.pi * r**3 / 1000, "mL", 1.0,
                                    "test sphere")
    return Anatomy("x", {"lv_blood": lv}, phase_times_ms=[p * 160.0 for p in range(n)],
                   rr_ms=800.0)


def test_rendered_ct_holds_the_meshes_volumes_at_every_phase():
    """Checked against the analytic sphere volume, not against the project's own meshing."""
    from twinviewer.gui.demo_heart import HU_BLOOD, HU_FAT, render_ct

    a = _beating_ball()
    img = render_ct(a, spacing=1.0)
    assert img.n_phases == 5 and img.ed_index == 0 and img.es_index in (2, 3)
    voxel_ml = 1.0e-3
    for p, s in a.structures["lv_blood"].volumes.items():
        blood = img.array[p] > 0.5 * (HU_BLOOD + HU_FAT)
        assert blood.sum() * voxel_ml == pytest.approx(s.value, rel=0.03)
    # the sphere's centre maps to blood, a corner to fat: the affine is the meshes' space
    k, j, i = np.round(img.patient_to_index([0.0, 0.0, 0.0])[0]).astype(int)
    assert img.array[0, k, j, i] > 200 and img.array[0, 0, 0, 0] < 0
    assert "not a scan" in img.description


def test_simplify_keeps_point_correspondence():
    from twinviewer.gui.demo_heart import simplify_series

    a = _beating_ball()
    s = a.structures["lv_blood"]
    full = {p: m.points.copy() for p, m in s.meshes.items()}
    simplify_series(s, max_faces=500)
    faces = s.meshes[0].faces
    assert faces.shape[0] <= 520 and all(np.array_equal(m.faces, faces)
                                         for m in s.meshes.values())
    # every kept vertex is an original vertex of the same phase (nothing moved)
    from scipy.spatial import cKDTree

    for p, m in s.meshes.items():
        assert cKDTree(full[p]).query(m.points)[0].max() < 1e-9


@pytest.fixture()
def window(make_twin_window):
    return make_twin_window(load_demo=True)


def test_demo_heart_moves_with_matching_slices_and_measured_curves(window, qtbot):
    from twinviewer.gui.plots import MEASURED_LABEL

    a = window.state.twin.anatomy
    v = window.view3d
    assert a.image.n_phases == 25 and all(len(s.meshes) == 25 for s in a.structures.values())
    assert set(v.live) >= {"lv_blood", "rv_blood", "la", "aorta"}  # moved in place
    # the LV pool's centre is blood in the image at ED and at ES: slices match the meshes
    for p in (a.image.ed_index, a.image.es_index):
        c = a.structures["lv_blood"].meshes[p].points.mean(axis=0)
        k, j, i = np.round(a.image.patient_to_index(c)[0]).astype(int)
        assert a.image.array[p, k, j, i] > 200
    # points rewritten in place when time moves (no new mesh object)
    poly = v._poly("lv_blood", v.phase)
    before = np.array(poly.points)
    window.state.session.set_time(0.3)
    assert v._poly("lv_blood", v.phase) is poly
    assert np.abs(np.asarray(poly.points) - before).max() > 1.0
    # measured volumes drawn beside the prediction, in their own labelled items
    wig = window.panels["Wiggers diagram"]
    wig.ensure_built()  # a tab not shown yet
    names = [it.name() for it in wig.p_vol.listDataItems()]
    assert MEASURED_LABEL in names and "LV" in names
    measured = next(it for it in wig.p_vol.listDataItems() if it.name() == MEASURED_LABEL)
    ys = measured.getData()[1]
    assert np.nanmax(ys) == pytest.approx(a.measurement("LVEDV").value, rel=1e-6)
    pv = window.panels["PV loops"]
    assert "measured (segmentation)" in pv.status.text()
