"""Score kept fresh-seed records with a given terms document (the harness's own code path).

Usage: python docs/notes/curves17_runs/score.py TERMS.json|shipped RECORD_DIR...
Same lines as ``coverage table --from-records`` but with ``terms=`` the document given
(``coverage.coverage_table(records, terms=doc, refused=refused)``), "shipped" = the terms
file of the worktree's code.
"""

import json
import sys

from twinviewer.personalize import coverage as cov

terms_arg, dirs = sys.argv[1], sys.argv[2:]
doc = None if terms_arg == "shipped" else json.load(open(terms_arg, encoding="utf-8"))
records, refused = cov.load_records(dirs), cov.load_refused(dirs)
rows = cov.coverage_table(records, terms=doc, refused=refused)
print(cov.format_table(rows))
for label in dict.fromkeys(r.setting for r in rows):
    print(f"{label}: {cov.overall(rows, label):.1%}")

# The ship rule declared in the brief (before any candidate number was seen): every setting's
# pooled coverage inside 85-95 % (inclusive, unrounded) and the SW and CO width ratios over
# prior (+) delta (CoverageRow.width_ratio, the first "w") below 1.
ok = True
for label in dict.fromkeys(r.setting for r in rows):
    pooled = cov.overall(rows, label)
    widths = {r.output: r.width_ratio for r in rows
              if r.setting == label and r.output in ("SW", "CO")}
    a = 0.85 <= pooled <= 0.95
    b = all(w < 1 for w in widths.values())
    ok &= a and b
    print(f"rule {label}: pooled {pooled:.1%} in 85-95 % {a}; widths "
          + ", ".join(f"{o} {w:.2f}" for o, w in widths.items()) + f" < 1 {b}")
print(f"rule on this seed: {'PASS' if ok else 'FAIL'}")
