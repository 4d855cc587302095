"""The Explain step's Drivers tab fits its pane, and a chosen scenario's attribution comes
first (review14b #6: at 1280×720 the elasticity chart was wider than its pane, its title and
largest bars cut behind a horizontal scroll bar, and choosing a scenario changed nothing in
view: its Shapley attribution was below the fold, the headline and chart the baseline's)."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint  # noqa: E402

from tests.gui.conftest import window_at_1280  # noqa: E402


@pytest.fixture(scope="module")
def window(qapp, tmp_path_factory):
    yield from window_at_1280(qapp, tmp_path_factory, "hfref", "virtual-hfref")


def _inside(widget, viewport) -> tuple[int, int]:
    """``widget``'s left and right edges in ``viewport``'s coordinates."""
    left = widget.mapTo(viewport, QPoint(0, 0)).x()
    return left, left + widget.width()


def _drivers_fit(panel, qtbot) -> None:
    scroll = panel.drivers_scroll
    viewport = scroll.viewport()
    qtbot.waitUntil(lambda: scroll.widget().width() <= viewport.width(), timeout=5000)
    bar = scroll.horizontalScrollBar()
    assert bar.maximum() == 0 and not bar.isVisible(), (bar.maximum(), viewport.width())
    for part in (panel.elastic_title, panel.elastic_plot):
        left, right = _inside(part, viewport)
        assert 0 <= left and right <= viewport.width(), (part, left, right, viewport.width())
    # the title is whole: wrapped within its label, never wider than the pane
    title = panel.elastic_title
    assert title.heightForWidth(title.width()) <= title.height() + 1
    # the bars (and their error bars) drawn inside the plot's own view box
    plot = panel.elastic_plot.getPlotItem()
    box = plot.vb.sceneBoundingRect()
    for item in plot.items:
        if hasattr(item, "setOpts") and type(item).__name__ == "BarGraphItem":
            shown = item.mapRectToScene(item.boundingRect())
            assert shown.right() <= box.right() + 1 and shown.left() >= box.left() - 1


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_drivers_fit_and_the_scenario_comes_first(window, qtbot, size):
    from twinviewer.physiology import simulate

    w = window
    w.resize(*size)
    qtbot.wait(50)
    w._default_sizes()
    w.show_step("Explain")
    panel = w.panels["Explain"]
    panel.scenario.setCurrentIndex(0)
    qtbot.waitUntil(lambda: panel.explanation is not None
                    and panel.explanation.attribution is None, timeout=120_000)
    qtbot.wait(100)
    _drivers_fit(panel, qtbot)
    assert panel.elastic_title.text().startswith("Local elasticity")

    results = w.state.results
    if "faster" not in w.state.session.scenario_results:
        scen = results.params.copy()
        scen[:, results.model.index("HR")] *= 1.2  # HR +20 %
        w.state.session.set_scenario_results({"faster": simulate(results.model, scen)})
    panel.scenario.setCurrentIndex(panel.scenario.findData("faster"))
    qtbot.waitUntil(lambda: panel.explanation is not None
                    and panel.explanation.attribution is not None, timeout=120_000)
    qtbot.wait(100)
    _drivers_fit(panel, qtbot)
    # what was asked first: the headline is the scenario's and says whose drivers follow
    text = panel.summary.text()
    assert text.startswith("faster: MAP "), text[:120]
    assert "baseline's" in text.split("\n")[0]
    assert panel.elastic_title.text().startswith("Baseline's")
    # the attribution above the baseline's chart, its heading at the top of the tab in view
    viewport = panel.drivers_scroll.viewport()
    label_top = panel.attr_label.mapTo(viewport, QPoint(0, 0)).y()
    table_top = panel.attr_table.mapTo(viewport, QPoint(0, 0)).y()
    chart_top = panel.elastic_title.mapTo(viewport, QPoint(0, 0)).y()
    assert 0 <= label_top < table_top < chart_top, (label_top, table_top, chart_top)
    assert table_top + panel.attr_table.height() <= chart_top
    assert panel.attr_table.isVisible() and table_top < viewport.height()
    # every row of the attribution in the table's height (no inner scrolling)
    t = panel.attr_table
    assert t.verticalScrollBar().maximum() == 0
    left, right = _inside(t, viewport)
    assert right <= viewport.width()
    # the contribution column whole
    fm = t.fontMetrics()
    for row in range(t.rowCount()):
        assert fm.horizontalAdvance(t.item(row, 1).text()) <= t.columnWidth(1), \
            t.item(row, 1).text()
    panel.scenario.setCurrentIndex(0)
