"""Time budgets for calls into plugin code that is not GUI code.

A plugin callable (an explainer, a reader, a writer, a sample, an intervention's transform or
check, an overlay's values, a command) runs in a *daemon thread*; the caller waits at most
the budget of its kind and then gives up with :class:`PluginTimeout` naming the plugin and
what it was doing.

Python threads cannot be killed. The abandoned thread keeps running until the plugin's code
returns (never, for an endless loop); it is a daemon, so it does not keep the process alive at
exit, and whatever it returns is ignored: the caller's state was never handed to it except as
copies (an intervention's transform gets a copy of the parameters). A pure-Python loop or a
``time.sleep`` releases the interpreter lock every switch interval
(:func:`sys.getswitchinterval`, 5 ms by default), so the waiting thread -- and the GUI thread
-- keep running. A loop inside a C extension that holds the lock (a ctypes call, a huge numpy
operation) stops every Python thread until it returns: no thread-based guard can help there;
plugin *models* run in a separate process (:mod:`.isolation`) for that reason.

Budgets (seconds) per contribution kind are in :data:`BUDGETS`; ``TWINVIEWER_PLUGIN_BUDGETS``
overrides them (``"explainers=2,readers=30"``), as tests do.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time
from collections.abc import Callable

#: Seconds one call of each kind may take. Readers and commands do real work on large data
#: (a DICOM folder, a cohort), explainers and interventions are arithmetic on arrays in hand;
#: panels are built on the GUI thread (guarded by :mod:`.watchdog`); models run in a worker
#: process per ensemble (:data:`twinviewer.plugins.isolation.TIMEOUT`). An overlay colours
#: the heart on the GUI thread's behalf every frame: its budget is one colouring, every
#: structure together (the GUI waits for it; a frame has 33 ms, so a usable overlay takes
#: milliseconds, and the budget bounds the freeze of one that does not; fix16b).
BUDGETS: dict[str, float] = {
    "explainers": 20.0, "interventions": 10.0, "readers": 300.0, "writers": 120.0,
    "samples": 120.0, "commands": 3600.0, "panels": 5.0, "models": 120.0,
    "imports": 60.0,  # importing a contribution's module and checking it (models: + models)
    "overlays": 2.0,
}


class PluginTimeout(RuntimeError):
    """A plugin call that did not finish within its budget (the message names the plugin)."""


class PluginStopped(BaseException):
    """Raised inside an abandoned plugin call's thread (``call_within(..., stop=True)``) to
    end it: a ``BaseException``, as ``KeyboardInterrupt``, so that a plugin's ``except
    Exception`` does not swallow it."""


def budget(kind: str) -> float:
    """The time budget (s) of one call of contribution kind ``kind``.

    Examples
    --------
    >>> budget("explainers") > 0
    True
    """
    text = os.environ.get("TWINVIEWER_PLUGIN_BUDGETS", "")
    for item in text.split(","):
        key, _, value = item.partition("=")
        if key.strip() == kind:
            try:
                return float(value)
            except ValueError:
                raise ValueError(f"TWINVIEWER_PLUGIN_BUDGETS: {item.strip()!r} is not "
                                 "KIND=SECONDS") from None
    return BUDGETS.get(kind, 60.0)


def call_within(func: Callable, args: tuple = (), kwargs: dict | None = None, *,
                seconds: float, label: str, stop: bool = False,
                ended: Callable[[], None] | None = None):
    """``func(*args, **kwargs)`` in a daemon thread; its value, its exception, or
    :class:`PluginTimeout` after ``seconds`` (the thread is abandoned, its result ignored).

    With ``stop`` the call's thread runs under :class:`Leash`: it yields the interpreter
    lock every few ms and, once abandoned, is stopped at its next step of Python (a loop on
    one line too); the caller then waits up to :data:`STOP_S` for the thread to end, and
    the message adds :data:`STILL_RUNNING` if it did not (code in C). A pure-Python loop
    left running took the lock from every other thread for the rest of the session (a hung
    intervention's ``while True`` kept a GUI timer's gaps at 100–240 ms during its budget
    and after: plugrun13). Only for calls whose thread runs nothing but the plugin's
    arithmetic on copies (an intervention's transform); an import is not stopped.
    ``ended`` is called in the call's thread when the plugin's code is over (also after
    the caller gave up), or here if that thread could not be started.

    Examples
    --------
    >>> call_within(sum, ([1, 2, 3],), seconds=5, label="sum")
    6
    >>> import time
    >>> call_within(time.sleep, (10,), seconds=0.05, label="a sleeper")
    Traceback (most recent call last):
    ...
    twinviewer.plugins.budget.PluginTimeout: a sleeper did not finish within 0.05 s
    """
    box: dict = {}
    done = threading.Event()

    leash = Leash() if stop else None

    def run() -> None:
        if leash is not None:
            leash.attach()
        try:
            box["value"] = func(*args, **(kwargs or {}))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box["error"] = exc
        finally:
            if leash is not None:  # the plugin's code is over: never stop ours
                # untraced first (a builtin: no trace event), so the stop cannot fire in
                # detach's own call and leave the thread state registered (final15 #2)
                sys.settrace(None)
                leash.detach()
            done.set()
            if ended is not None:
                ended()

    thread = threading.Thread(target=run, name=f"plugin: {label}", daemon=True)
    try:
        thread.start()
    except BaseException:  # "can't start new thread": the plugin's code never ran, is over
        if ended is not None:
            ended()
        raise
    if leash is None:
        finished = done.wait(seconds)
    else:
        end = time.monotonic() + seconds
        while not (finished := done.wait(min(WATCH_S, max(0.0, end - time.monotonic())))):
            if time.monotonic() >= end:
                break
            leash.watch(thread)
    if not finished:
        message = f"{label} did not finish within {seconds:g} s"
        if leash is not None:
            leash.stop(thread)
            if not done.wait(ESCAPE_S):  # it caught the stop, or is in C, or untraced
                caught = leash.caught
                held = leash.hold(thread)
                if not done.wait(STOP_S - ESCAPE_S):
                    message += STILL_RUNNING
                elif held:
                    message += CAUGHT if caught else HELD
        raise PluginTimeout(message)
    if "error" in box:
        raise box["error"]
    return box["value"]


#: Appended to a stopped call's timeout message when its thread outlives the stop.
STILL_RUNNING = ("; the plug-in's code may still be running (code in C, such as a long "
                 "sleep or one huge array operation, cannot be stopped from Python): restart "
                 "the app to reclaim the CPU")
#: Appended when the stop was raised in the plug-in's code and caught there, and the hold
#: (:meth:`Leash.hold`) ended it.
CAUGHT = ("; its code caught the stop (a catch-all 'except BaseException', a loop in "
          "'finally' or in a generator's 'except GeneratorExit') and was stopped again at "
          "each of its next steps until it ended")
#: Appended when the call's thread met no trace event after the stop (code in C for a
#: while, or a trace function CPython dropped at the recursion limit) and the hold ended it.
HELD = ("; its code had slipped the per-line stop (a long call in C, or a recursion to the "
        "limit, where CPython drops the trace function) and was stopped at its next step "
        "of Python after it")


class Leash:
    """The trace function of a stoppable plugin call's thread (that thread only,
    :meth:`attach`): after each :data:`RUN_S` of the plugin's Python it sleeps
    :data:`YIELD_S`, handing the interpreter lock and a CPU to the other threads; after
    :meth:`stop` it raises :class:`PluginStopped` at the thread's next trace event.

    Frames are traced per line, and per *opcode* once :meth:`watch` finds the thread
    quiet, until the frame starts a line again: ``while True: pass`` on one line (a jump
    onto itself) emits no 'line' events and ran on, unthrottled and unstopped, after its
    plugin was disabled (review14 #2); a long call in C looks as quiet, and the Python
    after it is back on per-line tracing at its first line (final14 #4). Tracing
    every opcode from the start slowed Python-heavy code about 60-fold; per line, with the
    yields, it takes 2–7 times as long as in a thread without it (plugin15's note).
    A pure-Python loop otherwise holds the lock for a whole switch interval each time the
    GUI thread asks for it: a hung transform's loop kept a 20 ms GUI timer's gaps at
    100–200 ms (plugrun13). Array arithmetic in C meets no trace events and is not slowed.
    Stopping from the thread itself, never with ``PyThreadState_SetAsyncExc``: that
    exception, pending on a thread asleep in C, slowed every other thread of the process to
    a crawl, and one cleared or left on a thread that ended leaves every thread's eval loop
    checking for it (a traced call then hung at its first line: fix14a). A ``time.sleep``
    is stopped when it returns, a loop in C code (``list(itertools.count())``, one huge
    numpy operation) not at all. CPython drops a Python trace function that raised: a
    plugin that catches the stop (``except BaseException``, a loop in ``finally``) or the
    ``RecursionError`` raised when the trace function itself is called at the recursion
    limit went on untraced (fix14a); :meth:`hold` gives such a thread a trace function in
    C that stays, and stops it at each of its next steps (plugin15).

    Examples
    --------
    >>> leash = Leash()
    >>> def loop():
    ...     while True: pass
    >>> def run():  # as call_within's thread: attached, then the plugin's call
    ...     leash.attach()
    ...     try:
    ...         loop()
    ...     except PluginStopped:
    ...         pass
    >>> t = threading.Thread(target=run, daemon=True)
    >>> t.start()
    >>> leash.stop(t)
    >>> t.join(5)
    >>> t.is_alive()
    False
    """

    def __init__(self) -> None:
        self._stopped = False
        self._raised = 0  # PluginStopped raised by the per-line trace function
        self._last: float | None = None
        self._rounds = 0  # rounds of EVERY trace events so far
        self._trace, self._poke, self._left = self._tracer()
        self._seen = (-1, 0.0)  # the event count and the thread's CPU time at the last watch
        self._where: tuple[int, int] | None = None  # and where its Python was (_where)
        self._quiet = False  # whether the last watch found it quiet
        self._guard = threading.Lock()  # the thread state is alive while _tstate is set
        self._tstate: int | None = None
        self._ours: frozenset = frozenset()

    def attach(self) -> None:
        """Trace the calling thread from its next call on (first thing in the plugin
        call's thread, before calling the plugin; :meth:`detach` after it)."""
        self._ours = frozenset((sys._getframe(1).f_code, Leash.detach.__code__))
        if _SET_TRACE is not None:
            self._tstate = _THREAD_STATE()
        sys.settrace(self._trace)

    def detach(self) -> None:
        """End the tracing of the calling thread (the plugin's call is over; in that thread,
        before anything else: the caller's code is never stopped)."""
        with self._guard:
            self._tstate = None
            sys.settrace(None)

    @property
    def caught(self) -> bool:
        """Whether the stop was raised in the plugin's code (it is still running: caught)."""
        return self._raised > 0

    def hold(self, thread: threading.Thread) -> bool:
        """Trace ``thread`` with a C trace function that CPython does not drop
        (:class:`_Hold`): throttled as by the per-line one, and once stopped, stopped at
        each of its next steps of Python for good. For a plugin that caught
        :class:`PluginStopped` (CPython drops a Python trace function that raised, so the
        per-line stop is raised once) and one whose trace was dropped at the recursion limit
        (or that called ``sys.settrace`` itself). False where that is not available (not
        CPython 3.11) or the call is over."""
        if _SET_TRACE is None:
            return False
        with self._guard:
            if self._tstate is None:
                return False
            frame = sys._current_frames().get(thread.ident)
            while frame is not None:  # a one-line loop starts no line: every instruction
                frame.f_trace_opcodes = True
                frame = frame.f_back
            _SET_TRACE(self._tstate, _IS_TRUE, _Hold(self))
        return True

    def watch(self, thread: threading.Thread) -> None:
        """Call every :data:`WATCH_S` from another thread: if ``thread`` computed (used CPU
        time) with no trace event since the last call (a loop on one line, or code in C),
        trace its frames per opcode until each starts a line again; if it is still quiet at
        the next call but its Python has moved on (its trace function was dropped: the
        recursion limit), :meth:`hold` it. Not one waiting for the interpreter lock or
        asleep, nor one in a long call in C (it has not moved)."""
        cpu = _cpu_time(thread)
        events, cpu_then = self._seen
        where = _where(thread)
        if self._events() == events and (cpu is None or cpu - cpu_then > WATCH_S / 10):
            if self._quiet and where != self._where and self.hold(thread):
                self._quiet = False
            else:
                self._per_opcode(thread)
                self._quiet = True
        else:
            self._quiet = False
        self._seen, self._where = (self._events(), cpu or 0.0), where

    def stop(self, thread: threading.Thread | None = None) -> None:
        """Stop the traced ``thread`` at its next trace event (from another thread)."""
        self._stopped = True
        self._poke()
        if thread is not None:
            self._per_opcode(thread)

    def _per_opcode(self, thread: threading.Thread) -> None:
        frame = sys._current_frames().get(thread.ident)
        while frame is not None:
            if frame.f_trace is not None:  # the plugin's (traced since the call began)
                frame.f_trace = self._opcodes
                frame.f_trace_opcodes = True
            frame = frame.f_back

    def _opcodes(self, frame, event, arg):
        """The trace function of a frame traced per opcode: back to per line at its next
        'line' event. A loop that starts a line is seen per line; the frame was quiet for
        another reason -- a long call in C (a numpy sort, a matrix inverse) -- and tracing
        the rest of it per opcode made its Python 10-70 times as slow (final14 #4). A
        one-line loop never starts a line, so it stays traced per opcode."""
        self._trace(frame, event, arg)
        if event == "line":
            frame.f_trace_opcodes = False
            return self._trace
        return self._opcodes

    def _tracer(self):
        """The trace function (a closure: it runs at each line, or opcode, of the plugin's
        code, and its cost is the leash's), a function that makes it call :meth:`_round` at
        its next event, and one that says how many events are left before the next round.
        Counting down in a closure's cell and returning itself, it costs the tightest
        one-line loop about half what a method did (a bound method made at each event, three
        attributes read, one written: plugin15's note)."""
        left = EVERY

        def trace(frame, event, arg):
            nonlocal left
            left -= 1
            if left > 0:
                return trace
            left = EVERY
            self._round(frame)
            return trace

        def poke() -> None:
            nonlocal left
            left = 0

        return trace, poke, lambda: left

    def _events(self) -> int:
        """The trace events so far (to within a thread switch)."""
        return self._rounds * EVERY - self._left()

    def _round(self, frame=None) -> None:
        """Every :data:`EVERY` events (at the next one after :meth:`stop`): stop, or look at
        the thread's CPU time -- not the clock's: time spent waiting for the lock is not
        running -- and yield after each :data:`RUN_S` of it. The stop is raised in the
        plugin's own code only: in a library frame it waits for the next event (a stop in
        ``logging.Handler.handle`` left the handler's lock held: last15 #2)."""
        self._rounds += 1
        if self._stopped:
            if frame is not None and _not_plugin_code(frame.f_code):
                self._poke()
                return
            self._raised += 1
            raise PluginStopped("stopped after its time budget")
        now = time.thread_time()
        if self._last is None:
            self._last = now
        elif now - self._last > RUN_S:
            time.sleep(YIELD_S)
            self._last = time.thread_time()


class _Hold:
    """The trace object of a held thread (:meth:`Leash.hold`): its truth value throttles the
    thread as :meth:`Leash._trace` does and, once the leash is stopped, raises
    :class:`PluginStopped` in any frame but call_within's own.

    CPython (3.11) drops a *Python* trace function that raised (``sys.settrace``'s C
    trampoline does), so a plugin that catches the stop runs on untraced. The held thread's
    trace function is ``PyObject_IsTrue`` itself, on this object, set from the waiting thread
    with ``_PyEval_SetTrace(thread state, func, obj)`` (what 3.12's
    ``threading.settrace_all_threads`` does): a C trace function that returns -1 with an
    exception set raises it at that line or instruction, and stays. (``PyObject_IsTrue`` takes
    one argument; a trace function gets four, in registers on the ABIs CPython runs on: the
    three extra are ignored.) The plugin's handler, its ``finally``, its generator's
    ``except GeneratorExit`` are each stopped at their first step, until its code is over.
    """

    __slots__ = ("_leash",)

    def __init__(self, leash: Leash) -> None:
        self._leash = leash

    def __bool__(self) -> bool:
        leash = self._leash
        code = sys._getframe(1).f_code
        if code in leash._ours:  # the traced frame is call_within's
            return False
        if leash._stopped:
            if _not_plugin_code(code):  # let the library finish (release its locks):
                return False  # the plugin's own frame is stopped at its next step (final15 #1)
            if (handled := sys.exception()) is not None:  # raised in a handler: the chain
                handled.__context__ = None  # of contexts grew by one at each step, and
            raise PluginStopped("stopped after its time budget (held)")  # each raise walked it
        leash._trace(None, "hold", None)  # counted, and throttled
        return False


#: The standard library (where ``os`` is: a venv's own lib folder holds site-packages, so
#: sysconfig's platstdlib is not it) and the twinviewer package (wherever it is installed).
_STDLIB_ROOT = os.path.join(os.path.dirname(os.path.abspath(os.__file__)), "")
_OWN_ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "")
_LIBRARY_CODE: dict = {}


def _not_plugin_code(code) -> bool:
    """Whether ``code`` is the standard library's or TwinViewer's (a held plug-in is never
    stopped inside them: stopping ``logging.Handler.release`` at its first line left the
    handler's lock held by a thread that was gone, and the next thread to log hung, final15
    #1)."""
    known = _LIBRARY_CODE.get(code)
    if known is None:
        name = code.co_filename
        path = os.path.abspath(name)
        known = _LIBRARY_CODE[code] = name.startswith("<frozen") or \
            path.startswith(_OWN_ROOT) or (  # a site-packages install too (last15 #4)
                path.startswith(_STDLIB_ROOT) and "-packages" + os.sep not in path)
    return known


def _c_trace_api():
    """``(PyThreadState_Get, _PyEval_SetTrace, address of PyObject_IsTrue)`` on CPython
    3.11, where :class:`_Hold` was checked; (None, None, None) elsewhere."""
    if sys.implementation.name != "cpython" or sys.version_info[:2] != (3, 11):
        return None, None, None
    try:
        api = ctypes.pythonapi
        get = api.PyThreadState_Get
        get.restype, get.argtypes = ctypes.c_void_p, []
        set_trace = api._PyEval_SetTrace
        set_trace.restype = ctypes.c_int
        set_trace.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.py_object]
        return get, set_trace, ctypes.cast(api.PyObject_IsTrue, ctypes.c_void_p).value
    except (AttributeError, OSError):  # an embedding without the symbols
        return None, None, None


_THREAD_STATE, _SET_TRACE, _IS_TRUE = _c_trace_api()


def _where(thread: threading.Thread) -> tuple[int, int] | None:
    """Where ``thread``'s Python is: its innermost frame (by id) and instruction."""
    frame = sys._current_frames().get(thread.ident)
    return None if frame is None else (id(frame), frame.f_lasti)


def _cpu_time(thread: threading.Thread) -> float | None:
    """The CPU time (s) ``thread`` has used; None where unknown (not POSIX, or ended)."""
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
    except (OSError, AttributeError, TypeError):
        return None


#: A stoppable call's thread (``stop=True``) sleeps YIELD_S after each RUN_S of Python; it
#: looks at the clock once every EVERY trace events (at most about 0.1 ms of Python).
RUN_S = 0.002
YIELD_S = 0.001
EVERY = 100
#: Seconds between :meth:`Leash.watch` calls (a one-line loop runs unthrottled that long).
WATCH_S = 0.05
#: Seconds an abandoned stoppable call's thread is given to end before it is reported as
#: still running (:data:`STILL_RUNNING`); after the first ESCAPE_S of them it is held
#: (:meth:`Leash.hold`).
STOP_S = 1.0
ESCAPE_S = 0.1
