"""final16 #7: ``Intervention.hold_fraction`` is plug-in code too. It ran outside the
registry's guard, and an exception in it broke the scenario digest that Save and autosave
compute (``ZeroDivisionError``, naming nobody). It now runs as ``transform`` and ``check``
do: within the budget, a failure names and disables the plug-in as an InterventionError;
and a digest never stops a save."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.plugins.helpers import contribution_folder
from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions.constants_digest import scenario_digest
from twinviewer.interventions.intervention import InterventionError
from twinviewer.interventions.library import LIBRARY, get_intervention
from twinviewer.interventions.scenario import held_parameters
from twinviewer.plugins.registry import DISABLED


def test_a_failing_hold_fraction_names_and_disables_its_plugin(plugin_registry, tmp_path):
    folder = contribution_folder(tmp_path, "tv-plug-bb", """
        from dataclasses import replace

        from twinviewer.interventions.library import get_intervention

        PLUG_BB = replace(get_intervention("beta_blocker"), name="plug_bb",
                          hold_fraction=lambda s: 1 / 0)
        """, """
        [[contributions.interventions]]
        name = "plug_bb"
        ref = "tv_plug_bb:PLUG_BB"
        """)
    reg = plugin_registry(folder, entry_points=[])
    try:
        reg.load("interventions", "plug_bb")
        sc = Scenario("x", (InterventionStep("plug_bb", {"dose": 5.0}),))
        # what Save/autosave compute: no exception, and no call of the plugin's code (it
        # waited on the plugin's call lock on the GUI thread, last16 #1)
        assert len(scenario_digest(sc)) > 0
        with pytest.raises(InterventionError, match="plugin 'tv-plug-bb'"):
            held_parameters(sc)
        assert reg.plugins["tv-plug-bb"].status == DISABLED
        assert len(scenario_digest(sc)) > 0
    finally:
        LIBRARY.pop("plug_bb", None)


def test_a_digest_never_stops_a_save():
    """The reviewer's reproduction: an intervention whose hold_fraction raises, put in the
    library directly (outside the registry)."""
    LIBRARY["plug_bb2"] = replace(get_intervention("beta_blocker"), name="plug_bb2",
                                  hold_fraction=lambda s: 1 / 0)
    try:
        sc = Scenario("x", (InterventionStep("plug_bb2", {"dose": 5.0}),))
        assert len(scenario_digest(sc)) > 0
    finally:
        LIBRARY.pop("plug_bb2", None)
