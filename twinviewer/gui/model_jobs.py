"""The model's jobs in the session's helper process, so that in the normal journey (demo
heart, Play, Calibrate, what-if, live preview, Explain, report) the GUI process does not
import numba.

numba's import and the first load of the compiled kernels hold the interpreter lock for about
a second, with full garbage collections of 50–80 ms inside (stall10); run on a worker thread of
the GUI process they stalled a playback by 73–278 ms. The journey's simulations therefore run
in a helper process (:mod:`twinviewer.gui.process_worker`):

- :func:`ready_in_process`: the readying after the demo's first paint (numba, the kernels);
- :func:`scenarios_in_process`: the what-if ensembles (the baseline is shared once);
- :func:`live_in_process`: the live single-twin preview (its own small helper, so a long
  calibration does not hold it up);
- the calibration (:mod:`twinviewer.gui.calibration_job`) uses the same helper as the first two.

Each ``*_in_process`` function is called from a worker thread; the matching ``child_*``
function is its body in the helper. Where no helper can run (not POSIX, an imported or
plug-in model: :func:`use_helper`; a frozen bundle does run one, the app started with
``--process-worker``) the panels run the same Qt-free body on a thread, and the results are
the same bit for bit (tests/gui/test_model_jobs.py).

Not moved yet (they still simulate on a worker thread of the GUI process, so using them
imports numba there): Explain's Sobol indices, the teaching controls, the cohort view, the
Diagnose step and the timeline.

Examples
--------
>>> from twinviewer.twins import twin_from_preset
>>> use_helper(twin_from_preset("healthy", n=1)) == process_worker.available()
True
"""

from __future__ import annotations

import dataclasses
from typing import Any

from twinviewer.gui import process_worker
from twinviewer.gui.calibration_job import WARM as CALIBRATION_WARM
from twinviewer.gui.calibration_job import runs_in_process
from twinviewer.gui.process_worker import ProcessWorker

#: Modules the model helper imports as soon as it starts: the kernels' (numba), then the
#: calibration's and the what-if's layers.
WARM = ("twinviewer.physiology.jit", "twinviewer.physiology.simulate",
        "twinviewer.interventions.compare", *CALIBRATION_WARM)

#: The live preview's helper needs only the kernels and the interventions.
PREVIEW_WARM = ("twinviewer.physiology.jit", "twinviewer.physiology.simulate",
                "twinviewer.interventions.single")

_HELPERS: dict[str, ProcessWorker] = {}


def helper() -> ProcessWorker:
    """The session's model helper (one per GUI process, kept warm): the readying, the
    calibrations and the what-if ensembles run in it, one at a time."""
    if "model" not in _HELPERS:
        _HELPERS["model"] = ProcessWorker("model", WARM)
    return _HELPERS["model"]


def preview_helper() -> ProcessWorker:
    """The live preview's helper (one member at a time, a few ms each)."""
    if "preview" not in _HELPERS:
        _HELPERS["preview"] = ProcessWorker("live preview", PREVIEW_WARM)
    return _HELPERS["preview"]


def use_helper(twin, scenarios=()) -> bool:
    """Whether ``twin``'s model jobs (with ``scenarios``) run in a helper process: a helper
    can run here (:func:`~twinviewer.gui.process_worker.available`: POSIX, a frozen bundle
    too), the model is one this package ships (sent by reference) and so is every
    scenario's intervention; a plug-in's model or intervention runs here, where its plug-in
    is loaded and guarded. (A plug-in intervention's *transform* only: with ``use_helper(twin)``
    its scenario is applied here and simulated in the helper, :func:`scenarios_in_helper`,
    :func:`live_applied_in_process`.)

    >>> from twinviewer.core.twin import InterventionStep, Scenario
    >>> from twinviewer.twins import twin_from_preset
    >>> use_helper(None)
    False
    >>> use_helper(twin_from_preset("healthy", n=1),
    ...            [Scenario("x", (InterventionStep("a_plugins_drug"),))])
    False
    """
    from twinviewer.interventions.library import CORE_INTERVENTIONS

    return (process_worker.available() and hasattr(twin, "equation_hash")
            and runs_in_process(twin)
            and all(step.name in CORE_INTERVENTIONS for sc in scenarios for step in sc.steps))


