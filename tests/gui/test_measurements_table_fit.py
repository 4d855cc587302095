"""The Measurements table fits its step column at 1280×720: every column in view, long
sources elided on one-line rows and whole in the tooltip and the detail line (it scrolled
sideways inside its frame, hiding Source and From; then wrapped rows two lines high, review10
#11)."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QStyle

from twinviewer.core.anatomy import Anatomy
from twinviewer.core.measurement import Measurement as M
from twinviewer.gui.main_window import MainWindow
from twinviewer.twins import simulate_twin, twin_from_preset

LONG = ("assumed, not measured: normal adult cuff BP ≈ 120/80 mmHg (published normal adult "
        "range); the bundled heart has no pressure data")


def test_measurements_table_fits_1280x720_and_elides_long_sources(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    w = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                   load_demo=False)
    qtbot.addWidget(w)
    image = [M("LVEDV", 179, "mL", 8.47, "biv-me fitted mesh, 25-phase volume curve")]
    twin = twin_from_preset("healthy", n=8, pseudonym="virtual-7",
                            anatomy=Anatomy("virtual-7", measurements=image))
    # as after a calibration: the image value's copy marks it "used in the last calibration"
    twin = replace(twin, measurements=[M("SBP", 120, "mmHg", 10, LONG),
                                       M("DBP", 80, "mmHg", 7, LONG), *image])
    from twinviewer.io import audit_log

    audit_log(twin).record(twin, "calibration", {"measurements": ["LVEDV", "SBP"]})
    w.show_twin(twin, results=simulate_twin(twin))
    w.resize(1280, 720)
    w.show()
    qtbot.waitExposed(w)
    w._default_sizes()
    w.show_step("Measurements")
    table = w.panels["Measurements"].table
    qtbot.waitUntil(lambda: table.isVisible() and table.rowCount() == 3)
    # the refit runs after the resize and the rows' wrap (posted events; slow when loaded)
    qtbot.waitUntil(lambda: table.horizontalScrollBar().maximum() == 0, timeout=5000)
    h = table.horizontalHeader()
    widths = [h.sectionSize(i) for i in range(table.columnCount())]
    shown = [c for c in range(table.columnCount()) if not table.isColumnHidden(c)]
    assert table.horizontalScrollBar().maximum() == 0, widths
    assert sum(widths) <= table.viewport().width() and min(widths[c] for c in shown) >= 30
    assert shown[:5] == [0, 1, 2, 3, 4]  # only From gives way (to its tooltip, detail line)
    # rows are one line; every cell but Source holds its text whole on it
    pad = 2 * (table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1)
    line = table.fontMetrics().height()
    for r in range(table.rowCount()):
        assert table.rowHeight(r) < 2 * line
        for c in shown:
            item = table.item(r, c)
            if c != 4:
                assert table.fontMetrics().horizontalAdvance(item.text()) <= widths[c] - pad, \
                    (item.text(), widths[c])
    long_row = [table.item(r, 4).text() for r in range(3)].index(LONG)
    assert LONG in table.item(long_row, 4).toolTip()  # elided in the cell, whole here
    table.setCurrentCell(long_row, 0)
    assert LONG.split(" (")[0] in w.panels["Measurements"].detail.text()
    # as `twinviewer info` says it (io.measurement_use), from a record that keeps names
    # only: in the From cell's tooltip and the selected row's detail line (layout9: the cell
    # says "image; used" in one line)
    said = "image; used: named in an older calibration record"
    row = [said in table.item(r, 5).toolTip() for r in range(3)].index(True)
    assert table.item(row, 5).text() == "image; used"
    table.setCurrentCell(row, 0)
    assert said in w.panels["Measurements"].detail.text()
    w.state.session.dirty = False
    w.close()
