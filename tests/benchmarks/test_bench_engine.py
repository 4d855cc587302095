"""Engine throughput, side by side with the peers in one run (ratios, not absolute times).

* svZeroDSolver (``svzerod``) on its Regazzoni-type ``closed_loop_two_hill`` case, at 150
  points per beat and at the file's 689; its beats per second vs ours for a 1000-member
  ensemble of the same loop *structure* (Regazzoni 2022 preset). This is a structural
  comparison only: the fair one (the same case, equal accuracy, ``Solver.run`` alone, both
  thread counts) is ``test_bench_svzerod_fair.py``, whose figures are the ones to quote.
* ``circulation`` (pure-Python Regazzoni 2020, forward Euler 1 ms), one beat.
* Targets (issue 20): a 1000-member ensemble from cold start to periodic steady state in
  ≤ 0.5 s; a single twin's what-if from a warm start in ≤ 20 ms.

Run: ``pytest tests/benchmarks/test_bench_engine.py --benchmark-enable -s``. The summary
test prints the table of ratios.
"""

from __future__ import annotations

import importlib
import json
import os
import time
from pathlib import Path

import pytest

from tests.benchmarks.timing import best_of
from twinviewer.physiology import Settings, get_preset, sample_prior, simulate

CASE = Path(__file__).resolve().parents[1] / "data" / "svzerodsolver" / "cases" / \
    "closed_loop_two_hill.json"
FIGURES: dict[str, float] = {}




def test_engine_member_beats_per_second(benchmark):
    preset = get_preset("regazzoni2022")
    P = sample_prior(preset.model, 1000, base=preset.vector(), seed=0)
    beats = 5
    fixed = Settings(min_beats=beats, max_beats=beats)
    t = best_of(lambda: simulate(preset.model, P, settings=fixed), repeats=3)
    FIGURES["engine member-beats/s (N=1000, 400 steps/beat)"] = 1000 * beats / t
    benchmark.pedantic(simulate, args=(preset.model, P), kwargs={"settings": fixed},
                       rounds=1, iterations=1)


@pytest.mark.parametrize("points", [150, 689])
def test_svzerod_beats_per_second(points, benchmark):
    svzerod = pytest.importorskip("svzerod")
    cfg = json.loads(CASE.read_text())
    cfg["simulation_parameters"]["number_of_time_pts_per_cardiac_cycle"] = points
    beats = cfg["simulation_parameters"]["number_of_cardiac_cycles"]
    t = best_of(lambda: svzerod.simulate(cfg))
    FIGURES[f"svzerod beats/s ({points} points/beat)"] = beats / t
    benchmark.pedantic(svzerod.simulate, args=(cfg,), rounds=1, iterations=1)


def test_circulation_beats_per_second(tmp_path, benchmark):
    pytest.importorskip("circulation")
    import logging

    from circulation.regazzoni2020 import Regazzoni2020

    logging.disable(logging.CRITICAL)
    model = Regazzoni2020(outdir=tmp_path)
    t = best_of(lambda: model.solve(num_beats=1), repeats=2)
    FIGURES["circulation beats/s (forward Euler 1 ms)"] = 1.0 / t
    benchmark.pedantic(model.solve, kwargs={"num_beats": 1}, rounds=1, iterations=1)


def fine_beat_equivalents(run) -> float:
    """Beats integrated per member by ``run()``, each weighted by its steps per beat / 400:
    a cost that does not depend on the machine's load."""
    sim = importlib.import_module("twinviewer.physiology.simulate")
    original = sim.ig.integrate_to_periodic
    total = [0.0]

    def counting(*args, **kwargs):
        out = original(*args, **kwargs)
        total[0] += float(out[1].sum()) * kwargs["steps"] / 400.0
        return out

    sim.ig.integrate_to_periodic = counting
    try:
        n = run().n
    finally:
        sim.ig.integrate_to_periodic = original
    return total[0] / n


def test_cold_start_1000_members_to_periodic(benchmark):
    # What the user waits for: the whole simulate() of 1000 cold members (checks,
    # integration, outputs, metrics), with the compiled kernel already loaded from the cache,
    # at the default model's own steps per beat (chosen by accuracy, ModelSpec.steps_per_beat;
    # test_bench_model_v2 compares it with the quasi-steady 2.2 at 2.2's own, equal accuracy).
    preset = get_preset("healthy")
    P = sample_prior(preset.model, 1000, base=preset.vector(), seed=1)
    simulate(preset.model, P[:2])  # load the compiled kernel
    best = (float("inf"), float("inf"))
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        r = simulate(preset.model, P)
        best = min(best, (time.perf_counter() - t0, time.process_time() - c0))
    FIGURES["cold start, 1000 members to periodic steady state (s)"] = best[0]
    FIGURES["  process CPU of that run (s, all threads)"] = best[1]
    FIGURES["  load average (1 min) while measured"] = os.getloadavg()[0]
    FIGURES["  mean beats to periodic"] = float(r.beats.mean())
    FIGURES["  fine-beat equivalents per member"] = fine_beat_equivalents(
        lambda: simulate(preset.model, P))
    fast = Settings(steps_per_beat=200, samples_per_beat=100)
    FIGURES["  same with 200 steps/beat (s)"] = best_of(
        lambda: simulate(preset.model, P, settings=fast), repeats=2)
    benchmark.pedantic(simulate, args=(preset.model, P), rounds=1, iterations=1)


def test_single_twin_what_if_from_warm_start(benchmark):
    preset = get_preset("severe_as")
    model = preset.model
    base = simulate(model, preset.vector())
    p = preset.vector()
    p[model.index("AV.EOA")] = 1.8
    t = best_of(lambda: simulate(model, p, warm_start=base.final_state), repeats=10)
    FIGURES["single-twin what-if from warm start (ms)"] = 1000 * t
    benchmark.pedantic(simulate, args=(model, p), kwargs={"warm_start": base.final_state},
                       rounds=3, iterations=1)


def test_summary():
    ours = FIGURES.get("engine member-beats/s (N=1000, 400 steps/beat)")
    lines = [f"{k:58s} {v:12.4g}" for k, v in FIGURES.items()]
    for key in [k for k in FIGURES if k.startswith(("svzerod", "circulation"))]:
        if ours:
            lines.append(f"ratio engine / {key:41s} {ours / FIGURES[key]:12.4g}")
    print("\n" + "\n".join(lines))
