"""Honesty: do the posterior's 90 % intervals contain the truth about 90 % of the time?

Synthetic patients are drawn from the model's own priors around the healthy preset (known
parameters), measured with noise on a standard clinical set (cuff BP, HR, LVEDV/LVESV, CO),
and calibrated. The 90 % intervals of outputs that were NOT measured (LVEDP, LAP, PASP, stroke
work) must contain the truth in 80–97 % of cases. The calibration adds a model-error term to
the measurement noise, so slight over-coverage is expected; under-coverage would mean the
twin claims more certainty than it has.
"""

from __future__ import annotations

import numpy as np

from twinviewer.core.measurement import Measurement
from twinviewer.personalize import calibrate
from twinviewer.physiology import simulate
from twinviewer.twins import model_of, twin_from_preset

PATIENTS = 50
MEMBERS = 48
NOISE = {"HR": (2.0, "bpm"), "SBP": (6.0, "mmHg"), "DBP": (5.0, "mmHg"),
         "LVEDV": (8.0, "mL"), "LVESV": (6.0, "mL"), "CO": (0.4, "L/min")}
UNMEASURED = ("LVEDP", "LAP", "PASP", "SW")


def synthetic_patients(twin, k, rng):
    """(k, P) true parameters: independent draws from every proper prior (not Sobol')."""
    model = model_of(twin)
    truth = np.tile(twin.params, (k, 1))
    for j, par in enumerate(model.parameters):
        prior = par.prior.centred(twin.params[j])
        if not prior.is_point_mass:
            truth[:, j] = np.clip(prior.ppf(rng.uniform(0.002, 0.998, k)), *par.plausible)
    return simulate(model, truth)


def test_posterior_intervals_cover_unmeasured_truths():
    rng = np.random.default_rng(2026)
    twin = twin_from_preset("healthy", n=1)
    truth = synthetic_patients(twin, PATIENTS, rng)
    assert truth.ok.all(), truth.errors()
    hits = {k: [] for k in UNMEASURED}
    narrowing = []
    for i in range(PATIENTS):
        ms = [Measurement(k, float(truth.metrics[k][i] + sd * rng.standard_normal()), unit, sd,
                          "synthetic") for k, (sd, unit) in NOISE.items()]
        r = calibrate(twin, ms, n=MEMBERS, seed=i, point_estimate=False)
        for k in UNMEASURED:
            _, lo, hi = r.results.summary(k)
            hits[k].append(lo <= truth.metrics[k][i] <= hi)
        _, plo, phi = r.prior_results.summary("SW")
        _, lo, hi = r.results.summary("SW")
        narrowing.append((hi - lo) / (phi - plo))
    per = {k: float(np.mean(v)) for k, v in hits.items()}
    overall = float(np.mean([h for v in hits.values() for h in v]))
    print(f"\n90 % interval coverage of unmeasured outputs over {PATIENTS} synthetic patients: "
          + ", ".join(f"{k} {v:.0%}" for k, v in per.items()) + f"; overall {overall:.1%}; "
          f"SW interval {np.median(narrowing):.0%} of its prior width")
    assert 0.80 <= overall <= 0.97
    assert min(per.values()) >= 0.72
    # honest but not vacuous: the measurements do narrow stroke work
    assert np.median(narrowing) < 0.8
