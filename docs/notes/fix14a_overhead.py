"""fix14a: the cost of the leash (``call_within(..., stop=True)``) on well-behaved
intervention code, interleaved with an unguarded call, a thread without leash and the
leash as it was (``OLD``: ``git show 25d3e75:twinviewer/plugins/budget.py`` saved as
``fix14a_oldbudget.py`` on ``sys.path``). Run from the worktree root; prints a table of
median ms."""

import statistics
import sys
import time

import numpy as np

sys.path.insert(0, "plugins/tv-ivabradine")
from fix14a_oldbudget import call_within as old  # noqa: E402
from tv_ivabradine.intervention import _check, _transform  # noqa: E402

from twinviewer.interventions.intervention import Context  # noqa: E402
from twinviewer.physiology.presets import PRESETS  # noqa: E402
from twinviewer.plugins.budget import call_within as new  # noqa: E402

p = PRESETS["healthy"]
P = np.tile(p.vector(), (200, 1))
ctx = Context(p.model, "x")


def drug(ctx, P, s):  # the docs' my-drug
    P[:, ctx.col("SYS.R_AR")] *= 1.0 - s["fall"] / 100.0
    return P


def pyloop(ctx, P, s):  # Python over several lines, 20 000 element updates
    for i in range(P.shape[0]):
        for _ in range(100):
            P[i, 0] = P[i, 0] * 1.0
    return P


def pycomp(ctx, P, s):  # the same on one line
    return sum([P[i, 0] * 1.0 for i in range(P.shape[0]) for _ in range(100)])


CASES = [("ivabradine check", _check, {"dose": 5.0}),
         ("ivabradine transform", _transform, {"dose": 5.0}),
         ("my-drug transform", drug, {"fall": 20.0}),
         ("Python loop, 20k updates", pyloop, {}),
         ("Python comprehension, 20k", pycomp, {})]
MODES = {"unguarded": lambda f, a: f(*a),
         "thread, no leash": lambda f, a: new(f, a, seconds=60, label="x"),
         "old leash": lambda f, a: old(f, a, seconds=60, label="x", stop=True),
         "new leash": lambda f, a: new(f, a, seconds=60, label="x", stop=True)}
REPEATS = int(sys.argv[1]) if len(sys.argv) > 1 else 9
res: dict = {(c[0], m): [] for c in CASES for m in MODES}
for _ in range(REPEATS):
    for name, f, s in CASES:
        for m, run in MODES.items():
            t0 = time.perf_counter()
            run(f, (ctx, P.copy(), s))
            res[(name, m)].append(time.perf_counter() - t0)
print("| call (median ms) | " + " | ".join(MODES) + " |")
for name, *_ in CASES:
    print(f"| {name} | " + " | ".join(f"{1000 * statistics.median(res[(name, m)]):.2f}"
                                       for m in MODES) + " |")
