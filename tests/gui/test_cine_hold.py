"""The cine drops its frames for a moment after new results (whatif13): the plots redraw in
the turns right after them, and a frame drawn among them made one long stall."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("pytestqt")

from twinviewer.gui.cine import HOLD_AFTER_RESULTS_MS, CineBar  # noqa: E402
from twinviewer.gui.state import TwinState  # noqa: E402


def test_frames_are_dropped_after_new_results_then_playback_goes_on(qtbot):
    state = TwinState()
    bar = CineBar(state)
    qtbot.addWidget(bar)
    shown: list[float] = []  # wall time of each frame shown
    bar.frameShown.connect(lambda _f: shown.append(time.perf_counter()))
    bar.set_playing(True)
    qtbot.waitUntil(lambda: len(shown) >= 3, timeout=5000)
    t = time.perf_counter()
    state.session.set_scenario_results({})  # a what-if's results arrive
    qtbot.wait(int(3 * HOLD_AFTER_RESULTS_MS))
    after = [s - t for s in shown if s > t]
    assert after and after[0] >= HOLD_AFTER_RESULTS_MS / 1000, after  # none in the hold
    n = len(shown)
    qtbot.waitUntil(lambda: len(shown) >= n + 3, timeout=5000)  # then it plays on
    t = time.perf_counter()
    state.resultsChanged.emit(None)  # the ensemble's results change: the same hold
    qtbot.wait(int(3 * HOLD_AFTER_RESULTS_MS))
    after = [s - t for s in shown if s > t]
    assert after and after[0] >= HOLD_AFTER_RESULTS_MS / 1000, after
    # the beat keeps its wall-clock time: the fraction shown is where real time has reached
    f0, t0 = state.time, time.perf_counter()
    qtbot.wait(200)
    period, speed = bar.period_s(), float(bar.speed.currentData())
    assert (state.time - f0) % 1.0 == pytest.approx(
        ((time.perf_counter() - t0) * speed / period) % 1.0, abs=0.06)
    bar.set_playing(False)
