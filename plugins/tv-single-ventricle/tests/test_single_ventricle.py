"""The single-ventricle plugin meets the model contract and gives textbook resting values."""

from __future__ import annotations

import numpy as np
import pytest
from tv_single_ventricle.model import MODEL

from twinviewer.physiology.simulate import Settings, simulate
from twinviewer.plugins.roles import role_metrics
from twinviewer.testing import (  # noqa: F401 (fixtures, as a plugin author uses them)
    assert_model,
    check_model,
    plugin_config,
    plugin_registry,
)


def test_contract():
    assert_model(MODEL, members=4)


def test_resting_values_are_textbook():
    """Healthy adult at rest (Guyton & Hall, Textbook of Medical Physiology, ch. 9 and 15):
    stroke volume ≈ 70 mL, EF 50–70 %, cardiac output ≈ 5 L/min, BP about 120/80."""
    r = simulate(MODEL, MODEL.default_vector(), settings=Settings(method="numpy"))
    assert r.ok.all()
    m = role_metrics(r.series, dict(MODEL.roles), np.array([60.0 / 75.0]))
    assert 60 <= m["LVSV"][0] <= 90
    assert 50 <= m["LVEF"][0] <= 70
    assert 4.0 <= m["CO"][0] <= 6.5
    assert 100 <= m["SBP"][0] <= 145 and 60 <= m["DBP"][0] <= 95
    # Windkessel steady state: mean outflow = (mean P_AR − mean P_VEN) / R, the
    # mass balance of the compliance over a periodic beat.
    q = r.series["Q_OUT"][0].mean()
    dp = r.series["P_AR"][0].mean() - r.series["P_VEN"][0].mean()
    assert q == pytest.approx(dp / MODEL.vector()[MODEL.index("WK.R")], rel=0.02)


def test_contract_check_catches_a_leaking_loop():
    from dataclasses import replace

    def leaky(t, y, p, dydt):
        MODEL.rhs(t, y, p, dydt)
        dydt[2] -= 5.0  # 5 mL/s lost from the veins

    problems = check_model(replace(MODEL, name="leaky", rhs=leaky), members=2)
    assert any("conserve" in p or "periodic" in p for p in problems)


@pytest.mark.slow
def test_runs_as_an_installed_plugin_in_a_worker(plugin_registry):  # noqa: F811
    from twinviewer.twins import simulate_twin, twin_from_preset

    reg = plugin_registry()
    assert reg.plugins["tv-single-ventricle"].status == "enabled"
    twin = twin_from_preset("teaching_single_ventricle", n=8)
    r = simulate_twin(twin)
    assert r.ok.all()
    med, lo, hi = r.summary("LVEF")
    assert lo < med < hi and 45 < med < 70


@pytest.mark.slow
def test_simulate_command_says_what_the_model_cannot_provide(plugin_registry, capsys):  # noqa: F811
    from twinviewer.cli import main

    plugin_registry()
    assert main(["simulate", "--preset", "teaching_single_ventricle", "--ensemble", "5"]) == 0
    out = capsys.readouterr().out
    assert "LV ejection fraction (LVEF)" in out and "Not provided by this model" in out
    assert "LAP" in out.split("Not provided by this model")[1]
