"""Wall-clock timing shared by the benchmarks: best of several runs, after an optional
warm-up (numba compilation, a peer's first-call start-up), so noise only ever adds time."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(func: Callable[[], object], repeats: int = 5, *, warm_up: bool = True) -> float:
    """Shortest of ``repeats`` timed calls of ``func`` (seconds)."""
    if warm_up:
        func()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t0)
    return best
