"""review16 #3: a calibration in the GUI dropped the what-if results without a word.

New parameters make the scenario results stale: they are removed (as before), but the user
is told which and that the scenarios are kept, and the empty What-if table says "press Run",
not "add scenarios".
"""

from __future__ import annotations

import dataclasses

from twinviewer.core.twin import InterventionStep, Scenario


def test_new_parameters_say_which_results_went_and_keep_the_scenarios(make_scenario_panel):
    from twinviewer.gui.scenario_panel import EMPTY_HINT, RUN_HINT
    from twinviewer.interventions.compare import run_scenarios
    from twinviewer.twins import model_of

    state, panel = make_scenario_panel("healthy", n=8)
    doc = state.session
    assert panel.empty_hint.text() == EMPTY_HINT  # no scenario yet: "add scenarios above"
    sc = Scenario("Vasodilator", (InterventionStep("vasodilator", {}),))
    doc.add_scenario(sc)
    assert panel.empty_hint.text() == RUN_HINT
    doc.set_scenario_results(run_scenarios(model_of(doc.twin), doc.results, [sc]))
    assert list(doc.scenario_results) == [sc.name]
    said: list[tuple[str, str]] = []
    state.message.connect(lambda level, text: said.append((level, text)))

    twin = doc.twin  # what an applied calibration hands over: same document, new ensemble
    doc.set_twin(dataclasses.replace(twin, ensemble=twin.ensemble * 1.02, audit=twin.audit))

    assert doc.scenario_results == {}
    assert [s.name for s in doc.scenarios] == [sc.name]  # nothing the user made is lost
    texts = [t for _lvl, t in said if "removed" in t]
    assert len(texts) == 1 and sc.name in texts[0] and "press Run" in texts[0]
    assert panel.table is None and panel.empty_hint.text() == RUN_HINT


def test_an_edit_that_keeps_the_parameters_says_nothing(make_scenario_panel):
    state, _panel = make_scenario_panel("healthy", n=8)
    doc = state.session
    said: list[str] = []
    state.message.connect(lambda _level, text: said.append(text))
    twin = doc.twin
    doc.set_twin(dataclasses.replace(twin, audit=twin.audit))  # e.g. a note: same parameters
    assert not [t for t in said if "removed" in t]
