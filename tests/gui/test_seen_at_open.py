"""What a new user sees when a step opens, at 1280×720 and 1920×1080 (review10 #7, #11):
the what-if actions are in view without scrolling, the annulus diameter never reads "0 mm",
measurement rows are one line high and all in view."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, Qt

from twinviewer.gui.main_window import MainWindow
from twinviewer.twins import simulate_twin, twin_from_preset

SIZES = [(1280, 720), (1920, 1080)]


@pytest.fixture(params=SIZES, ids=["1280x720", "1920x1080"])
def window(request, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    qs = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=qs, load_demo=False)
    qtbot.addWidget(w)
    twin = twin_from_preset("healthy", n=8, pseudonym="virtual-7")
    w.show_twin(twin, results=simulate_twin(twin))
    w.resize(*request.param)
    w.show()
    qtbot.waitExposed(w)
    w._default_sizes()
    qtbot.wait(50)
    yield w
    w.state.session.dirty = False
    w.state.cancel_all()
    w.state.wait_for_jobs(10_000)
    w.close()


def _wholly_seen(widget, page) -> bool:
    """Whether all of ``widget`` is drawn and lies inside the step page's viewport."""
    if not widget.isVisible() or widget.visibleRegion().boundingRect() != widget.rect():
        return False
    port = page.viewport()
    box = QRect(widget.mapTo(port, QPoint(0, 0)), widget.size())
    return port.rect().contains(box)


def test_whatif_actions_are_in_view_when_the_step_opens(window, qtbot):
    """review10 #7: Add step, Run this on the ensemble, Add, Remove, Run and the Response box
    were scrolled out of view at both sizes; only the intervention box showed."""
    w = window
    w.show_step("What-if")
    page = w.step_pages["What-if"]
    qtbot.waitUntil(lambda: page.widget() is not None and page.widget().isVisible())
    qtbot.wait(50)
    panel = w.panels["What-if scenarios"]
    for control in (panel.intervention_box, panel.add_step_button, panel.live_run_button,
                    panel.add_scenario_button, panel.remove_button, panel.run_button,
                    panel.regulation_box):
        name = control.text() if hasattr(control, "setText") else control.currentText()
        assert _wholly_seen(control, page), \
            f"{name!r}: {control.visibleRegion().boundingRect()} of {control.rect()} seen"
    # and the results below still have their room (review9 #11)
    assert panel.result_table.height() >= 150


def test_annulus_diameter_never_shows_zero_mm(window, qtbot):
    """review10 #7: 'Annulus diameter 0 mm' is an impossible default; the box says it is not
    measured, and a measured diameter is shown in mm."""
    w = window
    w.show_step("What-if")
    panel = w.panels["What-if scenarios"]
    panel.select_intervention("tavi")
    box = panel.editors["annulus"].widget
    assert box.value() == 0.0  # 0 stays the model's "unknown"
    assert "0 mm" not in box.text() and "not measured" in box.text(), box.text()
    box.setValue(23.0)
    assert box.text() == "23 mm"
    assert panel.editors["annulus"].value() == 23.0


