"""Honesty when the model is wrong, volume-curve data (issue 12 item 4): the coverage table
(a)–(d) of patients measured on whole LV/RV volume curves with cuff pressures.

Split from ``test_honesty.py`` (same bands) so that the slow job's two workers calibrate
the standard and the curve patients at the same time. With the robust scale-mixture
calibration prior and the capped grown inflation (coverage11) every setting is inside the
issue's 85–95 % on the fresh seed: own 93.6 %, perturbed 94.8 %, regazzoni2022 92.4 %, wide
86.8 % (before: 94.4 / 96.0 / 89.6 / 89.2 %), no longer an expected failure.
"""

from __future__ import annotations

import pytest

from tests.personalize.test_honesty import (
    BAND,
    CURVE_PATIENTS,
    MEMBERS,
    TARGET,
    _full_size_table,
)
from twinviewer.personalize import curve_check
from twinviewer.personalize.coverage import coverage_table
from twinviewer.personalize.discrepancy import TEST_SEED
from twinviewer.personalize.synthetic import SETTINGS


@pytest.fixture(scope="module")
def curve_records():
    out = []
    for s in SETTINGS:
        out += curve_check.check(s, CURVE_PATIENTS, TEST_SEED, MEMBERS).records
    assert all(r.data == "curves" for r in out)
    return out


@pytest.mark.slow
def test_every_setting_is_covered_at_full_size_from_volume_curves(curve_records):
    _full_size_table(coverage_table(curve_records), BAND)  # the curve-data term


@pytest.mark.slow
def test_every_setting_is_covered_85_to_95_percent_from_volume_curves(curve_records):
    _full_size_table(coverage_table(curve_records), TARGET)