def core_only(scenario) -> bool:
    """Whether every step of ``scenario`` is an intervention this package ships (the
    helper can apply it itself).

    >>> from twinviewer.core.twin import InterventionStep, Scenario
    >>> core_only(Scenario("x", (InterventionStep("pacing"), InterventionStep("a_plugins"))))
    False
    """
    from twinviewer.interventions.library import CORE_INTERVENTIONS

    return all(step.name in CORE_INTERVENTIONS for step in scenario.steps)


def _light_results(results):
    """``results`` without what the views cached on it (bands, colour scales): the fields
    only, which is all a simulation needs of a baseline."""
    return dataclasses.replace(results)


# -- readying --------------------------------------------------------------------------------
def ready_kernels(twin) -> None:
    """Import numba and load ``twin``'s compiled kernels (one member's simulation): the
    next simulation of this model starts at once.

    >>> ready_kernels(None)  # nothing to ready
    """
    if twin is None:
        return
    from twinviewer.physiology.jit import compile_model_functions
    from twinviewer.twins import simulate_twin

    compile_model_functions()
    simulate_twin(twin, ensemble=False)


def child_ready(*, twin) -> None:
    """In the helper: :func:`ready_kernels` (the twin comes without its anatomy)."""
    ready_kernels(twin)


def ready_in_process(worker: ProcessWorker, twin, cancel=None) -> None:
    """:func:`ready_kernels` of ``twin`` in ``worker``'s process (call from a worker thread);
    the twin is sent without its anatomy (the kernels do not read it).

    ``cancel() -> bool`` (the window closed) ends the helper if the readying is running:
    numba's compilation never looks at Cancel, and a first start compiles the kernels for
    ~1 min, which the closing window's worker thread, and so the app's exit, waited for
    (bundle14b: a 5 s start took 55–80 s to exit). numba writes its cache files whole
    (a temporary file, then renamed), so a kill leaves no half-written kernel behind; the
    next start compiles again in the background. Raises
    :class:`~twinviewer.physiology.Cancelled` when cancelled.

    >>> ready_in_process(ProcessWorker("example"), object(), cancel=lambda: True)
    Traceback (most recent call last):
    twinviewer.physiology.simulate.Cancelled: cancelled before the example process started it
    """
    call_until_closed(worker, f"{__name__}:child_ready", {"twin": _without_anatomy(twin)},
                      cancel, background=True)  # the helper's lowest priority


def call_until_closed(worker: ProcessWorker, target: str, kwargs: dict, cancel=None, *,
                      background: bool = False) -> Any:
    """``worker.call(target, kwargs)`` (no progress) that ``cancel() -> bool`` ends by
    killing the helper, for a job that never looks at Cancel; raises
    :class:`~twinviewer.physiology.Cancelled` when cancelled.

    >>> w = ProcessWorker("example")
    >>> call_until_closed(w, "textwrap:dedent", {"text": " x"})
    'x'
    >>> w.close()
    """
    from twinviewer.physiology import Cancelled

    sent: list[int] = []

    def cancelled() -> bool:
        if cancel is None or not cancel():
            return False
        if not sent:
            return True  # not sent yet: the helper never starts it
        worker.kill_job(sent[0])  # the helper's death ends the wait (HelperDied below)
        return False  # no "cancel" message to a process being killed

    try:
        return worker.call(target, kwargs, is_cancelled=cancelled, with_progress=False,
                           started=sent.append, background=background)
    except process_worker.HelperDied:
        if cancel is not None and cancel():
            raise Cancelled(f"{target}: its window closed") from None
        raise


def _without_anatomy(twin):
    """``twin`` without its anatomy (what the helper needs of it), or ``twin`` itself if it
    has none to drop."""
    return dataclasses.replace(twin, anatomy=None) if dataclasses.is_dataclass(twin) else twin


# -- a twin's ensemble ------------------------------------------------------------------------
def child_simulate(*, twin, warm_start, progress, cancel):
    """In the helper: :func:`~twinviewer.twins.simulate_twin` (the twin without anatomy)."""
    from twinviewer.twins import simulate_twin

    return simulate_twin(twin, warm_start=warm_start, progress=progress, cancel=cancel)


