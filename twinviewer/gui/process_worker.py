"""A helper *process* for long Python-heavy jobs (the calibration), so they do not share the
GUI process's interpreter lock.

A job run on a worker thread of the GUI process holds the interpreter lock for most of its
time; the GUI thread then waits for it between frames and timer ticks (stall10: 130–350 ms
stalls during a calibration, 27–157 ms of it blocked on the lock). :class:`ProcessWorker`
keeps one warm helper process (``python -m twinviewer.gui.process_worker``, started by
fork-and-exec: the Qt process with its threads is never forked into a running child) and runs
``module:function`` in it. The caller is a worker thread of :meth:`TwinState.run_job`; it only
waits on a pipe (``Connection.poll`` releases the lock), forwards progress, passes Cancel on,
and unpickles the result. A child that dies is reported as :class:`HelperDied`, and the next
job starts a new one.

Qt-free: the child imports no Qt of its own (the calibration's plot helpers import
pyqtgraph's modules, but no application is made).

Examples
--------
>>> w = ProcessWorker("example")
>>> w.call("textwrap:dedent", {"text": "    runs in the helper"}, with_progress=False)
'runs in the helper'
>>> w.close()
"""

from __future__ import annotations

import copyreg
import functools
import importlib
import io
import itertools
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection, Pipe
from pathlib import Path
from typing import Any


def _reduce_model(model: Any) -> tuple:
    """A model declaration is sent by name, version and equation hash (its functions are
    replaced by their compiled versions and do not pickle); each side uses its own
    installed one, as a twin opened from a file does. Another (not installed) pickles as
    itself."""
    from twinviewer.physiology.presets import model_for

    if model_for(model.name, model.version, model.equation_hash) is model:
        return _installed_model, (model.name, model.version, model.equation_hash)
    return model.__reduce_ex__(5)


def _installed_model(name: str, version: str, equation_hash: str) -> Any:
    """The installed model ``name`` v``version`` with ``equation_hash`` (the receiving
    side of :func:`_reduce_model`).

    >>> _installed_model("no_such_model", "1", "0")
    Traceback (most recent call last):
    ...
    _pickle.UnpicklingError: model no_such_model v1 is not installed here
    """
    from twinviewer.physiology.presets import model_for

    model = None if withdrawn_plugin_model(name) else (
        model_for(name, version, equation_hash)
        or approved_plugin_model(name, version, equation_hash))
    if model is None:
        raise pickle.UnpicklingError(f"model {name} v{version} is not installed here")
    return model


def approved_plugin_model(name: str, version: str, equation_hash: str) -> Any:
    """Plug-in model ``name`` loaded through the plug-in registry, as the app loads it, if an
    enabled (approved, unchanged since) plug-in provides it and it has that version and
    equation hash; else None. A helper loads no plug-ins of its own (review16 #5: every
    save of a plug-in twin ended the file writer); the registry indexes enabled plug-ins
    only, and the user's store is read again here, so a plug-in the user has not approved,
    or has disabled since, is never imported here. In a helper a failure disables the
    plug-in for that process only (its store is read-only: the app decides).

    >>> approved_plugin_model("no_such_model", "1", "0") is None
    True
    """
    from twinviewer.physiology.presets import CORE_MODELS, model_for
    from twinviewer.plugins import PluginError, get_registry

    reg = get_registry()
    if name in CORE_MODELS or reg.find("models", name) is None or withdrawn_plugin_model(name):
        return None
    try:
        reg.load("models", name)
    except PluginError:  # named and disabled by the registry; the caller refuses the job
        return None
    return model_for(name, version, equation_hash)


def withdrawn_plugin_model(name: str) -> str:
    """Why plug-in model ``name`` may not be used in this process although its registry
    enabled it at start, or ``""``: the user's store, read again now, no longer enables its
    plug-in (disabled, or not approved as it is, since; final16 #9). A helper's registry is
    built once; the app may decide otherwise meanwhile.

    >>> withdrawn_plugin_model("no_such_model")
    ''
    """
    from twinviewer.physiology.presets import CORE_MODELS
    from twinviewer.plugins import get_registry
    from twinviewer.plugins.store import PluginStore

    if name in CORE_MODELS:
        return ""
    reg = get_registry()
    c = reg.find("models", name)
    if c is None:
        return ""
    now = PluginStore(reg.store.path, read_only=True)
    if (why := now.disabled(c.plugin)) is not None:
        return f"plugin {c.plugin!r} is disabled: {why}"
    if now.approved(c.plugin) != reg.plugins[c.plugin].fingerprint:
        return f"plugin {c.plugin!r} is no longer approved as it is"
    return ""


