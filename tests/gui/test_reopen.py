"""A saved and reopened twin shows what the user made: scenarios and the calibration."""

from __future__ import annotations

import dataclasses

from twinviewer.core.measurement import Measurement
from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.gui.calibration_panel import CalibrationPanel
from twinviewer.gui.scenario_panel import ScenarioPanel
from twinviewer.gui.state import TwinState
from twinviewer.interventions.scenario import shown_name
from twinviewer.twins import twin_from_preset


def test_reopened_twin_shows_its_scenarios_and_calibration(qtbot, tmp_path):
    from twinviewer.personalize import calibrate

    made = TwinState()
    doc = made.session
    doc.open_twin(twin_from_preset("healthy", n=16, pseudonym="virtual-9"))
    doc.add_measurement(Measurement("SBP", 130.0, "mmHg", 4.0, "cuff"))
    doc.apply_calibration(calibrate(doc.twin, n=16))
    doc.add_scenario(Scenario("slower", (InterventionStep("beta_blocker", {"dose": 5.0}),)))
    path = doc.save(tmp_path / "made.twin")
    made.close()

    state = TwinState()
    state.session.open_file(path)
    cal = CalibrationPanel(state)
    whatif = ScenarioPanel(state)
    qtbot.addWidget(cal)
    qtbot.addWidget(whatif)
    assert cal.fit_table.rowCount() >= 1
    assert "Saved calibration" in cal.summary.text()
    assert [whatif.scenario_list.item(i).text()
            for i in range(whatif.scenario_list.count())] == ["slower [acute, unregulated]"]
    state.close()


def test_reopened_twin_shows_its_stored_scenario_results(qtbot, tmp_path):
    """The review's case: scenarios run, saved, reopened: the what-if table has rows from
    the stored results (marked as such) once the baseline is simulated, and their loops
    are drawn from the waveforms the file keeps (review 7 #3: they were not)."""
    from tests.document.test_reopen import BETA, _saved_with_results
    from twinviewer.twins import simulate_twin

    path, run = _saved_with_results(tmp_path)
    state = TwinState()
    whatif = ScenarioPanel(state)
    qtbot.addWidget(whatif)
    state.session.open_file(path)
    state.session.set_results(simulate_twin(state.twin))  # as the window does on open
    assert whatif.result_table.rowCount() > 0
    shown = [whatif.result_cells(m, BETA.name) for m in ("LVEF", "CO", "MAP")]
    # a neutral one-line note apart from the red warnings, naming the scenario on hover
    # (review14b #7: it led the red box, with every scenario's name)
    note = whatif.stored_label.text()
    assert note == "The result read from the file (same model equations)."
    assert shown_name(BETA) in whatif.stored_label.toolTip()
    assert not whatif.stored_label.isHidden() and "b00020" not in whatif.stored_label.styleSheet()
    assert "read from the file" not in whatif.flags_label.text()
    assert state.twin.equation_hash not in note + whatif.stored_label.toolTip()  # review8b #5
    qtbot.waitUntil(whatif.curves_drawn, timeout=5000)  # a new run's curves: one per turn
    assert len(whatif.pv_plot.listDataItems()) == 1 + 2  # live + baseline + its stored loop
    read = state.session.scenario_results[BETA.name]
    # the same cells as right after the run (the run's own Results)
    state.session.set_scenario_results({BETA.name: run})
    assert shown == [whatif.result_cells(m, BETA.name) for m in ("LVEF", "CO", "MAP")]
    assert whatif.stored_label.isHidden()  # run here: nothing read from the file
    qtbot.waitUntil(whatif.curves_drawn, timeout=5000)
    assert len(whatif.pv_plot.listDataItems()) == 1 + 2  # + its loop
    # a file of an earlier version kept no loops: the note names the scenario in words, once
    bare = dataclasses.replace(read, series={})
    state.session.set_scenario_results({BETA.name: bare})
    note = whatif.stored_label.text()
    assert f"Saved without loops (run them again to draw their loops): {shown_name(BETA)}." \
        in note
    assert BETA.name + ":" not in note and state.twin.equation_hash not in note
    state.close()
