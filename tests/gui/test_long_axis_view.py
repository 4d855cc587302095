"""Long-axis planes as their own 2D views: the meshes' cut lands where geometry says, the image
phase follows the cine in step with the 3D view, and a study without planes says so."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.anatomy import Anatomy, ImagePlane, ImageVolume, Structure, SurfaceMesh

R, D = 30.0, 10.0  # sphere radius and the plane's distance from its centre (mm)


def _anatomy() -> tuple[Anatomy, ImagePlane, np.ndarray]:
    import pyvista as pv

    s = pv.Sphere(radius=R, theta_resolution=90, phi_resolution=90)
    lv = Structure("lv_blood", "LV blood pool", (1.0, 0.0, 0.0),
                   {0: SurfaceMesh(np.asarray(s.points, float), np.asarray(s.regular_faces))})
    u = np.array([np.cos(np.pi / 6), np.sin(np.pi / 6), 0.0])  # rows
    w = np.array([0.0, 0.0, 1.0])  # columns
    n = np.cross(u, w)
    affine = np.eye(4)
    affine[:3, :3] = np.column_stack([n * 6.0, u * 1.5, w * 1.5])
    affine[:3, 3] = D * n - 45.0 * u - 45.0 * w
    arr = np.zeros((4, 1, 60, 60), np.float32)
    for p in range(4):
        arr[p, 0] = 50.0 * p  # each phase its own brightness
    img = ImageVolume(arr, affine, (6.0, 1.5, 1.5), [float("nan")] * 4)
    plane = ImagePlane("4CH", img)
    return Anatomy("x", {"lv_blood": lv}, planes=[plane]), plane, D * n


@pytest.fixture()
def window(make_twin_window):
    return make_twin_window(load_demo=False)


def test_long_axis_view_cuts_the_meshes_and_follows_the_cine(window, qtbot):
    a, plane, centre = _anatomy()
    view = window.long_axis
    window.view3d.set_anatomy(a)
    view.set_anatomy(a)
    window._update_long_axis_tab()
    assert len(view.panes) == 1 and window.slice_tabs.isTabEnabled(1)
    assert "4CH" in window.slice_tabs.tabText(1)
    pane = view.panes[0]
    # the sphere cut by a plane at distance D is a circle of radius sqrt(R² − D²) around the
    # centre's projection (pane mm: column × spacing, row × spacing)
    x, y = pane.curves["lv_blood"].getData()
    kji = plane.image.patient_to_index(centre)[0]
    cx, cy = kji[2] * 1.5, kji[1] * 1.5
    r = np.hypot(x - cx, y - cy)
    assert len(r) > 100
    assert np.allclose(r, np.sqrt(R**2 - D**2), rtol=0.01)
    # the image shows the phase the 3D view's plane shows, at every time of the beat
    for f in (0.0, 0.2, 0.3, 0.55, 0.8, 0.99):
        window.state.session.set_time(f)
        shown = pane.phase
        assert shown == window.view3d.image_planes[0][3]
        assert float(pane.image.image.max()) == pytest.approx(
            float(pane.frames[shown].max()))
    assert pane.label.toPlainText().startswith(f"4CH phase {pane.phase}")  # from 0, as the box
    # windowed once for the series: phase brightness differs (no per-phase auto-levels)
    assert pane.frames[0].max() < pane.frames[3].max()


def test_study_without_planes_disables_the_tab(window):
    a, _, _ = _anatomy()
    a.planes = []
    window.long_axis.set_anatomy(a)
    window._update_long_axis_tab()
    assert not window.slice_tabs.isTabEnabled(1)
    assert "no long-axis planes" in window.long_axis.info.text()


def test_five_planes_fit_a_1280x720_pane_with_distinct_names(qtbot):
    """Five planes (two RVOT series) in the ~470×230 px the tab has at 1280×720: one plane at
    a time, chosen in a box, at ≥ MIN_PANE px (a reviewer measured five 70-px panes); in a
    larger area all five in a grid of ≥ MIN_PANE px panes inside the view, named apart."""
    from dataclasses import replace

    from twinviewer.gui.long_axis_view import MIN_PANE, LongAxisView
    from twinviewer.gui.state import TwinState

    a, plane, _ = _anatomy()
    descs = ("cine_2ch", "cine_3ch", "cine_4ch", "cine_rvot", "cine_rvot_cor")
    views = ("2CH", "3CH", "4CH", "RVOT", "RVOT")
    a.planes = [ImagePlane(v, replace(plane.image, description=d))
                for v, d in zip(views, descs, strict=True)]
    view = LongAxisView(TwinState())
    qtbot.addWidget(view)
    view.resize(470, 230)
    view.show()
    qtbot.waitExposed(view)
    view.set_anatomy(a)
    qtbot.wait(20)
    assert [p.name for p in view.panes] == ["2CH", "3CH", "4CH", "RVOT", "RVOT (coronal)"]

    def check(expected: list[str]) -> None:
        qtbot.wait(30)
        shown = [p for p in view.panes if p.box.isVisible()]
        assert [p.name for p in shown] == expected
        area = view.glw.viewport().rect()
        for pane in shown:
            r = pane.box.sceneBoundingRect()
            assert area.contains(r.toAlignedRect().adjusted(1, 1, -1, -1)), (pane.name, r)
            assert min(r.width(), r.height()) >= MIN_PANE, (pane.name, r)

    assert view.chooser.isVisible() and view.chooser.count() == 5
    check(["2CH"])
    view.chooser.setCurrentIndex(4)
    check(["RVOT (coronal)"])
    assert view.panes[4].label.toPlainText().startswith("RVOT (coronal) ")
    view.resize(1000, 420)  # room for all: a 3 + 2 grid, no chooser
    qtbot.wait(30)
    assert not view.chooser.isVisible()
    check([p.name for p in view.panes])
