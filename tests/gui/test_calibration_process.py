"""The calibration in the helper process: the same result as on a worker thread, relinked to
the open twin; Cancel; a helper that dies is reported and the twin stays as it was."""

from __future__ import annotations

import os
import signal
import threading

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from twinviewer.core.anatomy import Anatomy  # noqa: E402
from twinviewer.core.measurement import Measurement as M  # noqa: E402
from twinviewer.gui import calibration_panel  # noqa: E402
from twinviewer.gui.calibration_job import (  # noqa: E402
    calibrated_in_process,
    calibrated_with_results,
)
from twinviewer.gui.calibration_panel import CalibrationPanel  # noqa: E402
from twinviewer.gui.process_worker import HelperDied, ProcessWorker  # noqa: E402
from twinviewer.gui.state import TwinState  # noqa: E402
from twinviewer.twins import twin_from_preset  # noqa: E402


def _twin():
    twin = twin_from_preset("healthy", n=8, anatomy=Anatomy(
        "p", measurements=[M("LVEDV", 140, "mL", 6, "CT segmentation"),
                           M("LVESV", 60, "mL", 5, "CT segmentation")]))
    twin.measurements.extend([M("SBP", 128, "mmHg", 8, "cuff"), M("DBP", 82, "mmHg", 6, "cuff")])
    return twin


@pytest.fixture
def worker():
    w = ProcessWorker("calibration (test)")
    yield w
    w.close()


@pytest.fixture
def state(qtbot):
    st = TwinState()
    st.session.set_twin(_twin())
    yield st
    st.close()


def test_process_path_gives_the_thread_paths_result_relinked_to_the_twin(worker):
    twin = _twin()
    seen = []
    kw = dict(n=32, seed=3, prior=None, cancel=lambda: False)
    r1, res1, new1 = calibrated_with_results(twin, progress=lambda f, t="": None, **kw)
    r2, res2, new2 = calibrated_in_process(worker, twin, progress=lambda f, t="": seen.append(f),
                                           **kw)
    assert seen and 0.0 <= min(seen) and max(seen) <= 1.0  # progress came back
    np.testing.assert_array_equal(r1.ensemble, r2.ensemble)  # same seed, same posterior
    np.testing.assert_array_equal(new1.ensemble, new2.ensemble)
    np.testing.assert_array_equal(new1.params, new2.params)
    assert [(f.label, f.median, f.z) for f in r1.fit] == [(f.label, f.median, f.z)
                                                          for f in r2.fit]
    for key in res1.series:
        np.testing.assert_allclose(res1.series[key], res2.series[key], rtol=0, atol=0)
    # the calibrated twin is the open twin's, as on the thread path
    assert new2.anatomy is twin.anatomy is new1.anatomy
    assert all(a is b for a, b in zip(new2.audit, twin.audit, strict=False))
    assert len(new2.audit) == len(twin.audit) + 1
    assert new2.audit[-1].action == new1.audit[-1].action == "calibration"
    assert new2.audit[-1].prev_hash == twin.audit[-1].hash if twin.audit else True
    from twinviewer.document import Document

    doc = Document()
    doc.open_twin(twin)
    assert doc.apply_calibration(r2, res2, calibrated=new2) is new2  # accepted as the twin's


def test_a_note_added_while_the_helper_calibrates_is_kept_and_the_result_applies(worker):
    """review10b #2: a note recorded on the open twin during a calibration in the helper
    left the calibration's entry out of the relinked trail; Document.apply_calibration then
    refused the result. The entry is now chained after the note."""
    from twinviewer.document import Document
    from twinviewer.io.audit import AuditLog, audit_log

    twin = _twin()
    audit_log(twin).record(twin, "import", {})
    noted = []

    def progress(f, t=""):
        if not noted:  # the user writes a note while the helper works
            noted.append(audit_log(twin).add_note(twin, "septal bounce on echo"))

    r, res, new = calibrated_in_process(worker, twin, n=16, seed=3, prior=None,
                                        progress=progress, cancel=lambda: False)
    assert noted and twin.audit[-1] is noted[0]
    assert all(a is b for a, b in zip(new.audit, twin.audit, strict=False))
    assert len(new.audit) == len(twin.audit) + 1 and new.audit[-1].action == "calibration"
    assert AuditLog(new.audit).verify_chain().ok  # one unbroken chain
    doc = Document()
    doc.open_twin(twin)
    assert doc.apply_calibration(r, res, calibrated=new) is new


def test_an_error_in_the_helper_comes_back_as_itself(worker):
    twin = twin_from_preset("healthy", n=1)  # no measurements at all
    with pytest.raises(ValueError, match="no measurements"):
        calibrated_in_process(worker, twin, n=16, seed=0, prior=None,
                              progress=lambda f, t="": None, cancel=lambda: False)
    assert worker.alive()  # the helper is kept for the next job


