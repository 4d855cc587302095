"""The step panels give their space to what the user reads, at 1280×720 and 1920×1080
(review9 #11, #12): Measurements rows one line high with the source never cut, the what-if
results taking the panel's height and width, the long-axis planes at a readable size."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import QSettings, Qt

from tests.gui.test_long_axis_view import _anatomy
from twinviewer.core.anatomy import ImagePlane
from twinviewer.core.measurement import Measurement
from twinviewer.gui.long_axis_view import MIN_PANE
from twinviewer.gui.main_window import MainWindow
from twinviewer.personalize import QUANTITY_BY_NAME, canonical_name
from twinviewer.twins import simulate_twin, twin_from_preset

SIZES = [(1280, 720), (1920, 1080)]
LONG_USE = ("not used: computed from LVEDV and LVESV of the same source (CT segmentation, "
            "which are used (counted once))")


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    qs = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=qs, load_demo=False)
    qtbot.addWidget(w)
    yield w
    w.state.session.dirty = False
    w.state.cancel_all()
    w.state.wait_for_jobs(10_000)
    w.close()


def _show(w, qtbot, twin, size) -> None:
    w.show_twin(twin, results=simulate_twin(twin))
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    w._default_sizes()
    qtbot.wait(50)


@pytest.mark.parametrize("size", SIZES)
def test_measurement_rows_are_one_line_and_sources_whole(window, qtbot, monkeypatch, size):
    """14 rows, each one line high, ≥ 10 of them in view at 720 px; no source is cut; the
    From cell is the short status and its tooltip the whole text (rows were ~200 px tall
    with the use text wrapped into a 60-px column)."""
    from twinviewer import document
    from twinviewer.gui import measurements_panel
    from twinviewer.io.measurement_use import MeasurementUse

    def rows(twin):  # every row with a long calibration verdict, as after a calibration
        return [dataclasses.replace(
            r, provenance=f"entered; {LONG_USE}",
            use=MeasurementUse(r.measurement, "given", "not used", LONG_USE.split(": ", 1)[1]))
            for r in document.measurement_rows(twin)]

    monkeypatch.setattr(measurements_panel, "measurement_rows", rows)
    names = ("LVEDV", "LVESV", "LVSV", "LVEF", "RVEDV", "RVESV", "RVEF", "LAV", "AVA",
             "SBP", "DBP", "HR", "CO", "LAP")
    twin = twin_from_preset("healthy", n=8, pseudonym="virtual-7")
    ms = [Measurement(n, sum(QUANTITY_BY_NAME[canonical_name(n)].range) / 2,
                      QUANTITY_BY_NAME[canonical_name(n)].unit, 3.0,
                      "CT segmentation" if n[:2] in ("LV", "RV") else "echo")
          for n in names]
    twin = dataclasses.replace(twin, measurements=ms)
    _show(window, qtbot, twin, size)
    window.show_step("Measurements")
    panel = window.panels["Measurements"]
    table = panel.table
    qtbot.waitUntil(table.isVisible)
    qtbot.wait(200)  # the columns are refitted, then the view lays itself out
    assert table.rowCount() == 14
    line = table.fontMetrics().height()
    heights = [table.rowHeight(r) for r in range(table.rowCount())]
    assert max(heights) <= line + 10, heights
    in_view = sum(table.rowViewportPosition(r) + table.rowHeight(r)
                  <= table.viewport().height() for r in range(table.rowCount()))
    assert in_view >= 10, (in_view, table.viewport().height())
    # no sideways scrolling (the bar's range follows the refit a few events later)
    qtbot.waitUntil(lambda: table.horizontalScrollBar().maximum() == 0, timeout=3000)
    fm = table.fontMetrics()
    src = table.columnWidth(4)
    for r in range(table.rowCount()):
        assert fm.horizontalAdvance(table.item(r, 4).text()) + 6 <= src, \
            (table.item(r, 4).text(), src)
        use = table.item(r, 5)
        assert use.text() == "entered; not used"
        assert LONG_USE in use.toolTip()
    # the use in full: in its column (narrowed, never wrapped) or, when the column does not
    # fit (1280×720), in the detail line of the selected row
    assert table.isColumnHidden(5) or table.columnWidth(5) >= 40
    table.setCurrentCell(2, 0)
    assert "LV stroke volume" in panel.detail.text() or "LVSV" in panel.detail.text()
    assert "computed from LVEDV and LVESV" in panel.detail.text()
    assert "CT segmentation" in panel.detail.text()
    shot(window, f"measurements_{size[0]}")


@pytest.mark.parametrize("size", SIZES)
def test_whatif_results_take_the_panel(window, qtbot, size):
    """The results table gets most of the panel's height and all of its width (it was a
    small box showing 3 metrics, half the width, at 1920×1080)."""
    twin = twin_from_preset("hfref", n=8, seed=2, pseudonym="virtual-8")
    _show(window, qtbot, twin, size)
    window.show_step("What-if")
    panel = window.panels["What-if scenarios"]
    for name, label in (("beta_blocker", "Beta-blocker 5 mg"), ("diuretic", "Diuretic")):
        panel.select_intervention(name)
        panel.name_edit.setText(label)
        assert panel.add_scenario(), panel.error_label.text()
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.state.session.scenario_results) == 2, timeout=60_000)
    panel.tabs.setCurrentIndex(0)
    qtbot.wait(100)
    shot(window, f"whatif_{size[0]}")
    tab = panel.result_table
    assert panel.tabs.height() >= 0.55 * panel.split.height(), \
        (panel.tabs.height(), panel.split.height())
    widths = sum(tab.columnWidth(c) for c in range(tab.columnCount()))
    assert widths >= tab.viewport().width() - 2, (widths, tab.viewport().width())
    assert tab.horizontalScrollBar().maximum() == 0
    # whole metrics (title + baseline + 2 scenarios) in view without scrolling
    in_view = sum(tab.rowViewportPosition(r) + tab.rowHeight(r) <= tab.viewport().height()
                  for r in range(tab.rowCount()))
    page = window.step_pages["What-if"]  # the page fits: the results are not below it
    assert page.verticalScrollBar().maximum() == 0
    # rows in view: at 1280×720 a whole metric and most of the next (the table started
    # below the window); at 1920×1080 four whole metrics (three, before)
    assert in_view >= (7 if size[1] < 1000 else 16), (in_view, tab.viewport().height())


@pytest.mark.parametrize("size", SIZES)
def test_long_axis_planes_are_readable(window, qtbot, size):
    """Five long-axis planes: each pane on screen is at least MIN_PANE px on its short side
    (one at a time, chosen in a box, when the area is small; five ~70-px panes before)."""
    a, plane, _ = _anatomy()
    a.planes = [ImagePlane(v, dataclasses.replace(plane.image, description=d))
                for v, d in zip(("2CH", "3CH", "4CH", "RVOT", "RVOT"),
                                ("cine_2ch", "cine_3ch", "cine_4ch", "cine_rvot",
                                 "cine_rvot_cor"), strict=True)]
    twin = twin_from_preset("healthy", n=8, pseudonym="virtual-7")
    _show(window, qtbot, twin, size)
    window.long_axis.set_anatomy(a)
    window._update_long_axis_tab()
    window.slice_tabs.setCurrentIndex(1)
    qtbot.wait(80)
    view = window.long_axis
    shown = [p for p in view.panes if p.box.isVisible()]
    assert shown
    for pane in shown:
        r = pane.box.sceneBoundingRect()
        assert min(r.width(), r.height()) >= MIN_PANE, (pane.name, r)
    if len(shown) < len(view.panes):  # the others are one choice away
        assert view.chooser.isVisible() and view.chooser.count() == len(view.panes)
    shot(window, f"long_axis_{size[0]}")


def shot(w, name: str) -> None:
    """Save a screenshot when TWINVIEWER_SHOT_DIR is set (looked at by the author)."""
    import os
    from pathlib import Path

    folder = os.environ.get("TWINVIEWER_SHOT_DIR")
    if folder:
        w.grab().save(str(Path(folder) / f"{name}.png"))
