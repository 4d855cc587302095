"""engine7 probe: periodic-metric error against a fine step, per model and steps per beat.

Run from the worktree: ``PYTHONPATH=$PWD python docs/notes/engine7_accuracy.py [n]``.
For v2.2 (quasi-steady valves) and v3.0 (inertial valves): ``n`` prior members (seed 1) and
the healthy, severe AS and severe MR presets run to periodic at 200 and 400 steps per beat
and at 3200 (the reference), default settings otherwise (200 samples, coarse start,
acceleration). Prints, per metric in mmHg or mL, the largest |x(steps) − x(3200)|.
"""

from __future__ import annotations

import sys

import numpy as np

from twinviewer.physiology import Settings, four_chamber, get_preset, sample_prior, simulate
from twinviewer.physiology.metrics import METRIC_BY_NAME

MODELS = (("v2.2", four_chamber.QUASI_STEADY_MODEL), ("v3.0", four_chamber.MODEL))
STEPS = (200, 400)


def members(model, n: int) -> np.ndarray:
    presets = [model.vector(get_preset(k).values) for k in ("healthy", "severe_as",
                                                              "severe_mr")]
    return np.vstack([sample_prior(model, n, base=presets[0], seed=1), *presets])


def main(n: int = 20) -> None:
    for label, model in MODELS:
        P = members(model, n)
        runs = {s: simulate(model, P, settings=Settings(steps_per_beat=s))
                for s in (*STEPS, 3200)}
        worst = dict.fromkeys(STEPS, (0.0, ""))
        print(f"{label}: largest |x(steps) − x(3200)| over {n} prior members + 3 presets")
        for key, metric in METRIC_BY_NAME.items():
            if metric.unit not in ("mmHg", "mL") or key not in runs[3200].metrics:
                continue
            gaps = [float(np.nanmax(np.abs(runs[s].metrics[key] - runs[3200].metrics[key])))
                    for s in STEPS]
            for s, g in zip(STEPS, gaps, strict=True):
                if g > worst[s][0]:
                    worst[s] = (g, key)
            print(f"  {key:17s} " + " ".join(f"{g:7.3f}" for g in gaps))
        print("  worst: " + ", ".join(f"{s} steps {g:.3f} ({k})" for s, (g, k) in worst.items()))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
