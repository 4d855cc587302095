"""The user's plugin decisions (approvals, disabled plugins) in the user config directory.

``TWINVIEWER_CONFIG_DIR`` overrides the platformdirs location (tests isolate it that way).
"""

from __future__ import annotations

import json
import os
from pathlib import Path


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

    Each change re-reads the file and changes only its own entry: two processes (the app
    and a command, or a helper) never undo each other's decisions (final16 #9).

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
        if not self.read_only:  # the file as it is now: another process may have written
            self.data = self._read()
        if value is None:
            self.data[section].pop(name, None)
        else:
            self.data[section][name] = value
        if not self.read_only:
            self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)

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
