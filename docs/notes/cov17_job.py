"""cov17: one worker's share of the full-size volume-curve coverage run, saved per patient.

The same calibration as the harness's worker (``coverage._run_job`` with data "curves":
``curve_check.check(setting, k, seed, members)``, records tagged with the seed, refused
patients kept as ``Refused``), but the record file is rewritten after every patient, so
that an interrupted run keeps its work. The file has the harness's name and format
(``curves_<setting>_<seed>.pkl``), so ``coverage table --from-records DIR`` scores it.

    PYTHONPATH=$PWD python docs/notes/cov17_job.py --seed 23 --settings own,regazzoni \
        --patients 100 --out /tmp/cov17/s23
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path

from twinviewer.personalize import curve_check
from twinviewer.personalize.coverage import Record, Refused


def run(setting: str, k: int, seed: int, members: int, out: Path) -> None:
    """Calibrate ``k`` curve patients of ``setting`` at ``seed``; pickle after each one."""
    path = out / f"curves_{setting}_{seed}.pkl"
    done: list[Record] = []
    t0, w0 = time.process_time(), time.time()

    def save(rec: Record) -> None:
        rec.seed = seed
        done.append(rec)
        with open(path, "wb") as f:
            pickle.dump(done, f)
        print(f"{setting} seed {seed}: {len(done)} done, CPU {time.process_time() - t0:.0f} s,"
              f" wall {time.time() - w0:.0f} s", file=sys.stderr, flush=True)

    check = curve_check.check(setting, k, seed, members, sink=save)
    refused = [Refused(setting, int(text.split(":")[0].split()[-1]), text, "curves", seed)
               for text in check.refused]
    with open(path, "wb") as f:  # final: the harness's format (records, then refused)
        pickle.dump([*check.records, *refused], f)
    print(f"curves {setting} seed {seed}: {len(check.records)} patients, {len(refused)} "
          f"refused, CPU {check.cpu_s:.0f} s, wall {time.time() - w0:.0f} s", flush=True)
    for r in refused:
        print(f"  refused: {r.reason}", flush=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--settings", required=True)
    p.add_argument("--patients", type=int, default=100)
    p.add_argument("--members", type=int, default=48)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    for s in a.settings.split(","):
        run(s, a.patients, a.seed, a.members, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
