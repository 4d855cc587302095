"""Functions run in a plugin worker process (see :mod:`.isolation`); importable by ``spawn``."""

from __future__ import annotations

import numpy as np


def _model(ref: str, root: str | None):
    from twinviewer.plugins.manifest import Contribution
    from twinviewer.plugins.registry import resolve

    return resolve(Contribution("models", "", ref, ""), root)


def smoke_model(ref: str, root: str | None) -> list[str]:
    """Problems of a plugin model's numerics (:func:`.checks.check_numerics`)."""
    from twinviewer.plugins.checks import check_numerics

    return check_numerics(_model(ref, root))


def run_ensemble(ref: str, root: str | None, params: np.ndarray, settings,
                 warm_start: np.ndarray | None = None) -> dict:
    """Simulate a plugin model's ensemble; the results' arrays (the model stays behind)."""
    from twinviewer.physiology.simulate import RUNNERS, simulate

    model = _model(ref, root)
    RUNNERS.pop(model.name, None)  # here it runs in-process
    r = simulate(model, params, warm_start=warm_start, settings=settings)
    return {"time": r.time, "series": r.series, "metrics": r.metrics,
            "final_state": r.final_state, "status": r.status, "beats": r.beats,
            "messages": r.messages}
