"""Instrument the EKI on the non-converging own patients: per iteration dt, mean misfit,
the share of the mean misfit from the worst 5 % members, and the E/A column's spread."""

import importlib
import pickle
import sys

import numpy as np

from twinviewer.personalize import eki
from twinviewer.personalize.calibrate import CalibrationError
from twinviewer.twins import twin_from_preset

cal = importlib.import_module("twinviewer.personalize.calibrate")

found = pickle.load(open(sys.argv[1], "rb"))
maxit = int(sys.argv[2]) if len(sys.argv) > 2 else 20
orig_step = eki.tempering_step
log = []


def step(G, y, sigma, t):
    dt = orig_step(G, y, sigma, t)
    phi = eki.misfit(G, y, sigma)
    z = (G - y) / sigma
    top = np.sort(phi)[::-1]
    k = max(1, len(phi) // 20)
    log.append(
        (
            t,
            dt,
            phi.mean(),
            np.median(phi),
            top[:k].sum() / phi.sum(),
            np.median(z, axis=0).round(1),
            np.abs(z).max(axis=0).round(0),
        )
    )
    return dt


eki.tempering_step = step
for seed, i, ms in found:
    names = [m.name for m in ms]
    print(
        f"== seed {seed} patient {i}:",
        ", ".join(f"{m.name} {m.value:.3g}±{m.uncertainty:.2g}" for m in ms),
    )
    log.clear()
    try:
        r = cal.calibrate(
            twin_from_preset("healthy", n=1),
            ms,
            n=48,
            seed=seed * 1000 + i,
            point_estimate=False,
            max_iterations=maxit,
        )
        print(
            "  converged in",
            r.convergence.iterations,
            "fit:",
            [(f.name, round(f.z, 1)) for f in r.fit],
        )
    except CalibrationError as exc:
        print("  REFUSED", str(exc)[:160])
    for t, dt, mean, med, share, zmed, zmax in log:
        print(
            f"  t={t:.3f} dt={dt:.4f} meanPhi={mean:9.1f} medPhi={med:7.1f} "
            f"top5%share={share:.2f} zmed={zmed} |z|max={zmax}"
        )
