"""What a .twin file was on disk when it was opened or last saved, and what another writer
(another TwinViewer, ``twinviewer whatif FILE``) changed since (review14 #1).

Only a ``stat`` is needed to tell that the file changed (size or modification time), so the
check costs nothing on the GUI thread; what the other writer added is read from the file's
audit trail alone (one small zip member, never the arrays), and only for a plaintext file.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import zipfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from twinviewer.io import crypto
from twinviewer.io.audit_text import human_details
from twinviewer.io.errors import TwinFileError

#: The largest audit member read to say what another writer added (bytes, uncompressed).
MAX_AUDIT_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class DiskStamp:
    """A file's size and modification time (ns) as seen once (``os.stat``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.twin"
    >>> _ = f.write_bytes(b"one")
    >>> s = DiskStamp.of(f)
    >>> s.size, s.changed(f)
    (3, False)
    >>> _ = f.write_bytes(b"three")
    >>> s.changed(f)
    True
    """

    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path | str) -> DiskStamp | None:
        """The stamp of ``path`` now (None: no such file, or it cannot be read)."""
        try:
            st = os.stat(path)
        except OSError:
            return None
        return cls.from_stat(st)

    @classmethod
    def from_stat(cls, st: os.stat_result) -> DiskStamp:
        """The stamp of a ``stat`` result (e.g. of a file just written, before its rename)."""
        return cls(st.st_size, st.st_mtime_ns)

    @property
    def unknown(self) -> bool:
        """True for :data:`UNKNOWN` (what the file was is not known)."""
        return self == UNKNOWN

    def changed(self, path: Path | str) -> bool:
        """Whether ``path`` is no longer the file this stamp saw (a file since removed is
        not a change: a Save then loses nothing of anyone's)."""
        now = DiskStamp.of(path)
        return now is not None and now != self

    @property
    def time(self) -> str:
        """The modification time, local, to the second (for messages)."""
        return _dt.datetime.fromtimestamp(self.mtime_ns / 1e9).strftime("%Y-%m-%d %H:%M:%S")


#: A stamp no file has: what the file was is not known (work recovered from an autosave
#: that did not record it), so a Save asks before overwriting it (final14 #7a).
UNKNOWN = DiskStamp(-1, -1)


class ChangedOnDisk(TwinFileError):
    """A save found its file changed by another writer since it was checked: not written."""


def refuse_if_changed(path: Path | str, since: DiskStamp | None, doing: str, *,
                      then: str = "") -> None:
    """Raise :class:`ChangedOnDisk` if ``path`` is no longer what ``since`` saw (None: no
    check); ``doing``: what the writer was doing meanwhile, ``then``: what to do, for the
    message.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.twin"
    >>> _ = f.write_bytes(b"one")
    >>> s = DiskStamp.of(f)
    >>> refuse_if_changed(f, s, "while this command ran")
    >>> _ = f.write_bytes(b"other writer")
    >>> refuse_if_changed(f, s, "while this command ran")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    twinviewer.io.disk_stamp.ChangedOnDisk: not written: a.twin changed on disk at ...
    """
    if since is None or not since.changed(path):
        return
    now = DiskStamp.of(path)
    name = Path(path).name
    raise ChangedOnDisk(f"not written: {name} changed on disk at "
                        f"{now.time if now else 'a moment ago'} {doing} (a TwinViewer window "
                        f"saved it, or a command wrote it); {name} is left as that writer "
                        f"left it" + (f": {then}" if then else ""))


@dataclass(frozen=True)
class OnDisk:
    """What another writer left in a .twin file (read by :func:`read_on_disk`).

    Attributes
    ----------
    pseudonym : str or None
        The file's twin's pseudonym (None: not readable).
    other_twin : bool
        The file holds another twin than the open one: another pseudonym, or an audit trail
        that does not continue the open twin's (its first entry is not the open twin's).
    added : list of tuple
        ``(action, hash, words)`` of each audit entry the open twin does not have.
    """

    pseudonym: str | None
    other_twin: bool
    added: list[tuple[str, str, str]]


def read_on_disk(path: Path | str, known: Sequence[str],
                 pseudonym: str | None = None) -> OnDisk | None:
    """What the .twin file ``path`` holds beside the open twin (``known``: the open twin's
    audit hashes, oldest first; ``pseudonym``: its pseudonym). Only the small ``twin.json``
    and ``audit.json`` members are read; None for an encrypted, non-zip or too large file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from twinviewer.io.audit import audit_log
    >>> from twinviewer.io.twinfile import save_twin
    >>> from twinviewer.twins import twin_from_preset
    >>> a, b = twin_from_preset("healthy", n=2), twin_from_preset("hfref", n=2)
    >>> _ = audit_log(a).record(a, "create", {"preset": "healthy"})
    >>> _ = audit_log(b).record(b, "create", {"preset": "hfref"})
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.twin"
    >>> _ = save_twin(f, b)
    >>> seen = read_on_disk(f, [e.hash for e in a.audit], a.pseudonym)
    >>> seen.other_twin, seen.pseudonym
    (True, 'virtual-hfref')
    """
    try:
        with open(path, "rb") as fh:
            if crypto.is_encrypted(fh.read(len(crypto.MAGIC))):
                return None
        with zipfile.ZipFile(path) as zf:
            audit, tree = zf.getinfo("audit.json"), zf.getinfo("twin.json")
            if max(audit.file_size, tree.file_size) > MAX_AUDIT_BYTES:
                return None
            items = json.loads(zf.read(audit))
            theirs = json.loads(zf.read(tree)).get("pseudonym")
    except (OSError, KeyError, ValueError, AttributeError, zipfile.BadZipFile):
        return None
    if not isinstance(items, list):
        return None
    entries = [e for e in items if isinstance(e, dict)]
    theirs = theirs if isinstance(theirs, str) else None
    other = (pseudonym is not None and theirs is not None and theirs != pseudonym) or (
        bool(known) and (not entries or entries[0].get("hash") != known[0]))
    own = set(known)
    added = []
    for e in entries:
        if e.get("hash") in own:
            continue
        details = e.get("details")
        text = _said(details) if isinstance(details, dict) else ""
        action = str(e.get("action", "entry"))
        added.append((action, str(e.get("hash", "")), f"{action}: {text}" if text else action))
    return OnDisk(theirs, other, added)


def added_entries(path: Path | str, known: Collection[str]) -> list[str] | None:
    """The audit entries of the .twin file ``path`` whose hashes are not in ``known`` (the
    open document's own), each as a reader would write it (``'scenario: ran …'``).

    None when that cannot be said cheaply: an encrypted file (its audit is inside the
    encrypted whole), a file that is not a .twin zip, an audit member over
    :data:`MAX_AUDIT_BYTES`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from twinviewer.io.audit import audit_log
    >>> from twinviewer.io.twinfile import save_twin
    >>> from twinviewer.twins import twin_from_preset
    >>> t = twin_from_preset("healthy", n=2)
    >>> _ = audit_log(t).record(t, "create", {"preset": "healthy"})
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.twin"
    >>> _ = save_twin(f, t)
    >>> known = {e.hash for e in audit_log(t).entries}
    >>> _ = audit_log(t).record(t, "note", {"text": "from the command line"})
    >>> _ = save_twin(f, t)
    >>> added_entries(f, known)
    ['note: "from the command line"']
    """
    seen = read_on_disk(path, list(known))
    return None if seen is None else [words for _action, _hash, words in seen.added]


def _said(details: dict) -> str:
    """An entry's details in words; a note's text quoted as written."""
    text = details.get("text")
    rest = {k: v for k, v in details.items() if k != "text"}
    quoted = f'"{text}"' if isinstance(text, str) else ""
    more = human_details(rest) if rest else ""
    return "; ".join(t for t in (quoted, more) if t)
