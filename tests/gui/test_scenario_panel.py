"""The what-if panel: build scenarios, run them over the ensemble, table, curves, ranking,
refusals, cancel and the live single-twin slider."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

import twinviewer  # noqa: E402
from twinviewer.gui.scenario_panel import ScenarioPanel  # noqa: E402
from twinviewer.gui.state import TwinState  # noqa: E402
from twinviewer.physiology import simulate  # noqa: E402
from twinviewer.twins import model_of, twin_from_preset  # noqa: E402

#: A what-if or explanation job's first run starts the model's helper process (imports,
#: kernels): up to a minute on a loaded machine, hence 120 s waits below.


@pytest.fixture
def make_panel(qtbot):
    states = []

    def make(preset: str = "hfref", n: int = 8, with_results: bool = True):
        state = TwinState()
        states.append(state)
        twin = twin_from_preset(preset, n=n, seed=2)
        state.session.set_twin(twin)
        if with_results:
            state.session.set_results(simulate(model_of(twin), twin.ensemble))
        panel = ScenarioPanel(state)
        qtbot.addWidget(panel)
        return state, panel

    yield make
    for s in states:
        s.close()


def _add(panel, name, label=None, **settings):
    panel.select_intervention(name)
    for k, v in settings.items():
        panel.set_setting(k, v)
    if label:
        panel.name_edit.setText(label)
    assert panel.add_scenario(), panel.error_label.text()


def _run(qtbot, panel, state, count):
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(state.session.scenario_results) == count, timeout=120_000)


def test_scenarios_run_over_the_ensemble_and_fill_the_table(qtbot, make_panel):
    state, panel = make_panel()
    _add(panel, "lvad", "LVAD 7000", speed=7000)
    _add(panel, "beta_blocker", "BB", dose=5)
    assert [panel.scenario_list.item(i).text() for i in range(2)] == [
        "LVAD 7000 [baroreflex regulated]", "BB [baroreflex regulated]"]
    _run(qtbot, panel, state, 2)
    tab = panel.result_table
    headers = [tab.horizontalHeaderItem(c).text() for c in range(tab.columnCount())]
    assert headers == ["Scenario\nmedian (5–95 %)", "Δ vs baseline (5–95 %)\ntwins better"]
    names = [tab.item(r, 0).text() for r in range(tab.rowCount()) if tab.item(r, 0)]
    assert any(n.startswith("Cardiac output (L/min)") for n in names)
    value, delta, better = panel.result_cells("CO", "LVAD 7000")
    assert "(" in value and "–" in value
    assert delta.startswith("+")
    assert better.endswith("%")
    assert panel.result_cells("CO", "BB")[0] and panel.result_cells("CO")[1] == ""
    shown = [tab.item(r, 0).text() for r in range(tab.rowCount()) if tab.item(r, 0)]
    # the response on its own line in a narrow table, on the name's line in a wide one
    assert any(n.replace("\n", " ").startswith("LVAD 7000 [baroreflex regulated] ")
               for n in shown)
    assert "aortic valve no longer opens" in panel.flags_label.text()
    # Median curves: baseline and two scenarios in the PV plot (plus the live curve).
    assert len(panel.pv_plot.listDataItems()) >= 3
    labels = [w.text() for w in panel.findChildren(type(panel.slider_label))]
    assert twinviewer.RESEARCH_USE in labels


def test_ranking_by_a_goal_counts_winners(qtbot, make_panel):
    state, panel = make_panel()
    _add(panel, "lvad", "LVAD 7000", speed=7000)
    _add(panel, "beta_blocker", "BB", dose=5)
    _run(qtbot, panel, state, 2)
    panel.goal_metric.setCurrentIndex(panel.goal_metric.findData("LVEDP"))
    panel.constraints_edit.setText("CO>=3")
    qtbot.mouseClick(panel.rank_button, Qt.MouseButton.LeftButton)
    assert panel.rank_table.rowCount() == 3
    assert panel.rank_table.item(0, 0).text() == "LVAD 7000 [baroreflex regulated]"
    assert "plausible twins" in panel.rank_label.text()
    panel.constraints_edit.setText("CO>>3")
    qtbot.mouseClick(panel.rank_button, Qt.MouseButton.LeftButton)
    assert "write METRIC>=VALUE" in panel.rank_label.text()


def test_refused_settings_are_shown_and_not_added(make_panel):
    state, panel = make_panel()
    messages = []
    state.message.connect(lambda level, text: messages.append((level, text)))
    panel.select_intervention("pacing")
    panel.set_setting("rate", 150)
    panel.set_setting("av_delay", 250)
    assert not panel.add_step()
    assert "'av_delay' = 250 ms is longer than half the RR interval" in panel.error_label.text()
    assert panel.steps == [] and messages and messages[-1][0] == "warning"
    panel.select_intervention("mitral_teer")  # hfref has no mitral regurgitation
    assert not panel.add_step()
    assert "no regurgitation to repair" in panel.error_label.text()
    # A duplicate scenario name is refused.
    _add(panel, "lvad", "A")
    panel.select_intervention("diuretic")
    panel.name_edit.setText("A")
    assert not panel.add_scenario()
    assert "already exists" in panel.error_label.text()


def test_cancel_leaves_the_results_untouched(qtbot, make_panel):
    state, panel = make_panel(n=64, with_results=False)
    _add(panel, "lvad", speed=6000)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert panel.cancel_button.isEnabled()
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not state.jobs, timeout=120_000)
    qtbot.wait(50)
    assert state.session.scenario_results == {}
    assert not panel.cancel_button.isEnabled()


def test_slider_gives_live_single_twin_predictions_fast(qtbot, make_panel):
    state, panel = make_panel()
    panel.select_intervention("lvad")
    panel.update_live()
    assert "point estimate" in panel.live_label.text() and "CO" in panel.live_label.text()
    n0 = panel.live_updates
    positions = range(panel.slider.minimum() + 60, panel.slider.minimum() + 110)
    t0 = time.perf_counter()
    for pos in positions:
        panel.slider.setValue(pos)
        panel.update_live()  # what the coalescing timer calls
    rate = len(positions) / (time.perf_counter() - t0)
    # the rate (target ≥ 20 updates/s) is a timing: reported, not asserted in the gate,
    # where a loaded machine would fail it (the same rule as tests/benchmarks)
    print(f"live single-twin predictions: {rate:.1f} updates/s")
    assert panel.live_updates - n0 == len(positions)
    assert panel.editors["speed"].value() == panel.slider_value()
    # Moves between two event-loop turns are coalesced into one prediction.
    n1 = panel.live_updates
    for pos in range(10):
        panel.slider.setValue(panel.slider.minimum() + pos)
    qtbot.waitUntil(lambda: panel.live_updates > n1, timeout=5000)
    qtbot.wait(20)
    assert panel.live_updates == n1 + 1


def test_slider_release_runs_the_live_scenario_on_the_ensemble(qtbot, make_panel):
    state, panel = make_panel()
    panel.select_intervention("tavi")
    panel.set_slider_value(2.0)
    panel.run_live_ensemble()
    qtbot.waitUntil(lambda: len(state.session.scenario_results) == 1, timeout=120_000)
    (name,) = state.session.scenario_results
    # named in words (review 7 #4: auto names were code, 'tavi(eoa=2)')
    assert name.startswith("live: Aortic valve replacement 2 cm²")


def test_each_scenario_carries_its_acute_or_regulated_choice(qtbot, make_panel):
    """Issue 12: the user picks "acute, unregulated" or "regulated" per scenario; the choice
    is stored in the scenario (saved with the twin) and shown next to its result."""
    state, panel = make_panel(n=4)
    assert panel.regulation == "regulated"  # the validated mode is the default
    _add(panel, "vasodilator", "vaso", level=3)
    panel.set_regulation("acute")
    _add(panel, "vasodilator", level=3)
    stored = {sc.name: sc.regulation for sc in state.session.scenarios}
    assert stored == {"vaso": "regulated", "Arterial vasodilator level 3": "acute"}
    items = [panel.scenario_list.item(i).text() for i in range(2)]
    assert items == ["vaso [baroreflex regulated]",
                     "Arterial vasodilator level 3 [acute, unregulated]"]
    _run(qtbot, panel, state, 2)
    tab = panel.result_table
    shown = [tab.item(r, 0).text().replace("\n", " ") for r in range(tab.rowCount())
             if tab.item(r, 0)]  # one row per metric and scenario, named with its response
    assert any(n.startswith("vaso [baroreflex regulated] ") for n in shown)
    assert any(n.startswith("Arterial vasodilator level 3 [acute, unregulated] ")
               for n in shown)
    # the choice changes the result: the reflex raises HR and holds MAP; acute leaves HR alone
    res = state.session.scenario_results
    base = state.results.metrics
    hr_acute = float(np.median(res["Arterial vasodilator level 3"].metrics["HR"] - base["HR"]))
    hr_reg = float(np.median(res["vaso"].metrics["HR"] - base["HR"]))
    assert abs(hr_acute) < 0.01 and hr_reg > 1.0
    assert np.median(res["vaso"].metrics["MAP"]) > np.median(
        res["Arterial vasodilator level 3"].metrics["MAP"])
    # and the live preview says which response it shows
    panel.update_live()
    assert "acute, unregulated" in panel.live_label.text()