def simulated_twin(twin, *, progress, cancel, warm_start=None,
                   worker: ProcessWorker | None = None):
    """``twin``'s ensemble simulated (:func:`~twinviewer.twins.simulate_twin`) in
    ``worker``'s process, or here without a worker (call from a worker thread).

    Examples
    --------
    >>> from twinviewer.twins import twin_from_preset
    >>> r = simulated_twin(twin_from_preset("healthy", n=2), progress=lambda f, t="": None,
    ...                    cancel=lambda: False)
    >>> r.n
    2
    """
    if worker is None:
        from twinviewer.twins import simulate_twin

        return simulate_twin(twin, warm_start=warm_start, progress=progress, cancel=cancel)
    return worker.call(f"{__name__}:child_simulate",
                       {"twin": dataclasses.replace(twin, anatomy=None),
                        "warm_start": warm_start}, progress, cancel)


# -- the demo's first start ----------------------------------------------------------------
def child_calibrate_demo(*, anatomy: str, cache, progress, cancel) -> tuple:
    """In the helper: :func:`~twinviewer.gui.demo_heart.calibrate_demo_twin` with the shared
    anatomy (token ``anatomy``; without its image, which the calibration does not read)."""
    from twinviewer.gui.demo_heart import calibrate_demo_twin
    from twinviewer.gui.process_worker import SHARED

    return calibrate_demo_twin(SHARED[anatomy], progress, cancel, cache=cache)


def calibrated_demo(anatomy, *, progress, cancel, worker: ProcessWorker | None = None) -> tuple:
    """The demo twin calibrated to ``anatomy``'s volume curves and stored, with its results
    (:func:`~twinviewer.gui.demo_heart.calibrate_demo_twin`, the first start after install),
    in ``worker``'s process or here (call from a worker thread). The cache is this process's
    (:func:`~twinviewer.gui.demo_heart.cache_dir`), named to the helper."""
    from twinviewer.gui.calibration_job import _light_anatomy
    from twinviewer.gui.demo_heart import cache_dir, calibrate_demo_twin

    if worker is None:
        return calibrate_demo_twin(anatomy, progress, cancel)
    return worker.call(f"{__name__}:child_calibrate_demo", {"cache": cache_dir()}, progress,
                       cancel, shared={"anatomy": ("anatomy", anatomy, _light_anatomy)})


# -- what-if ensembles ---------------------------------------------------------------------
def scenario_ensembles(model, ensemble, baseline, scenarios, *, progress, cancel,
                       failed: dict[str, str] | None = None) -> tuple:
    """The what-if job's body: the baseline ensemble run (simulated if ``baseline`` is None)
    and each scenario over it (:func:`~twinviewer.interventions.run_scenarios`; with
    ``failed``, a scenario that cannot run is named there with its reason, the others run).

    Examples
    --------
    >>> baseline, res = scenario_ensembles(model, twin.ensemble, None, [sc],  # doctest: +SKIP
    ...                                    progress=p, cancel=c)
    """
    from twinviewer.gui.prepared import loop_curves
    from twinviewer.interventions import run_scenarios
    from twinviewer.physiology import simulate

    if baseline is None:
        progress(0.0, "baseline")
        baseline = simulate(model, ensemble, cancel=cancel)
    res = run_scenarios(model, baseline, scenarios, progress=progress, cancel=cancel,
                        failed=failed)
    for r in (baseline, *res.values()):  # what the What-if step draws, computed here
        loop_curves(r)
    return baseline, res


def child_scenarios(*, model, ensemble, baseline: str | None, scenarios, progress,
                    cancel, table: tuple | None = None) -> tuple:
    """In the helper: :func:`scenario_ensembles` with the shared baseline (token
    ``baseline``); the baseline comes back only if it was simulated here. With ``table``
    (the table's metrics and interval context), the new results' table cells are computed
    here and come back kept on them
    (:func:`~twinviewer.interventions.table_cells.scenario_cells`)."""
    from twinviewer.gui.process_worker import SHARED

    base = SHARED[baseline] if baseline is not None else None
    failed: dict[str, str] = {}
    out, res = scenario_ensembles(model, ensemble, base, scenarios, progress=progress,
                                  cancel=cancel, failed=failed)
    if table is not None:
        table_cells_of(out, res, *table)
    return (None if base is not None else out), res, failed


def table_cells_of(baseline, results: dict, metrics, context) -> None:
    """Compute (and keep on each of ``results``) the what-if table's cells of ``results``
    against ``baseline`` in interval ``context``, as the panel's table computes them
    (:func:`twinviewer.gui.scenario_panel.prepared_table`); the results not over
    ``baseline``'s members are left alone.

    >>> table_cells_of(None, {}, ("CO",), None)
    """
    from twinviewer.gui.prepared import _context_key
    from twinviewer.interventions.table_cells import scenario_cells

    if baseline is None:
        return
    paired = {k: r for k, r in results.items() if r.n == baseline.n}
    scenario_cells(baseline, paired, metrics, predictive=context,
                   predictive_key=_context_key(context))


