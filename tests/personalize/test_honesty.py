"""Honesty when the model is wrong (issue 12 item 4), at a reduced size for the CI gate.

Synthetic patients of the four settings — (a) the model itself, (b) the structurally
different ``regazzoni2022`` loop, (c) the default model with its structure perturbed, (d) a
population twice as wide as the prior — are measured on the standard clinical set (and, for
LVEDP/LAP, on whole volume curves with cuff pressures) and calibrated; the 90 % intervals of
the unmeasured outputs (LVEDP, LAP, PASP, stroke work, CO) with the learned model-discrepancy
term must cover the truth. The patients use the *test* seed, which no term was learned on.
The full size (100 per setting) is ``python -m twinviewer.personalize.coverage table`` /
``tests/benchmarks/test_bench_coverage.py``; its table is in docs/notes/honesty44.md.

Band: 80–99 % per setting (see :data:`BAND`). At 20 patients (100 intervals, correlated
within a patient) a setting's coverage scatters by about ±5 points (2 SD ≈ 10).
"""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.personalize import curve_check
from twinviewer.personalize.coverage import coverage_table, format_table, overall, run_setting
from twinviewer.personalize.discrepancy import TEST_SEED, TRAIN_SEEDS, Discrepancy
from twinviewer.personalize.synthetic import SETTINGS, UNMEASURED

PATIENTS = 20
CURVE_PATIENTS = 8
MEMBERS = 48  # as the term was learned with: it complements a 48-member ensemble's spread
#: 80 % below; above, 99 %. At full size on model 2.2 (100 fresh patients per setting) the
#: model's own and the perturbed patients are covered 97.4 % and 98.8 % — over the 95 % target,
#: the price of covering regazzoni2022 and the wide population — so their upper bound is a
#: named expected failure (:func:`test_no_setting_over_covers`). Intervals too wide to inform
#: are caught by the width ratios below.
BAND = (0.80, 0.99)
#: Issue 12 item 4's bar for every setting.
TARGET = (0.85, 0.95)


@pytest.fixture(scope="module")
def records():
    assert TEST_SEED not in TRAIN_SEEDS
    out = []
    for s in SETTINGS:
        out += run_setting(s, PATIENTS, TEST_SEED, members=MEMBERS)
    return out


@pytest.fixture(scope="module")
def curve_records():
    out = []
    for s in SETTINGS:
        out += curve_check.check(s, CURVE_PATIENTS, TEST_SEED, MEMBERS).records
    return out


@pytest.mark.slow
def test_intervals_of_unmeasured_outputs_cover_the_truth_in_every_setting(records):
    rows = coverage_table(records)
    raw = coverage_table(records, Discrepancy({}))
    print("\n" + format_table(rows))
    for s in SETTINGS:
        n = sum(r.setting == s for r in records)
        assert n >= PATIENTS - 3, f"{s}: only {n} patients calibrated"
        cov = overall(rows, s)
        assert cov >= overall(raw, s)  # the term only ever widens
        assert BAND[0] <= cov, f"{s}: {cov:.0%} below {BAND[0]:.0%}"
        if s in ("regazzoni", "wide"):
            assert cov <= BAND[1], f"{s}: {cov:.0%} above {BAND[1]:.0%}"
    own = {r.output: r for r in rows if r.setting == "own"}
    # data still inform: narrower than the prior predictive with the same term
    assert own["SW"].width_ratio < 0.9 and own["CO"].width_ratio < 1.0


@pytest.mark.slow
def test_filling_pressures_after_a_volume_curve_fit_are_covered(curve_records):
    """LVEDP and LAP after calibrating to whole LV/RV volume curves and the cuff pressures:
    the curve-data term (learned on curve patients of the training seeds)."""
    rows = coverage_table(curve_records, outputs=("LVEDP", "LAP"))
    print("\n" + format_table(rows))
    hits = [r.coverage * r.patients for r in rows]
    cov = sum(hits) / sum(r.patients for r in rows)
    assert BAND[0] <= cov <= BAND[1], f"LVEDP/LAP after curve fits: {cov:.0%}"
    assert all(r.data == "curves" for r in curve_records)


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


@pytest.mark.slow
@pytest.mark.xfail(reason="issue 12 point 4 not met: on model 2.2 the model's own and the "
                   "perturbed patients are over-covered (fresh seed 7, 100 per setting: 97.4 % "
                   "and 98.8 %; this size: 99 % and 100 %), the price of covering "
                   "regazzoni2022 and the wide population; growing the term with the "
                   "posterior misfit does not separate them (docs/notes/honesty5.md)",
                   strict=False)
def test_no_setting_over_covers(records):
    rows = coverage_table(records)
    for s in ("own", "perturbed"):
        assert overall(rows, s) <= TARGET[1], \
            f"{s}: {overall(rows, s):.0%} above {TARGET[1]:.0%}"
