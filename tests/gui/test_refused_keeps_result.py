"""newuser17 F6: a refused re-calibration cleared the Calibrate step to "Parameter intervals:
not computed yet" and an empty fit table, while the twin was still calibrated. A refused
action leaves the last result on screen."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from twinviewer.core.measurement import Measurement as M  # noqa: E402
from twinviewer.core.twin import InterventionStep, Scenario  # noqa: E402
from twinviewer.gui.calibration_panel import NOT_COMPUTED, CalibrationPanel  # noqa: E402
from twinviewer.gui.state import TwinState  # noqa: E402
from twinviewer.twins import twin_from_preset  # noqa: E402


@pytest.fixture
def state(qtbot):
    st = TwinState()
    yield st
    st.close()


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
