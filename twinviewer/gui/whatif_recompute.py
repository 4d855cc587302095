"""After a calibration, the what-if results the new parameters removed are recomputed on the
calibrated twin, in the background exactly as What-if's Run computes them.

A calibration changes the twin's ensemble, so the scenario results computed on the old one
are removed (:meth:`twinviewer.document.Document.set_twin`). The Calibrate step then starts
:func:`recompute_what_ifs`: the same job as What-if's Run (``state.run_job`` on a worker
thread; every simulation in the session's model helper, :func:`~twinviewer.gui.model_jobs.
scenarios_in_helper`, or on the thread for a plug-in's model, :func:`~twinviewer.gui.
model_jobs.scenario_ensembles`), with the table's cells computed where the simulations run,
so the GUI thread only stores the results. The results are stored only if the twin they were
computed on is still the open one and the baseline they are paired with is its ensemble: the
document never holds results of the old twin under the new one. A scenario that cannot run
now (its plug-in off, a step the new ensemble refuses) is named, with its reason, and keeps no
result; Cancel or a failure says what to press.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from twinviewer.document import same_document
from twinviewer.gui import process_worker
from twinviewer.gui.state import Job, TwinState


def recomputing_title(n: int) -> str:
    """The status bar's name of the job.

    >>> recomputing_title(2)
    'Recomputing 2 what-if scenarios on the calibrated twin'
    """
    return f"Recomputing {n} what-if scenario{'' if n == 1 else 's'} on the calibrated twin"


def recomputed_text(names: Sequence[str], failed: dict[str, str]) -> str:
    """What is said when the recompute has finished.

    >>> recomputed_text(["A"], {})
    'What-if recomputed on the calibrated twin: A.'
    >>> recomputed_text(["A"], {"B": "its plug-in is off"})
    'What-if recomputed on the calibrated twin: A. Not recomputed: B (its plug-in is off).'
    """
    done = f"What-if recomputed on the calibrated twin: {', '.join(names)}." if names else ""
    not_run = ("Not recomputed: " + "; ".join(f"{k} ({why})" for k, why in failed.items())
               + ".") if failed else ""
    return " ".join(t for t in (done, not_run) if t)


def not_recomputed_text(why: str) -> str:
    """What is said when the recompute was cancelled or failed.

    >>> not_recomputed_text("cancelled")[:74]
    'The what-if results were not recomputed on the calibrated twin (cancelled)'
    """
    return (f"The what-if results were not recomputed on the calibrated twin ({why}): press "
            "Run in What-if to compute them.")


def recompute_what_ifs(state: TwinState, names: Sequence[str], *,
                       in_process: bool | None = None) -> Job | None:
    """Recompute the open twin's scenarios ``names`` over its ensemble in the background.

    Parameters
    ----------
    state : TwinState
    names : sequence of str
        The scenarios whose results a calibration removed
        (:attr:`~twinviewer.document.Document.removed_results`).
    in_process : bool, optional
        Simulate in the session's model helper (default: where a helper can run, as
        What-if's Run does).

    Returns
    -------
    Job or None
        The job, or None when nothing could run (said in the status bar).

    Examples
    --------
    >>> job = recompute_what_ifs(state, state.session.removed_results)  # doctest: +SKIP
    """
    from twinviewer.gui.model_jobs import helper, scenarios_work, use_helper
    from twinviewer.gui.scenario_panel import TABLE_METRICS, _check_core_steps
    from twinviewer.interventions import InterventionError
    from twinviewer.interventions.library import why_unavailable
    from twinviewer.io import audit_log
    from twinviewer.personalize.shown import context_of_twin
    from twinviewer.physiology import ModelError
    from twinviewer.twins import model_of

    twin = state.twin
    if twin is None:
        return None
    wanted = [s for s in twin.scenarios if s.name in set(names)]
    if not wanted:
        return None
    failed = {sc.name: why for sc in wanted
              if (why := next(filter(None, map(why_unavailable, (st.name for st in sc.steps))),
                              ""))}
    try:
        model = model_of(twin)
    except ModelError as exc:
        state.warn(not_recomputed_text(str(exc)))
        return None
    scenarios = []
    for sc in (s for s in wanted if s.name not in failed):
        try:
            _check_core_steps(model, twin.ensemble, [sc])
            scenarios.append(sc)
        except (InterventionError, ModelError) as exc:
            failed[sc.name] = str(exc)
    if not scenarios:
        state.warn(recomputed_text([], failed))
        return None
    base = state.results
    if base is not None and not np.array_equal(base.params, twin.ensemble):
        base = None  # not the calibrated ensemble's: the job simulates it
    ensemble, n = twin.ensemble, twin.ensemble.shape[0]
    ran_failed: dict[str, str] = {}  # filled on the job's thread, read in done()
    helped = process_worker.available() if in_process is None else in_process
    if helped and use_helper(twin):
        work = scenarios_work(model, ensemble, base, scenarios, ran_failed, worker=helper(),
                              cells=(TABLE_METRICS, context_of_twin(twin)))
    else:
        work = scenarios_work(model, ensemble, base, scenarios, ran_failed)

    def done(out) -> None:
        baseline, res = out
        now = state.twin
        # the open twin may be a later edit of the same one (a note added meanwhile): the
        # results are its own only if its ensemble is the one they were computed on
        if now is None or not same_document(now, twin) \
                or not np.array_equal(now.ensemble, twin.ensemble):
            if now is not None and same_document(now, twin):
                state.info(not_recomputed_text("the twin changed meanwhile"))
            return
        if not np.array_equal(baseline.params, now.ensemble):  # never under the new twin
            state.warn(not_recomputed_text("they were not computed on its ensemble"))
            return
        failed.update(ran_failed)
        defined = list(now.scenarios)  # a scenario redefined meanwhile keeps no old result
        kept = {s.name: res[s.name] for s in scenarios if s.name in res and s in defined}
        doc = state.session
        with doc.batch():
            if baseline is not doc.results:
                doc.set_results(baseline)
            for sc in scenarios:
                if sc.name in kept:
                    audit_log(now).record(now, "scenario", {
                        **sc.to_dict(), "members": n, "recomputed": "after a calibration",
                        "described": " + ".join(_step_texts(sc))})
            doc.set_scenario_results({**doc.scenario_results, **kept})
        said = recomputed_text(list(kept), failed)
        (state.warn if failed else state.info)(said)

    def stopped(exc: BaseException) -> None:
        if not job.quiet:  # superseded by a newer recompute (a second calibration): silent
            state.warn(not_recomputed_text(str(exc) or type(exc).__name__))

    job = state.run_job(recomputing_title(len(scenarios)), work, done, stopped)
    job.names = [s.name for s in wanted]  # what a newer recompute takes over if this one goes
    return job


def _step_texts(scenario) -> list[str]:
    from twinviewer.interventions.scenario import step_text

    return [step_text(s) for s in scenario.steps]
