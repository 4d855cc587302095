"""An intervention's guarded call runs on a leash (plugrun13): past its budget its thread is
stopped at its next line of Python, and a call abandoned while asleep in C costs the next
calls nothing (an exception left pending on it with ``PyThreadState_SetAsyncExc`` slowed
every other thread until the next call overran its own budget)."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from twinviewer.plugins import budget
from twinviewer.plugins.budget import CAUGHT, PluginStopped, PluginTimeout, call_within

# the hold of a plugin that caught the stop needs CPython 3.11's C trace API (budget._Hold);
# elsewhere such a plugin is reported "may still be running" (final15 #4)
NEEDS_HOLD = pytest.mark.skipif(budget._SET_TRACE is None,
                                reason="the hold needs CPython 3.11's C trace API")

# the stop lands in the plugin's code only, never in call_within's own (it is caught there)
pytestmark = pytest.mark.filterwarnings(
    "error::pytest.PytestUnhandledThreadExceptionWarning")


def _boom():
    raise RuntimeError("boom")


def _alive(name: str) -> bool:
    return any(t.name == f"plugin: {name}" and t.is_alive() for t in threading.enumerate())


def _abandoned(func, label: str, seconds: float = 0.3) -> tuple[str, float]:
    """Call ``func`` on the leash with a ``seconds`` budget it overruns: the timeout's
    message, and how long (s) after the budget its thread was gone (inf: not within 3 s)."""
    t0 = time.monotonic()
    with pytest.raises(PluginTimeout) as err:
        call_within(func, seconds=seconds, label=label, stop=True)
    while _alive(label) and time.monotonic() - t0 < seconds + 3.0:
        time.sleep(0.01)
    gone = float("inf") if _alive(label) else time.monotonic() - (t0 + seconds)
    return str(err.value), gone


def _shape(code: str, name: str):
    ns: dict = {}
    exec(compile(code, f"<{name}>", "exec"), ns)
    return ns["hang"]


def test_the_stop_is_a_base_exception():
    """Not an ``Exception``: a plugin's ``except Exception`` does not even see it."""
    assert issubclass(PluginStopped, BaseException) and not issubclass(PluginStopped,
                                                                       Exception)


