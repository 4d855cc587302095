"""reg16: the harness's coverage table (shipped terms) of kept record sets, with the pooled
coverage without the term — the README's table.

Run: ``PYTHONPATH=$PWD python docs/notes/reg16_table.py RECORDS...``
"""

import sys

from twinviewer.personalize.coverage import (
    coverage_table,
    format_table,
    load_records,
    load_refused,
    overall,
)
from twinviewer.personalize.discrepancy import Discrepancy

records, refused = load_records(sys.argv[1:]), load_refused(sys.argv[1:])
rows = coverage_table(records, refused=refused)
raw = coverage_table(records, Discrepancy({}))
print(format_table(rows))
for label in dict.fromkeys(r.setting for r in rows):
    print(f"{label}: {overall(rows, label):.1%} (without the term {overall(raw, label):.1%})")
