"""newuser17b G8: at 1280 × 720 the Timeline's parameter plot was wider than its panel (394 px
of plot in a 334 px widget: the title set its minimum width), so the day-30 visit was cut
off; with one visit the x axis ran −1.5 … 1.5 "day since the first visit"."""

from __future__ import annotations

import os

import pytest

from tests.gui.axis_ticks import drawn_ticks
from twinviewer.core.measurement import Measurement as M
from twinviewer.living import add_measurements
from twinviewer.twins import twin_from_preset

SHOTS = os.environ.get("TIMELINE_SHOTS")  # a folder: save the panel's screenshot there


def _twin(days):
    t = twin_from_preset("healthy", n=1)
    for k, day in enumerate(days):
        t = add_measurements(t, [M("SBP", 118 + 4 * k, "mmHg", 6), M("HR", 68, "bpm", 2)],
                             source="manual", consent="treatment", day=day, n=16,
                             accept_misfit=True).twin
    return t


@pytest.mark.parametrize("days", [(0.0,), (0.0, 30.0)], ids=["one visit", "days 0, 30"])
def test_the_timeline_plots_fit_the_panel_at_1280x720(make_twin_window, qtbot, days):
    w = make_twin_window(load_demo=False)
    w.show_twin(_twin(days), simulate=False)
    w.resize(1280, 720)
    qtbot.waitExposed(w)
    w._default_sizes()
    w.show_step("Timeline")
    panel = w.panels["Timeline"]
    qtbot.wait(100)
    w.grab()  # auto-range and layout happen at paint
    if SHOTS:
        w.grab().save(os.path.join(SHOTS, f"timeline_{len(days)}visit_1280.png"))
    for plot in (panel.param_plot, panel.metric_plot):
        item = plot.getPlotItem()
        assert item.titleLabel.isVisible()
        width = plot.viewport().width()
        assert item.sceneBoundingRect().width() <= width + 1, (item.sceneBoundingRect(), width)
        box = item.getViewBox()
        assert box.sceneBoundingRect().right() <= width + 1
        lo, hi = box.viewRange()[0]
        assert lo <= min(days) and max(days) < hi, (lo, hi)
        labels = [v for v, _x in drawn_ticks(item.getAxis("bottom"))]
        assert labels and min(labels) >= 0, labels  # no day before the first is labelled
        assert hi - max(days) >= 1  # a visit is not drawn on the frame
