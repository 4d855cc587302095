"""The What-if tab's legend fits its column: at 1280×720 the longest name ("TAVI with SAPIEN 3
by size 26 mm [baroreflex regulated]") ran past the plot's right edge, its response mode cut
(session-16 note, docs/notes/fix16g_whatif_tab_1280x720.png). A name too long for the
column is broken into lines, whole, with the name in its tooltip."""

from __future__ import annotations

import pytest

from tests.gui.test_scenario_panel import _add, _run


@pytest.mark.parametrize("width", [360, 1000])
def test_every_legend_name_is_whole_inside_the_tab(qtbot, make_scenario_panel, width):
    state, panel = make_scenario_panel(preset="severe_as", n=6)
    _add(panel, "tavi_sapien3", size=26.0)  # the auto name: the longest one seen
    _add(panel, "beta_blocker", dose=10.0)
    panel.resize(width, 900)
    panel.show()
    panel.tabs.setCurrentIndex(1)
    _run(qtbot, panel, state, 2)
    qtbot.waitUntil(panel.curves_drawn, timeout=5000)
    room = panel.curves_scroll.viewport().width()
    names = {"live (point estimate)", "baseline",
             "TAVI with SAPIEN 3 by size 26 mm [baroreflex regulated]",
             "Beta-blocker 10 mg [baroreflex regulated]"}
    for _sample, label in panel.pv_plot.legend.items:
        right = label.mapRectToScene(label.item.boundingRect()).right()
        assert right <= room, (label.text, right, room)
    seen = set()
    for sample, label in panel.pv_plot.legend.items:
        text = label.text.replace("<br>", " ")
        assert label.toolTip() == sample.toolTip() == text
        seen.add(text)
    assert seen == names
    broken = [lb.text for _s, lb in panel.pv_plot.legend.items if "<br>" in lb.text]
    assert bool(broken) == (width < 500), broken  # only where it does not fit
