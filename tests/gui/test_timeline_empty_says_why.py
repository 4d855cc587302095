"""review16 #11d: the Timeline step on a twin without visits showed an empty frame with a
0.4–1.0 axis and no word. Each empty plot now says why it is empty."""

from __future__ import annotations


def test_empty_timeline_plots_say_why(make_scenario_panel, qtbot):
    from twinviewer.gui.timeline_panel import TimelinePanel

    state, _ = make_scenario_panel("healthy", n=4, with_results=False)
    panel = TimelinePanel(state)
    qtbot.addWidget(panel)
    panel.show_twin(state.twin)
    for plot in (panel.param_plot, panel.metric_plot):
        title = plot.getPlotItem().titleLabel.text
        assert "Nothing to plot" in title and "no visits yet" in title, title
