"""The what-if panel: build scenarios, run them over the ensemble, table, curves, ranking,
refusals, cancel and the live single-twin slider."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

import twinviewer  # noqa: E402
from twinviewer.gui.scenario_panel import DRAW_EVERY_MS  # noqa: E402
from twinviewer.physiology import simulate  # noqa: E402
from twinviewer.twins import model_of, twin_from_preset  # noqa: E402

#: A what-if or explanation job's first run starts the model's helper process (imports,
#: kernels): up to a minute on a loaded machine, hence 120 s waits below.


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
    qtbot.waitUntil(panel.curves_drawn, timeout=5000)  # a new run's curves: one per turn


def test_scenarios_run_over_the_ensemble_and_fill_the_table(qtbot, make_scenario_panel):
    state, panel = make_scenario_panel()
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
    assert better.removesuffix(" §").endswith("%")  # § : twins in LV suction not counted
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


def test_ranking_by_a_goal_counts_winners(qtbot, make_scenario_panel):
    state, panel = make_scenario_panel()
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


def test_refused_settings_are_shown_and_not_added(make_scenario_panel):
    state, panel = make_scenario_panel()
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


def test_cancel_leaves_the_results_untouched(qtbot, make_scenario_panel):
    state, panel = make_scenario_panel(n=64, with_results=False)
    _add(panel, "lvad", speed=6000)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert panel.cancel_button.isEnabled()
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not state.jobs, timeout=120_000)
    qtbot.wait(50)
    assert state.session.scenario_results == {}
    assert not panel.cancel_button.isEnabled()


def test_slider_gives_live_single_twin_predictions_fast(qtbot, make_scenario_panel):
    state, panel = make_scenario_panel()
    panel.select_intervention("lvad")
    panel.update_live()
    assert "point estimate" in panel.live_label.text() and "CO" in panel.live_label.text()
    # a change from the point's own baseline, named, never a bare level (review12b #2)
    assert "Δ\u00a0CO" in panel.live_label.text() and "own baseline" in panel.live_label.text()
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


def test_slider_release_runs_the_live_scenario_on_the_ensemble(qtbot, make_scenario_panel):
    state, panel = make_scenario_panel()
    panel.select_intervention("tavi")
    panel.set_slider_value(2.0)
    panel.run_live_ensemble()
    qtbot.waitUntil(lambda: len(state.session.scenario_results) == 1, timeout=120_000)
    (name,) = state.session.scenario_results
    # named in words (review 7 #4: auto names were code, 'tavi(eoa=2)')
    assert name.startswith("live: Aortic valve replacement 2 cm²")


def test_each_scenario_carries_its_acute_or_regulated_choice(qtbot, make_scenario_panel):
    """Issue 12: the user picks "acute, unregulated" or "regulated" per scenario; the choice
    is stored in the scenario (saved with the twin) and shown next to its result."""
    state, panel = make_scenario_panel(n=4)
    assert panel.regulation == "regulated"  # the validated mode is the default
    _add(panel, "vasodilator", "vaso", level=3)
    panel.set_regulation("acute")
    _add(panel, "vasodilator", level=3)
    stored = {sc.name: sc.regulation for sc in state.session.scenarios}
    assert stored == {"vaso": "regulated", "Arterial vasodilator high dose (level 3)": "acute"}
    items = [panel.scenario_list.item(i).text() for i in range(2)]
    assert items == ["vaso [baroreflex regulated]",
                     "Arterial vasodilator high dose (level 3) [acute, unregulated]"]
    _run(qtbot, panel, state, 2)
    tab = panel.result_table
    shown = [tab.item(r, 0).text().replace("\n", " ") for r in range(tab.rowCount())
             if tab.item(r, 0)]  # one row per metric and scenario, named with its response
    assert any(n.startswith("vaso [baroreflex regulated] ") for n in shown)
    assert any(n.startswith("Arterial vasodilator high dose (level 3) [acute, unregulated] ")
               for n in shown)
    # the choice changes the result: the reflex raises HR and holds MAP; acute leaves HR alone
    res = state.session.scenario_results
    base = state.results.metrics
    acute = res["Arterial vasodilator high dose (level 3)"]
    hr_acute = float(np.median(acute.metrics["HR"] - base["HR"]))
    hr_reg = float(np.median(res["vaso"].metrics["HR"] - base["HR"]))
    assert abs(hr_acute) < 0.01 and hr_reg > 1.0
    assert np.median(res["vaso"].metrics["MAP"]) > np.median(
        res["Arterial vasodilator high dose (level 3)"].metrics["MAP"])
    # and the live preview says which response it shows
    panel.update_live()
    assert "acute, unregulated" in panel.live_label.text()


def test_the_table_is_prepared_by_the_job_not_the_gui_thread(qtbot, make_scenario_panel,
                                                             monkeypatch):
    """The results' table (its numbers and text) is built on the what-if job's thread; the
    GUI thread only sets the items, and shows what a table built there would show."""
    import threading

    from twinviewer.gui import scenario_panel

    built_on = []
    real = scenario_panel.scenario_table

    def recorded(*a, **kw):
        built_on.append(threading.current_thread() is threading.main_thread())
        return real(*a, **kw)

    monkeypatch.setattr(scenario_panel, "scenario_table", recorded)
    state, panel = make_scenario_panel()
    _add(panel, "beta_blocker", "BB", dose=5)
    _add(panel, "tavi", "TAVI", eoa=1.8)
    _run(qtbot, panel, state, 2)
    assert built_on and not any(built_on), built_on
    shown = [[panel.result_table.item(r, c).text() if panel.result_table.item(r, c) else ""
              for c in range(2)] for r in range(panel.result_table.rowCount())]
    # the same results, the table built afresh on the GUI thread: the same cells
    panel._prepared = None
    panel.refresh()
    assert built_on[-1] is True
    again = [[panel.result_table.item(r, c).text() if panel.result_table.item(r, c) else ""
              for c in range(2)] for r in range(panel.result_table.rowCount())]
    assert again == shown and len(shown) > 10


def test_a_prepared_table_not_of_the_shown_results_is_not_used(make_scenario_panel):
    """A table prepared for other results (another scenario's definition, other objects) is
    rebuilt, not shown."""
    from twinviewer.core.twin import InterventionStep, Scenario
    from twinviewer.gui.scenario_panel import prepared_table
    from twinviewer.interventions import run_scenarios

    state, panel = make_scenario_panel()
    sc = Scenario("BB", (InterventionStep("beta_blocker", {"dose": 5.0}),), "regulated")
    base = state.results
    res = run_scenarios(model_of(state.twin), base, [sc])
    prepared = prepared_table(state.twin, base, res, [sc])
    assert prepared.fits(state.twin, base, dict(res), [sc])
    other = Scenario("BB", (InterventionStep("beta_blocker", {"dose": 10.0}),), "regulated")
    assert not prepared.fits(state.twin, base, res, [other])
    assert not prepared.fits(state.twin, base, {"BB": res["BB"].__class__(**{
        f: getattr(res["BB"], f) for f in res["BB"].__dataclass_fields__})}, [sc])
    assert not prepared.fits(state.twin, None, res, [sc])


def test_the_curves_are_updated_in_place_and_the_legend_follows(qtbot, make_scenario_panel):
    """A second run sets the kept plot items' data (no new items); the legend lists the live
    curve, the baseline and each scenario in order; fewer runs leave the listed scenarios'
    items empty (kept for the next Run), and a scenario removed takes its items away."""
    state, panel = make_scenario_panel()
    _add(panel, "beta_blocker", "BB", dose=5)
    _add(panel, "tavi", "TAVI", eoa=1.8)
    _run(qtbot, panel, state, 2)
    items = list(panel.pv_plot.listDataItems())
    wiggers = list(panel.wiggers_plot.items)
    assert len(items) == 1 + 3  # live, baseline, two scenarios
    legend = [label.text for _s, label in panel.pv_plot.legend.items]
    assert legend == ["live (point estimate)", "baseline", "BB [baroreflex regulated]",
                      "TAVI [baroreflex regulated]"]
    first = items[1].getData()[1].copy()
    before = dict(state.session.scenario_results)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)  # the same again
    qtbot.waitUntil(lambda: state.session.scenario_results["BB"] is not before["BB"],
                    timeout=120_000)
    assert not panel.curves_drawn()  # the kept items: set one run per turn after the
    qtbot.waitUntil(panel.curves_drawn, timeout=5000)  # results' own turn
    assert list(panel.pv_plot.listDataItems()) == items
    assert list(panel.wiggers_plot.items) == wiggers
    np.testing.assert_array_equal(items[1].getData()[1], first)
    state.session.set_scenario_results({"BB": state.session.scenario_results["BB"]})
    qtbot.waitUntil(panel.curves_drawn, timeout=5000)  # the legend's rows: the next turn
    assert list(panel.pv_plot.listDataItems()) == items  # TAVI's kept for the next Run,
    assert items[3].getData()[0] is None or len(items[3].getData()[0]) == 0  # empty
    assert [label.text for _s, label in panel.pv_plot.legend.items] == legend[:3]
    state.session.remove_scenario("TAVI")
    state.session.set_scenario_results({"BB": state.session.scenario_results["BB"]})
    qtbot.waitUntil(panel.curves_drawn, timeout=5000)
    assert list(panel.pv_plot.listDataItems()) == items[:3]
    assert all(i not in panel.wiggers_plot.items for i in wiggers[-3:])


def test_a_runs_plot_items_are_made_before_it_one_run_per_turn(qtbot, make_scenario_panel):
    """The plot items a Run draws in (the baseline's and each listed scenario's) are made
    when the scenarios are listed, one run's per timer turn (DRAW_EVERY_MS apart, time for
    the cine's frames between them); the turn the results arrive in makes none and sets
    none's data (one run's per later turn); the legend's rows follow (stall14)."""
    state, panel = make_scenario_panel()
    made = []  # (time, kept runs' items) after each turn that may add them
    real = panel._prepare_slots

    def prepare():
        real()
        made.append((time.perf_counter(), len(panel._curve_slots)))

    panel._prepare_slots = prepare  # looked up when each timer is set
    _add(panel, "beta_blocker", "BB", dose=5)
    _add(panel, "tavi", "TAVI", eoa=1.8)
    _add(panel, "vasodilator", "Vaso")
    qtbot.waitUntil(lambda: len(panel._curve_slots) == 1 + 3, timeout=5000)
    adds = [(t, n) for (t, n), (_t0, n0) in zip(made, [(0, 1), *made], strict=False)
            if n > n0]
    assert [n for _t, n in adds][-3:] == [2, 3, 4]  # after the baseline's, one per turn
    gaps = [b - a for (a, _n), (b, _m) in zip(adds[-3:], adds[-2:], strict=False)]
    assert all(g >= 0.8 * DRAW_EVERY_MS / 1000 for g in gaps), gaps  # a timer apart
    items = list(panel.pv_plot.listDataItems())
    assert len(items) == 1 + 4
    counts = []
    state.scenarioResultsChanged.connect(
        lambda _r: counts.append(list(panel.pv_plot.listDataItems())))
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(state.session.scenario_results) == 3, timeout=120_000)
    assert counts[-1] == items  # no item made in the results' turn
    assert not panel.curves_drawn()  # their data and the legend's rows: in later turns
    qtbot.waitUntil(panel.curves_drawn, timeout=5000)
    assert list(panel.pv_plot.listDataItems()) == items
    assert [label.text for _s, label in panel.pv_plot.legend.items][1:] == [
        "baseline", "BB [baroreflex regulated]", "TAVI [baroreflex regulated]",
        "Vaso [baroreflex regulated]"]
    assert panel.result_table.rowCount() > 10