def test_measurement_rows_are_one_line_with_the_app_precision(window, qtbot):
    """review10 #11: rows were two lines high (a wrapped Source), so 13 rows showed 12 and
    the Source of the 13th; values had 4 significant figures (72.02, 106.9, SD 8.47). Rows
    are one line, the Source is whole in its tooltip, values read as the rest of the app
    writes them, and the exact value is what is read back."""
    from twinviewer.core.measurement import Measurement

    w = window
    w.show_step("Measurements")
    panel = w.panels["Measurements"]
    source = "assumed, not measured: normal adult cuff BP ≈ 120/80 mmHg (population mean)"
    ms = [Measurement("LVESV", 72.02, "mL", 5.06, "biv-me fitted mesh, 25-phase volume curve"),
          Measurement("LVSV", 106.9, "mL", 8.47, source),
          Measurement("SBP", 118.0, "mmHg", 8.0, source)]
    panel.set_measurements(ms)
    table = panel.table
    qtbot.wait(50)
    line = table.fontMetrics().height()
    rows = range(table.rowCount())
    assert table.rowCount() >= 3
    for r in rows:
        assert table.rowHeight(r) < 2 * line, \
            f"row {r} ({table.item(r, 0).text()}) is {table.rowHeight(r)} px for a {line}-px line"
    # as many whole rows are in view as the table's height holds (none half shown)
    port = table.viewport().height()
    assert sum(table.rowHeight(r) for r in rows[: port // (2 * line)]) <= port
    texts = {table.item(r, 0).data(Qt.ItemDataRole.UserRole + 1): r for r in rows}
    r = texts["LVESV"]
    assert (table.item(r, 1).text(), table.item(r, 3).text()) == ("72", "5.1")
    r = texts["LVSV"]
    assert (table.item(r, 1).text(), table.item(r, 3).text()) == ("107", "8.5")
    assert table.item(r, 4).toolTip() == source
    back = {m.name: m for m in panel.measurements()}
    assert back["LVESV"].value == 72.02 and back["LVSV"].uncertainty == 8.47
    # an edited value is read as typed
    table.item(texts["LVSV"], 1).setText("110")
    assert {m.name: m for m in panel.measurements()}["LVSV"].value == 110.0


def test_background_readying_is_not_shown_as_the_users_job(window, qtbot):
    """review10 #3: 'Preparing the model 0 % / Cancel' stood in the status bar (and in
    `twinviewer screenshot`) as if the user had started it; a job the user starts is shown."""
    import threading

    w = window
    go = threading.Event()

    def wait(_progress, cancelled):
        while not go.wait(0.02):
            if cancelled():
                raise RuntimeError("cancelled")

    ended = []
    w.state.run_job("Preparing the model", wait, ended.append, ended.append, background=True)
    qtbot.wait(50)
    bar = w.job_bar
    assert not bar.isVisible() and bar.current() is None
    assert "Preparing" not in bar.label.text()
    user = w.state.run_job("Running 2 scenarios", wait, ended.append, ended.append)
    qtbot.waitUntil(bar.isVisible, timeout=2000)
    assert bar.current() is user and bar.label.text().startswith("Running 2 scenarios")
    assert "more" not in bar.label.text()  # the background job is not counted
    assert not bar.cancel_button.visibleRegion().isEmpty()
    go.set()
    qtbot.waitUntil(lambda: len(ended) == 2, timeout=5000)
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=2000)


def test_whatif_texts_cite_sources_not_project_files(qtbot):
    """layout10's leftover: texts cited 'INTERVENTIONS.md §2', a file an app user cannot
    open; they name the sources (docs/references.md has them in the project's words)."""
    import re

    from twinviewer.gui.scenario_panel import ScenarioPanel
    from twinviewer.gui.state import TwinState
    from twinviewer.interventions import LIBRARY

    state = TwinState()
    panel = ScenarioPanel(state)
    qtbot.addWidget(panel)
    fact_file = re.compile(r"\b[A-Z_]+\.md\b")
    named = set()
    for name in LIBRARY:
        panel.select_intervention(name)
        texts = [panel.about.text(), panel.about.toolTip()]
        texts += [ed.widget.toolTip() for ed in panel.editors.values()]
        shown = "\n".join(texts)
        assert not fact_file.findall(shown), (name, fact_file.findall(shown))
        named |= {s for s in ("ASE 2024", "HeartMate 3") if s in shown}
    assert named == {"ASE 2024", "HeartMate 3"}  # the sources are named in their place
    state.close()


def test_calibrate_curve_key_is_outside_the_curves(window, qtbot):
    """layout10's leftover: the volume-curve chart's four-row legend lay over the top of
    the curves at 1280×720; the key is under the chart, whole, and nothing is drawn over
    the plot area."""
    import numpy as np
    import pyqtgraph as pg

    w = window
    w.show_step("Calibrate")
    panel = w.panels["Calibration"]
    phase = np.linspace(0, 1, 25)
    vol = 120 - 50 * np.sin(np.pi * phase) ** 2
    per = {"phase": phase, "median": vol, "pred_lo": vol - 8, "pred_hi": vol + 8,
           "measured": vol + 2, "sd": np.full(25, 4.0)}
    panel._plot_curves([{"chamber": "LV", "per_phase": per},
                        {"chamber": "RV", "per_phase": {k: v * (1 if k in ("phase", "sd")
                                                                 else 1.1)
                                                          for k, v in per.items()}}])
    qtbot.wait(50)
    view = panel.plot.getPlotItem().vb
    over = [i for i in panel.plot.scene().items() if isinstance(i, pg.LegendItem)
            and i.isVisible() and i.sceneBoundingRect().intersects(view.sceneBoundingRect())]
    assert not over, "a legend is drawn over the curves"
    key = panel.plot_key
    assert key.isVisible() and "LV measured ± 1 SD" in key.text() and "RV twin median" in key.text()
    assert key.height() >= key.heightForWidth(key.width())
    assert not key.visibleRegion().isEmpty()


def test_report_audit_table_does_not_scroll_sideways(window, qtbot):
    """layout10's leftover: the Report step's audit table scrolled sideways ("method
    tempered …" cut); its columns fit and a long entry wraps, whole in its tooltip."""
    from twinviewer.io import audit_log

    w = window
    twin = w.state.session.twin
    audit_log(twin).record(twin, "calibration", {
        "method": "tempered ensemble smoother with multiple data assimilation, 4 steps",
        "measurements": ["LVEDV", "LVESV", "SBP", "DBP", "HR", "LVEF", "RVEDV", "RVESV"],
        "prior": "Heart failure with reduced ejection fraction prior"})
    w.show_step("Report")
    page = w.step_pages["Report"]
    qtbot.waitUntil(lambda: page.widget() is not None and page.widget().isVisible())
    audit = w.panels["Audit trail"]
    audit.refresh()
    table = audit.table
    qtbot.waitUntil(lambda: table.rowCount() >= 1)
    qtbot.wait(100)
    assert table.horizontalScrollBar().maximum() == 0
    h = table.horizontalHeader()
    assert sum(h.sectionSize(c) for c in range(table.columnCount())) <= table.viewport().width()
    assert page.horizontalScrollBar().maximum() == 0
