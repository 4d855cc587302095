"""Honesty when the model is wrong, volume-curve data (issue 12 item 4): the coverage table
(a)–(d) of patients measured on whole LV/RV volume curves with cuff pressures.

Split from ``test_honesty.py`` (same bands) so that the slow job's two workers calibrate
the standard and the curve patients at the same time. At this size (:data:`CURVE_PATIENTS`
per setting, test seed 23; today's calibration, session-11 terms) every setting is inside the
issue's 85–95 %: own 94.4 %, regazzoni2022 92.4 %, perturbed 94.8 %, wide 87.2 %; and at the
issue's 100 patients per setting on seed 23 too (94.4 / 87.7 / 93.6 / 87.9 %). Not on every
fresh seed, though: of seven seeds at 100 patients per setting only 23 and 43 have every
setting inside; e.g. seed 31 gives 95.0 / 88.0 / **95.6** / 88.4 % and seed 59 93.0 / 89.2 /
**95.2** / **84.4 %** — own and perturbed sit at the top edge (seven seeds: 94.9 ± 1.1 and
93.2 ± 1.7 %), wide at the bottom (86.5 ± 2.1 %) (docs/notes/cov17.md). So these tests
guard seed 23 (a term or a calibration that gets worse there fails); they do not show issue
12 item 4 met on volume curves. The Regazzoni patients' CO cell is the weak one at 100
patients (66–75 % on all seven seeds): the fitted LV stroke volume is ≈ 9 % below theirs and
the default model's forward fraction is 0.95 against their 1.00 (cov17).
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
