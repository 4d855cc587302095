"""honesty8: the heavy-tailed prior's ensemble shortcut against a real re-calibration.

:mod:`twinviewer.personalize.discrepancy` does not re-calibrate under the prior scaled by λ;
honesty7 moved each posterior member ``x`` (ensemble median ``m``, prior median ``μ``,
narrowing ``ρ``) to ``μ + S²(m − μ) + S·(x − m)``, ``S = √(λ²/(λ²(1 − ρ) + ρ))`` (one
linear-Gaussian direction); honesty8 ships ``m + S·(x − m)``, ``S = √(1 + √ρ·(λ² − 1))``
(:func:`~twinviewer.personalize.discrepancy.tail_factor`), fitted to this check. Here the same
synthetic patients (training seed, standard clinical set) are calibrated twice: with the
model's prior, and with every free parameter's prior SD (in its whitened coordinate) × λ
(the prior ensemble's z scaled by λ before the Kalman steps). For each unmeasured output the
script prints, as medians over the patients, the real and the emulated width ratio (λ run /
λ = 1 run) and the real and emulated shift of the median away from the prior's (in λ = 1
posterior widths).

Run: ``PYTHONPATH=$PWD python docs/notes/honesty8_prior_check.py [patients] [lambda ...]``.
"""

from __future__ import annotations

import importlib
import sys
import time

import numpy as np

from twinviewer.personalize.discrepancy import _narrowing, tail_factor
from twinviewer.personalize.space import ParameterSpace
from twinviewer.personalize.synthetic import UNMEASURED, patients
from twinviewer.twins import twin_from_preset

# the module (the package exports the function under the same name)
cal = importlib.import_module("twinviewer.personalize.calibrate")
_original = cal.sample_prior
_scale = {"lambda": 1.0}


def _scaled_prior(model, n, *, base=None, names=None, seed=0, **kw):
    """The model's prior ensemble with every free parameter's whitened z × λ."""
    template = _original(model, n, base=base, names=names, seed=seed, **kw)
    lam = _scale["lambda"]
    if lam == 1.0 or names is None:
        return template
    free = tuple(model.index(p) for p in names)
    space = ParameterSpace(model, np.asarray(base, dtype=float), free)
    scaled = space.to_params(lam * space.to_z(template), template)
    template[:, list(free)] = scaled[:, list(free)]
    return template


def _width(x: np.ndarray) -> float:
    return float(np.subtract(*np.quantile(x, [0.95, 0.05])))


def _run(setting: str, k: int, lam: float, seed: int = 2026) -> list:
    data = patients(setting, k, seed)
    twin = twin_from_preset("healthy", n=1)
    rng = np.random.default_rng([seed, 99])
    out = []
    _scale["lambda"] = lam
    for i in range(data.results.n):
        ms = data.measurements(i, rng)
        try:
            r = cal.calibrate(twin, ms, n=48, seed=seed * 1000 + i, point_estimate=False)
        except (cal.CalibrationError, ValueError):
            out.append(None)
            continue
        out.append({o: (np.asarray(r.results.metrics[o])[r.results.ok],
                        np.asarray(r.prior_results.metrics[o])[r.prior_results.ok])
                    for o in UNMEASURED})
    _scale["lambda"] = 1.0
    return out


def main(k: int, lams: list[float]) -> None:
    cal.sample_prior = _scaled_prior
    t0 = time.process_time()
    for setting in ("own", "wide"):
        base = _run(setting, k, 1.0)
        for lam in lams:
            scaled = _run(setting, k, lam)
            print(f"\n{setting}, λ = {lam:g} ({k} patients): output: ρ | width ratio real / "
                  "shipped shortcut / honesty7's linear-Gaussian | shift of the median away "
                  "from the prior's, real / honesty7's (λ = 1 posterior widths; shipped: 0)")
            for o in UNMEASURED:
                rows = []
                for b, s in zip(base, scaled, strict=True):
                    if b is None or s is None:
                        continue
                    x, prior = b[o]
                    rho = _narrowing(x, prior)
                    mu, m = np.median(prior), np.median(x)
                    S = tail_factor(lam**2, rho)  # the shipped shortcut
                    S_lg = np.sqrt(lam**2 / (lam**2 * (1 - rho) + rho))  # honesty7's
                    em = m + S * (x - m)
                    w = _width(x)
                    away = np.sign(m - mu)  # shifts counted positive away from the prior median
                    rows.append((rho, _width(s[o][0]) / w, _width(em) / w, S_lg,
                                 away * (np.median(s[o][0]) - m) / w,
                                 away * S_lg**2 * (m - mu) / w - away * (m - mu) / w))
                a = np.median(np.array(rows), axis=0)
                print(f"  {o:5s}: ρ {a[0]:.2f} | {a[1]:.2f} / {a[2]:.2f} / {a[3]:.2f} | "
                      f"{a[4]:+.2f} / {a[5]:+.2f}")
    print(f"\nCPU {time.process_time() - t0:.0f} s")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(int(args[0]) if args else 16, [float(v) for v in args[1:]] or [1.5, 2.0])