def test_a_helper_that_dies_is_reported_and_replaced(worker):
    twin = _twin()
    killed = []

    def progress(f, t=""):
        if not killed:
            os.kill(worker.pid, signal.SIGKILL)
            killed.append(worker.pid)

    with pytest.raises(HelperDied, match="stopped unexpectedly"):
        calibrated_in_process(worker, twin, n=400, seed=0, prior=None, progress=progress,
                              cancel=lambda: False)
    assert twin.ensemble_kind == "prior"
    r, _, new = calibrated_in_process(worker, twin, n=16, seed=0, prior=None,
                                      progress=lambda f, t="": None, cancel=lambda: False)
    assert worker.pid != killed[0] and new.ensemble_kind == "posterior"


def test_panel_calibrates_in_the_helper_and_cancel_works(qtbot, state):
    assert CalibrationPanel.in_process
    old = state.twin
    panel = CalibrationPanel(state)
    qtbot.addWidget(panel)
    panel.members.setValue(400)
    job = panel.start()
    qtbot.waitUntil(lambda: job.fraction > 0, timeout=60000)  # the helper is working
    panel.cancel()
    qtbot.waitUntil(lambda: job.finished, timeout=60000)
    assert state.twin is old and "cancelled" in panel.status.text()
    assert calibration_panel.helper().alive()
    panel.members.setValue(32)
    job = panel.start()
    qtbot.waitUntil(lambda: state.twin is not old, timeout=120000)
    assert state.twin.ensemble_kind == "posterior" and state.twin.anatomy is old.anatomy
    assert panel.fit_table.rowCount() == 4
    assert not panel.plot.getPlotItem().listDataItems()  # hidden: drawn when first shown
    panel.show()
    qtbot.waitUntil(lambda: bool(panel.plot.getPlotItem().listDataItems()), timeout=5000)


def test_panel_reports_a_helper_that_died_and_keeps_the_twin(qtbot, state):
    old = state.twin
    panel = CalibrationPanel(state)
    qtbot.addWidget(panel)
    panel.members.setValue(400)
    job = panel.start()
    qtbot.waitUntil(lambda: job.fraction > 0, timeout=60000)
    os.kill(calibration_panel.helper().pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: job.finished, timeout=30000)
    qtbot.waitUntil(lambda: "failed" in panel.status.text(), timeout=5000)
    assert "model process stopped unexpectedly" in panel.status.text()
    assert "the twin is unchanged" in panel.status.text() and state.twin is old


def test_arrays_cross_the_pipe_writable_and_models_by_reference():
    import threading
    from multiprocessing import Pipe

    from twinviewer.gui.process_worker import receive, send
    from twinviewer.physiology.four_chamber import MODEL

    a, b = Pipe()
    x = np.arange(200_000.0).reshape(400, 500)
    writer = threading.Thread(target=send, args=(a, {"x": x, "model": MODEL,
                                                     "view": x[:, ::2]}))
    writer.start()  # a pipe holds less than the array: the reader must read meanwhile
    got = receive(b)
    writer.join()
    np.testing.assert_array_equal(got["x"], x)
    np.testing.assert_array_equal(got["view"], x[:, ::2])
    got["x"][0, 0] = -1.0  # writable, as an array unpickled in band
    assert got["model"] is MODEL


def test_cancel_ends_a_helper_stuck_in_c_code_and_the_next_job_starts_a_new_one(worker):
    """review10b #11: Cancel could not stop a helper stuck in C code (the job never checks)."""
    import threading
    import time

    from twinviewer.gui.calibration_job import call_cancellable
    from twinviewer.physiology import Cancelled

    worker.start()
    first = worker.pid
    asked = threading.Event()
    threading.Timer(0.5, asked.set).start()
    t0 = time.monotonic()
    with pytest.raises(Cancelled, match=r"did not stop within 0.5 s of Cancel and was ended"):
        call_cancellable(worker, "tests.gui.helper_jobs:stuck_in_c", {"seconds": 60},
                         None, asked.is_set, grace_s=0.5)
    assert time.monotonic() - t0 < 20  # not the job's 60 s
    with pytest.raises(ProcessLookupError):
        os.kill(first, 0)
    assert worker.call("textwrap:dedent", {"text": "  again"}, with_progress=False) == "again"
    assert worker.pid != first


