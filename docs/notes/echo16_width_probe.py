"""echo16: does E/A narrow the filling pressures? The first own patients of seed 2026
calibrated on the standard set and on it + E/A (+ TR velocity), localised update (shipped) and
not; median posterior / prior 90 % width of LVEDP, LAP, PASP per variant.

Run: ``PYTHONPATH=$PWD python docs/notes/echo16_width_probe.py [K]``
"""

from __future__ import annotations

import importlib
import sys

import numpy as np

from twinviewer.personalize.synthetic import patients
from twinviewer.twins import twin_from_preset

OUT = ("LVEDP", "LAP", "PASP", "SW", "CO")


def main(k: int = 12, seed: int = 2026) -> None:
    cal = importlib.import_module("twinviewer.personalize.calibrate")
    truth = patients("own", k, seed)
    twin = twin_from_preset("healthy", n=1)
    rng = np.random.default_rng([seed, 99])
    rng_e = np.random.default_rng([seed, 98])
    data = []
    for i in range(k):
        ms = truth.measurements(i, rng)
        data.append((ms, truth.echo_measurements(i, ("E/A", "TR_velocity"), rng_e)))
    for loc in (True, False):
        cal.LOCALISED_UPDATE = loc
        for name, extra in (("standard", 0), ("+E/A", 1), ("+E/A+TR", 2)):
            ratios = {o: [] for o in OUT}
            for i, (ms, echo) in enumerate(data):
                try:
                    r = cal.calibrate(twin, ms + echo[:extra], n=48, seed=seed * 1000 + i,
                                      point_estimate=False)
                except Exception as exc:  # noqa: BLE001 - a probe: say and go on
                    print(f"  patient {i} {name}: {exc}"[:120])
                    continue
                for o in OUT:
                    post = np.asarray(r.results.metrics[o])[r.results.ok]
                    pri = np.asarray(r.prior_results.metrics[o])[r.prior_results.ok]
                    ratios[o].append(np.subtract(*np.quantile(post, [0.95, 0.05]))
                                     / np.subtract(*np.quantile(pri, [0.95, 0.05])))
            print(f"localised {loc!s:5s} {name:9s} posterior/prior width "
                  + " / ".join(f"{o} {np.median(v):.2f}" for o, v in ratios.items()),
                  flush=True)
    cal.LOCALISED_UPDATE = True


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 12)
