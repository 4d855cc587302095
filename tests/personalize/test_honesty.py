"""Honesty when the model is wrong (issue 12 item 4), at a reduced size for the CI gate.

Synthetic patients of the four settings — (a) the model itself, (b) the structurally
different ``regazzoni2022`` loop, (c) the default model with its structure perturbed, (d) a
population twice as wide as the prior — are measured on the standard clinical set and
calibrated; the 90 % intervals of the unmeasured outputs (LVEDP, LAP, PASP, stroke work, CO)
with the learned model-discrepancy term must cover the truth. The patients use the *test*
seed; the discrepancy term was learned on patients of another seed. The full size (100 per
setting) is ``tests/benchmarks/test_bench_coverage.py``; the cross-fitted full-size table is in
docs/notes/physio.md.
"""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.personalize.coverage import coverage_table, format_table, overall, run_setting
from twinviewer.personalize.discrepancy import TEST_SEED, TRAIN_SEED, Discrepancy
from twinviewer.personalize.synthetic import SETTINGS, UNMEASURED

PATIENTS = 20
MEMBERS = 48  # as the term was learned with: it complements a 48-member ensemble's spread


@pytest.fixture(scope="module")
def records():
    assert TEST_SEED != TRAIN_SEED
    out = []
    for s in SETTINGS:
        out += run_setting(s, PATIENTS, TEST_SEED, members=MEMBERS)
    return out


@pytest.mark.slow
def test_intervals_of_unmeasured_outputs_cover_the_truth_in_every_setting(records):
    rows = coverage_table(records)
    raw = coverage_table(records, Discrepancy({}))
    print("\n" + format_table(rows))
    short = {}
    for s in SETTINGS:
        n = sum(r.setting == s for r in records)
        assert n >= PATIENTS - 3, f"{s}: only {n} patients calibrated"
        cov = overall(rows, s)
        assert cov >= overall(raw, s)  # the term only ever widens
        assert cov <= 1.0
        # 100 intervals per setting (5 per patient, correlated within a patient)
        if cov < 0.80:
            short[s] = cov
    assert set(short) <= {"wide"}, short
    own = {r.output: r for r in rows if r.setting == "own"}
    # data still inform: narrower than the prior predictive (full size, model v2.0: SW 0.74,
    # CO 0.81; at 10 patients × 32 members the median ratio is noisier)
    assert own["SW"].width_ratio < 0.9 and own["CO"].width_ratio < 1.0
    if short:
        pytest.xfail(f"known shortfall on fresh patients: {short} (seed 7, 20 patients: wide "
                     "68 %; the previous term gave 74 %): the term learned on seed 2026 does "
                     "not generalise to the 2x-wide population (docs/notes/physio.md)")


@pytest.mark.slow
def test_the_bare_ensemble_is_overconfident_under_model_error(records):
    """Why the term exists: without it the Regazzoni patients' filling pressures are missed
    (model v2.0: bias ≈ 5.6 mmHg against an ensemble SD of 3.3 mmHg; v1.0: 7 and 1.7)."""
    raw = {(r.setting, r.output): r.coverage for r in coverage_table(records, Discrepancy({}))}
    assert raw[("regazzoni", "LVEDP")] < 0.5 and raw[("regazzoni", "LAP")] < 0.5
    truth = np.array([r.truth["LVEDP"] for r in records if r.setting == "regazzoni"])
    pred = np.array([np.median(r.posterior["LVEDP"]) for r in records
                     if r.setting == "regazzoni"])
    assert np.median(truth - pred) > 3.0
    assert set(UNMEASURED) == {"LVEDP", "LAP", "PASP", "SW", "CO"}