#: Endless loops in pure Python that emit no 'line' trace event after their first pass
#: (review14 #2: ``while True: pass`` on one line ran on after its plugin was disabled),
#: and recursive calls in a loop.
SHAPES = {
    "two-line while": "def hang():\n    while True:\n        pass\n",
    "one-line while": "def hang():\n    while True: pass\n",
    "one-line counter": "def hang():\n    x = 0\n    while 1: x += 1\n",
    "comprehension": "import itertools\ndef hang():\n    return [x for x in itertools.count()]\n",
    "generator in sum": "import itertools\ndef hang():\n"
                        "    return sum(x for x in itertools.count())\n",
    "recursion": "def walk(n):\n    return walk(n - 1) if n else 0\n"
                 "def hang():\n    while True: walk(300)\n",
    "catching Exception": "def hang():\n    while True:\n        try:\n"
                          "            while True: pass\n"
                          "        except Exception:\n            pass\n",
    # per opcode while in C, back to per line after it (final14 #4), per opcode again
    "C call, then one-line while": "import numpy as np\ndef hang():\n"
                                   "    np.sort(np.ones(3_000_000), kind='stable')\n"
                                   "    x = 0\n    while True: pass\n",
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_each_loop_shape_is_stopped_within_a_second_of_its_abandonment(shape):
    message, gone = _abandoned(_shape(SHAPES[shape], shape), f"shape {shape}")
    assert gone < 1.0, f"{shape}: its thread ran {gone:.2f} s past its budget"
    assert "may still be running" not in message


#: Plugins that catch the stop itself (a ``BaseException``): CPython drops a trace function
#: that raised, so each ran on untraced after the first stop and was said to be "still
#: running" (fix14a); the hold stops them at every step until they end. The first four are
#: the brief's (plugin15), the rest a fuzz of other ways to swallow or outlive it.
ESCAPES = {
    "catch-all loop": "def hang():\n    x = 0\n    while True:\n        try:\n"
                      "            x += 1\n        except BaseException:\n            pass\n",
    "catch-all around a one-line loop": "def hang():\n    while True:\n        try:\n"
                                        "            while True: pass\n"
                                        "        except BaseException:\n            pass\n",
    "loop in finally": "def hang():\n    while True:\n        try:\n"
                       "            try:\n                while True: pass\n"
                       "            finally:\n                while True: pass\n"
                       "        finally:\n            while True: pass\n",
    # finite (30 s): were it closed on another thread (the suite's gc), that would not hang
    "generator swallowing GeneratorExit": "import time\nEND = time.monotonic() + 30\n"
                                          "def gen():\n    while True:\n        try:\n"
                                          "            yield 1\n"
                                          "        except GeneratorExit:\n"
                                          "            while time.monotonic() < END: pass\n"
                                          "def hang():\n    for _ in gen():\n        pass\n",
    "suppress(BaseException) in a loop": "import contextlib\ndef hang():\n    while True:\n"
                                         "        with contextlib.suppress(BaseException):\n"
                                         "            while True: pass\n",
    "keeps what it caught": "def hang():\n    caught = []\n    while True:\n        try:\n"
                            "            while True: pass\n"
                            "        except BaseException as e:\n            caught.append(e)\n",
    "re-raises as an Exception, caught": "def hang():\n    while True:\n        try:\n"
                                         "            try:\n                while True: pass\n"
                                         "            except BaseException as e:\n"
                                         "                raise ValueError('no') from e\n"
                                         "        except ValueError:\n            pass\n",
    "catch-all recursion": "def hang(n=0):\n    try:\n        return hang(n + 1)\n"
                           "    except BaseException:\n        return hang(n + 1)\n",
    "drops its trace": "import sys\ndef hang():\n    sys.settrace(None)\n"
                       "    while True:\n        pass\n",
    "sleeps in its handler": "import time\ndef hang():\n    while True:\n        try:\n"
                             "            while True: pass\n        except BaseException:\n"
                             "            time.sleep(0.01)\n",
}


@NEEDS_HOLD
@pytest.mark.parametrize("shape", list(ESCAPES))
def test_a_plugin_that_catches_the_stop_is_held_until_it_ends(shape):
    message, gone = _abandoned(_shape(ESCAPES[shape], shape), f"escape {shape}")
    assert gone < 1.5, f"{shape}: its thread ran {gone:.2f} s past its budget"
    assert "may still be running" not in message
    assert message.startswith(f"escape {shape} did not finish within 0.3 s")


@NEEDS_HOLD
@pytest.mark.parametrize("shape", ["catch-all around a one-line loop", "loop in finally",
                                   "suppress(BaseException) in a loop"])
def test_the_message_says_the_stop_was_caught(shape):
    """Where the stop always lands inside the plugin's ``try`` (a one-line loop there: the
    others are stopped for good by the first stop when it lands outside it, by chance)."""
    message, _ = _abandoned(_shape(ESCAPES[shape], shape), f"said {shape}")
    assert message == f"said {shape} did not finish within 0.3 s" + CAUGHT


@NEEDS_HOLD
@pytest.mark.parametrize("shape", ["catch-all around a one-line loop", "loop in finally",
                                   "generator swallowing GeneratorExit", "drops its trace"])
def test_the_gui_thread_keeps_ticking_while_a_plugin_escapes_the_stop(shape, qtbot):
    """A 10 ms timer on the GUI thread while a job thread waits for an escaping plugin's
    call (1 s budget, then the stop and the hold): the thread is gone, the GUI thread is
    never blocked for a second, and the timer's gaps stay short: p95 under 100 ms, or under
    twice an idle second's just before where the machine is so loaded that the idle p95 is
    over 50 ms (at load 14-15 on 2 cores the during-call p95 was 17-116 ms)."""
    from PySide6.QtCore import QTimer

    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    qtbot.wait(1000)
    idle = _p95(ticks)
    out: list = []
    job = threading.Thread(target=lambda: out.append(
        _abandoned(_shape(ESCAPES[shape], shape), f"gui {shape}", 1.0)))
    ticks[:] = [time.monotonic()]  # a GUI thread blocked before its first tick counts too
    job.start()
    qtbot.waitUntil(lambda: not job.is_alive(), timeout=15_000)
    timer.stop()
    (message, gone), = out
    assert gone < 1.5 and "may still be running" not in message
    assert len(ticks) > 10 and max(b - a for a, b in itertools.pairwise(ticks)) < 1.0
    assert _p95(ticks) < max(0.1, 2 * idle), (_p95(ticks), idle)


def _p95(ticks: list[float]) -> float:
    """The 95th percentile (s) of the gaps between a timer's ``ticks``."""
    gaps = sorted(b - a for a, b in itertools.pairwise(ticks))
    return gaps[int(0.95 * len(gaps))]


def test_a_call_after_an_abandoned_sleeping_one_is_not_slowed():
    with pytest.raises(PluginTimeout):
        call_within(time.sleep, (1,), seconds=0.2, label="sleeper", stop=True)
    for _ in range(3):  # the sleeper wakes during these: stopped in its own code
        t0 = time.perf_counter()
        with pytest.raises(RuntimeError, match="^boom$"):
            call_within(_boom, seconds=2, label="boom", stop=True)
        assert time.perf_counter() - t0 < 1.0
        time.sleep(0.5)


def test_a_call_in_c_is_said_to_be_still_running():
    """A sleep in C cannot be stopped from Python: the message says so and to restart."""
    with pytest.raises(PluginTimeout) as err:
        call_within(time.sleep, (3,), seconds=0.2, label="deep sleeper", stop=True)
    assert str(err.value).startswith("deep sleeper did not finish within 0.2 s; the plug-in's "
                                      "code may still be running")
    assert "restart the app to reclaim the CPU" in str(err.value)
    assert _alive("deep sleeper")  # as said: it ends only when the sleep returns


def test_the_leash_costs_a_quick_call_little():
    """A call in C and a few lines (the docs' vasodilator) is not slowed noticeably."""
    import numpy as np

    P = np.ones((200, 40))

    def transform(P):
        P[:, 3] *= 1.0 - 20.0 / 100.0
        return P

    t0 = time.perf_counter()
    for _ in range(20):
        call_within(transform, (P,), seconds=10, label="quick", stop=True)
    assert (time.perf_counter() - t0) / 20 < 0.05


RECURSION = """
import threading, time
from twinviewer.plugins.budget import PluginTimeout, call_within

end = time.monotonic() + 5  # finite: a failed hold fails the test, it does not hang it

def hang():
    if time.monotonic() > end:
        return None
    try:
        return hang()
    except RecursionError:
        return hang()

t0 = time.monotonic()
try:
    call_within(hang, seconds=0.3, label="deep recursion", stop=True)
except PluginTimeout as exc:
    print(exc)
while any(t.name == "plugin: deep recursion" for t in threading.enumerate()):
    time.sleep(0.01)
print(f"gone {time.monotonic() - t0 - 0.3:.3f}")
"""


@NEEDS_HOLD
def test_a_plugin_catching_the_recursion_limit_is_stopped():
    """At the recursion limit the trace function's own call raises RecursionError, and
    CPython drops it: a plugin catching that ran on untraced and was said to be "still
    running" (fix14a). The watch holds it (quiet, yet its Python moved on) and the stop
    ends it. In its own process: one run of the whole suite ended in a pytest INTERNALERROR
    (RecursionError) during this test, not seen again in 9 runs (fix14a)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", RECURSION], capture_output=True, text=True,
                         timeout=60)
    message, gone = out.stdout.splitlines()
    assert message.startswith("deep recursion did not finish within 0.3 s"), out.stderr
    assert "may still be running" not in message
    assert float(gone.removeprefix("gone ")) < 1.5, out.stdout


def _intervention_plugin(plugin_registry, tmp_path, monkeypatch, seconds: float, name: str,
                         code: str, **interventions: str):
    """A registry with the plugin folder ``name`` (module ``code``) contributing
    ``interventions`` (name: "module:OBJECT"), each loaded, and the interventions' budget
    ``seconds``."""
    from tests.plugins.helpers import contribution_folder

    monkeypatch.setenv("TWINVIEWER_PLUGIN_BUDGETS", f"interventions={seconds:g}")
    tables = "".join(f'[[contributions.interventions]]\nname = "{n}"\nref = "{r}"\n'
                     for n, r in interventions.items())
    reg = plugin_registry(contribution_folder(tmp_path, name, code, tables), entry_points=[])
    for n in interventions:
        reg.load("interventions", n)
    return reg


SPINNER = """
    from twinviewer.interventions.intervention import Intervention, Setting

    def _spin(ctx, P, s):
        while True: pass

    SPIN = Intervention(name="spin_drug", title="Spin", settings=(
        Setting("fall", "%", 20.0, (0.0, 50.0), "x (UNSOURCED)", label="Fall"),),
        description="test", evidence=(), assumptions=("test",), transform=_spin,
        parameters=("SYS.R_AR",), main_setting="fall")
    """


def test_a_hung_intervention_runs_in_one_thread_at_a_time(plugin_registry, tmp_path,
                                                          monkeypatch):
    """The live preview and a Run called the same hanging transform side by side, and both
    threads ran on after its plugin was disabled (review14 #2): the second call now waits
    for the first to end, then finds the plugin disabled."""
    from twinviewer.interventions.intervention import InterventionError
    from twinviewer.interventions.library import LIBRARY
    from twinviewer.physiology.presets import PRESETS
    from twinviewer.plugins.registry import DISABLED

    reg = _intervention_plugin(plugin_registry, tmp_path, monkeypatch, 0.5, "tv-spin", SPINNER,
                               spin_drug="tv_spin:SPIN")
    preset = PRESETS["healthy"]
    errors: list[str] = []

    def apply() -> None:
        try:
            LIBRARY["spin_drug"].apply(preset.model, preset.vector()[None, :], {"fall": 5.0})
        except InterventionError as exc:
            errors.append(str(exc))

    def spinning() -> int:
        return sum(t.name.startswith("plugin: plugin 'tv-spin'") and t.is_alive()
                   for t in threading.enumerate())

    callers = [threading.Thread(target=apply) for _ in range(2)]
    for t in callers:
        t.start()
    most = 0
    while any(t.is_alive() for t in callers):
        most = max(most, spinning())
        time.sleep(0.005)
    assert most == 1
    assert spinning() == 0
    assert len(errors) == 2, errors
    assert sum("is disabled for this session ('twinviewer plugins disable" in e
               for e in errors) == 1, errors  # one hang, then a refusal
    assert all("may still be running" not in e for e in errors)
    assert sum("plugin 'tv-spin' is disabled" in e for e in errors) == 2
    assert reg.plugins["tv-spin"].status == DISABLED


CATCHER = """
    from twinviewer.interventions.intervention import Intervention, Setting

    def _catch(ctx, P, s):
        while True:
            try:
                while True: pass
            except BaseException:
                pass

    CATCH = Intervention(name="catch_drug", title="Catch", settings=(
        Setting("fall", "%", 20.0, (0.0, 50.0), "x (UNSOURCED)", label="Fall"),),
        description="test", evidence=(), assumptions=("test",), transform=_catch,
        parameters=("SYS.R_AR",), main_setting="fall")
    """


@NEEDS_HOLD
def test_a_plugin_catching_the_stop_is_named_stopped_and_disabled(plugin_registry, tmp_path,
                                                                 monkeypatch):
    """Through the registry: the message names the plugin, the intervention and what its
    code did; no thread of it is left; the plugin is disabled (plugin15)."""
    from twinviewer.interventions.intervention import InterventionError
    from twinviewer.interventions.library import LIBRARY
    from twinviewer.physiology.presets import PRESETS
    from twinviewer.plugins.registry import DISABLED

    reg = _intervention_plugin(plugin_registry, tmp_path, monkeypatch, 0.3, "tv-catch", CATCHER,
                               catch_drug="tv_catch:CATCH")
    preset = PRESETS["healthy"]
    with pytest.raises(InterventionError) as err:
        LIBRARY["catch_drug"].apply(preset.model, preset.vector()[None, :], {"fall": 5.0})
    message = str(err.value)
    assert message.startswith("plugin 'tv-catch': intervention 'catch_drug' (tv_catch:CATCH), "
                              "its transform did not finish within 0.3 s; its code caught the "
                              "stop"), message
    assert "may still be running" not in message
    assert not any(t.name.startswith("plugin: plugin 'tv-catch'") and t.is_alive()
                   for t in threading.enumerate())
    assert reg.plugins["tv-catch"].status == DISABLED


def test_a_hung_intervention_in_c_says_to_restart_and_keeps_only_the_hang(
        plugin_registry, tmp_path, monkeypatch):
    """A transform asleep in C cannot be stopped: the message says so (restart to reclaim
    the CPU); the plugin's disabled reason is the hang alone."""
    from tests.plugins.helpers import FAULTY_DRUGS
    from twinviewer.interventions.intervention import InterventionError
    from twinviewer.interventions.library import LIBRARY
    from twinviewer.physiology.presets import PRESETS

    reg = _intervention_plugin(plugin_registry, tmp_path, monkeypatch, 0.3, "tv-nap", FAULTY_DRUGS,
                               sleep_drug="tv_nap:SLEEP")
    preset = PRESETS["healthy"]
    with pytest.raises(InterventionError) as err:
        LIBRARY["sleep_drug"].apply(preset.model, preset.vector()[None, :], {"fall": 5.0})
    assert "did not finish within 0.3 s; plugin 'tv-nap' is disabled for this session" \
        in str(err.value)
    assert str(err.value).endswith("restart the app to reclaim the CPU")
    assert reg.plugins["tv-nap"].message.endswith("did not finish within 0.3 s (disabled for "
                                                  "this session)")


def _c_then_python(a, laps: int, tail: list[float]) -> float:
    """One long call in C (no trace event in its thread for well over
    :data:`~twinviewer.plugins.budget.WATCH_S`), then a Python loop, timed (s) into ``tail``."""
    import numpy as np

    np.sort(a, kind="stable")  # one C call of ~0.1-0.5 s
    t0 = time.perf_counter()
    s = 0.0
    for i in range(laps):
        s += i * 0.5
    tail.append(time.perf_counter() - t0)
    return s


def test_python_after_a_long_call_in_c_is_not_traced_per_opcode():
    """A numpy call longer than the leash's watch interval looks like a one-line loop (CPU,
    no trace event); the per-opcode tracing it switched on stayed on for the rest of the
    frame, so a healthy transform's Python tail ran ~70 times as long as plain and could be
    disabled as hung (final14 #4). Interleaved, best of 3: the tail after the C call costs
    no more than the same tail on the leash alone, and the whole call a small factor of its
    plain time."""
    import numpy as np

    from twinviewer.plugins import budget as budget_module

    a = np.random.default_rng(0).random(3_000_000)
    t0 = time.perf_counter()
    np.sort(a, kind="stable")
    assert time.perf_counter() - t0 > 2 * budget_module.WATCH_S  # the case in question
    laps = 200_000
    plain, leashed, tail_after, tail_alone = [], [], [], []
    for _ in range(3):
        t0 = time.perf_counter()
        _c_then_python(a, laps, [])
        plain.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        call_within(_c_then_python, (a, laps, tail_after), seconds=60, label="c then py",
                    stop=True)
        leashed.append(time.perf_counter() - t0)
        call_within(_c_then_python, (a[:1000], laps, tail_alone), seconds=60,
                    label="py alone", stop=True)
    assert min(tail_after) < 2.0 * min(tail_alone) + 0.02, (tail_after, tail_alone)
    assert min(leashed) < 3.0 * min(plain) + 0.1, (leashed, plain)


def test_a_call_whose_thread_never_started_does_not_hold_the_plugins_lock(
        plugin_registry, tmp_path, monkeypatch):
    """``can't start new thread`` (thread exhaustion) in ``call_within``: the per-plugin
    lock waited for the ``ended`` of a thread that never ran, so once the plugin was enabled
    again every call of it waited budget + 1 s and was refused (final14 #7c)."""
    import types

    from tests.plugins.helpers import FAULTY_DRUGS
    from twinviewer.interventions.intervention import InterventionError
    from twinviewer.interventions.library import LIBRARY
    from twinviewer.physiology.presets import PRESETS
    from twinviewer.plugins import budget as budget_module

    class NoThread(threading.Thread):
        def start(self):
            raise RuntimeError("can't start new thread")

    reg = _intervention_plugin(plugin_registry, tmp_path, monkeypatch, 2, "tv-fine", FAULTY_DRUGS,
                               fine_drug="tv_fine:FINE")
    preset = PRESETS["healthy"]
    P = preset.vector()[None, :]
    with monkeypatch.context() as m:
        m.setattr(budget_module, "threading",
                  types.SimpleNamespace(Event=threading.Event, Lock=threading.Lock,
                                        Thread=NoThread))
        with pytest.raises(InterventionError, match="can't start new thread"):
            LIBRARY["fine_drug"].apply(preset.model, P, {"fall": 5.0})
    reg.enable("tv-fine")
    reg.load("interventions", "fine_drug")
    t0 = time.perf_counter()
    LIBRARY["fine_drug"].apply(preset.model, P, {"fall": 5.0})
    assert time.perf_counter() - t0 < 1.5


NESTED = """
    from twinviewer.interventions.intervention import Intervention, Setting
    from twinviewer.interventions.library import get_intervention

    def _inner(ctx, P, s):
        P[:, ctx.col("SYS.R_AR")] *= 1 - s["fall"] / 100
        return P

    def _outer(ctx, P, s):  # a combination: applies the plugin's own other intervention
        return get_intervention("nest_inner").apply(ctx.model, P, {"fall": s["fall"]})

    def mk(name, fn):
        return Intervention(name=name, title=name, settings=(
            Setting("fall", "%", 20.0, (0.0, 50.0), "x (UNSOURCED)", label="Fall"),),
            description="test", evidence=(), assumptions=("test",), transform=fn,
            parameters=("SYS.R_AR",), main_setting="fall")

    INNER, OUTER = mk("nest_inner", _inner), mk("nest_outer", _outer)
    """


def test_a_transform_applying_another_of_its_plugins_interventions_is_not_a_hang(
        plugin_registry, tmp_path, monkeypatch):
    """The per-plugin lock is held by the caller while the plugin's code runs in another
    thread: a transform applying another intervention of its own plugin waited for that
    lock, its call ran past the budget and the plugin was disabled as hung (final14 #7d).
    The nested call runs in the outer call's thread, within its budget."""
    from twinviewer.interventions.library import LIBRARY
    from twinviewer.physiology.presets import PRESETS
    from twinviewer.plugins.registry import DISABLED

    reg = _intervention_plugin(plugin_registry, tmp_path, monkeypatch, 1, "tv-nest", NESTED,
                               nest_inner="tv_nest:INNER", nest_outer="tv_nest:OUTER")
    preset = PRESETS["healthy"]
    P = preset.vector()[None, :]
    col = preset.model.index(preset.model.role("SYS.R_AR"))
    t0 = time.perf_counter()
    out = LIBRARY["nest_outer"].apply(preset.model, P, {"fall": 10.0})
    assert time.perf_counter() - t0 < 0.9
    assert out[0, col] == pytest.approx(0.9 * P[0, col])
    assert reg.plugins["tv-nest"].status != DISABLED
