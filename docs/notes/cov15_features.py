"""cov15: per-record fit features for the feature-dependent discrepancy oracle.

For every standard-set coverage record (``coverage.Record``) this collects, per unmeasured
output, the bare ensemble's log quantiles (5 / 50 / 95 %) and the prior ensemble's, the log
truth, and per patient the atypicality ``D``, the misfit ``M`` and the patient's *measured*
standard data (HR, SBP, DBP, LVEDV, LVESV: not kept in the records, so regenerated exactly
as ``coverage.run_setting`` draws them — generator seeds ``[seed, 99]``, the same patient
set — and matched to the record by its true LAP, as ``cov14_reference.py`` does).

Run: ``PYTHONPATH=$PWD python docs/notes/cov15_features.py OUT.npz RECORD_DIR [...]``
"""

from __future__ import annotations

import sys
from collections import defaultdict

import numpy as np

OUT = ("LVEDP", "LAP", "PASP", "SW", "CO")
SETTINGS = ("own", "perturbed", "regazzoni", "wide")
DATA = ("HR", "SBP", "DBP", "LVEDV", "LVESV")


def _measured(setting: str, seed: int, k: int) -> dict[float, dict[str, float]]:
    """True LAP (rounded) -> the measured standard data of that patient."""
    from twinviewer.personalize.synthetic import patients

    data = patients(setting, k, seed)
    rng = np.random.default_rng([seed, 99])
    out = {}
    for i in range(data.results.n):
        ms = {m.name: m.value for m in data.measurements(i, rng)}
        out[round(data.truth("LAP", i), 9)] = ms
    return out


def collect(dirs: list[str]) -> dict[str, np.ndarray]:
    from twinviewer.personalize.coverage import load_records, load_refused

    recs = [r for r in load_records(dirs) if r.data == "standard"]
    refused = [r for r in load_refused(dirs) if r.data == "standard"]
    groups: dict[tuple[str, int], list] = defaultdict(list)
    for r in recs:
        groups[(r.setting, r.seed)].append(r)
    n_ref = defaultdict(int)
    for r in refused:
        n_ref[(r.setting, r.seed)] += 1
    rows = defaultdict(list)
    for (setting, seed), rs in sorted(groups.items()):
        k = len(rs) + n_ref[(setting, seed)]
        meas = _measured(setting, seed, k)
        for r in rs:
            ms = meas[round(r.truth["LAP"], 9)]  # KeyError = a record not matched: stop
            rows["setting"].append(SETTINGS.index(setting))
            rows["seed"].append(seed)
            rows["D"].append(r.atypicality)
            rows["M"].append(r.misfit)
            for d in DATA:
                rows[d].append(ms[d])
            for o in OUT:
                p = r.posterior[o][np.isfinite(r.posterior[o])]
                q = r.prior[o][np.isfinite(r.prior[o])]
                rows[f"post_{o}"].append(np.quantile(np.log(p), [0.05, 0.5, 0.95]))
                rows[f"prior_{o}"].append(np.quantile(np.log(q), [0.05, 0.5, 0.95]))
                rows[f"truth_{o}"].append(np.log(r.truth[o]))
        print(f"{setting} seed {seed}: {len(rs)} records, {n_ref[(setting, seed)]} refused, "
              "all matched", flush=True)
    return {k: np.asarray(v) for k, v in rows.items()}


if __name__ == "__main__":
    np.savez(sys.argv[1], **collect(sys.argv[2:]))
