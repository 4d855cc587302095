"""Throughput of the richer four_chamber_eoa 2.0 (exponential filling, Weissler timing,
force–frequency) against model 1.0 (four_chamber_v1), side by side in one run: the added
physiology may cost at most 1.5× (issue 12). Also the evidence-table run time.

Run: ``pytest tests/benchmarks/test_bench_model_v2.py --benchmark-enable -s``.
"""

from __future__ import annotations

import numpy as np

from tests.benchmarks.timing import best_of
from twinviewer.physiology import (
    Settings,
    four_chamber,
    four_chamber_v1,
    get_preset,
    sample_prior,
    simulate,
)

N = 1000
BEATS = 5


def _ensemble(model, seed=0):
    return sample_prior(model, N, base=model.default_vector(), seed=seed)


def test_richer_model_throughput_vs_v1(benchmark):
    fixed = Settings(min_beats=BEATS, max_beats=BEATS, coarse_start=False, accelerate=False)
    figures = {}
    for label, model in (("v1.0 (linear filling)", four_chamber_v1.MODEL),
                         ("v2.0 (this model)", four_chamber.MODEL)):
        P = _ensemble(model)
        simulate(model, P[:2], settings=fixed)  # load / compile the kernel
        t = best_of(lambda m=model, P=P: simulate(m, P, settings=fixed), repeats=3)
        figures[label] = N * BEATS / t
    ratio = figures["v1.0 (linear filling)"] / figures["v2.0 (this model)"]
    print("\nmember-beats/s, N = 1000, 400 RK4 steps/beat, same run:")
    for k, v in figures.items():
        print(f"  {k:24s} {v:10.0f}")
    print(f"  v2 costs {ratio:.2f}× v1 (limit 1.5×)")
    assert ratio <= 1.5
    P = _ensemble(four_chamber.MODEL)
    benchmark.pedantic(simulate, args=(four_chamber.MODEL, P), kwargs={"settings": fixed},
                       rounds=1, iterations=1)


def test_cold_start_to_periodic_v1_vs_v2():
    for model in (four_chamber_v1.MODEL, four_chamber.MODEL):
        P = _ensemble(model, seed=1)
        simulate(model, P[:2])
        t = best_of(lambda m=model, P=P: simulate(m, P), repeats=2)
        r = simulate(model, P)
        print(f"\n{model.name} {model.version}: 1000 members cold to periodic {t:.2f} s, "
              f"mean beats {np.mean(r.beats):.1f}, periodic {r.ok.mean():.1%}")


def test_evidence_table_run_time():
    from twinviewer.interventions.evidence_table import pass_rate, run_evidence

    get_preset("healthy")
    t = best_of(run_evidence, repeats=1)
    print(f"\nevidence table: {pass_rate(run_evidence())} (pass, fail, unsourced) in {t:.1f} s")