class _Pickler(pickle.Pickler):
    """Pickles models by reference (:func:`_reduce_model`) through a dispatch table: looked
    up by type in C. A ``persistent_id`` method was a Python call (and an import
    statement) for every object pickled: 50–100 ms of interpreter-held CPU to walk the demo
    twin's 25 000 objects for each autosave (stall14)."""

    def __init__(self, file: Any, **kwargs: Any) -> None:
        super().__init__(file, **kwargs)
        from twinviewer.physiology.model import ModelSpec

        self.dispatch_table = {**copyreg.dispatch_table, ModelSpec: _reduce_model}


def send(conn: Connection, obj: Any) -> None:
    """Send ``obj`` over ``conn`` (models by reference: :func:`_reduce_model`). Arrays go out of
    band (pickle protocol 5): pickling walks the objects only, and the arrays' bytes are
    written from their own memory by ``os.write``, which releases the interpreter lock — a
    copy of tens of MB in one C call held it for 50–120 ms."""
    buf, arrays = io.BytesIO(), []
    _Pickler(buf, protocol=5, buffer_callback=arrays.append).dump(obj)
    conn.send_bytes(struct.pack("!I", len(arrays)))
    conn.send_bytes(buf.getbuffer())
    for a in arrays:
        conn.send_bytes(a.raw())


def receive(conn: Connection) -> Any:
    """The next object :func:`send` sent over ``conn``. Each array's bytes are read by the
    kernel straight into fresh memory of its own (:func:`_read_buffer`), with the
    interpreter lock released, and the arrays are made on that memory without a copy."""
    (n,) = struct.unpack("!I", conn.recv_bytes())
    head = conn.recv_bytes()
    arrays = [_read_buffer(conn) for _ in range(n)]
    return pickle.Unpickler(io.BytesIO(head), buffers=arrays).load()


def _read_buffer(conn: Connection):
    """The next message on ``conn`` (as ``send_bytes`` framed it) read into a new, writable
    ``uint8`` array by ``os.readv``.

    ``conn.recv_bytes()`` gathers a message in 64 kB reads into a growing buffer and the
    array was then copied out of it: both copies, and the page faults of their fresh memory,
    ran with the interpreter lock held (13–15 ms of a what-if result's 10 MB, cold, table13),
    while the GUI thread waited for the lock. Here the only copy is the kernel's, from the
    pipe into the array's own pages, and it runs with the lock released; the unpickled
    array wraps this memory (``np.frombuffer``), so its values are the sent bytes.

    >>> a, b = Pipe(duplex=False)
    >>> b.send_bytes(b"abc")
    >>> bytes(_read_buffer(a))
    b'abc'
    """
    import numpy as np

    fd = conn.fileno()
    (size,) = struct.unpack("!i", _read_exact(fd, bytearray(4), start=True))
    if size == -1:
        (size,) = struct.unpack("!Q", _read_exact(fd, bytearray(8)))
    buf = np.empty(size, dtype=np.uint8)  # not touched here: the kernel's copy faults it in
    _read_exact(fd, buf)
    return buf


def _read_exact(fd: int, buf, start: bool = False):
    """Fill ``buf`` from ``fd`` (``os.readv`` releases the interpreter lock) and return it;
    end of file before any byte of a message (``start``) is :class:`EOFError`, within one
    an ``OSError``, as :class:`~multiprocessing.connection.Connection` says them."""
    view = memoryview(buf).cast("B")
    done = 0
    while done < len(view):
        got = os.readv(fd, [view[done:]])
        if got == 0:
            if start and done == 0:
                raise EOFError
            raise OSError("got end of file during message")
        done += got
    return buf


#: Shortest time (s) between two progress updates passed on to the GUI.
PROGRESS_EVERY_S = 0.2

