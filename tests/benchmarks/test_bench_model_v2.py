"""Throughput of the richer four_chamber_eoa (2.2: exponential filling, Weissler timing,
force–frequency, quasi-steady valves; 3.0, the default: the same plus valves with inertance
and opening states, advanced by the engine's split step; 3.1: 3.0 with the LV's source
resistance) and of four_chamber_valves (3.0 with the valve constants as parameters) against
model 1.0 (four_chamber_v1), side by side in one run: the added physiology may cost at most
1.5× (issue 12), 3.0 at most 1.5× of 2.2 and 3.1 at most 1.5× of 3.0. Wall and
CPU time are both printed (the machine is shared). Also the evidence-table run time.

Every model runs at its own steps per beat (``ModelSpec.steps_per_beat``), chosen by
accuracy: the fewest steps at which its periodic metrics are within the engine's documented
0.2 mmHg / 0.3 mL of a Radau reference (tests/physiology/test_step_accuracy.py; 2.2: 200,
3.0: 400; models not checked that way: 400). So the models are compared at equal accuracy,
not at equal steps.

Run: ``pytest tests/benchmarks/test_bench_model_v2.py --benchmark-enable -s``.
"""

from __future__ import annotations

import os
import resource
import time

import numpy as np

from tests.benchmarks.timing import best_of
from twinviewer.physiology import (
    Settings,
    four_chamber,
    four_chamber_v1,
    four_chamber_valves,
    get_preset,
    sample_prior,
    simulate,
)

N = 1000
BEATS = 5


def _ensemble(model, seed=0):
    return sample_prior(model, N, base=model.default_vector(), seed=seed)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _timed(func) -> tuple[float, float]:
    """(best wall, best CPU) of three calls after a warm-up."""
    func()
    wall = cpu = float("inf")
    for _ in range(3):
        w0, c0 = time.perf_counter(), _cpu()
        func()
        wall, cpu = min(wall, time.perf_counter() - w0), min(cpu, _cpu() - c0)
    return wall, cpu


MODELS = (("v1.0 (linear filling)", four_chamber_v1.MODEL),
          ("v2.2 (quasi-steady valves)", four_chamber.QUASI_STEADY_MODEL),
          ("v3.0 (no source resistance)", four_chamber.MODEL_V3_0),
          ("v3.0, valve parameters", four_chamber_valves.MODEL),
          ("v3.1 (this default)", four_chamber.MODEL))


def test_richer_model_throughput_vs_v1(benchmark):
    fixed = Settings(min_beats=BEATS, max_beats=BEATS, coarse_start=False, accelerate=False)
    figures = {}
    for label, model in MODELS:
        P = _ensemble(model)
        simulate(model, P[:2], settings=fixed)  # load / compile the kernel
        figures[label] = _timed(lambda m=model, P=P: simulate(m, P, settings=fixed))
    v1 = figures[MODELS[0][0]]
    print(f"\nmember-beats/s, N = 1000, each model at its own steps per beat (equal "
          f"accuracy), same run (load average {os.getloadavg()[0]:.1f}):")
    for (k, (wall, cpu)), (_, model) in zip(figures.items(), MODELS, strict=True):
        print(f"  {k:24s} {model.steps_per_beat:4d} steps  {N * BEATS / wall:8.0f} wall  "
              f"{N * BEATS / cpu:8.0f} per CPU-s  "
              f"cost vs v1: {wall / v1[0]:.2f}× wall, {cpu / v1[1]:.2f}× CPU")
    for label, _ in MODELS[1:]:
        assert figures[label][1] / v1[1] <= 1.5, label
    v22, v30 = figures[MODELS[1][0]], figures[MODELS[2][0]]
    v31 = figures[MODELS[4][0]]
    print(f"  v3.0 vs v2.2: {v30[1] / v22[1]:.2f}× CPU; v3.1 vs v3.0: {v31[1] / v30[1]:.2f}× CPU")
    assert v30[1] / v22[1] <= 1.5
    assert v31[1] / v30[1] <= 1.5
    P = _ensemble(four_chamber.MODEL)
    benchmark.pedantic(simulate, args=(four_chamber.MODEL, P), kwargs={"settings": fixed},
                       rounds=1, iterations=1)


def test_cold_start_to_periodic_v1_vs_v2():
    # Issue 20: 1000 members cold to periodic in ≤ 0.5 s (wall on two free cores; on this
    # shared machine CPU time / 2 is the figure to compare).
    for label, model in MODELS:
        P = _ensemble(model, seed=1)
        simulate(model, P[:2])
        wall, cpu = _timed(lambda m=model, P=P: simulate(m, P))
        r = simulate(model, P)
        print(f"\n{label} ({model.steps_per_beat} steps/beat): 1000 members cold to "
              f"periodic {wall:.2f} s wall, {cpu:.2f} s CPU "
              f"(load average {os.getloadavg()[0]:.1f}), mean beats {np.mean(r.beats):.1f}, "
              f"periodic {r.ok.mean():.1%}")


def test_evidence_table_run_time():
    from twinviewer.interventions.evidence_table import pass_rate, run_evidence

    get_preset("healthy")
    t = best_of(run_evidence, repeats=1)
    print(f"\nevidence table: {pass_rate(run_evidence())} (pass, fail, unsourced) in {t:.1f} s")
