"""physio12: the measurements of docs/notes/physio12.md §2–§4a, reproducible.

    PYTHONPATH=$PWD python docs/notes/physio12_scan.py

1. metoprolol-12mg under a single contractility cost c applied by the transform (the pre-
   physio12 structure), to show the window the row needs (0.10 fails, 0.15 passes);
2. esmolol-16mg-min as shipped, across BB_RVEN_RISE from 0 to its sourced bound;
3. nitroprusside with the failing heart's cardiac sympathetic withdrawal on unloading acting
   through its resting support of contractility: Azevedo 2000's whole −25 % cardiac spillover
   fall × the support 0.273 (EA −6.8 %), the largest such effect.
Nothing in the package is changed; constants are patched in this process only.
"""

from __future__ import annotations

from twinviewer.interventions import baroreflex as br
from twinviewer.interventions import drugs
from twinviewer.interventions import evidence_table as ev
from twinviewer.interventions.intervention import scale


def _show(tag: str, rid: str, rows: dict) -> None:
    res = ev.run_row(rows[rid])
    print(f"{tag} {rid}: {res.status} | " + "; ".join(
        f"{'ok' if v.passed else 'X'} {v.variable.metric} {v.got}" for v in res.variables))


def main() -> None:
    rows = {r.id: r for r in ev.load_rows()}
    support = br.SUPPORT_HF
    br.SUPPORT_HF = 0.0  # 1: the old structure, one cost for every heart
    for c in (0.0, 0.05, 0.10, 0.15, 0.185):
        drugs.BB_EA_DROP = c
        _show(f"cost {c:g}:", "metoprolol-12mg", rows)
    br.SUPPORT_HF, drugs.BB_EA_DROP = support, 0.0
    rven = drugs.BB_RVEN_RISE
    for r in (0.0, 0.24, rven):  # 2
        drugs.BB_RVEN_RISE = r
        _show(f"BB_RVEN_RISE {r:g}:", "esmolol-16mg-min", rows)
    drugs.BB_RVEN_RISE = rven
    orig = drugs.NITROPRUSSIDE.transform  # 3
    for cut in (0.0, 0.25):
        def transform(ctx, P, s, cut=cut):
            P = orig(ctx, P, s)
            scale(ctx, P, ["LV.EA", "RV.EA"], 1.0 - br.SUPPORT_HF * cut)
            return P
        object.__setattr__(drugs.NITROPRUSSIDE, "transform", transform)
        _show(f"spillover −{100 * cut:.0f} %:", "nitroprusside", rows)
    object.__setattr__(drugs.NITROPRUSSIDE, "transform", orig)


if __name__ == "__main__":
    main()
