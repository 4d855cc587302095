"""Ensemble predictions of virtual hearts, computed once per process and kept.

A virtual heart's twin is deterministic (preset, members, seed), so its predictions can be
reused: switching back and forth between hearts in a class costs no simulation after the first
time, and the Teach step computes a heart's ensemble in the background as soon as it is chosen.
"""

from __future__ import annotations

import copy
import dataclasses
import threading

from twinviewer.core.twin import Twin
from twinviewer.physiology import Results
from twinviewer.twins import simulate_twin, twin_from_preset

_CACHE: dict[tuple[str, int, int], Results] = {}
_TWINS: dict[tuple[str, int, int], Twin] = {}
_LOCK = threading.Lock()


def cached(name: str, n: int = 200, seed: int = 0) -> Results | None:
    """The stored predictions of heart ``name`` (``n`` members, ``seed``), or None."""
    with _LOCK:
        return _CACHE.get((name, n, seed))


def virtual_twin(name: str, n: int = 200, seed: int = 0, *, anatomy=None, progress=None,
                 cancel=None) -> tuple[Twin, Results]:
    """A fresh twin of heart ``name`` and its ensemble predictions (simulated once, then
    reused). The twin is new each call (its audit trail is its own); the results are shared
    and must not be modified.

    Examples
    --------
    >>> twin, r = virtual_twin("healthy", n=4)
    >>> twin2, r2 = virtual_twin("healthy", n=4)
    >>> r2 is r and twin2 is not twin
    True
    """
    twin = fresh_twin(name, n, seed, anatomy=anatomy)
    key = (name, n, seed)
    r = cached(name, n, seed)
    if r is None:
        r = simulate_twin(twin, progress=progress, cancel=cancel)
        with _LOCK:
            _CACHE[key] = r
    return twin, r


def fresh_twin(name: str, n: int = 200, seed: int = 0, *, anatomy=None) -> Twin:
    """A new twin of heart ``name``: a copy of one made once (sampling the prior ensemble
    costs ~0.1 s), with ``anatomy`` and its own empty audit trail.

    Examples
    --------
    >>> a, b = fresh_twin("healthy", n=4), fresh_twin("healthy", n=4)
    >>> a is not b and bool((a.ensemble == b.ensemble).all())
    True
    """
    key = (name, n, seed)
    with _LOCK:
        template = _TWINS.get(key)
    if template is None:
        template = twin_from_preset(name, n=n, seed=seed, pseudonym=f"virtual-{name}")
        with _LOCK:
            _TWINS[key] = template
    twin = copy.deepcopy(template)
    return dataclasses.replace(twin, anatomy=anatomy) if anatomy is not None else twin
