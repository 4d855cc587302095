"""The 3D legend does not cover the heart (polish12 made it larger: at 1280×720 it covered the
left third of the heart). The camera fits the heart beside the legend and the colour bar; the
legend's short names keep it narrow, so the heart is large (legend13: at 1280×720, anterior
view, 124×174 px beside the full names, 180×252 px beside the short ones)."""

from __future__ import annotations

import pytest

from twinviewer.gui import view3d_scene


def _legend_rect(v) -> tuple[float, float, float, float]:
    """The legend's box, ``(x0, y0, x1, y1)`` in view fractions, as VTK draws it."""
    ren = v.plotter.renderer
    w, h = ren.GetSize()
    x0, y0 = v.legend.GetPositionCoordinate().GetComputedDisplayValue(ren)
    x1, y1 = v.legend.GetPosition2Coordinate().GetComputedDisplayValue(ren)
    return x0 / w, y0 / h, x1 / w, y1 / h


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_the_legend_does_not_cover_the_heart(make_twin_window, qtbot, size):
    w = make_twin_window(load_demo=True)
    w.resize(*size)
    qtbot.waitExposed(w)
    w._default_sizes()
    w.show_step("Patient & images")
    qtbot.wait(100)
    v = w.view3d
    for view in ("anterior", "reset", "four_chamber"):
        v.set_view(view)
        v.plotter.render()
        heart = view3d_scene.projected_box(v.plotter.renderer)
        lx0, ly0, lx1, ly1 = _legend_rect(v)
        beside = heart[0] >= lx1 or heart[1] >= ly1  # right of the legend, or above it
        assert beside, (view, size, heart, (lx0, ly0, lx1, ly1))
        assert heart[2] <= view3d_scene.BAR_LEFT and heart[3] <= view3d_scene.TEXT_BOTTOM
        # and large: its box ≥ 22 % of the view (legend13: at 1280×720 it was 10–14 % beside
        # the full names, 124×174 px anterior; 29–32 % now, 180×252 px; 1920×1080: 27 %)
        area = (heart[2] - heart[0]) * (heart[3] - heart[1])
        assert area >= 0.22, (view, size, heart, area)
    # the user's own zoom is kept through a repaint (no refit unless the view is resized)
    cam = v.plotter.renderer.GetActiveCamera()
    cam.Zoom(1.5)
    angle = cam.GetViewAngle()
    v.plotter.render()
    assert cam.GetViewAngle() == angle