#: Seconds the waiting thread blocks on the pipe before it looks at Cancel and the child.
POLL_S = 0.05


class HelperDied(RuntimeError):
    """The helper process ended while a job ran (killed, crashed, out of memory)."""


class HelperError(RuntimeError):
    """An error in the helper that could not be sent back as itself (not picklable)."""


def available() -> bool:
    """Whether jobs can run in a helper process here (in a frozen bundle too: the app
    starts itself as the helper, :func:`_helper_command`).

    >>> isinstance(available(), bool)
    True
    """
    # pass_fds and descriptor-based pipes are POSIX only (review10b #10)
    return os.name == "posix"


def _helper_command(fds: tuple[int, int]) -> list[str]:
    """The helper's command line, reading jobs from ``fds[0]`` and writing to ``fds[1]``:
    this interpreter running this module; in a frozen bundle, whose executable is the app
    and not an interpreter, the app with ``--process-worker`` (its entry,
    ``packaging/twinviewer_entry.py``, runs :func:`_child` without the GUI).

    >>> _helper_command((5, 6))[-3:]
    ['twinviewer.gui.process_worker', '5', '6']
    """
    if getattr(sys, "frozen", False):
        return [sys.executable, "--process-worker", str(fds[0]), str(fds[1])]
    return [sys.executable, "-m", "twinviewer.gui.process_worker", str(fds[0]), str(fds[1])]


