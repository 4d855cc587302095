"""The what-if table's per-scenario cells (:func:`~twinviewer.interventions.compare.compare`
of each shown metric, and :func:`~twinviewer.interventions.compare.scenario_flags`), kept on
each scenario's results: the model helper computes them for the results it makes, they come
back with the results, and a table built later (merged with older scenarios' results) only
computes the cells it does not have (issue 15, item 5: the ~50 ms the job's thread held the
interpreter while preparing the table)."""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np

from twinviewer.interventions.compare import (
    Comparison,
    Predictive,
    ScenarioFlags,
    compare,
    scenario_flags,
)
from twinviewer.physiology import Results

#: Where the cells are kept in a results' ``__dict__`` (pickled with it: the helper's come back).
_KEY = "_table_cells"


def baseline_key(baseline: Results, metrics: Sequence[str]) -> str:
    """A fingerprint of what the cells read of ``baseline`` (its members' parameters, which
    ran, and ``metrics``' values): the same in the helper's copy as in the app's.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> b = SimpleNamespace(params=np.ones((2, 3)), ok=np.array([True, False]),
    ...                     metrics={"CO": np.array([5.0, np.nan])})
    >>> baseline_key(b, ["CO"]) == baseline_key(b, ("CO",))
    True
    """
    h = hashlib.blake2b(digest_size=16)
    for a in (baseline.params, baseline.ok,
              *(baseline.metrics[m] for m in metrics if m in baseline.metrics)):
        a = np.ascontiguousarray(a)
        h.update(str((a.dtype, a.shape)).encode())
        h.update(a.tobytes())
    h.update(repr(tuple(metrics)).encode())
    return h.hexdigest()


def scenario_cells(baseline: Results, results: Mapping[str, Results], metrics: Sequence[str],
                   *, level: float = 0.9, predictive: Predictive | None = None,
                   predictive_key: Hashable = None, base_key: str | None = None,
                   ) -> dict[str, tuple[dict[str, Comparison], ScenarioFlags]]:
    """Per scenario name, its cells (metric → :class:`Comparison`) and flags against
    ``baseline``, as :func:`~twinviewer.interventions.scenario_table` computes them. Each
    scenario's are kept on its results under a key of ``baseline`` (:func:`baseline_key`),
    ``metrics``, ``level`` and ``predictive_key`` (what identifies ``predictive``; the
    caller's), and reused while that key holds.

    Examples
    --------
    >>> scenario_cells(None, {}, ("CO",))
    {}
    """
    if not results:
        return {}
    # a model of another structure (a plug-in's) does not provide every default metric
    metrics = tuple(m for m in metrics if m in baseline.metrics)
    key = (base_key or baseline_key(baseline, metrics), metrics, level, predictive_key)
    out = {}
    for name, r in results.items():
        kept = r.__dict__.get(_KEY)
        if kept is None or kept[0] != key:
            cells = {m: compare(baseline, r, m, level=level, predictive=predictive)
                     for m in metrics}
            kept = (key, cells, scenario_flags(baseline, r))
            r.__dict__[_KEY] = kept
        out[name] = (kept[1], kept[2])
    return out


def kept_cells(results: Results) -> Any:
    """What :func:`scenario_cells` kept on ``results`` (``None`` if nothing).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> kept_cells(SimpleNamespace()) is None
    True
    """
    return results.__dict__.get(_KEY)
