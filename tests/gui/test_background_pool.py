"""polish8: "Preparing the model" waits while the cine plays. It waited on one of the two
worker threads, so during playback the user's jobs had one thread: a second job (a
calibration started while a scenario runs) queued until the first had finished. Background
jobs now run on a pool of their own."""

from __future__ import annotations

import threading

from twinviewer.gui.state import TwinState


def test_a_waiting_background_job_leaves_the_users_two_threads(qtbot):
    state = TwinState()
    playing = threading.Event()
    playing.set()  # the cine plays: the readying waits the whole test
    from twinviewer.gui.prepared import ready_model

    stop = threading.Event()
    state.run_job("Preparing the model",
                  lambda p, c: ready_model(None, playing.is_set, lambda: c() or stop.is_set(),
                                           pause_s=0.01),
                  lambda r: None, background=True)
    second_started = threading.Event()
    overlapped = []

    def first(p, c):  # runs until the second job has started beside it (or gives up)
        overlapped.append(second_started.wait(30.0))

    state.run_job("Calibrating", first, lambda r: None)
    state.run_job("Running the scenarios", lambda p, c: second_started.set(), lambda r: None)
    qtbot.waitUntil(lambda: bool(overlapped), timeout=60_000)
    stop.set()
    state.close()
    assert overlapped == [True]  # the second job ran while the first was still running
