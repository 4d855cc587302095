"""review16 #10: the What-if "PV loop / Wiggers" tab coloured the scenarios otherwise than
the main PV plot beside it, cut the Wiggers diagram off in a narrow column and drew its
legend over the loops. One colour per run everywhere; in a narrow column the Wiggers diagram
goes under the loop; the legend has a row of its own above the plots."""

from __future__ import annotations

import pytest

from tests.gui.test_scenario_panel import _add, _run


@pytest.mark.parametrize("width", [360, 1000])
def test_colours_layout_and_legend(qtbot, make_scenario_panel, width):
    from twinviewer.gui.plots import COLOURS, scenario_medians

    state, panel = make_scenario_panel()
    _add(panel, "beta_blocker", "BB", dose=5)
    _add(panel, "tavi", "TAVI", eoa=1.8)
    panel.resize(width, 900)
    panel.show()
    panel.tabs.setCurrentIndex(1)
    _run(qtbot, panel, state, 2)
    qtbot.wait(50)
    # the colours: the main PV plot's (baseline: its LV median; scenarios: its overlays)
    pens = {it.opts["name"]: it.opts["pen"].color().getRgb()[:3]
            for it in panel.pv_plot.listDataItems() if it.opts.get("name")}
    main = {name: rgb for name, _r, rgb in scenario_medians(state.session.scenario_results,
                                                             state.session.scenarios)}
    assert pens["baseline"] == COLOURS["p_LV"]
    for name in ("BB [baroreflex regulated]", "TAVI [baroreflex regulated]"):
        assert pens[name] == main[name], (name, pens[name], main[name])
    # both plots whole within the tab's width; stacked when narrow
    room = panel.curves_scroll.viewport().width()
    for plot in (panel.pv_plot, panel.wiggers_plot):
        g = plot.sceneBoundingRect()
        assert g.left() >= 0 and g.right() <= room + 1, (plot, g, room)
    stacked = panel.wiggers_plot.sceneBoundingRect().top() >= \
        panel.pv_plot.sceneBoundingRect().bottom()
    assert stacked == (width < 760)
    # the legend above the loop's axes, not over them
    legend = panel.pv_plot.legend.sceneBoundingRect()
    assert legend.bottom() <= panel.pv_plot.vb.sceneBoundingRect().top() + 1
    assert len(panel.pv_plot.legend.items) == 4
