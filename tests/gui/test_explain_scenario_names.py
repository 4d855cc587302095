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
from twinviewer.interventions.scenario import apply_scenario, shown_name  # noqa: E402
from twinviewer.physiology import simulate  # noqa: E402
from twinviewer.twins import model_of, simulate_twin, twin_from_preset  # noqa: E402


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


def test_lvad_speed_is_the_scenarios_setting(qtbot, state):
    """newuser17 F8: with an LVAD scenario chosen, Explain said "the largest part through
    LVAD pump speed [prior]" and listed "LVAD pump speed [prior] +2.2 (…) mmHg": the speed is
    the 5500 rpm the user chose in What-if, not a prior assumption of the model. It is named
    a scenario setting; a parameter the scenario changes in each member keeps the twin's
    state."""
    twin = twin_from_preset("hfref", n=4, seed=2)
    model = model_of(twin)
    state.session.set_twin(twin)
    state.session.set_results(simulate_twin(twin))
    lvad = Scenario("lvad", (InterventionStep("lvad", {"speed": 5500.0}),))
    both = Scenario("lvad+bb", (InterventionStep("lvad", {"speed": 5500.0}),
                                InterventionStep("beta_blocker", {"dose": 12.0})))
    runs = {s.name: simulate(model, apply_scenario(model, twin.ensemble, s, tolerate=True))
            for s in (lvad, both)}
    panel = ExplainPanel(state)
    qtbot.addWidget(panel)
    state.session.set_scenario_results(runs)
    for name, rows in (("lvad", 1), ("lvad+bb", 6)):
        before = panel.explanation
        panel.scenario.setCurrentIndex(panel.scenario.findData(name))
        qtbot.waitUntil(lambda: panel.explanation is not before  # noqa: B023
                        and panel.explanation.attribution is not None, timeout=180_000)
        shown = [panel.attr_table.item(i, 0).text()
                 for i in range(panel.attr_table.rowCount())]
        assert len(shown) == rows, shown
        assert "LVAD pump speed [scenario setting]" in shown
        assert not any(s.startswith("LVAD pump speed [prior]") for s in shown)
        # what the β-blocker scales is still the twin's value, with its state
        assert all(s.endswith("[scenario setting]") == s.startswith("LVAD pump speed")
                   for s in shown), shown
        summary = panel.summary.text()
        assert "LVAD pump speed [prior]" not in summary
        if name == "lvad":  # the headline names what carries the change
            assert "through LVAD pump speed [scenario setting]" in summary, summary
        # the baseline's own chart and basis still say what the twin's values rest on
        assert panel.explanation.tag("VAD.speed") == "VAD.speed [prior]"
