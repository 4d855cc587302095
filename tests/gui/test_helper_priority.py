"""The helper's priority (stall12): its start-up imports and the readying (background jobs)
run on a thread at the lowest CPU priority, so that a playback started meanwhile does not
wait for a CPU behind them; the jobs a user waits for (a calibration) still run at
``CHILD_NICE``, above it, because an unprivileged thread cannot leave ``SCHED_IDLE``."""

from __future__ import annotations

import os
import sys

import pytest

from twinviewer.gui import model_jobs
from twinviewer.gui.process_worker import CHILD_NICE, ProcessWorker

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="SCHED_IDLE and per-thread nice are Linux's")

PROBE = "twinviewer.gui.process_worker:thread_priority"


@pytest.fixture
def worker():
    w = ProcessWorker("priority (test)", ("json",))
    yield w
    w.close()


def _expected_nice() -> int:
    return min(os.getpriority(os.PRIO_PROCESS, 0) + CHILD_NICE, 19)


def test_a_background_job_runs_at_the_lowest_priority(worker):
    policy, nice = worker.call(PROBE, {}, with_progress=False, background=True)
    assert policy == os.SCHED_IDLE
    # the thread was made from the main thread after its nice: it keeps it as well
    assert nice == _expected_nice()


def test_other_jobs_keep_the_helpers_nice_before_and_after_a_background_job(worker):
    assert worker.call(PROBE, {}, with_progress=False) == (os.SCHED_OTHER, _expected_nice())
    worker.call(PROBE, {}, with_progress=False, background=True)
    assert worker.call(PROBE, {}, with_progress=False) == (os.SCHED_OTHER, _expected_nice())


def test_the_warm_imports_run_at_the_lowest_priority_only_for_a_background_start(worker):
    """Started for the readying, the helper imports at the lowest priority; started for a
    job the user waits for (a calibration), at its nice: that job needs those modules."""
    on = "twinviewer.gui.process_worker:warmed_on"
    assert worker.call(on, {}, with_progress=False, background=True) == "background"
    worker.close()
    assert worker.call(on, {}, with_progress=False) == "MainThread"


def test_the_helper_has_one_idle_thread_and_the_rest_at_its_nice(worker):
    worker.call(PROBE, {}, with_progress=False, background=True)
    tids = [int(t) for t in os.listdir(f"/proc/{worker.pid}/task")]
    policies = sorted(os.sched_getscheduler(t) for t in tids)
    assert policies.count(os.SCHED_IDLE) == 1  # the warm imports' and readying's thread
    assert set(policies) == {os.SCHED_OTHER, os.SCHED_IDLE}


def test_a_background_jobs_error_comes_back_and_the_helper_goes_on(worker):
    with pytest.raises(ModuleNotFoundError):
        worker.call("no_such_module_here:f", {}, with_progress=False, background=True)
    assert worker.call("textwrap:dedent", {"text": "  x"}, with_progress=False,
                       background=True) == "x"
    assert worker.call("textwrap:dedent", {"text": "  y"}, with_progress=False) == "y"


def test_the_readying_is_a_background_job():
    calls = []

    class Recorder:
        def call(self, target, kwargs, *args, **kw):
            calls.append((target, kw))

    from twinviewer.twins import twin_from_preset

    model_jobs.ready_in_process(Recorder(), twin_from_preset("healthy", n=1))
    assert calls[0][0].endswith(":child_ready")
    assert calls[0][1]["background"] is True
