"""A saved and reopened twin shows what the user made: scenarios and the calibration."""

from __future__ import annotations

from twinviewer.core.measurement import Measurement
from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.gui.calibration_panel import CalibrationPanel
from twinviewer.gui.scenario_panel import ScenarioPanel
from twinviewer.gui.state import TwinState
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