def scenarios_in_process(worker: ProcessWorker, model, ensemble, baseline, scenarios, *,
                         progress, cancel, failed: dict[str, str] | None = None,
                         table: tuple | None = None) -> tuple:
    """:func:`scenario_ensembles` run in ``worker``'s process (call from a worker thread).
    ``baseline`` is shared once (without the views' caches) and given back as itself.
    ``table`` (metrics, interval context): the new results' table cells are computed there
    (:func:`child_scenarios`)."""
    from twinviewer.gui.prepared import loop_curves

    args = {"model": model, "ensemble": ensemble, "scenarios": list(scenarios)}
    if table is not None:
        args["table"] = table
    out, res, why = worker.call(f"{__name__}:child_scenarios", args, progress, cancel,
                           shared={"baseline": ("baseline", baseline, _light_results)})
    if why and failed is None:  # as run_scenarios without ``failed``: the first refusal
        from twinviewer.interventions import InterventionError

        name, reason = next(iter(why.items()))
        raise InterventionError(f"{name}: {reason}")
    if failed is not None:
        failed.update(why)
    if baseline is not None:
        loop_curves(baseline)  # the helper drew on its copy: this one's, on this thread
        return baseline, res
    return out, res


def _withdraws(scenario) -> bool:
    """:func:`~twinviewer.interventions.scenario.depends_on_lvef` (a β1-blocker's withdrawn
    support or a β-agonist's receptor loss needs the baseline LVEF), False where the lookup
    fails (its plug-in is off: the apply names that)."""
    from twinviewer.interventions.scenario import depends_on_lvef

    try:
        return depends_on_lvef(scenario)
    except Exception:  # noqa: BLE001 - a plug-in's lookup; the apply reports it
        return False


def child_baseline(*, model, ensemble, progress, cancel):
    """In the helper: the baseline run of ``ensemble`` (as :func:`scenario_ensembles`)."""
    from twinviewer.physiology import simulate

    progress(0.0, "baseline")
    return simulate(model, ensemble, cancel=cancel)


def scenarios_work(model, ensemble, baseline, scenarios, failed: dict, *,
                   worker: ProcessWorker | None = None, cells=None):
    """The job callable ``(progress, is_cancelled) -> (baseline, results)`` that simulates
    ``scenarios``: in the model helper ``worker`` (its table ``cells`` computed there too),
    or, without one, on the job's own thread; ``failed`` collects what could not run. The
    What-if Run and the recompute after a calibration both build their job with it.

    Examples
    --------
    >>> work = scenarios_work(None, None, None, [], {})
    >>> callable(work)
    True
    """
    if worker is not None:
        def work(progress, is_cancelled):
            return scenarios_in_helper(worker, model, ensemble, baseline, scenarios,
                                       progress=progress, cancel=is_cancelled, failed=failed,
                                       table=cells)
    else:
        def work(progress, is_cancelled):
            return scenario_ensembles(model, ensemble, baseline, scenarios, progress=progress,
                                      cancel=is_cancelled, failed=failed)
    return work


