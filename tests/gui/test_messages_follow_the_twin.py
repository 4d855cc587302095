"""A panel shows only the open twin's messages (review14 #5): after another twin is opened,
the What-if step's "… was not run: …" and refusal, the Calibrate step's "Calibration
failed; the twin is unchanged …" and the Explain step's Sobol status and bars of the twin
shown before are gone; an edit of the same twin (a scenario added) keeps them."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from twinviewer.core.twin import InterventionStep, Scenario  # noqa: E402
from twinviewer.gui.calibration_panel import IDLE_STATUS, CalibrationPanel  # noqa: E402
from twinviewer.gui.explain_panel import ExplainPanel  # noqa: E402
from twinviewer.gui.scenario_panel import ScenarioPanel  # noqa: E402
from twinviewer.gui.state import TwinState  # noqa: E402
from twinviewer.twins import twin_from_preset  # noqa: E402


@pytest.fixture
def state(qtbot):
    st = TwinState()
    yield st
    st.close()


def test_whatif_failures_of_the_twin_before_are_not_shown_beside_another(qtbot, state):
    first = twin_from_preset("hfref", n=4, seed=2, pseudonym="virtual-hfref")
    first.scenarios.append(Scenario("Bad hang 20 %", (InterventionStep("bad_hang", {}),)))
    state.session.open_twin(first)
    panel = ScenarioPanel(state)
    qtbot.addWidget(panel)
    panel.run_all()  # its plug-in is not there: named, not run (no simulation needed)
    assert "Bad hang 20 % [acute, unregulated] was not run" in panel.failed_label.text()
    assert not panel.failed_label.isHidden()
    assert "no scenario could run" in panel.error_label.text()
    # an edit of the same twin keeps them: they are still about it
    state.session.add_scenario(Scenario("TAVI", (InterventionStep("tavi", {"eoa": 2.0}),)))
    assert "was not run" in panel.failed_label.text()
    # another patient: nothing of the first one's
    state.session.open_twin(twin_from_preset("moderate_as", n=4, seed=3))
    assert panel.failed_label.text() == "" and panel.failed_label.isHidden()
    assert panel.error_label.text() == ""
    assert panel.failed == {}


def test_a_failed_calibration_is_not_said_of_the_next_twin(qtbot, state):
    state.session.open_twin(twin_from_preset("hfref", n=4, seed=2))
    panel = CalibrationPanel(state)
    qtbot.addWidget(panel)
    assert panel.status.text() == IDLE_STATUS
    panel.status.setText("Calibration failed; the twin is unchanged. solver diverged")
    state.session.add_note("same twin")  # an edit of the same document keeps it
    assert panel.status.text().startswith("Calibration failed")
    state.session.open_twin(twin_from_preset("moderate_as", n=4, seed=3))
    assert panel.status.text() == IDLE_STATUS


def test_explain_shows_nothing_of_the_twin_before(qtbot, state):
    panel = ExplainPanel(state)
    qtbot.addWidget(panel)
    state.session.open_twin(twin_from_preset("hfref", n=4, seed=2))
    # what an explanation of that twin left on show
    panel.sobol_status.setText("Saved with the twin: converged (hfref study)")
    panel.elastic_plot.getPlotItem().plot([0, 1], [1, 2])
    panel.basis_table.setRowCount(3)
    panel.warnings.addItem("[caution] about the first twin")
    # another twin, without results yet
    state.session.open_twin(twin_from_preset("moderate_as", n=4, seed=3))
    qtbot.waitUntil(lambda: panel.sobol_status.text() == "", timeout=5000)
    assert panel.elastic_plot.getPlotItem().listDataItems() == []
    assert panel.basis_table.rowCount() == 0 and panel.warnings.count() == 0
    assert panel.explanation is None
    assert panel.summary.text() == "Waiting for the twin's predictions…"
