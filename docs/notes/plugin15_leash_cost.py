"""plugin15: the leash's cost (``call_within(..., stop=True)``) over a range of plug-in
transform shapes, interleaved: unguarded, in a thread without the leash, main's leash and
this branch's; median of REPEATS (argv[1], default 7), ms, and the leash's factor over the
thread alone.

First ``git show main:twinviewer/plugins/budget.py > /tmp/p15/budget_main.py``; then, from
the worktree root, ``PYTHONPATH=$PWD OMP_NUM_THREADS=1 python THIS [REPEATS]``.
"""

import math
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, "plugins/tv-ivabradine")
sys.path.insert(0, "/tmp/p15")
from budget_main import call_within as main_call  # noqa: E402
from tv_ivabradine.intervention import _check, _transform  # noqa: E402

from twinviewer.interventions.intervention import Context  # noqa: E402
from twinviewer.physiology.presets import PRESETS  # noqa: E402
from twinviewer.plugins.budget import call_within as new  # noqa: E402

p = PRESETS["healthy"]
P = np.tile(p.vector(), (200, 1))
ctx = Context(p.model, "x")


def drug(ctx, P, s):  # the docs' my-drug: one numpy column operation
    P[:, ctx.col("SYS.R_AR")] *= 1.0 - s["fall"] / 100.0
    return P


def members(ctx, P, s):  # per member, a few lines of scalar arithmetic and element writes
    col = ctx.col("SYS.R_AR")
    for i in range(P.shape[0]):
        for _ in range(100):
            r = P[i, col]
            r = r * (1.0 - 0.001 * s["fall"])
            P[i, col] = max(r, 1e-6)
    return P


def _dose(r: float, fall: float) -> float:
    scale = 1.0 - fall / 100.0
    return r * scale if r > 0 else r


def calls(ctx, P, s):  # per member, a helper function call per step
    col = ctx.col("SYS.R_AR")
    for i in range(P.shape[0]):
        r = P[i, col]
        for _ in range(100):
            r = _dose(r, 0.01)
        P[i, col] = r
    return P


def comprehension(ctx, P, s):  # the same arithmetic in a comprehension on one line
    return sum([P[i, 0] * 1.0 for i in range(P.shape[0]) for _ in range(100)])


def scalar_math(ctx, P, s):  # fix14h's member loop: math.exp per element
    out = []
    for m in range(200):
        row = [math.exp(-0.01 * k) * m for k in range(500)]
        out.append(sum(row))
    return P


def tightest(ctx, P, s):  # fix14h's worst case: one cheap line per step, 300 000 steps
    x = 0.0
    for i in range(300_000):
        x += i * 0.5
    return P


CASES = [("ivabradine check", _check, {"dose": 5.0}),
         ("ivabradine transform", _transform, {"dose": 5.0}),
         ("my-drug (numpy column)", drug, {"fall": 20.0}),
         ("per-member lines, 20k steps", members, {"fall": 20.0}),
         ("per-member calls, 20k", calls, {}),
         ("comprehension, 20k", comprehension, {}),
         ("math.exp member loop, 100k", scalar_math, {}),
         ("one-line loop, 300k (worst)", tightest, {})]
MODES = {"unguarded": lambda f, a: f(*a),
         "thread": lambda f, a: new(f, a, seconds=60, label="x"),
         "main leash": lambda f, a: main_call(f, a, seconds=60, label="x", stop=True),
         "leash": lambda f, a: new(f, a, seconds=60, label="x", stop=True)}
REPEATS = int(sys.argv[1]) if len(sys.argv) > 1 else 7
res: dict = {(c[0], m): [] for c in CASES for m in MODES}
load0 = os.getloadavg()[0]
for _ in range(REPEATS):
    for name, f, s in CASES:
        for m, run in MODES.items():
            t0 = time.perf_counter()
            run(f, (ctx, P.copy(), s))
            res[(name, m)].append(time.perf_counter() - t0)
print(f"load {load0:.1f} -> {os.getloadavg()[0]:.1f}, {REPEATS} repeats, median ms")
print("| transform | " + " | ".join(MODES) + " | main / thread | leash / thread |")
print("|---" * (len(MODES) + 3) + "|")
for name, *_ in CASES:
    med = {m: 1000 * statistics.median(res[(name, m)]) for m in MODES}
    print(f"| {name} | " + " | ".join(f"{med[m]:.2f}" for m in MODES)
          + f" | {med['main leash'] / med['thread']:.1f}× | {med['leash'] / med['thread']:.1f}× |")