class ProcessWorker:
    """One helper process, started on first use (or :meth:`start`), kept warm between jobs.

    Parameters
    ----------
    name : str
        Said in messages ("the calibration process stopped …").
    warm : sequence of str
        Modules the child imports as soon as it starts (ahead of the first job).
    """

    def __init__(self, name: str, warm: tuple[str, ...] = (), *,
                 nice: int | None = None) -> None:
        self.name, self.warm = name, tuple(warm)
        self.nice = CHILD_NICE if nice is None else nice  # the child's, above this process's
        self._proc: subprocess.Popen | None = None
        self._to: Connection | None = None  # jobs, cancels and shared objects
        self._from: Connection | None = None  # progress and results
        self._lock = threading.Lock()  # one job at a time
        self._running: int | None = None  # the id of the job the child runs now
        self._state = threading.Lock()  # guards _running with the child it runs in
        self._ids = itertools.count(1)
        self._shared: dict[str, tuple[int, Any]] = {}  # key -> (id of the object, token)
        self._kept: dict[str, Any] = {}  # key -> the object (its id is not reused meanwhile)

    # -- the child's life ------------------------------------------------------------------
    def start(self) -> None:
        """Start the helper now (in the background: returns at once)."""
        with self._lock:
            self._ensure()

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _ensure(self, background: bool = False) -> None:
        """Start the helper if it is not running; started for a ``background`` job (the
        readying), it imports ``warm`` at the lowest priority too, else at its nice (a job
        the user waits for would wait for those imports)."""
        if self.alive():
            return
        self._drop()
        job_r, job_w = Pipe(duplex=False)
        res_r, res_w = Pipe(duplex=False)
        root = str(Path(__file__).resolve().parents[2])  # this tree's twinviewer wins
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
        # ``-m`` would put the current folder first on the path: started from another
        # checkout's folder, the helper ran that checkout's code (Python ≥ 3.11)
        env["PYTHONSAFEPATH"] = "1"
        env[WARM_IN_BACKGROUND] = "1" if background else "0"
        env[HELPER_NICE] = str(self.nice)
        fds = (job_r.fileno(), res_w.fileno())
        self._proc = subprocess.Popen([*_helper_command(fds), *self.warm], pass_fds=fds,
                                      env=env, stdin=subprocess.DEVNULL)
        job_r.close()
        res_w.close()
        self._to, self._from = job_w, res_r
        self._shared.clear()
        self._kept.clear()

    def _drop(self) -> None:
        for c in (self._to, self._from):
            if c is not None:
                c.close()
        self._to = self._from = None
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(5)
        self._proc = None

    def close(self) -> None:
        """End the helper (closing its pipe ends it; killed if it does not go in 2 s)."""
        with self._lock:
            proc = self._proc
            for c in (self._to, self._from):
                if c is not None:
                    c.close()
            self._to = self._from = None
            self._proc = None
            if proc is not None:
                try:
                    proc.wait(2)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)

    # -- jobs -------------------------------------------------------------------------------
    def share(self, key: str, obj: Any, light: Callable[[Any], Any] | None = None) -> str:
        """Send ``obj`` (or ``light(obj)``) to the child once and return the token a job's
        arguments name it by; the same object again under ``key`` is not sent again. Call
        from the job's thread (pickling a large object takes a while).

        >>> w = ProcessWorker("example")
        >>> w.share("x", [1, 2]) == w.share("x", [1, 2])
        False
        >>> w.close()
        """
        with self._lock:
            self._ensure()
            return self._share(key, obj, light)

    def _share(self, key: str, obj: Any, light: Callable[[Any], Any] | None) -> str:
        kept = self._shared.get(key)
        if kept is not None and kept[0] == id(obj):
            return kept[1]
        token = f"{key}:{next(self._ids)}"
        send(self._to, ("share", token, light(obj) if light else obj))
        # the id is only compared while the object lives: keep it alive with the token
        self._shared[key] = (id(obj), token)
        self._kept[key] = obj
        return token

    def has_shared(self, key: str, obj: Any) -> bool:
        """Whether ``obj`` is the object the child holds under ``key`` (:meth:`share`), in
        the helper running now.

        >>> ProcessWorker("example").has_shared("x", [1])
        False
        """
        kept = self._shared.get(key)
        return self.alive() and kept is not None and kept[0] == id(obj) \
            and self._kept.get(key) is obj

    def call(self, target: str, kwargs: dict, progress: Callable[[float, str], None] | None
             = None, is_cancelled: Callable[[], bool] | None = None, *,
             with_progress: bool = True,
             shared: dict[str, tuple[str, Any, Callable[[Any], Any] | None]] | None = None,
             started: Callable[[int], None] | None = None, background: bool = False) -> Any:
        """Run ``target`` (``'module:function'``) with ``kwargs`` in the child and return its
        result. With ``with_progress`` the function is also given ``progress(fraction,
        text)`` and ``cancel() -> bool``. Its exception is raised here; a child that dies
        raises :class:`HelperDied`.

        ``shared`` maps an argument's name to ``(key, obj, light)``: ``obj`` is shared
        (:meth:`share`) and the argument is its token (None for a None ``obj``), sent with
        the job under one hold of the lock, so no other share under ``key`` (another job's,
        a forget) lands between them and takes the object away (review11b #10). A job
        cancelled while it waited for the helper does not run
        (:class:`~twinviewer.physiology.Cancelled`); ``started(job_id)`` is called once it
        is sent (:meth:`kill_job`). A ``background`` job (the readying: nobody waits for
        it) runs in the child at the lowest CPU priority (:func:`lowest_priority`), on the
        thread that imported ``warm``, so that a playback started meanwhile is not kept
        waiting for a CPU by it; other jobs run at ``CHILD_NICE``.

        >>> w = ProcessWorker("example")
        >>> w.call("textwrap:dedent", {}, with_progress=False,
        ...        shared={"text": ("x", [1], None)})  # the job is given the token
        'x:1'
        >>> w.close()
        """
        with self._lock:
            if is_cancelled is not None and is_cancelled():
                from twinviewer.physiology import Cancelled

                raise Cancelled(f"cancelled before the {self.name} process started it")
            self._ensure(background)
            kwargs = dict(kwargs)
            for arg, (key, obj, light) in (shared or {}).items():
                kwargs[arg] = self._share(key, obj, light) if obj is not None else None
            jid = next(self._ids)
            send(self._to, ("job", jid, target, kwargs, with_progress, background))
            with self._state:
                self._running = jid
            if started is not None:
                started(jid)
            try:
                return self._wait(jid, progress, is_cancelled)
            finally:
                with self._state:
                    self._running = None

    def kill_job(self, jid: int) -> bool:
        """End the helper if it is running job ``jid`` (a job stuck where it never looks at
        Cancel); whether it was ended. Another job's helper is left alone."""
        with self._state:
            proc = self._proc
            if self._running != jid or proc is None or proc.poll() is not None:
                return False
            proc.kill()  # Popen's: never a reaped (possibly reused) pid
            return True

    def _wait(self, jid: int, progress: Callable[[float, str], None] | None,
              is_cancelled: Callable[[], bool] | None) -> Any:
        cancel_sent, raised, shown_at = False, None, -1e9
        while True:
            if not cancel_sent and (raised is not None
                                    or (is_cancelled is not None and is_cancelled())):
                send(self._to, ("cancel", jid))
                cancel_sent = True
            try:
                ready = self._from.poll(POLL_S)
                msg = receive(self._from) if ready else None
            except (EOFError, OSError):
                msg = None
                ready = False
                self._proc.wait(5)
            if not ready:
                if self._proc.poll() is None:
                    continue
                code = self._proc.returncode
                self._drop()
                raise HelperDied(f"the {self.name} process stopped unexpectedly (exit "
                                 f"code {code}) before it finished")
            kind, mid = msg[0], msg[1]
            if mid != jid:  # pragma: no cover - a stale message of an earlier job
                continue
            if kind == "progress" and progress is not None and raised is None:
                now = time.monotonic()
                if now - shown_at < PROGRESS_EVERY_S:  # each update re-lays out the
                    continue  # status bar and the step's text: at most a few a second
                shown_at = now
                try:
                    progress(msg[2], msg[3])
                except BaseException as exc:  # noqa: BLE001 - stop the child, then raise
                    raised = exc
            elif kind == "done":
                if raised is not None:
                    raise raised
                return msg[2]
            elif kind == "error":
                if raised is not None:
                    raise raised
                raise msg[2]


