"""Test-wide isolation (no test writes to the real user data, config or log folders), one
BLAS thread, and an opt-in per-test cost log.

The compiled-kernel cache (platform cache folder) is shared on purpose: compiling the
kernels again for every session would cost tens of seconds and test nothing new.
"""

from __future__ import annotations

import os

import pytest

# One BLAS thread per process (a user's setting wins). The tests' linear algebra is small; with
# OpenBLAS's two threads on this 2-core machine shared by other jobs, waiting threads spin:
# the Ishigami PCE test took 56 s of CPU (343 s wall) with two and 0.6 s (4.4 s) with one.
# Set before numpy is first imported (no pytest plugin in use imports it); CLI subprocesses
# inherit it. The Numba engine's threads are not affected.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# The 3D view in the test process is pyvistaqt's QOpenGLWidget, not the app's native child
# window: pytest-xvfb stops its X server before the interpreter exits, and VTK's GLX loader
# keeps an X connection of its own whose loss Xlib answers by exiting with status 1 (after
# every test passed). The native window is tested in a subprocess under its own server,
# stopped after the subprocess ends (tests/gui/test_native_view.py, the GUI benchmarks).
os.environ.setdefault("TWINVIEWER_3D_WIDGET", "opengl")


@pytest.fixture(scope="session", autouse=True)
def _private_user_folders(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("user")
    saved = {k: os.environ.get(k) for k in ("XDG_DATA_HOME", "XDG_CONFIG_HOME",
                                             "XDG_STATE_HOME")}
    for key in saved:
        os.environ[key] = str(root / key.lower())
    yield root
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(autouse=True)
def _heap_unfrozen():
    """A window's readying freezes the heap (``main_window.freeze_heap``: the app's objects
    live for its session); a test's do not, so each test's are collectable again."""
    yield
    import gc

    gc.unfreeze()


@pytest.fixture(scope="module", autouse=True)
def _no_identifiers_from_other_modules():
    """Each test module starts with no registered patient identifiers, as in a fresh process.

    Importing a study registers its identifiers process-wide (``imaging.deid``), and pytest-xdist
    runs the files of a worker in an order the serial run does not: a module that imported the
    demo study made ``virtual-demo`` fail the pseudonym check of a later module."""
    from twinviewer.core.privacy import clear_identifiers

    clear_identifiers()
    yield


@pytest.fixture(scope="module", autouse=True)
def _module_garbage_collected():
    """A module's garbage (windows, views, Qt and VTK objects) is collected when the module
    ends, on the main thread while the Qt application lives, not at a random allocation of a
    later module. Suspected in the session-14 CI worker crash: a segfault in an imaging test
    (no Qt there) on a worker that had run GUI files, never reproduced."""
    yield
    import gc

    gc.collect()


# -- cost profile (opt-in) ---------------------------------------------------------------------
# TWINVIEWER_TEST_COST=path.tsv appends one line per test phase: node id, phase, CPU seconds of
# this process (all its threads: time.process_time), wall seconds, CPU seconds of the child
# processes it waited for (CLI runs, worker processes), and the xdist worker ("main" without).
# On a shared, loaded machine the CPU columns rank tests by what they cost; the wall column
# mostly measures the load.
_COST_FILE = os.environ.get("TWINVIEWER_TEST_COST")


def _children_cpu() -> float:
    import resource

    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def _timed(item: pytest.Item, phase: str):
    import time

    cpu, wall, children = time.process_time(), time.perf_counter(), _children_cpu()
    try:
        return (yield)
    finally:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        with open(_COST_FILE, "a", encoding="utf-8") as fh:  # type: ignore[arg-type]
            fh.write(f"{item.nodeid}\t{phase}\t{time.process_time() - cpu:.3f}\t"
                     f"{time.perf_counter() - wall:.3f}\t{_children_cpu() - children:.3f}\t"
                     f"{worker}\n")


if _COST_FILE:
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(item):
        yield from _timed(item, "setup")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(item):
        yield from _timed(item, "call")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(item, nextitem):
        yield from _timed(item, "teardown")
