"""The user's plugin decisions (approvals, disabled plugins) in the user config directory.

``TWINVIEWER_CONFIG_DIR`` overrides the platformdirs location (tests isolate it that way).

A change is one read-change-write under an exclusive lock (:func:`_locked`): a lock within
the process for its threads and a ``flock`` on ``plugins.json.lock`` for other processes
(the app, a ``twinviewer plugins`` command), so two changes within milliseconds never drop
one another (last16 #3). The file is replaced atomically (:func:`atomic_write_bytes`), so a
reader without the lock sees the old decisions or the new ones, never half a file.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from twinviewer.core.atomic import atomic_write_bytes

try:
    import fcntl
except ImportError:  # Windows: threads of one process are serialised, processes are not
    fcntl = None  # type: ignore[assignment]

#: serialises this process's changes (a thread's flock on its own descriptor would also
#: exclude the others on Linux, but not where flock is missing or emulated)
_THREAD_LOCK = threading.RLock()


def _new_thread_lock() -> None:
    global _THREAD_LOCK
    _THREAD_LOCK = threading.RLock()


if hasattr(os, "register_at_fork"):
    # A fork waits for this process's change in progress: a child forked during one would
    # inherit its thread lock held (no thread to release it) and a copy of its flocked
    # descriptor, which keeps the flock held after the parent closes its own, so the child's
    # change would wait forever. The child starts with a free thread lock.
    os.register_at_fork(before=lambda: _THREAD_LOCK.acquire(),
                        after_in_parent=lambda: _THREAD_LOCK.release(),
                        after_in_child=_new_thread_lock)


def config_dir() -> Path:
    """Directory of the user's TwinViewer configuration."""
    env = os.environ.get("TWINVIEWER_CONFIG_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir("twinviewer"))


#: whether this process only reads the store (a helper process: the app decides; set by
#: :func:`read_only_here`)
_READ_ONLY = False


def read_only_here() -> None:
    """Make every store of this process read-only: its decisions (e.g. a plug-in disabled
    after a failure) hold in memory for this process and never reach the user's file. The
    app's helper processes call it: a failure there is the app's to judge, and a helper's
    old snapshot written back would drop what the user decided since (final16 #9)."""
    global _READ_ONLY
    _READ_ONLY = True


class PluginStore:
    """Approvals (plugin → fingerprint) and disabled plugins (plugin → reason), as JSON.

    Each change re-reads the file and changes only its own entry, under the store's lock
    from the read to the rename: two processes (the app and a command, or a helper) or two
    threads never undo each other's decisions (final16 #9, last16 #3).

    Examples
    --------
    >>> import tempfile
    >>> s = PluginStore(Path(tempfile.mkdtemp()) / "plugins.json")
    >>> s.approve("demo", "abc"); s.approved("demo")
    'abc'
    >>> other = PluginStore(s.path); other.approve("later", "def")
    >>> s.disable("demo", "it failed"); sorted(PluginStore(s.path).data["approved"])
    ['demo', 'later']
    """

    def __init__(self, path: Path | None = None, *, read_only: bool | None = None) -> None:
        self.path = path or config_dir() / "plugins.json"
        self.read_only = _READ_ONLY if read_only is None else read_only
        self.data: dict = self._read()

    def _read(self) -> dict:
        data: dict = {"approved": {}, "disabled": {}}
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                data.update({k: dict(loaded.get(k, {})) for k in ("approved", "disabled")})
        except (OSError, ValueError):
            pass  # no file yet, or unreadable: start with nothing approved
        return data

    def _change(self, section: str, name: str, value: str | None) -> None:
        if self.read_only:
            self._apply(section, name, value)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(self.path):  # from the read to the rename: nobody writes in between
            self.data = self._read()  # the file as it is now: another process may have written
            self._apply(section, name, value)
            text = json.dumps(self.data, indent=1, sort_keys=True)
            atomic_write_bytes(self.path, text.encode("utf-8"))

    def _apply(self, section: str, name: str, value: str | None) -> None:
        if value is None:
            self.data[section].pop(name, None)
        else:
            self.data[section][name] = value

    def approved(self, name: str) -> str | None:
        return self.data["approved"].get(name)

    def approve(self, name: str, fingerprint: str) -> None:
        self._change("approved", name, fingerprint)

    def disabled(self, name: str) -> str | None:
        return self.data["disabled"].get(name)

    def disable(self, name: str, reason: str) -> None:
        self._change("disabled", name, reason)

    def enable(self, name: str) -> None:
        self._change("disabled", name, None)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold the exclusive lock of the store at ``path`` (threads and processes) while inside.

    The lock is a sibling file ``<name>.lock`` that is never replaced: a lock on the store
    itself would be lost at each rename. It is left in place (removing it would let a waiting
    process lock a file nobody else sees any more).

    Examples
    --------
    >>> import tempfile; p = Path(tempfile.mkdtemp()) / "plugins.json"
    >>> with _locked(p):
    ...     p.write_text("{}")
    2
    >>> sorted(f.name for f in p.parent.iterdir())
    ['plugins.json', 'plugins.json.lock']
    """
    with _THREAD_LOCK:
        if fcntl is None:
            yield
            return
        fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # waits for the other process's change
            yield
        finally:
            os.close(fd)  # closing releases the lock, also if the change raised
