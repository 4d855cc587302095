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


def smoke_intervention(ref: str, root: str | None, preset: str = "healthy") -> list[str]:
    """Problems of a plugin intervention applied with its default settings to a small prior
    ensemble of ``preset`` (run in a worker: a crash or a hang ends only the worker): an
    exception of its transform, or a result that is not finite or leaves the model's
    plausible ranges, or a check or transform that did not finish within the interventions'
    budget (:func:`.budget.budget`, as in the app). ``[]`` also when the intervention does
    not fit that preset's model or its ``check`` refuses the twin (nothing to try it on
    here)."""
    from twinviewer.interventions.intervention import (
        Context,
        InterventionError,
        _check_result,
        result_problem,
    )
    from twinviewer.physiology.presets import model_for
    from twinviewer.plugins.budget import PluginTimeout, budget, call_within
    from twinviewer.plugins.manifest import Contribution
    from twinviewer.plugins.registry import resolve
    from twinviewer.twins import twin_from_preset

    iv = resolve(Contribution("interventions", "", ref, ""), root)
    twin = twin_from_preset(preset, n=8)
    model = model_for(twin.model_name, twin.model_version, twin.equation_hash)
    if any(name not in model.parameter_names for name in iv.parameters):
        return []
    values = iv.validate(None)
    P = np.array(twin.ensemble, dtype=float)
    ctx = Context(model, iv.name)
    seconds = budget("interventions")  # as in the app (review14 #8: the check allowed 30 s)

    def timed(func, part: str):
        return call_within(func, (ctx, P.copy(), values), seconds=seconds, stop=True,
                           label=f"its {part} on a {preset} twin with its default settings")

    if iv.check is not None:
        try:
            timed(iv.check, "check")
        except InterventionError:
            return []
        except PluginTimeout as exc:
            return [_late(exc)]
    what = f"its transform on a {preset} twin with its default settings"
    try:
        out = timed(iv.transform, "transform")
    except PluginTimeout as exc:
        return [_late(exc)]
    except Exception as exc:  # noqa: BLE001 - the problem to report
        return [f"{what} raised {type(exc).__name__}: {exc}"]
    if bad := result_problem(out, P.shape):  # as the app judges it (review15 #4)
        return [f"{what} {bad}"]
    out = np.asarray(out, dtype=float)
    if not np.all(np.isfinite(out)):
        bad = sorted({model.parameter_names[j] for j in np.nonzero(~np.isfinite(out))[1]})
        return [f"{what} gave values that are not finite (NaN or infinite): {', '.join(bad)}"]
    try:
        _check_result(model, iv.name, out)
    except InterventionError as exc:
        return [f"{what}: {exc}"]
    return []


def smoke_overlay(ref: str, root: str | None, preset: str = "healthy") -> list[str]:
    """Problems of a plugin overlay's values (:func:`twinviewer.testing.check_overlay`) on
    the test spheres (:func:`twinviewer.testing.sphere_contexts`, with ``preset``'s model and
    no results, as while a twin's ensemble is computed), within the overlays' budget
    (:func:`.budget.budget`); run in a worker, as :func:`smoke_intervention` (review15 #7)."""
    from twinviewer.physiology.presets import PRESETS
    from twinviewer.plugins.budget import PluginTimeout, budget, call_within
    from twinviewer.plugins.manifest import Contribution
    from twinviewer.plugins.registry import resolve
    from twinviewer.testing import check_overlay, sphere_contexts

    overlay = resolve(Contribution("overlays", "", ref, ""), root)
    contexts = sphere_contexts(model=PRESETS[preset].model)
    seconds = budget("overlays")
    try:
        return call_within(check_overlay, (overlay, contexts), seconds=seconds, stop=True,
                           label=f"its values on {len(contexts)} test spheres")
    except PluginTimeout as exc:
        return [_late(exc, "overlays")]


def _late(exc: Exception, kind: str = "interventions") -> str:
    """A check's timeout message (this worker process ends after it: nothing to restart)."""
    from twinviewer.plugins.budget import STILL_RUNNING

    return str(exc).removesuffix(STILL_RUNNING) + f" (the {kind}' time budget, as in the app)"


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
