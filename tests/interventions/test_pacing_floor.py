"""A paced heart's rate never falls below the pacemaker's lower rate, whatever drug is given
with it and in whichever order (fix14i noticed: a β-blocker listed after pacing slowed a paced
heart below its pacing rate). The drugs act on the heart's own rate; the pacemaker acts last
(``scenario.application_order``)."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions import library
from twinviewer.interventions.compare import run_scenarios
from twinviewer.interventions.constants_digest import scenario_digest
from twinviewer.interventions.drugs import bb_effect
from twinviewer.interventions.intervention import Intervention, Setting, scale
from twinviewer.interventions.scenario import apply_scenario, held_parameters
from twinviewer.physiology import get_preset, simulate

RATE = 70.0
PACE = InterventionStep("pacing", {"rate": RATE, "av_delay": 120.0})
BB = InterventionStep("beta_blocker", {"dose": 15.0})  # HR × 0.78 at the top dose
INO = InterventionStep("inotrope", {"dose": 10.0})


def _members(rates: list[float]) -> tuple[object, np.ndarray]:
    p = get_preset("hfref")
    P = np.repeat(p.vector()[None, :], len(rates), axis=0)
    P[:, p.model.index("HR")] = rates
    return p.model, P


@pytest.mark.parametrize("steps", [(PACE, BB), (BB, PACE)], ids=["pace-bb", "bb-pace"])
def test_a_beta_blocker_never_takes_a_paced_heart_below_the_rate(steps):
    model, P = _members([55.0, 70.0, 80.0, 100.0])
    out = apply_scenario(model, P, Scenario("x", steps), baseline_lvef=30.0)
    hr = out[:, model.index("HR")]
    # own rate × 0.78: 43, 55, 62 → paced at 70; 100 → 78 (faster: tracked, slowed by the drug)
    # 15 mg: the Emax dose–response (review16b #1), 1.034 × the 12 mg HR fall
    assert hr == pytest.approx([70.0, 70.0, 70.0, 100.0 * (1 - bb_effect(15) * (1 - 74 / 90))])
    assert np.all(out[:, model.index("AVD")] == 0.120)


def test_both_orders_give_the_same_parameters():
    model, P = _members([55.0, 70.0, 80.0, 100.0])
    for drug in (BB, INO):
        a = apply_scenario(model, P, Scenario("a", (PACE, drug)), baseline_lvef=30.0)
        b = apply_scenario(model, P, Scenario("b", (drug, PACE)), baseline_lvef=30.0)
        np.testing.assert_array_equal(a, b)


def test_dobutamine_with_pacing_raises_the_own_rate_not_the_paced_one():
    # 60 bpm is paced at 70; dobutamine speeds the sinus node (60 → 60 × (1 + 0.194 × r)),
    # not the pacemaker: below 70 it stays paced at 70 (before: 70 × 1.07 = 75 when listed
    # after pacing)
    model, P = _members([60.0, 90.0])
    out = apply_scenario(model, P, Scenario("x", (PACE, INO)), baseline_lvef=20.0)
    hr = out[:, model.index("HR")]
    rise = 1.0 + 0.194 * 0.365  # β-responsiveness at LVEF 20 %
    assert hr == pytest.approx([70.0, 90.0 * rise], rel=1e-3)


@pytest.mark.parametrize("mode", ["acute", "regulated"])
def test_a_run_holds_the_floor_per_member_in_each_order_and_mode(mode):
    model, P = _members([58.0, 66.0, 74.0, 95.0])
    base = simulate(model, P)
    scs = [Scenario(f"{i}:{mode}", steps, mode) for i, steps in
           enumerate([(PACE, BB), (BB, PACE), (PACE, BB, INO), (INO, BB, PACE)])]
    res = run_scenarios(model, base, scs)
    for sc in scs:
        hr = res[sc.name].params[:, model.index("HR")]
        assert np.all(hr >= RATE), (sc.name, hr)  # the reflex never moves a held HR below
        assert "HR" in held_parameters(sc)
    a, b = (res[f"{i}:{mode}"].params for i in (0, 1))
    np.testing.assert_allclose(a, b)  # the order of the steps no longer matters


def test_a_plugin_rate_lowering_drug_is_floored_too():
    """An ivabradine-like drug (If blocker: slows the sinus node only) from a plug-in."""
    def transform(ctx, P, s):
        scale(ctx, P, ["HR"], 1.0 - s["dose"] / 100.0)
        return P

    iv = Intervention(name="test_ivabradine", title="Ivabradine-like (test)",
                      settings=(Setting("dose", "%", 20.0, (0.0, 50.0), "rate fall"),),
                      description="slows the sinus rate", evidence=(), assumptions=(),
                      transform=transform, parameters=("HR",), main_setting="dose")
    library.register(iv)
    try:
        model, P = _members([60.0, 80.0, 100.0])
        for steps in [(PACE, InterventionStep(iv.name, {"dose": 20.0})),
                      (InterventionStep(iv.name, {"dose": 20.0}), PACE)]:
            out = apply_scenario(model, P, Scenario("x", steps))
            assert out[:, model.index("HR")] == pytest.approx([70.0, 70.0, 80.0])
    finally:
        library.LIBRARY.pop(iv.name, None)


def test_the_pacemakers_av_delay_holds_under_a_drug_that_slows_av_conduction():
    """A plug-in drug that lengthens AV conduction (the model's AVD, e.g. a PR-prolonging
    calcium-channel blocker): with pacing, in either order, the AV delay is the one
    programmed (pacing sets it on every member, as for complete heart block)."""
    def transform(ctx, P, s):
        scale(ctx, P, ["AVD"], 1.0 + s["dose"] / 100.0)
        return P

    iv = Intervention(name="test_av_blocker", title="AV-conduction blocker (test)",
                      settings=(Setting("dose", "%", 50.0, (0.0, 100.0), "AVD rise"),),
                      description="slows AV conduction", evidence=(), assumptions=(),
                      transform=transform, parameters=("AVD",), main_setting="dose")
    library.register(iv)
    try:
        model, P = _members([60.0, 80.0])
        drug = InterventionStep(iv.name, {"dose": 50.0})
        for steps in [(PACE, drug), (drug, PACE)]:
            out = apply_scenario(model, P, Scenario("x", steps))
            assert np.all(out[:, model.index("AVD")] == 0.120)
        alone = apply_scenario(model, P, Scenario("d", (drug,)))
        assert alone[:, model.index("AVD")] == pytest.approx(P[:, model.index("AVD")] * 1.5)
    finally:
        library.LIBRARY.pop(iv.name, None)


def test_pacing_alone_and_a_drug_alone_are_unchanged():
    model, P = _members([60.0, 90.0])
    out = apply_scenario(model, P, Scenario("p", (PACE,)))
    assert out[:, model.index("HR")].tolist() == [70.0, 90.0]
    bb = apply_scenario(model, P, Scenario("b", (BB,)), baseline_lvef=30.0)
    # 15 mg: bb_effect(15) × the 12 mg fall (Emax, review16b #1; was linear, 1.25 ×)
    assert bb[:, model.index("HR")] == pytest.approx(np.array([60.0, 90.0])
                                                     * (1 - bb_effect(15) * 16 / 90))


def test_a_stored_result_of_pacing_with_a_drug_is_not_current_any_more():
    # its numbers changed: the digest names the application order (a pacing-only or a
    # drug-only scenario keeps its digest)
    from twinviewer.interventions import constants_digest

    both = Scenario("x", (PACE, BB))
    assert constants_digest.application_order in _reached(both)
    assert constants_digest.application_order not in _reached(Scenario("p", (PACE,)))
    assert scenario_digest(both) != scenario_digest(Scenario("x", (BB, INO)))


def _reached(scenario):
    """The functions scenario_digest hashes for ``scenario`` (recorded, not recomputed)."""
    from unittest import mock

    from twinviewer.interventions import constants_digest

    seen = []
    real = constants_digest.equation_digest
    with mock.patch.object(constants_digest, "equation_digest",
                           lambda fs: seen.extend(fs) or real(fs)):
        scenario_digest(scenario)
    return seen


def test_every_steps_settings_stay_in_the_digest(monkeypatch):
    """The order's term is added after the steps: each step's setting defaults are still
    hashed, not only the last one's (a first draft of this change moved that line out of
    the loop, and every stored result became out of date)."""
    import dataclasses

    sc = Scenario("x", (InterventionStep("beta_blocker", {"dose": 5.0}),
                        InterventionStep("tavi", {"eoa": 1.8})))
    before = scenario_digest(sc)
    bb = library.LIBRARY["beta_blocker"]
    dose = dataclasses.replace(bb.settings[0], default=9.0)
    monkeypatch.setitem(library.LIBRARY, "beta_blocker",
                        dataclasses.replace(bb, settings=(dose,)))
    assert scenario_digest(sc) != before
