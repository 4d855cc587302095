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
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from twinviewer.io import crypto
from twinviewer.io.audit_text import human_details

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
        return cls(st.st_size, st.st_mtime_ns)

    def changed(self, path: Path | str) -> bool:
        """Whether ``path`` is no longer the file this stamp saw (a file since removed is
        not a change: a Save then loses nothing of anyone's)."""
        now = DiskStamp.of(path)
        return now is not None and now != self

    @property
    def time(self) -> str:
        """The modification time, local, to the second (for messages)."""
        return _dt.datetime.fromtimestamp(self.mtime_ns / 1e9).strftime("%Y-%m-%d %H:%M:%S")


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
    try:
        with open(path, "rb") as fh:
            if crypto.is_encrypted(fh.read(len(crypto.MAGIC))):
                return None
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("audit.json")
            if info.file_size > MAX_AUDIT_BYTES:
                return None
            items = json.loads(zf.read(info))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    if not isinstance(items, list):
        return None
    out = []
    for e in items:
        if not isinstance(e, dict) or e.get("hash") in known:
            continue
        details = e.get("details")
        text = _said(details) if isinstance(details, dict) else ""
        out.append(f"{e.get('action', 'entry')}: {text}" if text else
                   str(e.get("action", "entry")))
    return out


def _said(details: dict) -> str:
    """An entry's details in words; a note's text quoted as written."""
    text = details.get("text")
    rest = {k: v for k, v in details.items() if k != "text"}
    quoted = f'"{text}"' if isinstance(text, str) else ""
    more = human_details(rest) if rest else ""
    return "; ".join(t for t in (quoted, more) if t)
