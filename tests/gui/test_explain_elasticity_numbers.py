"""review16 #11e: the Explain elasticity bars had no numbers and no axis in view, so the
title "Local elasticity (% per +1 %)" could not be read off them. Each bar's label now starts
with its value, and the axis above the bars says what the numbers are, with the unit.

newuser17 F1: that axis then read 1000× the bars (+0.79 ended at "790" on an axis 0 … 500)
from the second explanation on: each number it draws must sit where that value is."""

from __future__ import annotations

import pyqtgraph as pg

from tests.gui.axis_ticks import assert_ticks_at_their_values


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
    assert top.label.boundingRect().width() <= plot.width()  # the label whole
    first = panel.explanation
    bars = [v for _, v in ranked]
    assert max(abs(v) for v in bars) < 1  # the case pyqtgraph 0.14 scales by 1000
    qtbot.wait(50)
    assert_ticks_at_their_values(plot, bars)

    # a second explanation (another metric): the scale of the first must not stay frozen
    other = next(i for i in range(panel.metric_box.count())
                 if panel.metric_box.itemData(i) not in (None, first.metric))
    panel.metric_box.setCurrentIndex(other)
    qtbot.waitUntil(lambda: panel.explanation is not None and panel.explanation is not first,
                    timeout=180_000)
    qtbot.wait(50)
    assert_ticks_at_their_values(plot, [v for _, v in panel.explanation.elasticities.ranked(10)])
    assert top.autoSIPrefixScale * top.scale == 1.0
