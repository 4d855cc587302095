"""TwinState: session events become Qt signals; jobs return on the GUI thread."""

from __future__ import annotations

import threading

from twinviewer.gui.state import TwinState


def test_session_events_become_signals(qtbot):
    st = TwinState()
    with qtbot.waitSignal(st.timeChanged) as sig:
        st.session.set_time(0.25)
    assert sig.args == [0.25]
    with qtbot.waitSignal(st.message) as sig:
        st.warn("careful")
    assert sig.args == ["warning", "careful"]
    st.close()


def test_job_result_arrives_on_the_gui_thread(qtbot):
    st = TwinState()
    seen = []
    main = threading.get_ident()
    job = st.run_job("sum", lambda p, c: (p(0.5, "half"), threading.get_ident())[1],
                     lambda r: seen.append((r, threading.get_ident())))
    qtbot.waitUntil(lambda: job.finished, timeout=5000)
    (worker, handler), = seen
    assert worker != main and handler == main
    st.close()


def test_exception_in_result_handler_is_reported(qtbot):
    st = TwinState()
    msgs = []
    st.message.connect(lambda lvl, t: msgs.append((lvl, t)))

    def bad_handler(result):
        raise RuntimeError("panel bug")

    job = st.run_job("job", lambda p, c: 1, bad_handler)
    qtbot.waitUntil(lambda: job.finished, timeout=5000)
    assert ("error", "job: showing the result failed: panel bug") in msgs
    st.close()