def scenarios_in_helper(worker: ProcessWorker, model, ensemble, baseline, scenarios, *,
                        progress, cancel, failed: dict[str, str] | None = None,
                        table: tuple | None = None) -> tuple:
    """:func:`scenario_ensembles` with every simulation in ``worker``'s process (call from a
    worker thread), whatever the scenarios' interventions: a scenario with a plug-in's step
    is applied here, where its plug-in is loaded and guarded (the transform on a daemon
    thread within its budget: a hang is named and the plug-in disabled, the others still
    run, as with ``failed`` in :func:`~twinviewer.interventions.run_scenarios`), and goes to
    the helper as an :class:`~twinviewer.interventions.AppliedScenario` with the built-in
    ones. The numbers are those of :func:`scenario_ensembles` bit for bit
    (tests/gui/test_plugin_run_in_helper.py). A plug-in's β1-blocking step needs the
    members' baseline LVEF: without ``baseline`` the helper simulates it first. ``table``
    (the table's metrics, the interval context): the helper also computes the new results'
    table cells (:func:`table_cells_of`), kept on them.

    Run in this process, a plug-in's scenario took the built-in ones' simulation with it:
    numba imported and kernels run next to a hanging transform froze the window 1.8 s
    (fix12c)."""
    from twinviewer.interventions.scenario import applied, lvef_of
    from twinviewer.physiology.simulate import Cancelled

    here = [sc for sc in scenarios if not core_only(sc)]
    if here and baseline is None and any(map(_withdraws, here)):
        baseline = worker.call(f"{__name__}:child_baseline",
                               {"model": model, "ensemble": ensemble}, progress, cancel)
    lvef = lvef_of(baseline) if baseline is not None else None
    params = baseline.params if baseline is not None else ensemble
    items, why = [], {}
    for sc in scenarios:
        if core_only(sc):
            items.append(sc)
            continue
        if cancel():
            raise Cancelled("cancelled")
        progress(0.0, f"{sc.name}: applying its steps")
        try:
            items.append(applied(model, params, sc, baseline_lvef=lvef, tolerate=True))
        except Cancelled:
            raise
        except Exception as exc:  # noqa: BLE001 - a plug-in's failure is any exception
            if failed is None:
                raise
            why[sc.name] = str(exc) or type(exc).__name__
    out = scenarios_in_process(worker, model, ensemble, baseline, items, progress=progress,
                               cancel=cancel, failed=failed, table=table)
    if failed is not None:
        failed.update(why)
    return out


# -- explanations ----------------------------------------------------------------------------
def explanation(twin, metric: str, results, scenario_params, explainers, *, progress,
                cancel):
    """The Explain step's job body: the point estimate's run, then
    :func:`~twinviewer.explain.report.explain` of ``metric`` (its local sensitivities
    simulate), with ``explainers`` (the plug-ins' paragraphs).

    Examples
    --------
    >>> ex = explanation(twin, "CO", results, None, {}, progress=p, cancel=c)  # doctest: +SKIP
    """
    import inspect

    from twinviewer.explain.report import explain
    from twinviewer.twins import simulate_twin

    progress(0.05, "point estimate")
    point = simulate_twin(twin, ensemble=False, cancel=cancel)
    progress(0.2, "local sensitivities")
    kw = {"cancel": cancel} if "cancel" in inspect.signature(explain).parameters else {}
    return explain(twin, metric, results=results, point_results=point,
                   scenario_params=scenario_params, explainers=explainers, **kw)


def child_explanation(*, twin, anatomy: str | None, metric: str, results: str,
                      scenario_params, progress, cancel):
    """In the helper: :func:`explanation` with the shared anatomy and baseline (tokens),
    without plug-in explainers (a twin with some is explained on a thread of the app)."""
    from twinviewer.gui.process_worker import SHARED

    twin = dataclasses.replace(twin, anatomy=SHARED[anatomy] if anatomy else None)
    return explanation(twin, metric, SHARED[results], scenario_params, {},
                       progress=progress, cancel=cancel)


def explanation_in_process(worker: ProcessWorker, twin, metric: str, results,
                           scenario_params, *, progress, cancel):
    """:func:`explanation` (no plug-in explainers) in ``worker``'s process (call from a worker
    thread); the anatomy (without its image) and the baseline are shared once."""
    from twinviewer.gui.calibration_job import _light_anatomy

    return worker.call(f"{__name__}:child_explanation",
                       {"twin": dataclasses.replace(twin, anatomy=None), "metric": metric,
                        "scenario_params": scenario_params}, progress, cancel,
                       shared={"anatomy": ("anatomy", twin.anatomy, _light_anatomy),
                               "results": ("baseline", results, _light_results)})


# -- the live preview ------------------------------------------------------------------------
_PREDICTOR: dict[str, Any] = {}


def live_prediction(model, params, scenario, kept: dict | None = None):
    """The live preview's body: ``scenario`` for one parameter set (the twin's point
    estimate) with a :class:`~twinviewer.interventions.SingleTwinPredictor` kept in ``kept``
    for the same model and parameters (each prediction warm-starts from the last).

    Examples
    --------
    >>> from twinviewer.core.twin import InterventionStep, Scenario
    >>> from twinviewer.physiology import get_preset
    >>> p = get_preset("severe_as")
    >>> r = live_prediction(p.model, p.vector(),
    ...                     Scenario("tavi", (InterventionStep("tavi", {"eoa": 1.8}),)))
    >>> bool(r.metrics["AV_mean_gradient"][0] < 20)
    True
    """
    return _kept_predictor(model, params, kept).predict(scenario)


