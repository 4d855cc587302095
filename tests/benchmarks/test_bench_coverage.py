"""Issue 12 item 4 at full size: the coverage table (a)–(d), 100 synthetic patients per setting
on the fresh test seed (and 50 per setting calibrated to volume curves), with the CPU time.

Not in the gate (about 15–40 min wall on the project's loaded 2-core machine). Run with

    xvfb-run -a .venv/bin/python -m pytest tests/benchmarks/test_bench_coverage.py -s \
        --benchmark-enable

or ``python -m twinviewer.personalize.coverage table --jobs 2 --records DIR`` (the same
table, keeping the records). The terms were learned on other seeds
(``python -m twinviewer.personalize.coverage learn``). The slow job holds the same table to
85–95 % per setting (``tests/personalize/test_honesty.py``); the figures are in
docs/notes/honesty6.md.
"""

from __future__ import annotations

import pytest

from twinviewer.personalize.coverage import collect, coverage_table, format_table, overall
from twinviewer.personalize.discrepancy import TEST_SEED, TRAIN_SEEDS

PATIENTS = 100
CURVE_PATIENTS = 50


@pytest.mark.slow
def test_full_coverage_table():
    assert TEST_SEED not in TRAIN_SEEDS
    records, cpu = collect([TEST_SEED], PATIENTS, CURVE_PATIENTS, jobs=2)
    rows = coverage_table(records)
    print("\n" + format_table(rows))
    for s in dict.fromkeys(r.setting for r in rows):
        print(f"{s}: {overall(rows, s):.1%}")
    print(f"calibrations: {cpu:.0f} s CPU")
