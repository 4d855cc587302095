"""The What-if table leaves out the rows of a lesion no member has, as the report, ``whatif``
and the metrics table do (review15b #7: a competent mitral valve's closing backflow was read
as "Mitral regurgitant fraction 2.0 (0.8–4.1) %")."""

from __future__ import annotations

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.gui.scenario_panel import prepared_table
from twinviewer.interventions import run_scenarios
from twinviewer.physiology import simulate
from twinviewer.twins import model_of, twin_from_preset

TAVI = Scenario("TAVI", (InterventionStep("tavi", {"eoa": 2.0}),), "acute")


def _rows(preset: str) -> list[str]:
    twin = twin_from_preset(preset, n=4, seed=1)
    model = model_of(twin)
    base = simulate(model, twin.ensemble)
    res = run_scenarios(model, base, [TAVI])
    return list(prepared_table(twin, base, res, [TAVI]).table.metrics)


def test_no_leak_row_for_a_competent_valve_and_one_for_a_leaking_one():
    healthy = _rows("moderate_as")
    assert "MR_fraction" not in healthy and {"CO", "LVEDP", "AV_mean_gradient"} <= set(healthy)
    assert "VAD_flow" not in healthy
    assert "MR_fraction" in _rows("severe_mr")
