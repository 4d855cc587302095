"""review12b #1 and #3 in the What-if step: a scenario whose plug-in fails is named with its
reason and the others still get their results; a disabled plug-in's intervention is greyed
out and Add refuses it (by name, its transform not run); the live ensemble row and the
ranking say the response mode."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from tests.interventions.test_one_bad_scenario import BAD, CODE, PACE  # noqa: E402
from tests.plugins.helpers import contribution_folder  # noqa: E402
from twinviewer.gui.scenario_panel import ScenarioPanel  # noqa: E402
from twinviewer.gui.state import TwinState  # noqa: E402
from twinviewer.plugins.registry import DISABLED  # noqa: E402
from twinviewer.testing import plugin_config, plugin_registry  # noqa: E402, F401
from twinviewer.twins import twin_from_preset  # noqa: E402

# the failing plug-in and the two scenarios of the Qt-free test, under another package name


@pytest.fixture
def panel(plugin_registry, tmp_path, qtbot):  # noqa: F811
    manifest = '\n[[contributions.interventions]]\nname = "raise_drug"\nref = "tv_raise2:RAISE"\n'
    reg = plugin_registry(contribution_folder(tmp_path, "tv-raise2", CODE, manifest),
                          entry_points=[])
    reg.load("interventions", "raise_drug")
    state = TwinState()
    state.session.open_twin(twin_from_preset("healthy", n=4))
    p = ScenarioPanel(state)
    qtbot.addWidget(p)
    p.registry = reg  # the registry the plug-in was loaded into
    yield p
    qtbot.waitUntil(lambda: not state.jobs, timeout=180_000)
    state.close()
    from twinviewer.interventions.library import LIBRARY

    LIBRARY.pop("raise_drug", None)


def _run_all(panel, qtbot) -> None:
    panel.run_all()
    qtbot.waitUntil(lambda: panel.job is None and not panel.state.jobs, timeout=180_000)


def test_one_failing_scenario_does_not_cost_the_others_their_results(panel, qtbot):
    session = panel.state.session
    session.add_scenario(PACE)  # as from a reopened file: the bad one already in the document
    session.add_scenario(BAD)
    _run_all(panel, qtbot)
    assert "Pace 90" in session.scenario_results
    assert "Bad 20" not in session.scenario_results
    text = panel.failed_label.text()
    assert not panel.failed_label.isHidden()
    assert "Bad 20" in text and "boom from raise_drug" in text and "Pace 90" not in text
    assert panel.registry.plugins["tv-raise2"].status == DISABLED

    # now disabled: greyed out in the list, with its reason; Add refuses it by name
    i = panel.intervention_box.findData("raise_drug")
    item = panel.intervention_box.model().item(i)
    assert not item.isEnabled() and "tv-raise2" in item.toolTip()
    panel.select_intervention("raise_drug")
    assert not panel.add_step()
    assert "disabled" in panel.error_label.text() and not panel.steps

    # a second Run: the disabled one is named before any thread starts; Pace runs again
    _run_all(panel, qtbot)
    assert "Pace 90" in session.scenario_results
    assert "Bad 20" in panel.failed_label.text() and "disabled" in panel.failed_label.text()


def test_live_rows_say_their_mode_and_both_modes_are_kept(panel, qtbot):
    panel.select_intervention("pacing")
    for mode in ("acute", "regulated"):
        panel.set_regulation(mode)
        panel.run_live_ensemble()
        qtbot.waitUntil(lambda: panel.job is None and not panel.state.jobs, timeout=180_000)
    live = sorted(k for k in panel.state.session.scenario_results if k.startswith("live: "))
    assert len(live) == 2, live
    assert any("[acute, unregulated]" in k for k in live)
    assert any("[baroreflex regulated]" in k for k in live)


def test_the_ranking_names_options_with_their_mode(panel, qtbot):
    panel.state.session.add_scenario(PACE)
    _run_all(panel, qtbot)
    panel.rank_scenarios()
    names = [panel.rank_table.item(r, 0).text() for r in range(panel.rank_table.rowCount())]
    assert "Pace 90 [acute, unregulated]" in names and "Pace 90" not in names, names