# -- the child -------------------------------------------------------------------------------
def _picklable(exc: BaseException, tb: str) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - any exception that does not survive the pipe
        return HelperError(f"{type(exc).__name__}: {exc}\n{tb}")


#: How much lower the helper's scheduling priority is than the GUI process's (``nice``).
CHILD_NICE = 5

#: The child's environment variable giving its nice above the GUI process's
#: (:attr:`ProcessWorker.nice`; default :data:`CHILD_NICE`).
HELPER_NICE = "TWINVIEWER_HELPER_NICE"

#: The child's environment variable saying whether its warm imports run at the lowest
#: priority ("1": it was started for a background job).
WARM_IN_BACKGROUND = "TWINVIEWER_HELPER_WARM_IN_BACKGROUND"

#: In the child: the name of the thread that imported the warm modules ("background" or
#: "MainThread").
WARMED_ON: list[str] = []


def warmed_on() -> str:
    """In the child: which thread imported the warm modules (a job target for tests)."""
    return WARMED_ON[0] if WARMED_ON else ""


def lowest_priority() -> str:
    """Put the calling *thread* at the lowest CPU priority and say which: ``"idle"``
    (Linux's ``SCHED_IDLE``: it runs only when no other thread of its scheduling group wants
    the CPU, and any thread waking up takes the CPU from it at once), else ``"nice 19"``,
    else ``"unchanged"``. An unprivileged thread cannot leave ``SCHED_IDLE`` or lower its
    nice again, so the helper does its background work on a thread of its own (stall12: the
    helper's start beside a playback kept the GUI thread waiting for a CPU, 74–132 ms).

    >>> import threading
    >>> said = []
    >>> t = threading.Thread(target=lambda: said.append(lowest_priority())); t.start(); t.join()
    >>> said[0] in ("idle", "nice 19", "unchanged")
    True
    """
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # 0: this thread
        return "idle"
    except (AttributeError, OSError):  # not Linux, or not allowed
        pass
    try:
        os.setpriority(os.PRIO_PROCESS, 0, 19)  # the calling thread on Linux
        return "nice 19"
    except (AttributeError, OSError):
        return "unchanged"


def thread_priority() -> tuple[int, int]:
    """The calling thread's scheduling policy and nice value (a job target for tests).

    >>> policy, nice = thread_priority()
    >>> nice >= 0
    True
    """
    policy = os.sched_getscheduler(0) if hasattr(os, "sched_getscheduler") else 0
    return policy, os.getpriority(os.PRIO_PROCESS, 0)


