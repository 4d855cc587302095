"""The haemodynamic engine: model declarations, ensemble integration, clinical metrics.

The names below are loaded on first use (PEP 562): importing a submodule such as
``twinviewer.physiology.wall_stress`` or ``presets`` does not import the integrator, the
metrics or numba, which keeps the viewer's start-up short.

>>> from twinviewer.physiology import get_preset, simulate
>>> preset = get_preset("healthy")
>>> results = simulate(preset.model, preset.vector())
>>> round(float(results.metrics["LVEF"][0]))
60
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

#: Public name -> the submodule that defines it.
_HOMES = {
    "sample_prior": "ensemble",
    "METRIC_BY_NAME": "metrics", "METRICS": "metrics", "Metric": "metrics",
    "ModelError": "model", "ModelSpec": "model", "OutputSpec": "model", "StateSpec": "model",
    "MODELS": "presets", "PRESETS": "presets", "Preset": "presets", "get_preset": "presets",
    "Cancelled": "simulate", "Results": "simulate", "Settings": "simulate",
    "simulate": "simulate",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, eagerly
    from twinviewer.physiology.ensemble import sample_prior
    from twinviewer.physiology.metrics import METRIC_BY_NAME, METRICS, Metric
    from twinviewer.physiology.model import ModelError, ModelSpec, OutputSpec, StateSpec
    from twinviewer.physiology.presets import MODELS, PRESETS, Preset, get_preset
    from twinviewer.physiology.simulate import Cancelled, Results, Settings, simulate
