"""Issue 12 item 4 at full size: the coverage table (a)–(d), 100 synthetic patients per setting.

Not in the gate (about 10–30 min on the project's 2-core machine). Run with

    xvfb-run -a .venv/bin/python -m pytest tests/benchmarks/test_bench_coverage.py -s \
        --benchmark-enable

or, to keep the records for re-learning the discrepancy term,
``python -m twinviewer.personalize.coverage --patients 100 --seed 2026 --out test.pkl``.
The patients use the *test* seed; the discrepancy was learned on the training seed.
"""

from __future__ import annotations

import pytest

from twinviewer.personalize.coverage import coverage_table, format_table, overall, run_setting
from twinviewer.personalize.discrepancy import TEST_SEED, TRAIN_SEED
from twinviewer.personalize.synthetic import SETTINGS

PATIENTS = 100


@pytest.mark.slow
def test_full_coverage_table():
    assert TEST_SEED != TRAIN_SEED
    records = []
    for s in SETTINGS:
        records += run_setting(s, PATIENTS, TEST_SEED)
    rows = coverage_table(records)
    print("\n" + format_table(rows))
    for s in SETTINGS:
        print(f"{s}: {overall(rows, s):.1%}")
