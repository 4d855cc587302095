"""review16 #11b: the volume-curve plot's x-axis label was cut off at the step column's edge
("… twin aligned at its own end-systo"). The label is short; the alignment note is in the
wrapping key under the plot."""

from __future__ import annotations

import numpy as np


def test_the_curve_plots_axis_label_fits_a_1280_column(qtbot):
    from twinviewer.gui.calibration_panel import CalibrationPanel
    from twinviewer.gui.state import TwinState

    state = TwinState()
    try:
        panel = CalibrationPanel(state)
        qtbot.addWidget(panel)
        panel.resize(400, 900)  # the step column at 1280×720
        panel.show()
        ph = np.linspace(0, 0.96, 25)
        v = 120 - 50 * np.sin(np.pi * ph)
        curve = {"chamber": "LV", "per_phase": {"phase": ph, "median": v, "pred_lo": v - 8,
                                                "pred_hi": v + 8, "measured": v + 2,
                                                "sd": np.full(25, 5.0)}}
        panel._plot_curves([curve])
        qtbot.wait(50)
        axis = panel.plot.getAxis("bottom")
        assert axis.label.boundingRect().width() <= panel.plot.width()
        assert "end-systole and peak filling" in panel.plot_key.text()
    finally:
        state.close()
