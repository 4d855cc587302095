"""The Calibrate step's summary (under the fit table) scrolls in its pane: at 1280 × 720 its
last lines — the calibration's warnings, such as the arterial compliance not opened below 48
members — were cut off, with no way to read them but to drag the splitter."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")


def test_the_summarys_last_line_can_be_scrolled_into_view(qtbot):
    from twinviewer.gui.calibration_panel import CalibrationPanel
    from twinviewer.gui.state import TwinState

    state = TwinState()
    try:
        panel = CalibrationPanel(state)
        qtbot.addWidget(panel)
        panel.resize(350, 620)  # the step column at 1280 × 720
        panel.show()
        qtbot.waitExposed(panel)
        lines = [f"<b>Line {i}</b>: " + "words " * 12 for i in range(14)]
        panel.summary.setText("<br>".join([*lines, "⚠ the last warning"]))
        qtbot.wait(50)
        label = panel.summary
        needed = label.heightForWidth(label.width())
        area = getattr(panel, "summary_area", None)
        shown = area.viewport().height() if area is not None else label.height()
        assert needed > shown  # more than the pane shows at once
        assert label.height() >= needed  # never clipped: the pane scrolls to the end
        bar = area.verticalScrollBar()
        assert bar.maximum() > 0
        bar.setValue(bar.maximum())
        bottom = label.mapTo(panel.summary_area.viewport(), label.rect().bottomLeft()).y()
        assert bottom <= panel.summary_area.viewport().height() + 1
    finally:
        state.close()
