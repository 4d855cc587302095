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

    prepare(results)
    anatomy = getattr(twin, "anatomy", None)
    for chamber in ("LV", "RV"):
        measured_band(results, measured_curve(anatomy, chamber))
    return results


#: Layers the steps, the calibration and the exports import on first use. The first paint
#: does not need them (their packages load names lazily); :func:`preload_layers` imports them
#: in a worker after it, so a first click does not import them on the GUI thread. scipy's
#: subpackages come first, one at a time: ``scipy.stats`` alone imports ~350 modules (0.55 s
#: of CPU holding the interpreter); each import is a step the cine's playback can wait for.
PRELOAD = ("scipy.special", "scipy.sparse", "scipy.optimize", "scipy.integrate",
           "scipy.interpolate", "scipy.spatial", "scipy.stats",
           "twinviewer.personalize.calibrate", "twinviewer.personalize.volume_curve",
           "twinviewer.interventions.compare", "twinviewer.interventions.library",
           "twinviewer.interventions.ranking", "twinviewer.explain.report")

#: What loading the first kernel imports (numba resolves its BLAS through ``scipy.linalg``),
#: imported first as steps of their own (about 0.2 s of the kernels' 0.6 s of CPU).
KERNEL_IMPORTS = ("scipy.linalg", "numba.np.arraymath")


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
                modules=PRELOAD, pause_s: float = 0.1,
                kernel_modules=None) -> None:
    """Ready the model for a first simulation or step in the background (a worker thread):
    import numba, load ``twin``'s compiled kernels (one member's simulation), then import
    ``modules`` one at a time; before each step, wait while ``wait()`` is true (the cine
    plays: this work competes with playback for the CPU and the interpreter), stop if
    ``cancel()``. A step under way when the cine starts runs to its end (an import cannot
    be paused safely: the window's thread may need the module it holds), so the steps are
    kept small: the kernels' imports (``kernel_modules``, default :data:`KERNEL_IMPORTS`
    where numba compiles) and each of ``modules`` apart.

    Examples
    --------
    >>> ready_model(None, lambda: False, lambda: True)  # cancelled: does nothing
    """
    import time

    from twinviewer.physiology.jit import HAVE_NUMBA, compile_model_functions
    from twinviewer.twins import simulate_twin

    if kernel_modules is None:
        kernel_modules = KERNEL_IMPORTS if HAVE_NUMBA else ()
    freeze_long_lived()  # the start-up's objects: the readying's collections skip them

    # numba's import (none if it is off), then the kernels' load: about half a second each
    steps = [compile_model_functions]
    steps += [lambda m=m: preload_layers((m,)) for m in kernel_modules]
    steps += [lambda: simulate_twin(twin, ensemble=False)]
    steps += [lambda m=m: preload_layers((m,)) for m in modules]
    for step in steps:
        while wait() and not cancel():
            time.sleep(pause_s)
        if cancel():
            return
        step()
    freeze_long_lived()  # the modules just imported: later collections skip them too


#: How many times :func:`freeze_long_lived` may freeze in one process (the first window's
#: start-up, then its readied model).
FREEZES = 2
_freezes: list[int] = []


def freeze_long_lived() -> bool:
    """Move the objects the interpreter's collector tracks now to its permanent generation
    (:func:`gc.freeze`), at most :data:`FREEZES` times a process; True if it froze.

    A full collection traverses every tracked object while it holds the interpreter:
    60–77 ms after the model's imports (measured), in whichever thread it falls, and a
    worker's holds the window's thread as long. Frozen objects (modules, classes, the
    start-up's data: alive for the whole session) are not traversed again; what they hold
    is still freed by reference counting, only their reference cycles are kept. The limit
    keeps a process that opens many windows (the tests) from freezing their garbage.

    Examples
    --------
    >>> freeze_long_lived()  # doctest: +SKIP
    True
    """
    import gc

    if len(_freezes) >= FREEZES:
        return False
    _freezes.append(1)
    gc.freeze()
    return True
