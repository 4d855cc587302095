"""physio14a: the cardiopulmonary (filling-pressure) sympathetic drive, measured, not shipped.

Reproduces the scan of docs/notes/physio14a.md §3. The drive itself is not in the product: it
is the patch next to this file. From the worktree root:

    git apply docs/notes/physio14a_cp_drive.patch
    PYTHONPATH=$PWD python docs/notes/physio14a_scan.py G_CP=0.5
    PYTHONPATH=$PWD python docs/notes/physio14a_scan.py 'CP_ARMS=("SYS.R_AR",)' G_CP=3
    PYTHONPATH=$PWD python docs/notes/physio14a_scan.py --no-refit G_CP=1
    git apply -R docs/notes/physio14a_cp_drive.patch

Each ``NAME=value`` sets a constant of :mod:`twinviewer.interventions.baroreflex` (G_CP,
CP_ARMS, LAP_NORMAL_MMHG) or of :mod:`twinviewer.interventions.drugs`. Then every fitted drug
group is refitted (``refit.refit``, with its own guard: a fit that breaks a row, moves the
predictions away or makes a default what-if implausible is not kept), and every evidence row
is printed with its status and each variable's change (``X`` = outside tolerance).
"""

from __future__ import annotations

import sys

from twinviewer.interventions import baroreflex as br
from twinviewer.interventions import drugs
from twinviewer.interventions import refit as rf
from twinviewer.interventions.evidence_table import load_rows, run_row

GROUPS = ("inotrope", "nitroprusside", "ace_inhibitor", "furosemide", "milrinone",
          "vasodilator", "beta_blocker")


def table() -> int:
    """Print every row; return how many sourced rows pass."""
    passed = 0
    for row in load_rows():
        r = run_row(row)
        passed += r.status == "pass"
        cells = []
        for v in r.variables:
            got = v.got.split("(")[-1].rstrip(")") if "(" in v.got else v.got
            cells.append(f"{v.variable.metric}:{'ok' if v.passed else 'X'}{got}")
        print(f"  {r.status:10s} {row.id:28s} {' '.join(cells)}")
    return passed


def main(argv: list[str]) -> None:
    if not hasattr(br, "G_CP"):
        sys.exit("apply docs/notes/physio14a_cp_drive.patch first (see the docstring)")
    refit = "--no-refit" not in argv
    for kv in (a for a in argv if "=" in a):
        name, value = kv.split("=", 1)
        setattr(br if hasattr(br, name) else drugs, name, eval(value))  # noqa: S307
    print("G_CP", br.G_CP, "arms", br.CP_ARMS, "LAP_NORMAL", br.LAP_NORMAL_MMHG)
    for g in GROUPS if refit else ():
        fit = rf.refit(g, max_evaluations=80)
        after = {k: round(float(v), 3) for k, v in fit.after.items()}
        print(f" refit {g}: kept={fit.kept} breaks={fit.breaks} "
              f"implausible={fit.implausible} cost {fit.cost_before:.2f} → "
              f"{fit.cost_after:.2f} {after}", flush=True)
    print(table(), "rows pass")


if __name__ == "__main__":
    main(sys.argv[1:])
