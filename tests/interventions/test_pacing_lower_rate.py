"""A DDD pacemaker's rate is a lower rate: it paces members whose own rate is below it and
never slows a member beating faster (review14b #1: pacing at its default 70 bpm took the
hfref virtual patient's members of 67–100 bpm all to 70)."""

from __future__ import annotations

import numpy as np

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions.compare import run_scenarios
from twinviewer.interventions.devices import PACING
from twinviewer.interventions.scenario import held_parameters
from twinviewer.physiology import get_preset, simulate


def _members(rates: list[float]) -> tuple[object, np.ndarray]:
    p = get_preset("hfref")
    P = np.repeat(p.vector()[None, :], len(rates), axis=0)
    P[:, p.model.index("HR")] = rates
    return p.model, P


def test_members_below_the_rate_are_paced_members_above_keep_theirs():
    model, P = _members([55.0, 67.0, 70.0, 82.0, 100.0])
    out = PACING.apply(model, P, {"rate": 70.0, "av_delay": 120.0})
    hr, avd = model.index("HR"), model.index("AVD")
    assert out[:, hr].tolist() == [70.0, 70.0, 70.0, 82.0, 100.0]
    assert np.all(out[:, avd] == 0.120)  # the AV delay is every member's
    assert P[:, hr].tolist() == [55.0, 67.0, 70.0, 82.0, 100.0]  # the input is untouched


def test_pacing_above_every_member_sets_the_rate_as_before():
    # The evidence rows pace above the intrinsic rate (70 → 110 bpm): unchanged by the fix.
    model, P = _members([62.0, 70.0, 95.0])
    out = PACING.apply(model, P, {"rate": 110.0})
    assert np.all(out[:, model.index("HR")] == 110.0)


def test_a_run_at_a_low_rate_slows_no_member_acute_or_regulated():
    model, P = _members([60.0, 90.0])
    base = simulate(model, P)
    scs = [Scenario(f"p:{m}", (InterventionStep("pacing", {"rate": 70.0}),), m)
           for m in ("acute", "regulated")]
    res = run_scenarios(model, base, scs)
    for sc in scs:
        hr = res[sc.name].params[:, model.index("HR")]
        assert hr.tolist() == [70.0, 90.0], sc.name  # the pacemaker holds HR in both modes
    assert held_parameters(scs[0]) == ("HR",)


def test_the_form_and_the_list_say_it_is_a_lower_rate():
    rate = PACING.setting("rate")
    assert "lower" in rate.description and "keeps its own rate" in rate.description
    assert "never slows" in PACING.description
    assert "overridden" not in PACING.description
