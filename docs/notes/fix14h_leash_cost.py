"""final14 #4: interleaved cost of the leash, main (53388fa) vs fix14h, median of 5 (s).

First ``git show 53388fa:twinviewer/plugins/budget.py > /tmp/fix14h/budget_main.py``; then,
from the worktree root, ``PYTHONPATH=$PWD OMP_NUM_THREADS=1 python THIS``.
"""

import math
import os
import statistics
import sys
import time

import numpy as np

from twinviewer.plugins import budget as new

sys.path.insert(0, "/tmp/fix14h")
import budget_main as old  # noqa: E402

a = np.random.default_rng(0).random(3_000_000)


def py_only():
    s = 0.0
    for i in range(300_000):
        s += i * 0.5
    return s


def c_then_py():  # the loop in the frame that made the C call (final14's leash.py)
    np.sort(a, kind="stable")
    s = 0.0
    for i in range(300_000):
        s += i * 0.5
    return s


def member_loop():
    out = []
    for m in range(200):
        row = [math.exp(-0.01 * k) * m for k in range(500)]
        out.append(sum(row))
    return out


def c_then_members():
    np.sort(a, kind="stable")
    out = []
    for m in range(200):
        row = [math.exp(-0.01 * k) * m for k in range(500)]
        out.append(sum(row))
    return out


def timed(call) -> float:
    t = time.perf_counter()
    call()
    return time.perf_counter() - t


print("load", os.getloadavg())
for f in (py_only, c_then_py, member_loop, c_then_members):
    res: dict[str, list[float]] = {"plain": [], "main": [], "fix14h": []}
    for _ in range(5):
        res["plain"].append(timed(f))
        for name, mod in (("main", old), ("fix14h", new)):
            res[name].append(timed(lambda mod=mod, f=f: mod.call_within(f, seconds=120, label="x",
                                                                        stop=True)))
    print(f"{f.__name__:15s} "
          + "  ".join(f"{k} {statistics.median(v):.3f}" for k, v in res.items()))
