"""The shared model helper runs jobs of several panels: Cancel of a job waiting in line
must not end another's (review11b #1), and a share landing between a job's share and its
call must not take the job's object away (review11b #10)."""

from __future__ import annotations

import threading
import time

import pytest

from twinviewer.core.anatomy import Anatomy
from twinviewer.gui import calibration_job
from twinviewer.gui.calibration_job import call_cancellable, forget_anatomy
from twinviewer.gui.process_worker import ProcessWorker
from twinviewer.physiology import Cancelled


@pytest.fixture
def worker():
    w = ProcessWorker("model (test)")
    yield w
    w.close()


def test_cancelling_a_queued_job_leaves_the_running_one_alone(worker):
    worker.start()
    first = worker.pid
    out: dict = {}

    def other() -> None:  # another panel's job, which never looks at Cancel
        try:
            out["other"] = worker.call("tests.gui.helper_jobs:stuck_in_c", {"seconds": 3},
                                       with_progress=False)
        except Exception as exc:  # noqa: BLE001 - the assertion says what came back
            out["other"] = exc

    t = threading.Thread(target=other)
    t.start()
    deadline = time.monotonic() + 10
    while not worker._lock.locked() and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(Cancelled):  # cancelled while it waited: it does not run
        call_cancellable(worker, "tests.gui.helper_jobs:stuck_in_c", {"seconds": 3}, None,
                         lambda: True, grace_s=0.5)
    t.join(20)
    assert out["other"] == "finished"
    assert worker.pid == first  # nobody was ended


def _twin():
    from twinviewer.core.measurement import Measurement as M
    from twinviewer.twins import twin_from_preset

    twin = twin_from_preset("healthy", n=8, anatomy=Anatomy(
        "p", measurements=[M("LVEDV", 140, "mL", 6, "CT segmentation"),
                           M("LVESV", 60, "mL", 5, "CT segmentation")]))
    twin.measurements.extend([M("SBP", 128, "mmHg", 8, "cuff"),
                              M("DBP", 82, "mmHg", 6, "cuff")])
    return twin


def test_a_forget_landing_between_share_and_call_does_not_break_the_job(worker, monkeypatch):
    """The twin closed (forget_anatomy on another thread) right after a calibration sent its
    anatomy: the helper dropped it before the job named it (HelperError KeyError)."""
    real_share = ProcessWorker.share

    def share_then_forget(self, key, obj, light=None):
        token = real_share(self, key, obj, light)
        if obj is not None:
            forget_anatomy(self)  # lands between this share and the job's call
        return token

    monkeypatch.setattr(ProcessWorker, "share", share_then_forget)
    twin = _twin()
    result, _, new = calibration_job.calibrated_in_process(
        worker, twin, n=16, seed=0, prior=None, progress=lambda f, t="": None,
        cancel=lambda: False)
    assert result is not None and (new is None or new.anatomy is twin.anatomy)


def test_shares_racing_with_jobs_never_take_a_jobs_object_away(worker):
    """Another thread shares under the same key (and forgets) as fast as it can while jobs
    that name their own shared object run."""
    worker.start()
    stop = threading.Event()

    def meddle() -> None:
        i = 0
        while not stop.is_set():
            worker.share("anatomy", None if i % 2 else [i])
            i += 1

    t = threading.Thread(target=meddle, daemon=True)
    t.start()
    try:
        for i in range(40):
            mine = Anatomy(f"p{i}")
            assert worker.call("tests.gui.helper_jobs:shared_kind", {},
                               shared={"token": ("anatomy", mine, None)},
                               with_progress=False) == "Anatomy"
    finally:
        stop.set()
        t.join(10)
