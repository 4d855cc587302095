"""The Explain step names scenarios as the What-if table and the PV legend do: in words, with
the response mode always stated (review14b #2: a ``twinviewer whatif`` run listed
"inotrope(dose=5)" beside "inotrope(dose=5) [baroreflex regulated]", so the acute run looked
like the plain one)."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from twinviewer.core.twin import InterventionStep, Scenario  # noqa: E402
from twinviewer.gui.explain_panel import NO_SCENARIO, ExplainPanel  # noqa: E402
from twinviewer.gui.state import TwinState  # noqa: E402
from twinviewer.interventions.scenario import shown_name  # noqa: E402
from twinviewer.twins import twin_from_preset  # noqa: E402


@pytest.fixture
def state(qtbot):
    st = TwinState()
    yield st
    st.close()


def test_scenarios_named_in_words_with_their_mode(qtbot, state):
    ino = (InterventionStep("inotrope", {"dose": 5.0}),)
    scenarios = [  # as `twinviewer whatif -s inotrope:dose=5@acute -s …@regulated` names them
        Scenario("inotrope(dose=5)", ino, "acute"),
        Scenario("inotrope(dose=5) [baroreflex regulated]", ino, "regulated"),
        Scenario("my plan", (InterventionStep("pacing", {"rate": 90.0}),), "regulated"),
    ]
    twin = twin_from_preset("hfref", n=4)
    twin.scenarios = scenarios
    panel = ExplainPanel(state)
    qtbot.addWidget(panel)
    state.session.set_twin(twin)
    # the box only reads the names (no results: no explanation job is started)
    panel._on_scenarios({s.name: None for s in scenarios} | {"live: preview": None})
    items = [panel.scenario.itemText(i) for i in range(panel.scenario.count())]
    assert items == [NO_SCENARIO,
                     "Inotrope 5 µg/kg/min [acute, unregulated]",
                     "Inotrope 5 µg/kg/min [baroreflex regulated]",
                     "my plan [baroreflex regulated]",
                     "live: preview"]  # no scenario of the twin: its name as it is
    assert items[1:4] == [shown_name(s) for s in scenarios]  # the table's formatter
    # the choice still finds the results by their key, and survives a re-listing
    panel.scenario.setCurrentIndex(2)
    assert panel.scenario.currentData() == "inotrope(dose=5) [baroreflex regulated]"
    panel._on_scenarios({s.name: None for s in scenarios})
    assert panel.scenario.currentText() == "Inotrope 5 µg/kg/min [baroreflex regulated]"
