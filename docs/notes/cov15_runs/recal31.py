"""Shipped calibration (localised update), standard set, a second fresh seed (31)."""
import sys
import time
from pathlib import Path

from twinviewer.personalize import coverage

out = Path("/tmp/cov15/fresh31")
t0 = time.time()
for s in sys.argv[1:]:
    f = out / f"standard_{s}_31.pkl"
    if f.exists():
        continue
    recs, cpu, no = coverage._run_job(("standard", s, 100, 31, 48, str(f)))
    print(f"{s}: {len(recs)} patients, {len(no)} refused, CPU {cpu:.0f} s, "
          f"wall {time.time() - t0:.0f} s", flush=True)
