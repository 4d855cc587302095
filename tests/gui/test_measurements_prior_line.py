"""newuser17b G3: after visit17, Calibrate re-does the current visit from the prior that visit
started from (a later visit only on a later day chosen in Calibrate), but the Measurements
step still said "Calibration prior (auto): previous visit's posterior (chosen: a later visit
starts from the last posterior)" for the same calibration. It now names what Calibrate does."""

from __future__ import annotations

from twinviewer.core.measurement import Measurement as M
from twinviewer.personalize import calibrate, updated_twin
from twinviewer.personalize.revisit import default_prior_text, plan_visit
from twinviewer.twins import twin_from_preset


def _calibrated():
    twin = twin_from_preset("healthy", n=1)
    twin.measurements.extend([M("LVEDV", 150, "mL", 8, "MR"), M("HR", 70, "bpm", 3, "ECG")])
    return updated_twin(twin, calibrate(twin, None, n=24, seed=0), day=0)


def test_the_measurements_step_names_the_prior_calibrate_will_use(qtbot):
    from twinviewer.gui.measurements_panel import MeasurementsPanel
    from twinviewer.gui.state import TwinState

    twin = _calibrated()
    state = TwinState()
    state.session.set_twin(twin)
    panel = MeasurementsPanel(state)
    qtbot.addWidget(panel)
    panel.set_measurements([*twin.measurements, M("SBP", 150, "mmHg", 10, "cuff, clinic")])
    panel.validate()
    text = panel.messages.text()
    assert "the same visit (day 0)" in text and "Healthy adult prior" in text, text
    assert "previous visit's posterior" not in text  # before: the pre-visit17 rule
    assert "a later visit day, chosen in Calibrate" in text
    # the same prior the Calibrate step's plan starts from
    assert plan_visit(twin).redo and default_prior_text(twin) in text
    state.close()
