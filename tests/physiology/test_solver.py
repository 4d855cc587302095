"""The ensemble integrator: paths agree, volume is conserved, failures are per member."""

import numpy as np
import pytest

from twinviewer.physiology import Cancelled, Settings, get_preset, sample_prior, simulate
from twinviewer.physiology import integrator as ig


@pytest.fixture(scope="module")
def healthy():
    return get_preset("healthy")


def test_numpy_path_gives_the_same_answer(healthy):
    P = sample_prior(healthy.model, 8, base=healthy.vector(), seed=3)
    a = simulate(healthy.model, P, settings=Settings(method="numba"))
    b = simulate(healthy.model, P, settings=Settings(method="numpy"))
    np.testing.assert_array_equal(a.beats, b.beats)
    for name in ("LVEDV", "SBP", "LVEDP", "CO", "AV_mean_gradient"):
        np.testing.assert_allclose(a.metrics[name], b.metrics[name], rtol=1e-9, atol=1e-9)


def test_blood_volume_is_conserved(healthy):
    model = healthy.model
    P = sample_prior(model, 16, base=healthy.vector(), seed=1)
    r = simulate(model, P)
    assert r.ok.all()
    v_end = model.conserved_volume(r.final_state, P)
    np.testing.assert_allclose(v_end, P[:, model.index("V_total")], rtol=1e-9)
    # and along the recorded beat
    y = np.stack([r.series[s][0] for s in model.state_names], axis=1)
    v_beat = model.conserved_volume(y, np.repeat(P[:1], y.shape[0], axis=0))
    assert np.ptp(v_beat) < 1e-8 * v_beat[0]


def test_result_is_periodic_within_tolerance(healthy):
    r = simulate(healthy.model, healthy.vector())
    start = np.array([r.series[s][0, 0] for s in healthy.model.state_names])
    atol = np.array([s.atol for s in healthy.model.states])
    assert r.status[0] == ig.PERIODIC
    assert np.all(np.abs(r.final_state[0] - start) <= atol)


def test_warm_start_needs_fewer_beats(healthy):
    model = healthy.model
    base = simulate(model, healthy.vector())
    p = healthy.vector()
    p[model.index("AV.EOA")] = 2.5
    cold = simulate(model, p)
    warm = simulate(model, p, warm_start=base.final_state)
    # The default model's cold start has no coarse passes (split step), so a cold start from
    # the template (the defaults' own limit cycle) is already short: a nearby warm start
    # needs no more beats, and a start on the member's own limit cycle only the minimum.
    assert warm.beats[0] <= cold.beats[0]
    assert warm.metrics["LVEDV"][0] == pytest.approx(cold.metrics["LVEDV"][0], abs=0.1)
    again = simulate(model, p, warm_start=warm.final_state)
    assert again.beats[0] == Settings().min_beats < cold.beats[0]


def test_invalid_member_is_named_and_others_still_return(healthy):
    model = healthy.model
    P = np.tile(healthy.vector(), (3, 1))
    P[1, model.index("LV.EA")] = -1.0
    P[2, model.index("AV.EOA")] = 0.0
    r = simulate(model, P)
    assert r.ok.tolist() == [True, False, False]
    assert "member 1" in r.messages[1] and "LV.EA = -1" in r.messages[1]
    assert "member 2" in r.messages[2] and "AV.EOA = 0" in r.messages[2]
    assert np.isfinite(r.metrics["LVEF"][0]) and np.isnan(r.metrics["LVEF"][1])


def test_nan_parameter_is_refused(healthy):
    P = healthy.vector()
    P[0] = np.nan
    r = simulate(healthy.model, P)
    assert not r.ok[0] and "HR = nan is not a finite number" in r.messages[0]


def test_not_periodic_is_reported_not_assumed(healthy):
    # The cold start is the default heart's own limit cycle (it may confirm within 2 beats):
    # a member far from it cannot.
    v = healthy.vector()
    v[healthy.model.index("HR")] = 110.0
    v[healthy.model.index("V_total")] *= 1.4
    r = simulate(healthy.model, v, settings=Settings(max_beats=2))
    assert r.status[0] == ig.NOT_PERIODIC
    assert "no periodic state within 2 beats" in r.messages[0]
    assert np.isnan(r.metrics["LVEF"][0])


@pytest.mark.parametrize("method", ["numba", "numpy"])
def test_divergence_is_caught_per_member(healthy, method):
    # 8 RK4 steps per beat is far beyond the stability limit: the state blows up.
    P = np.tile(healthy.vector(), (2, 1))
    r = simulate(healthy.model, P, settings=Settings(steps_per_beat=8, samples_per_beat=8,
                                                     method=method))
    assert (r.status == ig.DIVERGED).all()
    assert "diverged" in r.messages[0] and "member 0" in r.messages[0]


def test_cancel_stops_between_chunks(healthy):
    P = np.tile(healthy.vector(), (4, 1))
    with pytest.raises(Cancelled):
        simulate(healthy.model, P, cancel=lambda: True, chunk=2)


def test_progress_is_reported(healthy):
    seen = []
    simulate(healthy.model, np.tile(healthy.vector(), (4, 1)), chunk=2,
             progress=lambda f, text: seen.append(f))
    assert seen == [0.5, 1.0]


def test_summary_gives_median_and_interval(healthy):
    P = sample_prior(healthy.model, 64, base=healthy.vector(), seed=2)
    r = simulate(healthy.model, P)
    med, lo, hi = r.summary("MAP")
    assert lo < med < hi
    assert r.unit("MAP") == "mmHg" and r.unit("p_LV") == "mmHg"


def test_wrong_parameter_count_is_refused(healthy):
    with pytest.raises(ValueError, match="expected"):
        simulate(healthy.model, np.ones(3))


def test_periodic_solution_is_close_to_the_exact_one():
    """The stop test bounds the cycle-to-cycle change; the distance to the exact periodic
    solution (a 100× tighter tolerance, no extrapolation) stays within 0.5 mL / 0.5 mmHg, with
    and without beat-to-beat extrapolation, after a large change (LVAD on in HFrEF)."""
    import dataclasses

    preset = get_preset("hfref")
    model = preset.model
    P = sample_prior(model, 12, base=preset.vector(), seed=4)
    base = simulate(model, P)
    S = P.copy()
    S[:, model.index("VAD.speed")] = 6.0
    tight = dataclasses.replace(model, states=tuple(
        dataclasses.replace(s, atol=s.atol * 0.01) for s in model.states))
    truth = simulate(tight, S, warm_start=base.final_state,
                     settings=Settings(accelerate=False, max_beats=800))
    assert truth.ok.all()
    for accelerate in (False, True):
        r = simulate(model, S, warm_start=base.final_state,
                     settings=Settings(accelerate=accelerate))
        for name in ("LVEDV", "LVESV", "SBP", "DBP", "LVEDP", "LAP"):
            assert np.nanmax(np.abs(r.metrics[name] - truth.metrics[name])) < 0.5, name
    fast = simulate(model, S, warm_start=base.final_state, settings=Settings(accelerate=True))
    slow = simulate(model, S, warm_start=base.final_state, settings=Settings(accelerate=False))
    assert fast.beats.mean() < 0.75 * slow.beats.mean()


def test_warm_start_of_the_wrong_shape_is_refused(healthy):
    n = len(healthy.model.states)
    with pytest.raises(ValueError, match=rf"warm_start must have shape \(1, {n}\)"):
        simulate(healthy.model, healthy.vector(), warm_start=np.zeros((2, n)))
