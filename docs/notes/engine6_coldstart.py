"""engine6 probe: cold start of 1000 prior members to periodic, v2.2 and v3.0 in one run.

Run from the worktree: ``PYTHONPATH=$PWD python docs/notes/engine6_coldstart.py``. Prints
the best of three process-CPU times (all threads) of the whole ``simulate``, the mean
beats, the fine-beat equivalents per member and the load average.
"""

from __future__ import annotations

import os
import time

from tests.benchmarks.test_bench_engine import fine_beat_equivalents
from twinviewer.physiology import Settings, four_chamber, get_preset, sample_prior, simulate

CASES = (("v2.2 (quasi-steady valves)", four_chamber.QUASI_STEADY_MODEL, True),
         ("v3.0, coarse start", four_chamber.MODEL, True),
         ("v3.0, no coarse start", four_chamber.MODEL, False))


def main(n: int = 1000) -> None:
    print(f"cold start, {n} members, healthy prior (seed 1), load {os.getloadavg()[0]:.1f}")
    for label, model, coarse in CASES:
        P = sample_prior(model, n, base=get_preset("healthy").vector()
                         if model is four_chamber.MODEL else model.default_vector(), seed=1)
        settings = Settings(coarse_start=coarse)
        simulate(model, P[:2], settings=settings)  # load the compiled kernels
        best = (float("inf"), float("inf"))
        for _ in range(3):
            w0, c0 = time.perf_counter(), time.process_time()
            r = simulate(model, P, settings=settings)
            best = min(best, (time.process_time() - c0, time.perf_counter() - w0))
        fbe = fine_beat_equivalents(lambda m=model, P=P, s=settings: simulate(m, P, settings=s))
        print(f"  {label:28s} CPU {best[0]:5.2f} s  wall {best[1]:5.2f} s  beats "
              f"{r.beats.mean():5.2f}  fine-beat eq. {fbe:5.2f}  ok {r.ok.mean():.3f}  "
              f"(load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
