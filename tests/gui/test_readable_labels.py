"""Labels readable at 1280×720 (review12 #11, polish12): no metrics row cut at the table's
bottom edge, the slices' whole cursor position, a 3D legend and colour bar at a readable
size that grows with the view (1920×1080, 4K)."""

from __future__ import annotations

import pytest

from twinviewer.gui import view3d_scene


@pytest.fixture
def demo_at(make_twin_window, qtbot):
    def make(width: int, height: int):
        w = make_twin_window(load_demo=True)
        w.resize(width, height)
        qtbot.waitExposed(w)
        w._default_sizes()
        w.show_step("Patient & images")
        qtbot.wait(100)
        return w

    return make


def _rows_cut(table) -> list[str]:
    """Texts of the rows partly in view (their top in the viewport, their bottom not)."""
    view = table.viewport().rect()
    cut = []
    for r in range(table.rowCount()):
        rect = table.visualRect(table.model().index(r, 0))
        if rect.intersects(view) and not view.contains(rect):
            cut.append(table.item(r, 0).text())
    return cut


def test_labels_readable_at_1280x720(demo_at, qtbot):
    w = demo_at(1280, 720)
    # the metrics table ends on a whole row, wherever it is scrolled to
    table = w.panels["Metrics"].table
    bar = table.verticalScrollBar()
    assert bar.maximum() > 0  # 1280×720 cannot show every row: the case that cut one
    for value in (0, bar.maximum() // 2, bar.maximum()):
        bar.setValue(value)
        qtbot.wait(20)
        assert not _rows_cut(table), (value, _rows_cut(table))
    # the slices' cursor position is shown whole (it was "cursor (12,…")
    info = w.slices.info
    assert info.text().startswith("cursor (") and info.text().endswith("mm LPS")
    assert info.width() >= info.fontMetrics().horizontalAdvance(info.text()), info.width()
    assert w.slices.height() >= 170
    # the 3D legend: its box leaves its longest name ≥ 5.5 px a character (vtk fits the text
    # into the box: 96 px for "Biventricular epicardium" drew ~6 px text)
    v = w.view3d
    v.plotter.render()
    ren = v.plotter.renderer
    leg = v.legend
    x0, y0 = leg.GetPositionCoordinate().GetComputedDisplayValue(ren)
    x1, y1 = leg.GetPosition2Coordinate().GetComputedDisplayValue(ren)
    texts = [leg.GetEntryString(i) for i in range(leg.GetNumberOfEntries())]
    longest = max(len(t) for t in texts)
    assert (x1 - x0) / longest >= 5.5, (x1 - x0, longest)
    assert (y1 - y0) / len(texts) >= 12, (y1 - y0, len(texts))
    _, h = v.plotter.render_window.GetSize()
    assert x1 <= v.plotter.render_window.GetSize()[0] and y1 <= h
    assert v._bar_font_sizes() == (14, 12)  # the desktop's size at 1280×720


def test_3d_text_grows_with_the_view(demo_at, qtbot):
    """At 1920×1080 and above the legend and colour bar grow in proportion to the render
    area (a fixed 12 px was a speck at 4K), and follow a resize."""
    w = demo_at(1920, 1080)
    v = w.view3d
    v.plotter.render()
    _, h = v._view_px()
    scale = view3d_scene.text_scale(h)
    assert v._bar_font_sizes() == (round(14 * scale), round(12 * scale))
    (bar,) = v.scalar_bars.values()
    assert bar.GetLabelTextProperty().GetFontSize() == round(12 * scale)
    # a render area 1620 px high (4K): three times the desktop's sizes, applied on render
    v.plotter.render_window.SetSize(2000, 1620)
    v._fit_text()
    if v._view_px()[1] >= 1600:  # the window system granted the size
        assert bar.GetTitleTextProperty().GetFontSize() >= 40
        assert bar.GetLabelTextProperty().GetFontSize() >= 36
    assert view3d_scene.text_scale(2 * 1080) == 4.0