def _kept_predictor(model, params, kept: dict | None = None):
    """The :class:`~twinviewer.interventions.SingleTwinPredictor` kept in ``kept`` (default:
    this process's) for ``model`` and ``params``, made anew for others."""
    import numpy as np

    from twinviewer.interventions import SingleTwinPredictor

    kept = _PREDICTOR if kept is None else kept
    params = np.asarray(params, dtype=float)
    key = (model.name, model.version, model.equation_hash, params.tobytes())
    if kept.get("key") != key:
        kept.clear()
        kept.update(key=key, predictor=SingleTwinPredictor(model, params))
    return kept["predictor"]


def child_live(*, model, params, scenario):
    """In the helper: :func:`live_prediction` with the helper's own kept predictor."""
    return live_prediction(model, params, scenario)


def live_in_process(worker: ProcessWorker, model, params, scenario):
    """:func:`live_prediction` in ``worker``'s process (call from a worker thread)."""
    return worker.call(f"{__name__}:child_live",
                       {"model": model, "params": params, "scenario": scenario},
                       with_progress=False)


def child_live_lvef(*, model, params):
    """In the helper: the kept predictor's untreated LVEF of ``params`` (%)."""
    return _kept_predictor(model, params).baseline_lvef()


def live_applied_in_process(worker: ProcessWorker, model, params, scenario):
    """:func:`live_prediction` of ``scenario`` (a plug-in's step in it) with its steps
    applied here, where its plug-in is loaded and guarded (its transform within its budget,
    on a daemon thread), and the simulation in ``worker``'s process, from the helper's kept
    predictor: the same numbers as :func:`live_prediction` here (call from a worker thread).
    A β1-blocking step asks the helper for the point's untreated LVEF first."""
    from twinviewer.interventions.scenario import applied

    lvef = None
    if _withdraws(scenario):
        lvef = worker.call(f"{__name__}:child_live_lvef", {"model": model, "params": params},
                           with_progress=False)
    item = applied(model, params, scenario, point=True, baseline_lvef=lvef)
    return live_in_process(worker, model, params, item)


# -- the report's .twin snapshot -------------------------------------------------------------
def write_twin_file(path, twin, options: dict) -> None:
    """Write ``twin`` as a .twin file at ``path``: :func:`~twinviewer.io.twinfile.twin_bytes`
    with ``options`` (its keyword arguments), the body of :func:`twin_file_written`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from twinviewer.twins import twin_from_preset
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "x.twin"
    >>> write_twin_file(out, twin_from_preset("healthy", n=2), {})
    >>> out.read_bytes()[:2]
    b'PK'
    """
    from pathlib import Path

    from twinviewer.io.twinfile import twin_bytes

    Path(path).write_bytes(twin_bytes(twin, **options))


def child_twin_file(*, path: str, twin, options: dict, identifiers) -> None:
    """In the helper: :func:`write_twin_file` with the app's registered patient identifiers
    (``identifiers``: the writer redacts and refuses them; the helper never saw the study)."""
    from twinviewer.core.privacy import clear_identifiers, register_identifiers

    clear_identifiers()
    register_identifiers(identifiers)
    write_twin_file(path, twin, options)


def twin_file_written(path, twin, options: dict, *,
                      worker: ProcessWorker | None = None) -> None:
    """:func:`write_twin_file` in ``worker``'s process, or here without a worker (call from a
    worker thread). Serialising the demo's 115 MB twin in this process held the interpreter
    lock for up to 118 ms in long copies (stall12); sent to the helper, the arrays go out of
    band (:func:`~twinviewer.gui.process_worker.send`: ``os.write`` frees the lock) and this
    process only walks the objects. With ``options["written"]`` given, the file is the same
    bit for bit either way (tests/gui/test_model_jobs.py)."""
    if worker is None:
        write_twin_file(path, twin, options)
        return
    from twinviewer.core.privacy import known_identifiers

    worker.call(f"{__name__}:child_twin_file",
                {"path": str(path), "twin": twin, "options": options,
                 "identifiers": sorted(known_identifiers())}, with_progress=False)


# -- the document's .twin file: Save, Save As and the autosave -------------------------------
#: The file helper imports only the writer (no numba, no kernels): it starts in well under a
#: second, and a Save does not wait behind a calibration in the model helper.
FILE_WARM = ("twinviewer.io.twinfile",)


class HelperUnavailable(RuntimeError):
    """The file helper could not take the job (not started, died, a broken pipe, an object
    that does not pickle): the caller writes the file itself. The file's own errors (disk
    full, permission denied, privacy) are never this."""


