"""The What-if panel's Ranking tab never recommends a valve sized outside the annulus entered
with it (session-16 closing note: it could win "min gradient", flagged only beside it): the
row says "not ranked", comes after every ranked option, and the reason is under the table."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.gui.test_scenario_panel import _add, _run


def test_an_off_size_valve_is_listed_last_and_not_ranked(qtbot, make_scenario_panel):
    state, panel = make_scenario_panel(preset="severe_as", n=6)
    _add(panel, "tavi_sapien3", "S3 29", size=29.0, annulus=20.0)  # made for 26.2–29.5 mm
    _add(panel, "tavi_sapien3", "S3 20", size=20.0, annulus=20.0)  # made for 18.6–21.0 mm
    _run(qtbot, panel, state, 2)
    panel.goal_metric.setCurrentIndex(panel.goal_metric.findData("AV_mean_gradient"))
    panel.constraints_edit.setText("")
    qtbot.mouseClick(panel.rank_button, Qt.MouseButton.LeftButton)
    tab = panel.rank_table
    rows = [[tab.item(r, c).text() for c in range(3)] for r in range(tab.rowCount())]
    assert rows[0][0] == "S3 20 [baroreflex regulated]"
    assert rows[-1][0] == "S3 29 [baroreflex regulated]"
    assert rows[-1][1] == "not ranked\n(off-size valve)"
    assert "26.2–29.5 mm, not 20 mm" in tab.item(tab.rowCount() - 1, 1).toolTip()
    text = panel.rank_label.text()
    assert "Best on medians alone: S3 20 [baroreflex regulated]" in text
    assert "! S3 29 [baroreflex regulated]: not ranked (a valve sized outside the annulus " \
           "entered with it)" in text
