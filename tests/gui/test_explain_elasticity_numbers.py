"""review16 #11e: the Explain elasticity bars had no numbers and no axis in view, so the
title "Local elasticity (% per +1 %)" could not be read off them. Each bar's label now starts
with its value, and the axis above the bars says what the numbers are, with the unit."""

from __future__ import annotations

import pyqtgraph as pg


def test_each_bar_has_its_number_and_the_axis_its_unit(make_scenario_panel, qtbot):
    from twinviewer.gui.explain_panel import ExplainPanel

    state, _ = make_scenario_panel("healthy", n=8)
    panel = ExplainPanel(state)
    qtbot.addWidget(panel)
    panel.resize(420, 900)
    panel.show()
    qtbot.waitUntil(lambda: panel.explanation is not None, timeout=180_000)
    ranked = panel.explanation.elasticities.ranked(10)
    plot = panel.elastic_plot.getPlotItem()
    tips = [i.toolTip() for i in plot.items if isinstance(i, pg.TextItem)]
    assert len(tips) == len(ranked)
    for tip, (_name, v) in zip(tips, ranked, strict=True):
        assert tip.startswith(f"{v:+.2f} · "), tip
    top = plot.getAxis("top")
    assert top.isVisible() and top.labelText.endswith("per +1 %")
    assert f"% change of {panel.explanation.metric}" in top.labelText
    assert not top.autoSIPrefix  # no "(x0.001)" scaling of the numbers
    assert top.label.boundingRect().width() <= plot.width()  # the label whole
