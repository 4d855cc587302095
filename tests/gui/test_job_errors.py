"""A job's error reaches the user as a message; a job that outlives its window never throws
into Qt ("Qt Concurrent has caught an exception thrown from a worker thread", seen by fix13d
at teardown): its error goes to the log instead. A job that ends after its window closed
reaches no callback, whatever its kind (stall14: the guard was the live preview's own)."""

from __future__ import annotations

import logging
import time

import pytest
import shiboken6
from PySide6.QtWidgets import QLabel

from twinviewer.gui.state import TOLD, Job, TwinState, _Relay, _Runnable


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
    assert all(getattr(r, TOLD) for r in caplog.records)  # no other window shows it

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


# -- a job that ends after its window closed does nothing, whatever its kind (stall14) --------
def _until_closed(state, outcome):
    """A job body that runs until its window closes (``state.close()`` waits for it), then
    returns or raises ``outcome``."""
    def work(progress, is_cancelled):
        while not state.closed:
            time.sleep(0.005)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome
    return work


@pytest.mark.parametrize("outcome", ["the explanation", ValueError("the helper died")])
def test_a_job_ending_as_its_window_closes_reaches_no_callback(qtbot, caplog, outcome):
    st = TwinState()
    label = QLabel("explanation here")  # a panel's widget, deleted with its window
    called, said = [], []
    st.message.connect(lambda level, text: said.append((level, text)))

    def shown(r):
        called.append(r)
        label.setText(str(r))

    st.run_job("Explaining MAP", _until_closed(st, outcome), shown, shown)
    with caplog.at_level(logging.ERROR, logger="twinviewer.gui"):
        st.close()  # waits for the job, which ends now
        shiboken6.delete(label)
        qtbot.wait(50)  # any queued outcome is delivered
    assert called == [] and said == []
    assert all(getattr(r, TOLD, False) for r in caplog.records)  # no window shows it


@pytest.mark.parametrize("outcome", [1, KeyError("CO")])
def test_an_outcome_on_its_way_when_the_window_closed_reaches_no_callback(qtbot, caplog,
                                                                          outcome):
    st = TwinState()
    called = []

    def work(progress, is_cancelled):
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    job = st.run_job("Calibrating", work, called.append, called.append)
    assert st.wait_for_jobs(10_000)  # ended: its outcome queued for the GUI thread
    assert not job.finished
    with caplog.at_level(logging.ERROR, logger="twinviewer.gui"):
        st.close()
        qtbot.wait(50)
    assert job.finished and st.jobs == [] and called == []
    assert all(getattr(r, TOLD, False) for r in caplog.records)


def test_a_job_of_an_open_window_still_reaches_its_callbacks(qtbot):
    st = TwinState()
    got = []
    job = st.run_job("Explaining MAP", lambda p, c: 7, got.append)
    qtbot.waitUntil(lambda: job.finished, timeout=10_000)
    bad = st.run_job("Calibrating", lambda p, c: 1 / 0, got.append, got.append)
    qtbot.waitUntil(lambda: bad.finished, timeout=10_000)
    st.close()
    assert got[0] == 7 and isinstance(got[1], ZeroDivisionError)