class _Background:
    """One thread of the child at the lowest priority (:func:`lowest_priority`): the warm
    imports, then the ``background`` jobs, in order."""

    def __init__(self) -> None:
        self.todo: queue.Queue = queue.Queue()
        threading.Thread(target=self._run, name="background", daemon=True).start()

    def _run(self) -> None:
        lowest_priority()
        while True:
            fn, done = self.todo.get()
            try:
                fn()
            except BaseException:  # noqa: BLE001, S110 - a job sends its own errors back
                pass
            finally:
                done.set()

    def submit(self, fn: Callable[[], None]) -> threading.Event:
        done = threading.Event()
        self.todo.put((fn, done))
        return done


def _import_warm(warm: list[str]) -> None:
    WARMED_ON.append(threading.current_thread().name)
    for name in warm:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a job importing it later says what is wrong
            pass

#: Objects the parent shared (:meth:`ProcessWorker.share`), by token (child side).
SHARED: dict[str, Any] = {}


def _child(job_fd: int, result_fd: int, warm: list[str]) -> None:
    from twinviewer.plugins.store import read_only_here

    read_only_here()  # a helper never writes the user's plug-in decisions (final16 #9)
    jobs, out = Connection(job_fd, writable=False), Connection(result_fd, readable=False)
    todo: queue.Queue = queue.Queue()
    cancelled: dict[int, threading.Event] = {}

    def read() -> None:  # the pipe's reader: cancels act while a job runs
        while True:
            try:
                msg = receive(jobs)
            except (EOFError, OSError):
                os._exit(0)  # the parent closed the pipe or died: nothing left to do
            except BaseException:  # noqa: BLE001 - a message that cannot be read: the
                traceback.print_exc()  # stream is lost, and a child without its reader
                os._exit(3)  # never answers; ended, the parent sees it stop (a CI hang)
            if msg[0] == "cancel":
                cancelled.setdefault(msg[1], threading.Event()).set()
            else:
                if msg[0] == "job":
                    cancelled.setdefault(msg[1], threading.Event())
                todo.put(msg)

    try:  # below the GUI process: on a busy machine its frames get a CPU first (before
        os.nice(int(os.environ.pop(HELPER_NICE, CHILD_NICE)))  # the threads start)
    except (OSError, ValueError):  # pragma: no cover - not allowed here: same priority
        pass
    threading.Thread(target=read, daemon=True).start()
    background = _Background()
    if os.environ.pop(WARM_IN_BACKGROUND, "0") == "1":  # started for the readying, beside
        background.submit(lambda: _import_warm(warm))  # a playback perhaps (stall12)
    else:
        _import_warm(warm)
    while True:
        msg = todo.get()
        if msg[0] == "share":
            key = msg[1].split(":")[0]  # one object per key is kept: the latest
            for old in [t for t in SHARED if t.split(":")[0] == key]:
                del SHARED[old]
            SHARED[msg[1]] = msg[2]
            continue
        _, jid, target, kwargs, with_progress, in_background = msg
        job = functools.partial(_run_job, out, jid, target, kwargs,
                                cancelled[jid] if with_progress else None)
        if in_background:
            background.submit(job).wait()
        else:
            job()
        cancelled.pop(jid, None)


def _run_job(out: Connection, jid: int, target: str, kwargs: dict,
             flag: threading.Event | None) -> None:
    """Run one job in the child and send its result or error (``flag``: its Cancel, given
    to the function with ``progress`` when the job wants them)."""
    try:
        module, func = target.split(":")
        fn = getattr(importlib.import_module(module), func)
        if flag is not None:
            kwargs = dict(kwargs,
                          progress=lambda f, t="", j=jid: send(out, ("progress", j,
                                                                    float(f), str(t))),
                          cancel=flag.is_set)
        result = fn(**kwargs)
    except BaseException as exc:  # noqa: BLE001 - every failure goes back
        send(out, ("error", jid, _picklable(exc, traceback.format_exc())))
    else:
        try:
            send(out, ("done", jid, result))
        except Exception as exc:  # noqa: BLE001 - an unpicklable result
            send(out, ("error", jid, _picklable(exc, traceback.format_exc())))


if __name__ == "__main__":
    # run as the importable module (not ``__main__``), so jobs see the same SHARED
    from twinviewer.gui.process_worker import _child as child

    child(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:])
