"""The stall recorder in the GUI: ``TWINVIEWER_STALL_TRACE`` starts it with a heartbeat on
the GUI thread, and a deliberate 200 ms sleep there is recorded with its stack."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer

from twinviewer.core import stall_trace
from twinviewer.gui.app import install_stall_trace


def _blocks_the_gui_thread() -> None:
    time.sleep(0.2)


def test_a_200_ms_sleep_on_the_gui_thread_is_recorded_with_its_stack(qapp, qtbot, tmp_path,
                                                                      monkeypatch):
    out = tmp_path / "trace.jsonl"
    monkeypatch.setenv(stall_trace.ENV, str(out))
    tracer = install_stall_trace(qapp)
    try:
        qtbot.wait(150)
        QTimer.singleShot(0, _blocks_the_gui_thread)
        qtbot.wait(300)
    finally:
        tracer.stop()
        qapp._stall_trace[1].stop()
        del qapp._stall_trace
    long = [g for g in stall_trace.gaps_of(stall_trace.read_trace(out)) if g["gap_ms"] >= 190]
    assert len(long) == 1, stall_trace.summary(stall_trace.read_trace(out))
    assert any("_blocks_the_gui_thread" in f for f in long[0]["stacks"][0]["stack"])
    assert long[0]["gui_cpu_ms"] < 100  # asleep, not running


def test_no_recorder_without_the_variable(qapp, monkeypatch):
    monkeypatch.delenv(stall_trace.ENV, raising=False)
    assert install_stall_trace(qapp) is None
    assert not hasattr(qapp, "_stall_trace")
