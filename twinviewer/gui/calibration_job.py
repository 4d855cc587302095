"""The work of *Calibrate*, run in a helper process (no Qt: the child imports this module).

:func:`calibrated_with_results` is the job's body (the calibration, the calibrated twin with
its audit entry, its simulated ensemble and what the plots derive from it).
:func:`calibrated_in_process` runs it in the session's warm helper process
(:mod:`twinviewer.gui.process_worker`) from a worker thread, so the calibration's Python
does not hold the GUI process's interpreter lock. What comes back is relinked to the open
twin: the calibrated twin shares the open twin's anatomy object and audit entries (as the
in-thread path's does), and the plots' cached bands are keyed by the open anatomy's curves.

Cancel is passed to the helper, whose job stops at its next check; a helper stuck where it
never checks (C code) is ended :data:`CANCEL_GRACE_S` after Cancel
(:func:`call_cancellable`), said in the error, and the next job starts a fresh one. When
the twin is closed or another opened, the helper and its worker drop the anatomy they were
sent (:func:`forget_anatomy`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from twinviewer.gui.prepared import prepared_results
from twinviewer.gui.process_worker import SHARED, HelperDied, ProcessWorker

#: Share of the calibration job's progress bar taken by the calibration (the rest: simulating
#: the calibrated twin).
CALIBRATION_SHARE = 0.85

#: Modules the helper imports as soon as it starts (the Calibrate step opened).
WARM = ("twinviewer.gui.calibration_job", "twinviewer.personalize.calibrate",
        "twinviewer.personalize.volume_curve", "twinviewer.twins", "scipy.stats",
        "scipy.optimize", "twinviewer.gui.plots")

CHAMBERS = ("LV", "RV")

#: Seconds a cancelled job has to stop at its next check before its helper is ended.
CANCEL_GRACE_S = 5.0

#: Seconds between two looks at Cancel by the thread that may end the helper.
_CANCEL_POLL_S = 0.2


def calibrated_with_results(twin, *, n: int, seed: int, prior, progress, cancel,
                            day: int | None = None):
    """Worker body of *Calibrate*: the calibration of ``twin`` on visit ``day`` (None: the
    twin's last visit re-done with its corrected data, or its first calibration; a later day:
    a new visit; :func:`twinviewer.personalize.revisit.plan_visit`) and, when it reproduces the
    measurements, the calibrated twin (with its audit entry:
    :func:`~twinviewer.document.calibrated_twin`) and its simulated ensemble (warm-started
    from the calibration's limit cycles) with the plots' derived curves already computed;
    else ``(result, None, None)``. Opening the result then only refreshes the views.

    Examples
    --------
    >>> result, results, new = calibrated_with_results(  # doctest: +SKIP
    ...     twin, n=32, seed=0, prior=None, progress=p, cancel=c)
    """
    from twinviewer.document import calibrated_twin
    from twinviewer.personalize.revisit import calibrate_visit
    from twinviewer.twins import simulate_twin

    result = calibrate_visit(twin, None, day=day, n=n, seed=seed, prior=prior,
                       progress=lambda f, t="": progress(CALIBRATION_SHARE * f, t),
                       cancel=cancel)
    shown(result)
    if result.unreproduced:
        return result, None, None
    new = calibrated_twin(twin, result)
    results = simulate_twin(new, warm_start=result.results.final_state,
                            progress=lambda f, t="": progress(
                                CALIBRATION_SHARE + (1 - CALIBRATION_SHARE) * f,
                                t or "simulating the calibrated twin"),
                            cancel=cancel)
    return result, prepared_results(results, new), new


def shown(result) -> dict:
    """What the Calibrate step shows of ``result`` that takes computing (the parameter
    intervals and the unmeasured predictions: quantiles of the ensembles), computed once
    and kept with it; the job computes it, so the GUI thread only draws.

    Examples
    --------
    >>> shown(result)["intervals"][0]["name"]  # doctest: +SKIP
    'LV.EA'
    """
    kept = result.__dict__.get("_shown")
    if kept is None:
        kept = {"intervals": result.parameter_intervals(),
                "predictions": result.unmeasured_predictions()}
        result.__dict__["_shown"] = kept
    return kept


def runs_in_process(twin) -> bool:
    """Whether ``twin``'s calibration can run in the helper: its model is an installed one
    (sent by reference); an imported or plug-in model runs on a worker thread here.

    >>> from twinviewer.twins import twin_from_preset
    >>> runs_in_process(twin_from_preset("healthy", n=1))
    True
    """
    from twinviewer.physiology.presets import CORE_MODELS, model_for

    # a plug-in's model is in this process's MODELS but not in the helper's (no plug-ins there)
    return (twin.model_name in CORE_MODELS
            and model_for(twin.model_name, twin.model_version, twin.equation_hash) is not None)


def _light_anatomy(anatomy):
    """The anatomy without its image voxels (90 of the demo's 115 MB): the calibration
    reads the anatomy's measurements and its structures' per-phase volumes and meshes,
    and the phases' times after R, kept here: an imported study's times are the image's,
    and without them its volume curves were untimed and left out of the GUI's first
    calibration, which ``twin create`` fits (review13 #2).

    >>> from twinviewer.core.anatomy import Anatomy
    >>> _light_anatomy(Anatomy("TW-1", phase_times_ms=[0.0, 40.0])).phase_times_ms
    [0.0, 40.0]
    """
    if anatomy is None:
        return None
    return replace(anatomy, image=None, phase_times_ms=anatomy.cycle_times_ms())


def share_anatomy(worker: ProcessWorker, anatomy) -> str | None:
    """Send ``anatomy`` (without its image) to ``worker``'s helper ahead of a calibration;
    its token, or None if the helper could not take it (the calibration sends it again)."""
    try:
        return worker.share("anatomy", anatomy, _light_anatomy)
    except (OSError, EOFError):  # the helper died meanwhile: the next job starts another
        return None


def child_calibration(*, twin, anatomy: str | None, n: int, seed: int, prior, progress,
                      cancel, day: int | None = None) -> tuple:
    """In the helper: :func:`calibrated_with_results` of ``twin`` with the shared anatomy
    (token ``anatomy``), returned without the anatomy (the parent has it) and with the ids
    of the anatomy's measured curves that the results' cached bands are keyed by."""
    from twinviewer.gui.plots import measured_curve

    an = SHARED[anatomy] if anatomy is not None else None
    twin = replace(twin, anatomy=an)
    result, results, new = calibrated_with_results(twin, n=n, seed=seed, prior=prior,
                                                   progress=progress, cancel=cancel, day=day)
    curve_ids = {c: id(measured_curve(an, c)) for c in CHAMBERS} if an is not None else {}
    if new is not None:
        new.anatomy = None
    return result, results, new, curve_ids


def calibrated_in_process(worker: ProcessWorker, twin, *, n: int, seed: int, prior,
                          progress, cancel, grace_s: float = CANCEL_GRACE_S,
                          day: int | None = None) -> tuple:
    """:func:`calibrated_with_results` of ``twin`` run in ``worker``'s process (call from a
    worker thread). Returns the same ``(result, results, calibrated twin)``, relinked to
    ``twin``: the calibrated twin holds ``twin``'s anatomy and audit entries themselves.
    Cancel ends a helper that does not stop within ``grace_s`` (:func:`call_cancellable`).
    The anatomy stays in the helper for the next job on the same twin; the Calibrate step
    has it dropped when the twin is closed or another opened (:func:`forget_anatomy`).

    Examples
    --------
    >>> result, results, new = calibrated_in_process(  # doctest: +SKIP
    ...     ProcessWorker("calibration"), twin, n=32, seed=0, prior=None, progress=p,
    ...     cancel=c)
    """
    an = twin.anatomy
    started = len(twin.audit)  # the trail the child copies; entries after it are its own
    result, results, new, curve_ids = call_cancellable(
        worker, "twinviewer.gui.calibration_job:child_calibration",
        {"twin": replace(twin, anatomy=None), "n": n, "seed": seed, "prior": prior,
         "day": day},
        progress, cancel, grace_s=grace_s,
        shared={"anatomy": ("anatomy", an, _light_anatomy)})
    if new is not None:
        _relink(new, results, twin, curve_ids, started)
    return result, results, new


def forget_anatomy(worker: ProcessWorker) -> None:
    """Let the helper (and ``worker``) drop the last anatomy sent: the child held its ~25 MB
    (without the image) and the worker the whole anatomy (~115 MB with the image) after
    that twin was closed, until the next calibration. A dead helper is not restarted for
    it; the next job sends its twin's anatomy again."""
    if worker.alive():
        try:
            worker.share("anatomy", None)
        except (OSError, EOFError):  # it died meanwhile: nothing is kept
            pass


def call_cancellable(worker: ProcessWorker, target: str, kwargs: dict,
                     progress: Callable[[float, str], None] | None,
                     cancel: Callable[[], bool], *, grace_s: float = CANCEL_GRACE_S,
                     with_progress: bool = True, shared: dict | None = None) -> Any:
    """``worker.call(target, kwargs, progress, cancel, with_progress=…, shared=…)``; a
    helper still running this job ``grace_s`` after ``cancel()`` turned true (stuck in C
    code, where the job never checks) is ended, and
    :class:`~twinviewer.physiology.Cancelled` says so (the next job starts a new one). The
    grace counts from when the job runs: the helper is shared by the model's jobs, and one
    waiting behind another job's is not run at all once cancelled (review11b #1).

    Examples
    --------
    >>> w = ProcessWorker("example")
    >>> call_cancellable(w, "textwrap:dedent", {"text": "  done"}, None, lambda: False,
    ...                  with_progress=False)
    'done'
    >>> w.close()
    """
    from twinviewer.physiology import Cancelled

    finished, mine, ended = threading.Event(), [], []

    def end_if_stuck() -> None:
        while not finished.wait(_CANCEL_POLL_S):
            if mine and cancel():  # this job runs (not another job of the helper's)
                if not finished.wait(grace_s) and worker.kill_job(mine[0]):
                    ended.append(mine[0])
                return

    threading.Thread(target=end_if_stuck, name=f"{worker.name}: cancel", daemon=True).start()
    try:
        return worker.call(target, kwargs, progress, cancel, with_progress=with_progress,
                           shared=shared, started=mine.append)
    except HelperDied:
        if ended:
            raise Cancelled(f"the {worker.name} process did not stop within {grace_s:g} s "
                            "of Cancel and was ended; the next run starts a new one") from None
        raise
    finally:
        finished.set()


def _relink(new, results, twin, curve_ids: dict[str, int], started: int | None = None) -> None:
    """Give the calibrated twin back what the child did not have: ``twin``'s anatomy object
    and audit entries (``Document.apply_calibration`` checks they are the open twin's), and
    key the results' cached measured bands by the open anatomy's own curves."""
    from twinviewer.gui.plots import measured_curve
    from twinviewer.io.audit import AuditLog

    new.anatomy = twin.anatomy
    k = len(twin.audit) if started is None else started
    own = list(new.audit[k:])  # the calibration's entries, chained to the trail it started on
    new.audit = list(twin.audit)
    log = AuditLog(new.audit)
    for e in own:  # re-chained after what the user recorded meanwhile (a note: review10b #2)
        log.append(e.action, e.details, model=e.model)
    cache: dict[Any, Any] = getattr(results, "__dict__", {}).get("_measured_band_cache", {})
    for chamber, child_id in curve_ids.items():
        band = cache.pop((chamber, child_id), None)
        curve = measured_curve(twin.anatomy, chamber)
        if band is not None and curve is not None:
            cache[(chamber, id(curve))] = band