def test_the_table_is_prepared_with_a_short_switch_interval_then_restored(monkeypatch):
    """While a table is prepared the interpreter hands its lock over every
    QUICK_SWITCH_S (the GUI thread's calls waited up to 5 ms each for the job's thread);
    the interval comes back afterwards, also when two threads' preparations overlap or one
    raises."""
    import sys
    import threading

    from twinviewer.gui import scenario_panel
    from twinviewer.gui.scenario_panel import QUICK_SWITCH_S, _quick_switch

    before = sys.getswitchinterval()
    inside, go, entered = [], threading.Event(), threading.Event()

    def other() -> None:
        with _quick_switch():
            entered.set()
            go.wait(5)
            inside.append(sys.getswitchinterval())

    t = threading.Thread(target=other)
    t.start()
    assert entered.wait(5)
    with _quick_switch():  # overlaps the other thread's
        inside.append(sys.getswitchinterval())
    assert sys.getswitchinterval() == pytest.approx(QUICK_SWITCH_S)  # the other one is in
    go.set()
    t.join(5)
    assert inside == [pytest.approx(QUICK_SWITCH_S)] * 2
    assert sys.getswitchinterval() == before

    def fails(*_a, **_kw):
        inside.append(sys.getswitchinterval())
        raise ValueError("bad table")

    monkeypatch.setattr(scenario_panel, "scenario_table", fails)
    twin = twin_from_preset("hfref", n=4, seed=2)
    base = simulate(model_of(twin), twin.ensemble)
    with pytest.raises(ValueError, match="bad table"):
        scenario_panel.prepared_table(twin, base, {"x": base}, [])
    assert inside[-1] == pytest.approx(QUICK_SWITCH_S)
    assert sys.getswitchinterval() == before
