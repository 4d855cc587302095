"""review12 #5: the Calibrate step's prior box names the prior the calibration then uses,
also at a later visit (a calibrated twin: the demo heart), and for the same visit re-done
(visit17: a correction starts from that visit's own prior, not its posterior)."""

from __future__ import annotations

import html
from dataclasses import replace

import pytest

pytest.importorskip("pytestqt")

from twinviewer.core.measurement import Measurement as M  # noqa: E402
from twinviewer.core.twin import InterventionStep, Scenario  # noqa: E402
from twinviewer.gui.calibration_panel import NOT_COMPUTED, CalibrationPanel  # noqa: E402
from twinviewer.gui.state import TwinState  # noqa: E402
from twinviewer.personalize import calibrate, updated_twin  # noqa: E402
from twinviewer.personalize.disease import prior_title  # noqa: E402
from twinviewer.twins import twin_from_preset  # noqa: E402

AS = [M("AVA", 0.7, "cm^2", 0.1, "echo"), M("AV_mean_gradient", 45, "mmHg", 5, "echo"),
      M("SBP", 140, "mmHg", 7, "cuff"), M("DBP", 80, "mmHg", 6, "cuff")]


@pytest.fixture(scope="module")
def calibrated():
    """A twin calibrated once as healthy, like the demo heart."""
    twin = twin_from_preset("healthy", n=1)
    twin.measurements.extend([M("SBP", 120, "mmHg", 8, "cuff"), M("DBP", 80, "mmHg", 6, "cuff")])
    return updated_twin(twin, calibrate(twin, None, n=32, seed=1, point_estimate=False), day=0)


@pytest.fixture
def state(qtbot):
    st = TwinState()
    yield st
    st.close()


@pytest.mark.parametrize(("extra", "day", "preset"), [
    (AS, 30, "severe_as"),
    ([M("SBP", 124, "mmHg", 8, "cuff")], 30, "previous visit"),
    # the same visit (visit17, the default day): its SBP corrected, re-done from its prior
    ([M("SBP", 124, "mmHg", 8, "cuff")], None, "healthy")])
def test_box_names_the_prior_the_calibration_uses(qtbot, state, calibrated, extra, day, preset):
    given = {m.name for m in extra}
    twin = replace(calibrated, measurements=[m for m in calibrated.measurements
                                             if m.name not in given] + extra)
    state.session.set_twin(twin)
    panel = CalibrationPanel(state)
    qtbot.addWidget(panel)
    assert panel.visit_day.value() == 0  # the twin's last visit: the same one by default
    if day is not None:
        panel.visit_day.setValue(day)
        assert panel.visit_note.text().startswith(f"Calibrates a new visit on day {day}")
    else:
        assert panel.visit_note.text().startswith("Calibrates the same visit (day 0)")
    assert panel.prior.itemText(0) == f"auto ({prior_title(preset)})"
    panel.members.setValue(32)
    job = panel.start()
    qtbot.waitUntil(lambda: job.finished, timeout=120000)
    qtbot.waitUntil(lambda: panel.result is not None, timeout=5000)
    assert panel.result.prior_choice.preset == preset
    assert html.escape(panel.result.prior_choice.describe()) in panel.summary.text()
    said = f"from the {panel.result.prior_choice.describe()}"
    qtbot.waitUntil(lambda: state.twin is not twin, timeout=20000)  # applied
    assert said in panel.status.text()


# newuser17 F6: a refused re-calibration cleared the Calibrate step to "Parameter intervals:
# not computed yet" and an empty fit table, while the twin was still calibrated (an edit of
# the calibrated twin — its what-ifs recomputed — had dropped the result on show). A refused
# action leaves the last result on screen.
def test_a_refused_calibration_leaves_the_result_on_show(qtbot, state):
    twin = twin_from_preset("healthy", n=1)
    twin.measurements.extend([M("SBP", 150, "mmHg", 10, "cuff"), M("DBP", 95, "mmHg", 7, "cuff")])
    state.session.set_twin(twin)
    panel = CalibrationPanel(state)
    qtbot.addWidget(panel)
    panel.show()
    panel.members.setValue(32)
    job = panel.start()
    qtbot.waitUntil(lambda: job.finished, timeout=120000)
    qtbot.waitUntil(lambda: state.twin is not twin, timeout=20000)  # applied
    qtbot.waitUntil(lambda: panel.plot_status.isHidden(), timeout=5000)  # the chart drawn
    calibrated_first = state.twin
    rows = panel.fit_table.rowCount()
    summary = panel.summary.text()
    assert rows == 2 and summary
    # the calibrated twin edited afterwards (newuser17's run had its what-ifs recomputed on
    # it): the same calibration, still on show
    state.session.add_scenario(Scenario("Pace90", (InterventionStep("pacing",
                                                                    {"rate": 90.0}),)))
    assert state.twin is not calibrated_first
    calibrated = state.twin
    # the same data, the same (auto) prior: refused, said why
    assert panel.start() is None
    assert panel.status.text().startswith("This twin is already calibrated to these data")
    qtbot.wait(50)
    assert state.twin is calibrated
    assert panel.fit_table.rowCount() == rows and panel.summary.text() == summary
    assert panel.plot_status.isHidden(), panel.plot_status.text()  # not NOT_COMPUTED
    assert panel.result is not None
    # another twin opened: its own (none), never the last twin's result
    state.session.set_twin(twin_from_preset("healthy", n=1))
    assert panel.result is None and panel.fit_table.rowCount() == 0
    assert panel.plot_status.text() == NOT_COMPUTED
