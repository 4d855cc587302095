"""A job's error reaches the user as a message; a job that outlives its window never throws
into Qt ("Qt Concurrent has caught an exception thrown from a worker thread", seen by fix13d
at teardown): its error goes to the log instead."""

from __future__ import annotations

import logging

import pytest
import shiboken6

from twinviewer.gui.state import Job, TwinState, _Relay, _Runnable


@pytest.fixture
def state(qtbot):
    st = TwinState()
    yield st
    st.close()


def test_a_raising_job_is_reported_to_the_user(qtbot, state):
    said, handled = [], []
    state.message.connect(lambda level, text: said.append((level, text)))

    def work(progress, is_cancelled):
        progress(0.5, "reading")
        raise ValueError("study.csv: column 'SBP' holds 'abc', not a number")

    job = state.run_job("Importing study.csv", work, lambda r: None, handled.append)
    qtbot.waitUntil(lambda: job.finished, timeout=10_000)
    assert ("error", "Importing study.csv failed: study.csv: column 'SBP' holds 'abc', "
                     "not a number") in said
    assert isinstance(handled[0], ValueError)


def test_a_job_outliving_its_window_logs_and_never_raises(qtbot, caplog):
    relay = _Relay()
    shiboken6.delete(relay)  # the window (and its state) closed while the job ran

    def work(progress, is_cancelled):
        raise ValueError("the helper process died")

    job = Job("Calibrating")
    with caplog.at_level(logging.ERROR, logger="twinviewer.gui"):
        _Runnable(job, work, relay).run()  # returns: nothing thrown into Qt
    assert "Calibrating failed after its window closed" in caplog.text
    assert "the helper process died" in caplog.text

    def progressing(progress, is_cancelled):
        progress(0.1, "step")  # the window is gone: the job is told to stop
        return 1

    stopped = Job("Simulating")
    _Runnable(stopped, progressing, relay).run()
    assert stopped.is_cancelled()


class _BrokenSignal:
    def emit(self, *args):
        raise TypeError("cannot convert the result for the GUI thread")


class _BrokenRelay:
    """Reporting fails with something other than a deleted relay (escaped run() before)."""
    progressed = succeeded = failed = _BrokenSignal()


def test_a_failure_to_report_is_logged_not_thrown_into_qt(caplog):
    with caplog.at_level(logging.ERROR, logger="twinviewer.gui"):
        _Runnable(Job("Explaining MAP"), lambda p, c: 1, _BrokenRelay()).run()
    assert "Explaining MAP: its outcome could not be reported" in caplog.text
    assert "cannot convert the result" in caplog.text