def file_helper() -> ProcessWorker:
    """The session's file helper: the document's Save, Save As and autosave, and the
    report's snapshot, are serialised and written in it, one at a time."""
    if "files" not in _HELPERS:
        # at this process's priority, not below it: the user waits for a Save (at nice 5
        # a demo Save took 4–8 s on a machine at load 9, against 2.5 s here); the autosave
        # waits for playback to stop by itself
        _HELPERS["files"] = ProcessWorker("file writer", FILE_WARM, nice=0)
    return _HELPERS["files"]


def content_digest(data: bytes) -> str:
    """SHA-256 over a .twin file's members but its manifest (whose ``written`` time always
    changes): equal for the same content.

    Examples
    --------
    >>> from twinviewer.io.twinfile import twin_bytes
    >>> from twinviewer.twins import twin_from_preset
    >>> t = twin_from_preset("healthy", n=2)
    >>> content_digest(twin_bytes(t, written="1")) == content_digest(twin_bytes(t, written="2"))
    True
    """
    import hashlib
    import io
    import zipfile

    h = hashlib.sha256()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in sorted(zf.namelist()):
            if name != "manifest.json":
                h.update(name.encode())
                h.update(zf.read(name))
    return h.hexdigest()


def save_twin_file(path, twin, options: dict, unchanged_since=None):
    """Save: ``twin`` serialised (:func:`~twinviewer.io.twinfile.twin_bytes` with
    ``options``, the passphrase's encryption included) and written atomically at ``path``
    (the previous file stays whole if anything fails). Returns the written file's
    :class:`~twinviewer.io.disk_stamp.DiskStamp`, taken from the new file itself before
    its rename (a write by someone else after it is not taken for this one's).

    ``unchanged_since``: what ``path`` was when the user confirmed the Save (a
    :class:`~twinviewer.io.disk_stamp.DiskStamp`); if another writer changed it since,
    nothing is written (:class:`~twinviewer.io.disk_stamp.ChangedOnDisk`). Checked right
    before the rename, after the seconds the serialising takes (final14 #2).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from twinviewer.twins import twin_from_preset
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "x.twin"
    >>> stamp = save_twin_file(out, twin_from_preset("healthy", n=2), {})
    >>> out.read_bytes()[:2], stamp.size == out.stat().st_size
    (b'PK', True)
    """
    from pathlib import Path

    from twinviewer.core.atomic import atomic_write_bytes
    from twinviewer.io.disk_stamp import DiskStamp, refuse_if_changed
    from twinviewer.io.twinfile import twin_bytes

    path = Path(path)
    data = twin_bytes(twin, **options)
    written: list[DiskStamp] = []

    def last_check(st) -> None:
        refuse_if_changed(path, unchanged_since, "while this save was being prepared",
                          then="save again to choose what to do")
        written.append(DiskStamp.from_stat(st))

    atomic_write_bytes(path, data, before_replace=last_check)
    return written[0]


def autosave_twin_file(path, twin, options: dict, passphrase: str | None,
                       last_digest: str | None, changed: bool) -> tuple[str, bool]:
    """The autosave: ``twin`` written atomically at ``path`` (encrypted with
    ``passphrase``) unless its content's digest (:func:`content_digest` of the plaintext)
    is ``last_digest``; ``changed`` (an edit just happened): written without digesting
    first. Returns the digest and whether the file was written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from twinviewer.twins import twin_from_preset
    >>> out, t = pathlib.Path(tempfile.mkdtemp()) / "a.twin", twin_from_preset("healthy", n=2)
    >>> digest, written = autosave_twin_file(out, t, {}, None, None, True)
    >>> written, autosave_twin_file(out, t, {}, None, digest, False)[1]
    (True, False)
    """
    from pathlib import Path

    from twinviewer.core.atomic import atomic_write_bytes
    from twinviewer.io.twinfile import twin_bytes

    plain = twin_bytes(twin, **options)
    digest = None if changed else content_digest(plain)
    if digest is not None and digest == last_digest:
        return digest, False
    data = plain if passphrase is None else twin_bytes(twin, **options, passphrase=passphrase)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data)
    return digest or content_digest(plain), True


