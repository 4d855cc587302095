"""The stop of a plug-in that caught it never lands in library code, and never in the call's
own bookkeeping (final15 #1, #2)."""

from __future__ import annotations

import io
import logging
import threading
import time

import pytest

from twinviewer.plugins import budget
from twinviewer.plugins.budget import PluginTimeout, call_within

needs_hold = pytest.mark.skipif(budget._SET_TRACE is None,
                                reason="the hold needs CPython 3.11's C trace API")


@needs_hold
def test_a_held_logging_plugin_leaves_no_lock_held():
    """Stopped at the first line of ``logging.Handler.release``, a plug-in that caught the
    stop left the handler's lock held by a thread that was gone: the next log call hung."""
    log = logging.getLogger("twinviewer.test.held")
    handler = logging.StreamHandler(io.StringIO())
    log.addHandler(handler)
    log.propagate = False

    def plugin():
        while True:
            try:
                log.warning("working %s", 1)
            except BaseException:  # noqa: BLE001 - the shape under test
                pass

    try:
        for _ in range(3):
            with pytest.raises(PluginTimeout, match="caught the stop"):
                call_within(plugin, seconds=0.3, stop=True, label="logger")
            assert handler.lock.acquire(timeout=5), "the handler's lock was left held"
            handler.lock.release()
    finally:
        log.removeHandler(handler)


def test_a_c_callable_plugin_ends_its_call_cleanly():
    """A plug-in function written in C returns into ``call_within``'s ``finally``: the stop
    fired in ``detach`` itself, ``ended`` never ran and the thread state stayed registered."""
    for _ in range(3):
        ended = threading.Event()
        with pytest.raises(PluginTimeout) as info:
            call_within(time.sleep, (0.25,), seconds=0.2, stop=True, label="c-callable",
                        ended=ended.set)
        assert "may still be running" not in str(info.value)
        assert ended.wait(5), "the call's end was never reported"
    assert call_within(sum, (range(10),), seconds=5, stop=True, label="next") == 45


def test_the_first_stop_lands_in_the_plugins_own_code():
    """The per-line stop, before any hold, fired in whatever frame came next: inside
    ``logging.Handler.handle`` it left the handler's lock held (last15 #2)."""
    log = logging.getLogger("twinviewer.test.first-stop")
    handler = logging.StreamHandler(io.StringIO())
    log.addHandler(handler)
    log.propagate = False
    where = set()

    def plugin():
        while True:
            try:
                log.warning("working %s", 1)
            except budget.PluginStopped as exc:
                tb, frames = exc.__traceback__, []
                while tb is not None:
                    if tb.tb_frame.f_code.co_filename != budget.__file__:
                        frames.append(tb.tb_frame.f_code)
                    tb = tb.tb_next
                where.add(frames[-1].co_name)  # where it was raised (not the leash's own)
                return

    try:
        for _ in range(30):
            with pytest.raises(PluginTimeout):
                call_within(plugin, seconds=0.05, stop=True, label="logger")
            assert handler.lock.acquire(timeout=5), "the handler's lock was left held"
            handler.lock.release()
    finally:
        log.removeHandler(handler)
    assert where <= {"plugin"}, where
