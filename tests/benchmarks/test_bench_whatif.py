"""Benchmark: what-if scenarios over a 200-member ensemble and the interactive slider path.

Targets: a what-if over 200 members from the baseline warm start in ≤ 0.5 s; a single-twin
slider update rate ≥ 20 per second. Side by side in the same run:

* the same scenario started cold (ratio warm / cold), and
* svZeroDSolver (the named peer, REFERENCE.md) on its ``closed_loop_two_hill`` case, timed
  per beat here and scaled to the member-beats our run needed (ratio ours / peer-equivalent).
  svzerod has no ensembles or periodic-state detection, so the scaled figure is the cost of
  integrating the same number of beats one model at a time.

Run with ``pytest tests/benchmarks/test_bench_whatif.py --benchmark-enable -s``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions import SingleTwinPredictor, apply_scenario, run_scenarios
from twinviewer.physiology import get_preset, simulate
from twinviewer.twins import model_of, twin_from_preset

N = 200
CASE = Path(__file__).resolve().parents[1] / "data" / "svzerodsolver" / "cases" / \
    "closed_loop_two_hill.json"

CASES = {
    "tavi": ("severe_as", InterventionStep("tavi", {"eoa": 1.8})),
    "mitral_teer": ("severe_mr", InterventionStep("mitral_teer", {})),
    "beta_blocker": ("healthy", InterventionStep("beta_blocker", {"dose": 5})),
    "lvad": ("hfref", InterventionStep("lvad", {"speed": 6000})),
}


def _svzerod_seconds_per_beat() -> float | None:
    try:
        import svzerod
    except ImportError:
        return None
    cfg = json.loads(CASE.read_text())
    cfg["simulation_parameters"]["number_of_time_pts_per_cardiac_cycle"] = 200
    cycles = cfg["simulation_parameters"].get("number_of_cardiac_cycles", 3)
    svzerod.simulate(cfg)
    best = min(_time(lambda: svzerod.simulate(cfg)) for _ in range(5))
    return best / cycles


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


@pytest.fixture(scope="module")
def peer_per_beat():
    return _svzerod_seconds_per_beat()


@pytest.mark.parametrize("name", list(CASES))
def test_whatif_200_members_from_warm_start(name, benchmark, peer_per_beat):
    preset, step = CASES[name]
    twin = twin_from_preset(preset, n=N, seed=0)
    model = model_of(twin)
    base = simulate(model, twin.ensemble)
    sc = Scenario(name, (step,))
    run_scenarios(model, base, [sc])  # warm-up (kernel load)
    warm = min(_time(lambda: run_scenarios(model, base, [sc])) for _ in range(3))
    res = run_scenarios(model, base, [sc])[name]
    P = apply_scenario(model, base.params, sc)
    cold = min(_time(lambda: simulate(model, P)) for _ in range(2))
    member_beats = int(res.beats.sum())
    info = {"members": N, "warm_s": warm, "cold_s": cold, "ratio_warm_over_cold": warm / cold,
            "mean_beats_warm": float(res.beats.mean()), "max_beats_warm": int(res.beats.max()),
            "target_s": 0.5}
    line = (f"\n{name} on {preset}, {N} members: warm {warm:.3f} s (mean "
            f"{res.beats.mean():.1f} beats, max {res.beats.max()}), cold {cold:.3f} s, "
            f"warm/cold {warm / cold:.2f}, target 0.5 s")
    if peer_per_beat is not None:
        peer = peer_per_beat * member_beats
        info.update({"svzerod_equivalent_s": peer, "ratio_ours_over_svzerod": warm / peer})
        line += f"; svzerod-equivalent {peer:.2f} s (ratio {warm / peer:.3f})"
    benchmark.extra_info.update(info)
    print(line)
    benchmark.pedantic(run_scenarios, args=(model, base, [sc]), rounds=3, iterations=1)


@pytest.mark.parametrize("preset, name, setting, values", [
    ("severe_as", "tavi", "eoa", np.round(np.arange(1.2, 2.21, 0.02), 2)),
    ("hfref", "lvad", "speed", np.arange(5000.0, 7001.0, 40.0)),
    ("healthy", "pacing", "rate", np.arange(60.0, 111.0, 1.0)),
])
def test_slider_updates_per_second(preset, name, setting, values, benchmark, peer_per_beat):
    p = get_preset(preset)
    base = simulate(p.model, p.vector())
    fast = SingleTwinPredictor(p.model, p.vector(), base.final_state[0])
    fast.predict(Scenario(name, (InterventionStep(name, {setting: float(values[0])}),)))

    beats = []

    def sweep():
        for v in values:
            r = fast.predict(Scenario(name, (InterventionStep(name, {setting: float(v)}),)))
            beats.append(int(r.beats[0]))

    elapsed = _time(sweep)
    rate = len(values) / elapsed
    info = {"updates": len(values), "updates_per_s": rate, "target_per_s": 20,
            "mean_beats": float(np.mean(beats))}
    line = (f"\nslider {name}.{setting} on {preset}: {rate:.0f} updates/s "
            f"({np.mean(beats):.1f} beats each), target 20/s")
    if peer_per_beat is not None:
        peer_rate = 1.0 / (peer_per_beat * np.mean(beats))
        info.update({"svzerod_equivalent_per_s": peer_rate, "ratio_ours_over_svzerod":
                     rate / peer_rate})
        line += f"; svzerod-equivalent {peer_rate:.0f}/s (ratio {rate / peer_rate:.2f})"
    benchmark.extra_info.update(info)
    print(line)
    assert rate >= 20
    benchmark.pedantic(sweep, rounds=1, iterations=1)
