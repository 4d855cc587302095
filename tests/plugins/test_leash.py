"""An intervention's guarded call runs on a leash (plugrun13): past its budget its thread is
stopped at its next line of Python, and a call abandoned while asleep in C costs the next
calls nothing (an exception left pending on it with ``PyThreadState_SetAsyncExc`` slowed
every other thread until the next call overran its own budget)."""

from __future__ import annotations

import threading
import time

import pytest

from twinviewer.plugins.budget import PluginStopped, PluginTimeout, call_within

# the stop lands in the plugin's code only, never in call_within's own (it is caught there)
pytestmark = pytest.mark.filterwarnings(
    "error::pytest.PytestUnhandledThreadExceptionWarning")


def _spin():
    while True:
        pass


def _boom():
    raise RuntimeError("boom")


def _alive(name: str) -> bool:
    return any(t.name == f"plugin: {name}" and t.is_alive() for t in threading.enumerate())


def test_an_abandoned_loop_is_stopped():
    with pytest.raises(PluginTimeout):
        call_within(_spin, seconds=0.2, label="spinner", stop=True)
    deadline = time.monotonic() + 5
    while _alive("spinner") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _alive("spinner")


def test_a_call_after_an_abandoned_sleeping_one_is_not_slowed():
    with pytest.raises(PluginTimeout):
        call_within(time.sleep, (1,), seconds=0.2, label="sleeper", stop=True)
    for _ in range(3):  # the sleeper wakes during these: stopped in its own code
        t0 = time.perf_counter()
        with pytest.raises(RuntimeError, match="^boom$"):
            call_within(_boom, seconds=2, label="boom", stop=True)
        assert time.perf_counter() - t0 < 1.0
        time.sleep(0.5)


def test_a_plugin_catching_exception_is_still_stopped():
    def stubborn():
        while True:
            try:
                _spin()
            except Exception:  # noqa: BLE001 - a plugin's own catch-all
                pass

    with pytest.raises(PluginTimeout):
        call_within(stubborn, seconds=0.2, label="stubborn", stop=True)
    deadline = time.monotonic() + 5
    while _alive("stubborn") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _alive("stubborn")
    assert issubclass(PluginStopped, BaseException) and not issubclass(PluginStopped,
                                                                       Exception)
