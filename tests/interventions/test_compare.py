"""Scenario runs over the ensemble, paired comparison, ranking and the single-twin path."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions import (
    DIRECTIONS,
    Constraint,
    Goal,
    InterventionError,
    SingleTwinPredictor,
    apply_scenario,
    compare,
    rank,
    run_scenarios,
    scenario_table,
)
from twinviewer.physiology import Cancelled, simulate

from .conftest import one_step


@pytest.fixture(scope="module")
def hfref_runs(ensemble_baseline):
    model, base = ensemble_baseline("hfref", 16)
    scs = [one_step("lvad", "lvad 5000", speed=5000), one_step("lvad", "lvad 7000", speed=7000),
           one_step("beta_blocker", "bb")]
    return model, base, run_scenarios(model, base, scs)


def test_warm_started_scenario_matches_a_cold_start(ensemble_baseline):
    model, base = ensemble_baseline("severe_as", 24)
    sc = one_step("tavi", eoa=1.8)
    warm = run_scenarios(model, base, [sc])["tavi"]
    cold = simulate(model, apply_scenario(model, base.params, sc))
    assert warm.ok.all() and cold.ok.all()
    np.testing.assert_allclose(warm.metrics["LVEDP"], cold.metrics["LVEDP"], atol=0.1)
    np.testing.assert_allclose(warm.metrics["CO"], cold.metrics["CO"], atol=0.01)
    assert warm.beats.mean() <= cold.beats.mean()


def test_differences_are_paired_member_by_member(hfref_runs):
    _, base, res = hfref_runs
    c = compare(base, res["lvad 7000"], "LVEDP")
    d = res["lvad 7000"].metrics["LVEDP"] - base.metrics["LVEDP"]
    assert c.difference.median == pytest.approx(np.median(d))
    assert c.n_paired == base.n
    tol = DIRECTIONS["LVEDP"].tol
    from twinviewer.interventions.compare import harmed

    harm = harmed(res["lvad 7000"]) & ~harmed(base)  # suction: never an improvement
    assert c.improved == pytest.approx(np.mean((-d > tol) & ~harm))
    # Paired interval is narrower than the difference of the marginal intervals.
    assert (c.difference.hi - c.difference.lo) < (c.scenario.hi - c.scenario.lo) + (
        c.baseline.hi - c.baseline.lo)


def test_direction_scores_co_up_and_lvedp_down_as_improvement(hfref_runs):
    _, base, res = hfref_runs
    assert compare(base, res["lvad 7000"], "CO").improved >= 0.9
    assert compare(base, res["bb"], "CO").worsened >= 0.9
    hr = compare(base, res["bb"], "HR")
    assert hr.improved is None and hr.difference.median < 0  # HR has no better direction


def test_scenario_table_lists_all_scenarios_and_serialises(hfref_runs):
    _, base, res = hfref_runs
    t = scenario_table(base, res, ["CO", "LVEDP", "HR"])
    d = t.to_dict()
    assert d["scenarios"] == ["lvad 5000", "lvad 7000", "bb"]
    assert [m["metric"] for m in d["metrics"]] == ["CO", "LVEDP", "HR"]
    assert d["metrics"][0]["unit"] == "L/min"
    text = t.format_text()
    assert "lvad 7000" in text and "improves in" in text


def test_ranking_counts_winners_across_the_ensemble(hfref_runs):
    _, base, res = hfref_runs
    goal = Goal.parse("min LVEDP; CO>=4")
    r = rank(base, res, goal)
    assert set(r.best) == {"baseline", "lvad 5000", "lvad 7000", "bb"}
    assert sum(r.best.values()) + r.none_feasible == pytest.approx(1.0)
    assert r.ordered()[0][0] == "lvad 7000"
    assert r.median_best == "lvad 7000"
    # A constraint nobody meets leaves no feasible option.
    r2 = rank(base, res, Goal.parse("min LVEDP; CO>=50"))
    assert r2.none_feasible == 1.0 and r2.median_best is None
    # Maximising output without constraint also prefers the faster pump.
    assert rank(base, res, Goal("CO", "max")).ordered()[0][0] == "lvad 7000"
    assert not r.verdict  # options that differ are ranked, with no "no difference" verdict


def test_options_that_tie_everywhere_are_said_to_tie(hfref_runs):
    """Identical options (e.g. valves that change only the gradient, ranked by LVEDP) are not
    presented as a ranking."""
    _, base, res = hfref_runs
    same = {f"copy {i}": base.subset(np.arange(base.n)) for i in range(3)}
    r = rank(base, same, Goal.parse("min LVEDP"))
    assert r.undecided == 1.0 and "no real difference" in r.verdict
    assert "no real difference" in r.format_text().splitlines()[1]


@pytest.mark.parametrize("text, pattern", [
    ("", "empty goal"),
    ("lower LVEDP", "start with 'min METRIC'"),
    ("min LVEDPX", "unknown metric 'LVEDPX'"),
    ("min LVEDP; CO>4", "write METRIC>=VALUE"),
    ("min LVEDP; XX>=4", "unknown metric 'XX'"),
])
def test_bad_goals_are_refused(text, pattern):
    with pytest.raises(InterventionError, match=pattern):
        Goal.parse(text)


def test_bad_scenario_lists_fail_before_simulating(ensemble_baseline):
    model, base = ensemble_baseline("hfref", 16)
    calls = []
    progress = lambda f, t: calls.append(f)  # noqa: E731
    with pytest.raises(InterventionError, match="distinct"):
        run_scenarios(model, base, [one_step("lvad"), one_step("lvad")])
    with pytest.raises(InterventionError, match="reserved"):
        run_scenarios(model, base, [one_step("lvad", "baseline")])
    with pytest.raises(InterventionError, match=r"step 1: lvad: setting 'speed'"):
        run_scenarios(model, base, [one_step("inotrope"), one_step("lvad", "x", speed=100)],
                      progress=progress)
    assert calls == []


def test_cancel_stops_a_run(ensemble_baseline):
    model, base = ensemble_baseline("hfref", 16)
    with pytest.raises(Cancelled):
        run_scenarios(model, base, [one_step("lvad")], cancel=lambda: True)


def test_progress_reaches_one(ensemble_baseline):
    model, base = ensemble_baseline("hfref", 16)
    seen = []
    run_scenarios(model, base, [one_step("lvad"), one_step("inotrope")],
                  progress=lambda f, t: seen.append((f, t)))
    assert seen[-1][0] == pytest.approx(1.0) and "inotrope" in seen[-1][1]


def test_mismatched_members_cannot_be_paired(hfref_runs):
    _, base, res = hfref_runs
    with pytest.raises(InterventionError, match="cannot pair"):
        compare(base, res["bb"].subset(slice(0, 4)), "CO")
    with pytest.raises(InterventionError, match="unknown metric"):
        compare(base, res["bb"], "NOPE")


def test_single_twin_path_matches_the_ensemble_path(point_baseline):
    model, v, base = point_baseline("severe_as")
    fast = SingleTwinPredictor(model, v, base.final_state[0])
    sc = Scenario("s", (InterventionStep("tavi_sapien3", {"size": 26}),))
    r = fast.predict(sc)
    ref = simulate(model, apply_scenario(model, v, sc, point=True))
    assert r.metrics["AV_mean_gradient"][0] == pytest.approx(
        ref.metrics["AV_mean_gradient"][0], abs=0.05)
    # Successive slider values continue from the previous cycle and stay consistent.
    for eoa in (1.5, 1.6, 1.7):
        r = fast.predict(Scenario("s", (InterventionStep("tavi", {"eoa": eoa}),)))
        assert r.ok[0]
    ref = simulate(model, apply_scenario(
        model, v, Scenario("s", (InterventionStep("tavi", {"eoa": 1.7}),)), point=True))
    # Both are periodic to the engine's tolerance, i.e. within about 0.2 mmHg of the exact
    # cycle (simulate.Settings); here the continued path is the closer one (0.02 vs 0.13
    # mmHg from a 100× tighter run, physio6).
    assert r.metrics["LVSP"][0] == pytest.approx(ref.metrics["LVSP"][0], abs=0.2)


def test_single_twin_path_simulates_its_own_baseline_when_not_given(point_baseline):
    model, v, base = point_baseline("healthy")
    fast = SingleTwinPredictor(model, v)
    assert fast.baseline is not None
    assert fast.baseline.metrics["CO"][0] == pytest.approx(base.metrics["CO"][0], abs=0.01)


def test_ranking_names_a_metric_the_model_does_not_compute(point_baseline):
    _, _, res = point_baseline("regazzoni2022")
    with pytest.raises(InterventionError, match=r"model regazzoni2022 does not compute "
                                                r"AV_peak_velocity"):
        rank(res, {"same": res}, Goal("AV_peak_velocity", "min"))
    with pytest.raises(InterventionError, match=r"regazzoni2022 does not compute "
                                                r"AV_peak_velocity"):
        rank(res, {"same": res}, Goal("CO", "max", (Constraint("AV_peak_velocity", "<=", 3),)))


def test_median_best_never_picks_an_option_without_a_finite_median(hfref_runs):
    _, base, res = hfref_runs
    broken = res["bb"].subset(np.arange(res["bb"].n))
    broken.metrics["LVEDP"] = np.full(broken.n, np.nan)
    r = rank(base, {"broken": broken, "lvad 7000": res["lvad 7000"]}, Goal("LVEDP", "min"))
    assert r.median_best == "lvad 7000" and r.best["broken"] == 0.0


def test_suction_is_harm_not_improvement(ensemble_baseline):
    """An LVAD speed that sucks the ventricle down lowers LAP below zero: those twins count as
    worsened, never improved, and the option is not a feasible win in a goal ranking."""
    from twinviewer.interventions.compare import harmed

    model, base = ensemble_baseline("hfref", 16)
    res = run_scenarios(model, base, [one_step("lvad", "fast", speed=8000),
                                      one_step("lvad", "slow", speed=4000)])
    harm = harmed(res["fast"]) & base.ok & res["fast"].ok
    assert harm.mean() >= 0.3  # the reviewer saw suction in 94 % at 8000 rpm
    c = compare(base, res["fast"], "LAP")
    assert c.improved <= 1.0 - harm.mean() + 1e-9 and c.worsened >= harm.mean() - 1e-9
    r = rank(base, res, Goal.parse("min LAP"))
    assert r.feasible["fast"] <= 1.0 - harm.mean() + 1e-9
    assert r.median_best != "fast" or r.best["fast"] < 0.5


def test_improves_never_counts_a_leak_or_lower_flow_as_benefit(ensemble_baseline):
    """Review9 #10: TAVI with a grade-3 paravalvular leak raised LVEF "in 100 %" (the rise
    is ejection into the leak), and a beta-blocker in severe AS lowered the mean gradient
    "in 78 %" (lower flow, the same valve). Neither is counted as improvement; the qualifier
    is said in the table; a TAVI without a leak still improves LVEF's gradient honestly."""
    from twinviewer.interventions.compare import (
        AT_EQUAL_FLOW,
        paired_improvement,
        scenario_valve_areas,
        uncredited_members,
    )

    model, base = ensemble_baseline("severe_as", 12)
    scs = [one_step("tavi_sapien3", "leak", size=26, pvl=3),
           one_step("tavi_sapien3", "tavi", size=26, pvl=0),
           one_step("beta_blocker", "bb", dose=5)]
    runs = run_scenarios(model, base, scs)
    leak = compare(base, runs["leak"], "LVEF")
    d = np.asarray(leak.difference.median)
    assert d > 1.0  # LVEF rises with the leak ...
    assert leak.improved == 0.0 and "regurgitation" in leak.qualifier  # ... not credited
    grad = compare(base, runs["tavi"], "AV_mean_gradient")
    assert grad.improved > 0.9 and not grad.qualifier  # a wider valve is benefit
    bb = compare(base, runs["bb"], "AV_mean_gradient")
    mask = base.ok & runs["bb"].ok
    fell = np.mean(runs["bb"].metrics["AV_mean_gradient"][mask]
                   < base.metrics["AV_mean_gradient"][mask] - 1.0)
    assert fell > 0.5  # the gradient falls in most twins: lower flow ...
    assert bb.improved <= 0.1 and "lower flow" in bb.qualifier  # ... not a wider valve
    assert AT_EQUAL_FLOW["AV_mean_gradient"] == ("AV", 2)
    # stored results (no parameters): judged from the scenario's steps, the same answers
    # (the same twins not credited: g17a, a leak's LVEF of 82 % is outside the validated
    # range, so that twin's gradient fall is not credited either)
    for sc in scs:
        areas = scenario_valve_areas(sc, int(mask.sum()))
        live = compare(base, runs[sc.name], "AV_mean_gradient")
        stored = paired_improvement(
            "AV_mean_gradient", {k: v[mask] for k, v in base.metrics.items()},
            {k: v[mask] for k, v in runs[sc.name].metrics.items()},
            uncredited_members("AV_mean_gradient", base, runs[sc.name])[mask], areas)
        assert stored[0] == pytest.approx(live.improved, abs=0.1), sc.name
    text = scenario_table(base, runs, ("LVEF", "AV_mean_gradient")).format_text()
    assert "(an LVEF rise with regurgitation up > 5 mL/beat" in text
    assert "(a fall that comes only from lower flow" in text
    assert scenario_table(base, runs, ("LVEF",)).to_dict()["metrics"][0]["scenarios"][
        "leak"]["qualifier"]
