"""The living twin's part of the .twin file: visit extras, the consent ledger, timeline metadata.

Stored under a ``living`` key in ``twin.json`` (one per visit, one for the twin), so files
written before it load unchanged (the key is optional) and older readers ignore it.
``start_params`` is an array member like every other array.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from twinviewer.core.consent import ConsentLedger
from twinviewer.core.measurement import Measurement
from twinviewer.core.twin import Twin
from twinviewer.io.errors import TwinFileError


def add_to_tree(tree: dict, twin: Twin, ref) -> None:
    """Add the living-twin data to a ``twin.json`` tree; ``ref(array)`` stores an array."""
    for i, (v, d) in enumerate(zip(twin.visits, tree["visits"], strict=True)):
        if v.start_params is not None and np.shape(v.start_params) != np.shape(twin.params):
            raise TwinFileError(f"cannot save: visit {i} start_params has shape "
                                f"{np.shape(v.start_params)}, the parameters "
                                f"{np.shape(twin.params)}")
        d["living"] = {
            "flags": list(v.flags), "items": list(v.items),
            "context": [m.to_dict() for m in v.context], "series": dict(v.series),
            "predicted": dict(v.predicted), "model": v.model, "interval": dict(v.interval),
            "start_params": None if v.start_params is None else ref(
                np.asarray(v.start_params, dtype=np.float64)),
        }
    tree["living"] = {"ledger": twin.ledger.to_dict(), "timeline": dict(twin.timeline)}


def from_tree(twin: Twin, tree: dict, array, name: str) -> Twin:
    """``twin`` with the living-twin data of ``tree`` (absent in older files: unchanged).

    Raises
    ------
    TwinFileError
        Naming the visit and field that has the wrong type.
    """
    try:
        for i, (v, d) in enumerate(zip(twin.visits, tree["visits"], strict=True)):
            liv = d.get("living")
            if liv is None:
                continue
            if not isinstance(liv, dict):
                raise TypeError(f"visits[{i}].living should be an object")
            sp = liv.get("start_params")
            start = None if sp is None else array(sp, f"visit {i} start_params")
            if start is not None and start.size and np.all(np.isnan(start)):
                start = None  # an unknown start written as NaN by an earlier version
            if start is not None and start.shape != twin.params.shape:
                raise TypeError(f"visits[{i}].living.start_params has shape {start.shape}")
            twin.visits[i] = replace(
                v, flags=[dict(f) for f in liv.get("flags", [])],
                items=[dict(x) for x in liv.get("items", [])],
                context=[Measurement.from_dict(m) for m in liv.get("context", [])],
                series=dict(liv.get("series", {})), predicted=dict(liv.get("predicted", {})),
                model=str(liv.get("model", "")), start_params=start,
                interval=_obj(liv.get("interval", {})))
        liv = tree.get("living")
        if liv is None:
            return twin
        if not isinstance(liv, dict):
            raise TypeError("living should be an object")
        return replace(twin, ledger=ConsentLedger.from_dict(_obj(liv.get("ledger", {}))),
                       timeline=_obj(liv.get("timeline", {})))
    except TwinFileError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise TwinFileError(f"{name}: twin.json living-twin data is malformed ({exc})") \
            from None


def _obj(x: Any) -> dict:
    if not isinstance(x, dict):
        raise TypeError(f"expected an object, found {type(x).__name__}")
    return dict(x)