def warm_writer() -> int:
    """What a twin's first file costs beyond the next ones, done ahead (in the file helper,
    right after it starts): the installed models and their equation hashes, which the
    writer's parameter table needs (~1 s at load; serialising a whole preset twin instead
    took 6.7 s at load 16). Returns how many models are ready.

    Examples
    --------
    >>> warm_writer() >= 1
    True
    """
    from twinviewer.physiology import MODELS

    return len([m.equation_hash for m in MODELS.values()])


_FILE_JOBS = {"save": save_twin_file, "autosave": autosave_twin_file}


def child_file(*, job: str, identifiers, kwargs: dict) -> tuple[str, Any, int | None]:
    """In the file helper: the ``job`` (:data:`_FILE_JOBS`) with the app's registered patient
    identifiers (the writer redacts and refuses them). Its error comes back as a value, so
    the app tells it from the helper's own failure."""
    from twinviewer.core.privacy import clear_identifiers, register_identifiers

    clear_identifiers()
    register_identifiers(identifiers)
    missing = _model_missing(kwargs.get("twin"))
    if missing:
        return "unavailable", missing, None
    try:
        return "done", _FILE_JOBS[job](**kwargs), None
    except Exception as exc:  # noqa: BLE001 - the file's error, raised again in the app
        return "error", exc, file_errno(exc)


def _model_missing(twin: Any) -> str:
    """In a helper: why the twin's model cannot be found here (``""`` if it can), after
    loading it if an approved plug-in provides it (the writer looks models up by name, and a
    helper loads no plug-ins by itself: review16 #5)."""
    if twin is None or not twin.model_name:
        return ""
    from twinviewer.gui.process_worker import approved_plugin_model, withdrawn_plugin_model
    from twinviewer.physiology.presets import MODELS, model_for

    key = (twin.model_name, twin.model_version, twin.equation_hash)
    if why := withdrawn_plugin_model(twin.model_name):  # since this helper started
        return (f"model {twin.model_name} v{twin.model_version} is not installed in the "
                f"helper ({why})")
    if model_for(*key) or twin.model_name in MODELS or approved_plugin_model(*key) or \
            twin.model_source:
        return ""
    return (f"model {twin.model_name} v{twin.model_version} is not installed in the helper "
            "(a plug-in not enabled there)")


def file_errno(exc: BaseException) -> int | None:
    """The ``errno`` of a file error, or of the error it was raised from
    (:func:`~twinviewer.core.atomic.atomic_write_bytes` names the path in a new
    ``OSError``; a cause does not cross the helper's pipe, so it is sent beside it).

    >>> import errno
    >>> try:
    ...     try:
    ...         raise OSError(errno.ENOSPC, "No space left on device")
    ...     except OSError as exc:
    ...         raise OSError("cannot write x.twin: No space left on device") from exc
    ... except OSError as named:
    ...     file_errno(named) == errno.ENOSPC
    True
    """
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno is not None:
            return exc.errno
        exc = exc.__cause__
    return None


def file_written(job: str, kwargs: dict, *, worker: ProcessWorker | None = None) -> Any:
    """Run the file ``job`` (``"save"``: :func:`save_twin_file`, ``"autosave"``:
    :func:`autosave_twin_file`, with ``kwargs``) in ``worker``'s process, or here without a
    worker (call from a worker thread), and return its result; the same file either way.

    Serialising the demo twin took 0.35–0.46 s of the GUI thread (Save) and held the
    interpreter lock 60–350 ms (the autosave's thread, stall12b); in the helper the arrays
    go out of band (:func:`~twinviewer.gui.process_worker.send`) and this process only
    walks the objects.

    Raises
    ------
    HelperUnavailable
        The helper could not run the job: write it here instead.
    TwinFileError, PrivacyError, OSError
        The file's own: it could not be written (wherever it was written).
    """
    if worker is None:
        return _FILE_JOBS[job](**kwargs)
    from twinviewer.core.privacy import known_identifiers

    try:
        outcome, value, errno = worker.call(f"{__name__}:child_file",
                                     {"job": job, "identifiers": sorted(known_identifiers()),
                                      "kwargs": kwargs}, with_progress=False)
    except Exception as exc:  # noqa: BLE001 - died, broken pipe, unpicklable, not started
        raise HelperUnavailable(f"the {worker.name} process could not take the job: "
                                f"{type(exc).__name__}: {exc}") from exc
    if outcome == "unavailable":
        raise HelperUnavailable(f"the {worker.name} process could not take the job: {value}")
    if outcome == "error":
        if isinstance(value, OSError) and value.errno is None:
            value.errno = errno
        raise value
    return value
