"""Schema migrations of the .twin file: each turns the JSON of schema ``n`` into ``n + 1``.

Schema history
--------------
1 (TwinViewer 0.1.0 development files)
    Measurement records carried their uncertainty as a coefficient of variation ``cv`` (a
    fraction of the value). That cannot express the uncertainty of a value near zero (a
    trace regurgitant volume, a zero gradient) and mixed conventions with the rest of the
    project.
2 (current)
    Measurement records carry ``uncertainty``: one standard deviation in the measurement's own
    unit, as :class:`~twinviewer.core.measurement.Measurement` holds it. Migration sets
    ``uncertainty = |value| × cv``; the values themselves are unchanged.

Arrays are not touched by migrations; they operate on the decoded ``twin.json`` tree and the
``audit.json`` list and must never rewrite audit entries (that would break the hash chain).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _measurement_v1_to_v2(m: dict) -> dict:
    m = dict(m)
    cv = float(m.pop("cv"))
    if not cv >= 0:
        raise ValueError(f"measurement {m.get('name')!r}: cv must be ≥ 0, found {cv}")
    m["uncertainty"] = abs(float(m["value"])) * cv
    return m


def v1_to_v2(tree: dict, audit: list) -> tuple[dict, list]:
    """Measurements: relative ``cv`` → absolute ``uncertainty`` (1 SD, own unit)."""
    tree = dict(tree)
    tree["measurements"] = [_measurement_v1_to_v2(m) for m in tree["measurements"]]
    tree["visits"] = [{**v, "measurements": [_measurement_v1_to_v2(m)
                                             for m in v["measurements"]]}
                      for v in tree["visits"]]
    anatomy = tree.get("anatomy")
    if anatomy is not None:
        anatomy = dict(anatomy)
        anatomy["measurements"] = [_measurement_v1_to_v2(m)
                                   for m in anatomy.get("measurements", [])]
        anatomy["structures"] = {
            k: {**s, "volumes": {p: _measurement_v1_to_v2(v)
                                 for p, v in s.get("volumes", {}).items()}}
            for k, s in anatomy.get("structures", {}).items()}
        tree["anatomy"] = anatomy
    return tree, audit


# from-version -> function producing from-version + 1
MIGRATIONS: dict[int, Callable[[dict, list], tuple[dict, list]]] = {1: v1_to_v2}


def migrate(tree: Any, audit: Any, version: int) -> tuple[Any, Any]:
    """Bring ``(twin.json, audit.json)`` of schema ``version`` up to the current schema.

    Raises KeyError/TypeError/ValueError on malformed input (the reader turns them into a
    :class:`~twinviewer.io.errors.TwinFileError`).
    """
    while version in MIGRATIONS:
        tree, audit = MIGRATIONS[version](tree, audit)
        version += 1
    return tree, audit
