"""Honesty when the model is wrong, volume-curve data (issue 12 item 4): the coverage table
(a)–(d) of patients measured on whole LV/RV volume curves with cuff pressures.

Split from ``test_honesty.py`` (same bands, same reasons) so that the slow job's two workers
calibrate the standard and the curve patients at the same time.
"""

from __future__ import annotations

import pytest

from tests.personalize.test_honesty import (
    _NOT_MET,
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
@pytest.mark.xfail(reason=_NOT_MET, strict=False)
def test_every_setting_is_covered_85_to_95_percent_from_volume_curves(curve_records):
    _full_size_table(coverage_table(curve_records), TARGET)
