"""newuser17 F1: the Explain step's elasticity axis read 1000× the bars' values (a bar
labelled +0.79 ended at "790" on an axis 0 … 500). pyqtgraph 0.14 SI-scales a unitless axis
whose values are below 1, and ``enableAutoSIPrefix(False)`` called on every explanation froze
the scale of the previous one (1000). The Explain axis itself is checked in
test_explain_elasticity_numbers.py; here every other plot of the GUI."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

import pyqtgraph as pg  # noqa: E402


def test_no_axis_turns_the_prefix_off_by_itself():
    """``enableAutoSIPrefix(False)`` alone freezes whatever scale the axis has at the call
    (1000 for values < 1 in pyqtgraph 0.14): every GUI axis goes through
    :func:`twinviewer.gui.axes.plain_axis`, which first gives it no range to prefix in."""
    from pathlib import Path

    import twinviewer.gui

    gui = Path(twinviewer.gui.__file__).parent
    callers = sorted(p.name for p in gui.rglob("*.py")
                     if "enableAutoSIPrefix" in p.read_text(encoding="utf-8")
                     and p.name != "axes.py")
    assert callers == [], f"use twinviewer.gui.axes.plain_axis in {callers}"


def test_every_plot_of_the_window_shows_its_values_unscaled(qtbot):
    """The plots the window builds (What-if, Calibrate, Timeline, Explain, the beat's curves):
    none has an axis scaled by an SI prefix, whatever range it is later shown at."""
    from twinviewer.gui.calibration_panel import CalibrationPanel
    from twinviewer.gui.explain_panel import ExplainPanel
    from twinviewer.gui.scenario_panel import ScenarioPanel
    from twinviewer.gui.state import TwinState
    from twinviewer.gui.timeline_panel import TimelinePanel

    state = TwinState()
    try:
        panels = [cls(state) for cls in (ScenarioPanel, CalibrationPanel, TimelinePanel,
                                         ExplainPanel)]
        axes = []
        for panel in panels:
            qtbot.addWidget(panel)
            for view in panel.findChildren(pg.GraphicsView):
                axes += [i for i in view.scene().items() if isinstance(i, pg.AxisItem)]
        assert len(axes) >= 12
        for axis in axes:
            axis.setLabel(axis.labelText or "value")  # a title shown (a prefix needs one)
            axis.setRange(0.012, 0.85)  # a view zoomed into values below 1
            assert axis.autoSIPrefixScale * axis.scale == 1.0, axis.labelText
            assert "(x" not in axis.labelString(), axis.labelString()
    finally:
        state.close()
