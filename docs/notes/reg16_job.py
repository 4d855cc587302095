"""reg16: one record set (kind, setting, patients, seed) through the harness's worker, pickled.

Run: ``PYTHONPATH=$PWD python docs/notes/reg16_job.py standard regazzoni 100 23 OUT.pkl``
"""
import sys

from twinviewer.personalize import coverage

d, s, k, seed, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
recs, cpu, no = coverage._run_job((d, s, k, seed, 48, path))
print(f"{d} {s} seed {seed}: {len(recs)} patients, {len(no)} refused, CPU {cpu:.0f} s", flush=True)
