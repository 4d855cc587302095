"""The Wiggers key keeps its height when a what-if's results arrive: its five plots are not
resized (and repainted) by the scenarios' key (stall13b; whatif13 did the same for the PV
panel's status line)."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from twinviewer.core.twin import InterventionStep, Scenario  # noqa: E402
from twinviewer.gui.plots import WiggersPanel  # noqa: E402
from twinviewer.gui.state import TwinState  # noqa: E402
from twinviewer.interventions import run_scenarios  # noqa: E402
from twinviewer.twins import model_of, simulate_twin, twin_from_preset  # noqa: E402


@pytest.fixture
def state(qtbot):
    st = TwinState()
    yield st
    st.close()


def test_scenarios_do_not_resize_the_wiggers_plots(qtbot, state):
    twin = twin_from_preset("severe_as", n=4)
    twin.scenarios = [Scenario(f"Beta-blocker {d:g} mg",
                               (InterventionStep("beta_blocker", {"dose": d}),), "acute")
                      for d in (2.5, 5.0, 10.0)]
    base = simulate_twin(twin)
    scen = run_scenarios(model_of(twin), base, twin.scenarios)
    state.session.set_twin(twin)
    wig = WiggersPanel(state)
    qtbot.addWidget(wig)
    wig.resize(620, 560)  # the Wiggers column stacked under the PV panel at 1920×1080
    wig.show()
    wig.ensure_built()
    wig.set_results(base)
    qtbot.waitUntil(lambda: wig.glw.height() > 0)
    qtbot.wait(50)
    before = (wig.glw.geometry(), wig.p_press.geometry())
    wig.scenario_results = dict(scen)
    wig.set_results(base)
    qtbot.wait(50)
    text = wig.key.text()
    assert all(sc.name in text for sc in twin.scenarios), text  # every scenario named
    assert (wig.glw.geometry(), wig.p_press.geometry()) == before
