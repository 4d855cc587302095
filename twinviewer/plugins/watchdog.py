"""A watchdog for plugin code that must run on the GUI thread (panels are Qt widgets).

Before such a call :meth:`CallWatchdog.guard` writes a *marker file* naming the plugin and what
it is doing (one per process, ``<config dir>/plugin-calls/<pid>.json``) and removes it when
the call returns. A watchdog thread checks the call against its budget; past it, it

1. records the plugin as the culprit in the marker (``"hung": true``),
2. runs ``on_hang(plugin, what)`` -- the GUI autosaves the user's work there, from the
   watchdog thread: the GUI thread is stuck inside the plugin and changes nothing meanwhile --
3. and, when the guarded thread is the main thread (the GUI thread of a Qt application on
   POSIX), sends it ``SIGUSR2``: the guard's handler raises :class:`PluginHangInterrupted` in
   the plugin's code, which ends a ``time.sleep``, a blocking read or a pure-Python loop.

The interrupt never lands in the application's own code. A plugin may run an event loop of its
own (a dialog's ``exec()`` in a panel's constructor): the GUI thread then ticks the app's
timers and slots *inside* the guarded call. That is not a freeze, so

* the GUI side calls :meth:`CallWatchdog.beat` from a timer while a guarded call runs; while
  beats keep coming (the GUI thread is ticking an event loop) the call is not judged hung: no
  autosave from the watchdog thread, no signal;
* and the signal handler raises only when the code it interrupted is the plugin's (the
  ``code`` test given to :meth:`~CallWatchdog.guard`; the first frame outward that is either
  the plugin's or TwinViewer's decides); otherwise it returns and the watchdog tries again.

What it cannot do: a loop inside C code that holds the interpreter lock (a ctypes call, a
C extension) never lets Python run a signal handler -- nor the watchdog thread itself. The
marker was written *before* the call, so when the user ends the frozen app the next start
finds the marker of a process that is gone (:func:`culprits`) and disables the plugin with a
message naming it: the app never hangs twice on the same plugin. The GUI's autosave (each
edit on disk about a second after it is made) is what protects the work in that case.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

log = logging.getLogger(__name__)

#: Signal sent to the main thread to interrupt a plugin call past its budget.
INTERRUPT = getattr(signal, "SIGUSR2", None)

#: A call whose GUI thread beat (:meth:`CallWatchdog.beat`) within this many seconds is
#: ticking an event loop of its own, not frozen. The GUI beats every 0.1 s.
TICKING_S = 1.0

#: Seconds between two interrupts of a call that is still stuck (the handler declined the
#: first: it met the application's code, or the plugin swallowed it).
RETRY_S = 0.5

#: ``code(frame) -> bool``: whether a frame runs the guarded plugin's code.
CodeTest = Callable[[FrameType], bool]


def module_code(*packages: str) -> CodeTest:
    """A ``code`` test for :meth:`CallWatchdog.guard`: frames of modules in ``packages``
    (a plugin's top-level packages, e.g. the module of its ``ref``).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> frame = SimpleNamespace(f_globals={"__name__": "tv_plugin.panel"}, f_back=None)
    >>> module_code("tv_plugin")(frame), module_code("twinviewer")(frame)
    (True, False)
    """
    tops = frozenset(packages)

    def test(frame: FrameType) -> bool:
        return (frame.f_globals.get("__name__") or "").split(".")[0] in tops

    return test


def _app_code(frame: FrameType) -> bool:
    name = frame.f_globals.get("__name__") or ""
    return name == "twinviewer" or name.startswith("twinviewer.")


def runs_plugin_code(frame: FrameType | None, code: CodeTest | None) -> bool:
    """Whether interrupting ``frame`` interrupts the plugin: walking outward from it, the
    first frame that is the plugin's (``code``) or TwinViewer's decides; library frames in
    between do not count. Without ``code`` every frame not TwinViewer's is the plugin's.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> plugin = SimpleNamespace(f_globals={"__name__": "tv_plugin"}, f_back=None)
    >>> slot = SimpleNamespace(f_globals={"__name__": "twinviewer.gui.cine"}, f_back=plugin)
    >>> runs_plugin_code(plugin, module_code("tv_plugin"))
    True
    >>> runs_plugin_code(slot, module_code("tv_plugin"))  # an app slot inside its dialog
    False
    """
    f = frame
    while f is not None:
        if code is not None and code(f):
            return True
        if _app_code(f):
            return False
        if code is None:
            return True
        f = f.f_back
    return False


class PluginHangInterrupted(RuntimeError):
    """Raised inside a plugin's GUI-thread call that ran past its budget."""


def marker_dir() -> Path:
    """Where the markers of guarded calls live (the user's TwinViewer config folder)."""
    from twinviewer.plugins.store import config_dir

    return config_dir() / "plugin-calls"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists, owned by someone else
    return True


def culprits(directory: Path | None = None) -> list[dict]:
    """Guarded calls of processes that ended inside them: ``[{plugin, what, started, hung}]``;
    their markers are removed (each culprit is reported once).

    Examples
    --------
    >>> import tempfile
    >>> culprits(Path(tempfile.mkdtemp()))
    []
    """
    directory = directory or marker_dir()
    found = []
    for f in sorted(directory.glob("*.json")) if directory.is_dir() else ():
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
            pid = int(data["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            f.unlink(missing_ok=True)  # unreadable (a write cut short): nothing to report
            continue
        if _alive(pid):
            continue
        found.append({k: data.get(k) for k in ("plugin", "what", "started", "hung")})
        f.unlink(missing_ok=True)
    return found


class CallWatchdog:
    """Guards calls into plugin code on the GUI thread (see the module's docstring).

    Parameters
    ----------
    directory
        Folder of the marker files (default :func:`marker_dir`).
    on_hang
        ``on_hang(plugin, what)``, called from the watchdog thread once per call that runs
        past its budget (e.g. autosave); its exceptions are logged.
    interrupt
        Send :data:`INTERRUPT` to the main thread to end the call (POSIX, main thread only).

    Examples
    --------
    >>> import tempfile
    >>> dog = CallWatchdog(Path(tempfile.mkdtemp()))
    >>> with dog.guard("demo", "panel 'x'", 5.0):
    ...     pass
    >>> list(dog.directory.glob("*.json"))
    []
    """

    def __init__(self, directory: Path | None = None, *,
                 on_hang: Callable[[str, str], None] | None = None,
                 interrupt: bool = True) -> None:
        self.directory = directory or marker_dir()
        self.on_hang = on_hang
        self.interrupt = interrupt and INTERRUPT is not None
        self._lock = threading.Lock()
        self._call: dict | None = None
        self._beat = -1e9  # time.monotonic() of the GUI thread's last beat

    def beat(self) -> None:
        """Say the GUI thread is ticking an event loop (call from a timer while a guarded
        call runs: a timer fires inside a call only if the call runs an event loop)."""
        self._beat = time.monotonic()

    def ticking(self) -> bool:
        """Whether the GUI thread beat within :data:`TICKING_S`."""
        return time.monotonic() - self._beat < TICKING_S

    @property
    def marker(self) -> Path:
        return self.directory / f"{os.getpid()}.json"

    def _write(self, data: dict) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.marker.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, self.marker)

    @contextlib.contextmanager
    def guard(self, plugin: str, what: str, seconds: float | None, *,
              code: CodeTest | None = None) -> Iterator[None]:
        """Run the ``with`` body as a guarded call of ``plugin`` doing ``what``; past
        ``seconds`` the body may be interrupted with :class:`PluginHangInterrupted` where it
        runs the plugin's code (``code``, see :func:`runs_plugin_code`). ``seconds=None``:
        only the marker (another guard owns the time, e.g. :meth:`Registry.load`'s)."""
        call = {"plugin": plugin, "what": what, "started": time.time(), "hung": False,
                "pid": os.getpid(), "seconds": seconds, "thread": threading.get_ident(),
                "done": threading.Event(), "code": code}
        self._write(_public(call))
        if self.interrupt and threading.current_thread() is threading.main_thread():
            self._install_handler()
        with self._lock:
            self._call = call
        if seconds is not None:
            threading.Thread(target=self._watch, args=(call,), name="plugin watchdog",
                             daemon=True).start()  # one per call: nothing wakes up between
        try:
            yield
        finally:
            with self._lock:
                self._call = None
                call["done"].set()
            self.marker.unlink(missing_ok=True)

    def _install_handler(self) -> None:
        """Handle :data:`INTERRUPT` for good (a late signal must never meet the default
        action, which ends the process): raise only inside a call marked hung."""
        if signal.getsignal(INTERRUPT) != self._on_signal:
            signal.signal(INTERRUPT, self._on_signal)

    def _on_signal(self, signum, frame) -> None:
        call = self._call
        if call is not None and call["hung"] and call["thread"] == threading.get_ident() \
                and runs_plugin_code(frame, call["code"]):  # never in the app's own code
            raise PluginHangInterrupted(
                f"plugin {call['plugin']!r}: {call['what']} did not finish within "
                f"{call['seconds']:g} s (interrupted)")

    def _watch(self, call: dict) -> None:
        done = call["done"]
        if done.wait(call["seconds"]):
            return
        while self.ticking():  # the call runs an event loop (a dialog): not frozen
            if done.wait(RETRY_S):
                return
        with self._lock:
            if self._call is not call:
                return
            call["hung"] = True
        log.error("plugin %r: %s is stuck on the GUI thread (over %g s)",
                  call["plugin"], call["what"], call["seconds"])
        with contextlib.suppress(OSError):
            self._write(_public(call))
        if self.on_hang is not None:
            try:
                self.on_hang(call["plugin"], call["what"])
            except Exception:  # noqa: BLE001 - the watchdog must go on
                log.exception("watchdog: on_hang failed")
        while True:
            with self._lock:
                still = self._call is call
            if not (still and self.interrupt and call["thread"] == threading.main_thread().ident
                    and signal.getsignal(INTERRUPT) == self._on_signal):
                return
            if not self.ticking():  # the handler raises only inside the plugin's code
                signal.pthread_kill(call["thread"], INTERRUPT)
            if done.wait(RETRY_S):
                return


def _public(call: dict) -> dict:
    return {k: call[k] for k in ("plugin", "what", "started", "hung", "pid", "seconds")}
