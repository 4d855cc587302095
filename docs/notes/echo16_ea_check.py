"""echo16: are E/A and TR velocity computable, and physiological, for every setting's patients?

Per setting, 1000 synthetic patients (seed 5, not a coverage seed): how many have an E/A at
all (an A wave), how many inside the product's accepted range (0.2–5), and the distribution of
E/A and TR velocity. The own setting's distribution is the population prior's.

Run: ``PYTHONPATH=$PWD python docs/notes/echo16_ea_check.py``
"""

from __future__ import annotations

import numpy as np

from twinviewer.personalize.synthetic import SETTINGS, echo_truth, patients

Q = (1, 5, 25, 50, 75, 95, 99)


def main(k: int = 1000, seed: int = 5) -> None:
    for s in SETTINGS:
        data = patients(s, k, seed)
        ea = echo_truth("E/A", data.results)
        tr = echo_truth("TR_velocity", data.results)
        ok = np.isfinite(ea)
        inside = ok & (ea >= 0.2) & (ea <= 5.0)
        print(f"{s:10s} n {k}: E/A computable {ok.sum()}, inside 0.2–5 {inside.sum()}; "
              f"0.8–2 {np.sum(ok & (ea >= 0.8) & (ea <= 2.0))}")
        print("   E/A pct " + " / ".join(f"{p}:{v:.2f}" for p, v in
                                         zip(Q, np.nanpercentile(ea, Q), strict=True)))
        print("   TR velocity m/s pct " + " / ".join(
            f"{p}:{v:.2f}" for p, v in zip(Q, np.nanpercentile(tr, Q), strict=True)))
        if s == "perturbed":
            for which in dict.fromkeys(data.structure):
                rows = np.array([t == which for t in data.structure])
                e = ea[rows]
                print(f"   {which}: computable {np.isfinite(e).sum()}/{rows.sum()}, inside "
                      f"{np.sum((e >= 0.2) & (e <= 5))}, median {np.nanmedian(e):.2f}")
        if s == "own":
            hr = data.results.params[:, data.results.model.index("HR")]
            for lo, hi in ((40, 65), (65, 80), (80, 120)):
                rows = (hr >= lo) & (hr < hi)
                print(f"   HR {lo}–{hi}: n {rows.sum()}, E/A median "
                      f"{np.nanmedian(ea[rows]):.2f}")


if __name__ == "__main__":
    main()
