"""engine7 probe: cold start and throughput of model 2.2 and 3.0, each at given steps per beat.

Run from a tree: ``PYTHONPATH=$PWD python docs/notes/engine7_cost.py``. It finds the
models by version in whatever twinviewer is on the path (main: the default model is 2.2;
engine7: 3.0, with 2.2 as ``QUASI_STEADY_MODEL``), so the same script runs on both trees
(``PYTHONPATH=/work/main python .../engine7_cost.py`` for main's 2.2). Prints, per case:
1000 healthy-prior members cold to periodic (best of three process-CPU times of the whole
``simulate``, mean beats, fine-beat equivalents) and the throughput of 5 fixed beats
(member-beats per CPU-s, best of three), with the load average.
"""

from __future__ import annotations

import os
import time

from tests.benchmarks.test_bench_engine import fine_beat_equivalents
from twinviewer.physiology import Settings, four_chamber, get_preset, sample_prior, simulate

N = 1000
BEATS = 5


def _models() -> dict[str, object]:
    found = {four_chamber.MODEL.version: four_chamber.MODEL}
    qs = getattr(four_chamber, "QUASI_STEADY_MODEL", None)
    if qs is not None:
        found[qs.version] = qs
    return found


def _best_cpu(func) -> float:
    func()
    best = float("inf")
    for _ in range(3):
        c0 = time.process_time()
        func()
        best = min(best, time.process_time() - c0)
    return best


def main() -> None:
    models = _models()
    cases = [(v, s) for v in sorted(models) for s in (200, 400)]
    print(f"load {os.getloadavg()[0]:.1f}; models {sorted(models)}")
    for version, steps in cases:
        model = models[version]
        base = model.vector(get_preset("healthy").values)
        P = sample_prior(model, N, base=base, seed=1)
        cold = Settings(steps_per_beat=steps)
        fixed = Settings(steps_per_beat=steps, min_beats=BEATS, max_beats=BEATS,
                         coarse_start=False, accelerate=False)
        simulate(model, P[:2], settings=cold)  # load the compiled kernels
        c_cold = _best_cpu(lambda m=model, P=P, s=cold: simulate(m, P, settings=s))
        r = simulate(model, P, settings=cold)
        fbe = fine_beat_equivalents(lambda m=model, P=P, s=cold: simulate(m, P, settings=s))
        Q = sample_prior(model, N, base=model.default_vector(), seed=0)
        c_thr = _best_cpu(lambda m=model, Q=Q, s=fixed: simulate(m, Q, settings=s))
        print(f"  v{version} at {steps} steps: cold start CPU {c_cold:5.2f} s, beats "
              f"{r.beats.mean():5.2f}, fine-beat eq. {fbe:5.2f}, ok {r.ok.mean():.3f} | "
              f"throughput {N * BEATS / c_thr:6.0f} member-beats per CPU-s "
              f"(load {os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    main()
