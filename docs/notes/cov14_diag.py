"""cov14: why is the shipped ensemble wider than the exact posterior for the model's own
patients? The first K own patients of a seed are recalibrated exactly as
:func:`twinviewer.personalize.coverage.run_setting` does, under variants of one ingredient
at a time, and each variant's 90 % widths of the unmeasured outputs are divided by the exact
(importance-sampled) reference's (``docs/notes/cov14_reference.py``, its cache):

* ``shipped``: 48 members, robust prior w = 0.2, localisation threshold 3/√N, the
  calibration's noise (data SD ⊕ model-error SD);
* ``w0``: the Gaussian population prior (no wide component);
* ``noloc``: no localisation (every gain entry kept);
* ``n200``: 200 members (the localisation threshold 3/√N falls with N);
* ``nomodel``: no model-error SD in the likelihood (the generating noise only);
* combinations named with ``+``.

Run: ``PYTHONPATH=$PWD python docs/notes/cov14_diag.py CACHE SEED K VARIANT [VARIANT ...]``
"""

from __future__ import annotations

import contextlib
import pickle
import sys
from pathlib import Path

import numpy as np

OUT = ("LVEDP", "LAP", "PASP", "SW", "CO")
#: patients generated per seed by the coverage runs (and the reference)
GENERATED = {2026: 50, 11: 50, 23: 100}


@contextlib.contextmanager
def variant(name: str):
    """The calibration's ingredients changed as ``name`` says, restored afterwards."""
    from twinviewer.personalize import eki, quantities, robust_prior

    parts = set(name.split("+"))
    saved = (robust_prior.DEFAULT, eki.localisation_mask, quantities.Quantity.model_sd)
    members = 200 if "n200" in parts else 48
    if "w0" in parts:
        robust_prior.DEFAULT = robust_prior.RobustPrior(0.0, 2.0)
    if "noloc" in parts:
        orig = saved[1]
        eki.localisation_mask = lambda Z, G, threshold=None: orig(Z, G, -1.0)
    if "nomodel" in parts:
        quantities.Quantity.model_sd = lambda self, value: 0.0
    try:
        yield members
    finally:
        robust_prior.DEFAULT, eki.localisation_mask, quantities.Quantity.model_sd = saved


def run(cache: Path, seed: int, k: int, name: str) -> list[dict]:
    from twinviewer.personalize.calibrate import calibrate
    from twinviewer.personalize.synthetic import patients
    from twinviewer.twins import twin_from_preset

    data = patients("own", GENERATED[seed], seed)  # the set depends on its size
    twin = twin_from_preset("healthy", n=1)
    rng = np.random.default_rng([seed, 99])
    out = []
    with variant(name) as members:
        for i in range(k):
            ms = data.measurements(i, rng)
            try:
                r = calibrate(twin, ms, n=members, seed=seed * 1000 + i, point_estimate=False)
            except Exception as exc:  # noqa: BLE001 - a refused patient is reported, not fatal
                print(f"  patient {i}: refused ({str(exc)[:80]})")
                continue
            post = {o: np.asarray(r.results.metrics[o])[r.results.ok] for o in OUT}
            out.append({"i": i, "q": {o: np.quantile(post[o], [0.05, 0.5, 0.95]) for o in OUT},
                        "wide": r.wide_weight, "iters": r.convergence.iterations})
    return out


def main(cache: Path, seed: int, k: int, names: list[str]) -> None:
    ref = {r["i"]: r for r in pickle.loads((cache / f"ref_own_{seed}.pkl").read_bytes())}
    print(f"own seed {seed}, first {k} patients; median width / exact reference's "
          "(LVEDP/LAP/PASP/SW/CO); coverage of the variant's own 90 % interval")
    for name in names:
        f = cache / f"diag_{name}_{seed}_{k}.pkl"
        if not f.exists():
            f.write_bytes(pickle.dumps(run(cache, seed, k, name)))
        rows = pickle.loads(f.read_bytes())
        ratio = {o: np.median([(r["q"][o][2] - r["q"][o][0])
                               / (ref[r["i"]][("exact", o)][2] - ref[r["i"]][("exact", o)][0])
                               for r in rows]) for o in OUT}
        cov = {o: np.mean([r["q"][o][0] <= ref[r["i"]]["truth"][o] <= r["q"][o][2]
                           for r in rows]) for o in OUT}
        shift = {o: np.median([abs(np.log(r["q"][o][1] / ref[r["i"]][("exact", o)][1]))
                               / np.log(ref[r["i"]][("exact", o)][2]
                                        / ref[r["i"]][("exact", o)][0]) * 2 for r in rows])
                 for o in OUT}
        print(f"{name:22s} width " + " / ".join(f"{ratio[o]:.2f}" for o in OUT)
              + " | |median shift|/exact half-width " + " / ".join(f"{shift[o]:.2f}" for o in OUT)
              + " | cov " + "/".join(f"{100 * cov[o]:.0f}" for o in OUT)
              + f" | n {len(rows)}, wide share {np.mean([r['wide'] for r in rows]):.2f}",
              flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:])
