"""The haemodynamic engine: model declarations, ensemble integration, clinical metrics.

>>> from twinviewer.physiology import get_preset, simulate
>>> preset = get_preset("healthy")
>>> results = simulate(preset.model, preset.vector())
>>> round(float(results.metrics["LVEF"][0]))
60
"""

from twinviewer.physiology.ensemble import sample_prior
from twinviewer.physiology.metrics import METRIC_BY_NAME, METRICS, Metric
from twinviewer.physiology.model import ModelError, ModelSpec, OutputSpec, StateSpec
from twinviewer.physiology.presets import MODELS, PRESETS, Preset, get_preset
from twinviewer.physiology.simulate import Cancelled, Results, Settings, simulate

__all__ = ["METRICS", "METRIC_BY_NAME", "MODELS", "PRESETS", "Cancelled", "Metric",
           "ModelError", "ModelSpec", "OutputSpec", "Preset", "Results", "Settings",
           "StateSpec", "get_preset", "sample_prior", "simulate"]
