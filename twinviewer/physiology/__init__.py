"""The haemodynamic engine: model declarations, ensemble integration, clinical metrics.

>>> from twinviewer.physiology import get_preset, simulate
>>> preset = get_preset("healthy")
>>> results = simulate(preset.model, preset.vector())
>>> 55 < float(results.metrics["LVEF"][0]) < 65
True
"""

from twinviewer.core.lazy import lazy_package

# names are imported from their submodules on first use (start-up time)
__all__ = lazy_package(__name__, {
    "ensemble": ("sample_prior",),
    "metrics": ("METRIC_BY_NAME", "METRICS", "Metric"),
    "model": ("ModelError", "ModelSpec", "OutputSpec", "StateSpec"),
    "presets": ("MODELS", "PRESETS", "Preset", "get_preset", "model_for"),
    "simulate": ("Cancelled", "Results", "Settings", "simulate"),
})