def test_a_cancel_the_job_obeys_does_not_end_the_helper(worker):
    from twinviewer.gui.calibration_job import call_cancellable

    worker.start()
    first = worker.pid
    with pytest.raises(Exception, match="cancel"):  # the job's own Cancelled, in time
        call_cancellable(worker, "twinviewer.gui.calibration_job:child_calibration",
                         {"twin": _twin(), "anatomy": None, "n": 16, "seed": 0, "prior": None},
                         None, lambda: True, grace_s=30)
    assert worker.alive() and worker.pid == first


def test_the_helper_drops_the_anatomy_when_the_twin_is_closed(qtbot, state, monkeypatch):
    """review10b #11: the helper kept the last anatomy it was sent (and its worker the whole
    anatomy, image included) after the twin was closed, until the next calibration."""
    import gc
    import weakref

    w = ProcessWorker("calibration (test)")
    monkeypatch.setattr(calibration_panel, "helper", lambda: w)
    try:
        panel = CalibrationPanel(state)
        qtbot.addWidget(panel)
        twin = state.twin
        calibrated_in_process(w, twin, n=16, seed=0, prior=None,
                              progress=lambda f, t="": None, cancel=lambda: False)
        kinds = lambda: w.call("tests.gui.helper_jobs:shared_kinds", {},  # noqa: E731
                               with_progress=False)
        assert kinds() == ["Anatomy"]  # kept for the next job on the same twin
        gone = weakref.ref(twin.anatomy)
        state.session.set_twin(None)  # the twin is closed
        del twin
        qtbot.waitUntil(lambda: kinds() == ["NoneType"], timeout=10000)
        gc.collect()
        assert gone() is None  # nothing in this process keeps it either
    finally:
        w.close()


def test_the_panel_says_a_stuck_helper_was_ended(qtbot, state):
    from twinviewer.gui.calibration_job import call_cancellable
    from twinviewer.physiology import Cancelled

    panel = CalibrationPanel(state)
    qtbot.addWidget(panel)
    # the message the panel's own helper gives (review11b #8: the test made up its own)
    w = ProcessWorker(calibration_panel.helper().name)
    try:
        w.start()
        asked = threading.Event()
        threading.Timer(0.3, asked.set).start()  # Cancel pressed while the job runs
        with pytest.raises(Cancelled) as err:
            call_cancellable(w, "tests.gui.helper_jobs:stuck_in_c", {"seconds": 60}, None,
                             asked.is_set, grace_s=0.2)
    finally:
        w.close()
    assert "the model process did not stop" in str(err.value)
    panel._failed(err.value)
    assert panel.status.text().startswith("Calibration cancelled; the twin is unchanged. (")
    assert "was ended" in panel.status.text()


def test_a_twin_with_nothing_new_is_told_so_not_failed(qtbot):
    """review11 #5: the demo's first Calibrate ended in a red "Calibration failed … no new
    measurements since the last visit", and the Log showed a blank "Calibration failed:"."""
    from twinviewer.document import calibrated_twin
    from twinviewer.personalize import calibrate

    twin = _twin()
    new = calibrated_twin(twin, calibrate(twin, None, n=16, seed=0))
    st = TwinState()
    said: list = []
    st.session.subscribe("message", said.append)
    try:
        st.session.set_twin(new)
        panel = CalibrationPanel(st)
        qtbot.addWidget(panel)
        assert "already calibrated" in panel.calibrate_button.toolTip()
        assert panel.start() is None and panel.job is None
        # the same visit (the default, visit17): none of its data changed
        assert panel.status.text().startswith("This twin is already calibrated to these data "
                                              "(no measurement changed since the calibration "
                                              "of day 0)")
        # a new visit (a later day) without new measurements: nothing measured
        panel.visit_day.setValue(7)
        assert "already calibrated" in panel.calibrate_button.toolTip()
        assert panel.start() is None and panel.job is None
        assert panel.status.text().startswith("This twin is already calibrated to these data "
                                              "(no new measurements since the last visit")
        assert not [t for level, t in said if level == "error"]
    finally:
        st.close()


def test_a_failed_job_is_logged_once_never_as_a_blank_line(qtbot):
    import logging

    from twinviewer.gui.log_panel import LogPanel, StateLogHandler

    st = TwinState()
    panel = LogPanel(st)
    qtbot.addWidget(panel)
    handler = StateLogHandler(st)
    logging.getLogger("twinviewer").addHandler(handler)
    try:
        def fail(progress, cancelled):
            raise ValueError("the file x.vtk has 10 points that are not finite")

        job = st.run_job("Reading a mesh", fail, lambda r: None)
        qtbot.waitUntil(lambda: job.finished, timeout=10000)
        errors = [t for level, t in panel.entries if level == "error"]
        assert errors == ["Reading a mesh failed: the file x.vtk has 10 points that are not "
                          "finite"]
    finally:
        logging.getLogger("twinviewer").removeHandler(handler)
        st.close()
