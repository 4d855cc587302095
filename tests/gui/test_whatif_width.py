"""The what-if results fit a 1280×720 window: no sideways scrolling, no clipped numbers."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt

from twinviewer.gui.main_window import MainWindow
from twinviewer.twins import simulate_twin, twin_from_preset


def test_whatif_table_does_not_scroll_sideways_at_1280(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    qs = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=qs, load_demo=False)
    qtbot.addWidget(w)
    twin = twin_from_preset("hfref", n=8, seed=2, pseudonym="virtual-8")
    w.show_twin(twin, results=simulate_twin(twin))
    w.resize(1280, 720)
    w.show()
    qtbot.waitExposed(w)
    w._default_sizes()
    w.show_step("What-if")
    panel = w.panels["What-if scenarios"]
    for name, label, settings in (("lvad", "LVAD at 7000 rpm", {"speed": 7000}),
                                  ("beta_blocker", "Beta-blocker 5 mg", {"dose": 5}),
                                  ("diuretic", "Diuretic", {})):
        panel.select_intervention(name)
        for k, v in settings.items():
            panel.set_setting(k, v)
        panel.name_edit.setText(label)
        assert panel.add_scenario(), panel.error_label.text()
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(w.state.session.scenario_results) == 3, timeout=60000)
    panel.tabs.setCurrentIndex(0)
    qtbot.wait(100)
    tab = panel.result_table
    assert tab.rowCount() > 10 and tab.isVisible()
    bar = tab.horizontalScrollBar()
    assert bar.maximum() == 0, f"table scrolls sideways by {bar.maximum()} px"
    page = w.step_pages["What-if"]  # nor does the step's page
    assert page.horizontalScrollBar().maximum() == 0
    # nothing is elided: every line of every cell fits its column
    fm = tab.fontMetrics()
    for r in range(tab.rowCount()):
        for c in range(tab.columnCount()):
            item = tab.item(r, c)
            if item is None or tab.columnSpan(r, c) > 1:
                continue
            for line in item.text().splitlines():
                assert fm.horizontalAdvance(line) <= tab.columnWidth(c), \
                    (line, tab.columnWidth(c))
    assert panel.result_cells("CO", "LVAD at 7000 rpm")[1].startswith("+")
    page.ensureWidgetVisible(tab)
    qtbot.wait(50)
    import os
    if os.environ.get("TWINVIEWER_SHOT"):
        w.grab().save(os.environ["TWINVIEWER_SHOT"])
    w.state.session.dirty = False
    w.close()
