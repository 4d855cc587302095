"""What the views derive from new results, computed in a worker before the results are shown
(so the GUI thread only draws)."""

from __future__ import annotations

from collections.abc import Callable


def prepared_results(results, twin):
    """Compute what the views derive from ``results`` on ``twin``'s anatomy — the bands,
    colour scales and beat period (:func:`twinviewer.gui.cycle.prepare`), the measured
    volume curves and their predictive bands, cached on the anatomy and the results — and
    return ``results``. Safe in a worker thread (no Qt).

    Examples
    --------
    >>> prepared_results(None, None) is None
    True
    """
    from twinviewer.gui.cycle import prepare
    from twinviewer.gui.plots import measured_band, measured_curve
    from twinviewer.personalize.shown import context_of_twin

    if results is None:
        return None
    prepare(results)
    anatomy = getattr(twin, "anatomy", None)
    for chamber in ("LV", "RV"):
        measured_band(results, measured_curve(anatomy, chamber))
    context = context_of_twin(twin)
    for name in results.metrics:  # the Metrics panel's intervals (tens of ms of quantiles)
        shown_interval_of(results, name, context)
    return results


def loop_curves(results) -> tuple:
    """What the What-if step draws of ``results`` over its periodic members: the median LV
    loop over the members' own cycle phase (V_LV, p_LV: :func:`twinviewer.gui.cycle.pv_band`,
    the main PV panel's), then per sample of the beat p_LV 5 %, median and 95 % and p_AO
    median (the Wiggers diagram); ``()`` for results without waveforms. Kept on ``results``:
    the what-if job computes them, so the GUI thread only draws when scenario results arrive
    (their percentiles were ~40 ms of that turn).

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    >>> r = SimpleNamespace(ok=np.array([True, True]), series={
    ...     "V_LV": np.stack([100 + 20 * np.cos(t)] * 2), "p_LV": np.array([[1.0] * 40, [3] * 40]),
    ...     "p_AO": np.zeros((2, 40))})
    >>> loop_curves(r)[3].tolist()[:2]  # the median p_LV per sample
    [2.0, 2.0]
    """
    import numpy as np

    from twinviewer.gui.cycle import pv_band, signal

    kept = results.__dict__.get("_loop_curves")
    if kept is None:
        ok = results.ok
        # through the model's roles: a plug-in model names its ventricle its own way
        v, p, p_ao = (signal(results, r) for r in ("V_LV", "p_LV", "p_AO"))
        if not ok.any() or v is None or p is None:  # stored results: metrics only
            kept = ()
        else:
            band = pv_band(results, "LV")
            pv_band(results, "RV")  # the PV panel's scenario overlay on its RV tab
            lo, med, hi = np.nanpercentile(p[ok], [5, 50, 95], axis=0)
            kept = (band.v_median, band.p_median, lo, med, hi,
                    np.full_like(med, np.nan) if p_ao is None
                    else np.nanmedian(p_ao[ok], axis=0))
        results.__dict__["_loop_curves"] = kept
    return kept


def _context_key(context) -> tuple | None:
    """What identifies an interval context for the cache below: its compared fields (as
    :class:`~twinviewer.personalize.shown.IntervalContext`'s equality; ``repr`` so that a NaN
    misfit equals itself) and whether it carries priors."""
    if context is None:
        return None
    return (context.data, repr(context.atypicality), repr(context.misfit),
            tuple(sorted(context.measured)), len(context.prior),
            context.discrepancy is None)


def shown_interval_of(results, name: str, context):
    """The shown interval (median, lo, hi) of metric ``name`` of ``results`` in ``context``
    (:func:`twinviewer.personalize.shown.shown_interval` over the periodic members), kept
    on ``results``: :func:`prepared_results` computes them in the job, so the Metrics panel
    only reads them when a twin's results arrive.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> r = SimpleNamespace(metrics={"LVEDP": np.array([9.0, 10.0, 11.0])},
    ...                     ok=np.array([True, True, True]))
    >>> shown_interval_of(r, "LVEDP", None)[0]
    10.0
    """
    from twinviewer.personalize.shown import shown_interval

    key = _context_key(context)
    kept = results.__dict__.get("_shown_intervals")
    if kept is None or kept[0] != key:
        kept = (key, {})
        results.__dict__["_shown_intervals"] = kept
    value = kept[1].get(name)
    if value is None:
        value = kept[1][name] = shown_interval(name, results.metrics[name], results.ok,
                                               context)
    return value


#: Layers the steps, the calibration and the exports import on first use. The first paint
#: does not need them (their packages load names lazily); :func:`preload_layers` imports them
#: in a worker after it, so a first click does not import them on the GUI thread.
PRELOAD = ("twinviewer.personalize.calibrate", "twinviewer.personalize.volume_curve",
           "twinviewer.interventions.compare", "twinviewer.interventions.library",
           "twinviewer.interventions.ranking", "twinviewer.explain.report",
           "scipy.stats", "scipy.optimize")


def preload_layers(modules=PRELOAD) -> list[str]:
    """Import ``modules`` (in a worker thread, after the first paint); returns those that
    failed, which are left to fail again, with their message, where they are used.

    Examples
    --------
    >>> preload_layers(("json",))
    []
    """
    import importlib

    failed = []
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - reported by the panel that needs it
            failed.append(name)
    return failed


def ready_model(twin, wait: Callable[[], bool], cancel: Callable[[], bool],
                modules=PRELOAD, pause_s: float = 0.1, worker=None) -> None:
    """Ready the model for a first simulation or step in the background (a worker thread):
    import numba, load ``twin``'s compiled kernels (one member's simulation), then import
    ``modules`` one at a time; before each step, wait while ``wait()`` is true (the cine
    plays: this work competes with playback for the CPU and the interpreter), stop if
    ``cancel()``. With ``worker`` (a :class:`~twinviewer.gui.process_worker.ProcessWorker`)
    numba and the kernels are loaded in that helper process, not in this one: the GUI
    process then never imports numba (its import held the interpreter ~1 s: stall11).

    Examples
    --------
    >>> ready_model(None, lambda: False, lambda: True)  # cancelled: does nothing
    """
    import time

    if worker is not None:
        from twinviewer.gui.calibration_job import share_anatomy
        from twinviewer.gui.model_jobs import ready_in_process

        steps = [lambda: ready_in_process(worker, twin, cancel)]  # ends on close
        if getattr(twin, "anatomy", None) is not None:
            # the calibration's anatomy, sent now rather than when Calibrate is pressed
            steps.append(lambda: share_anatomy(worker, twin.anatomy))
    else:
        from twinviewer.gui.model_jobs import ready_kernels
        from twinviewer.physiology.jit import compile_model_functions

        # numba's import (none if it is off), then the kernels' load: ~half a second each
        steps = [compile_model_functions, lambda: ready_kernels(twin)]
    steps += [lambda m=m: preload_layers((m,)) for m in modules]
    for step in steps:
        while wait() and not cancel():
            time.sleep(pause_s)
        if cancel():
            return
        step()
