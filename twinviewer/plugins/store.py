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


class PluginStore:
    """Approvals (plugin → fingerprint) and disabled plugins (plugin → reason), as JSON.

    Examples
    --------
    >>> import tempfile
    >>> s = PluginStore(Path(tempfile.mkdtemp()) / "plugins.json")
    >>> s.approve("demo", "abc"); s.approved("demo")
    'abc'
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "plugins.json"
        self.data: dict = {"approved": {}, "disabled": {}}
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                self.data.update({k: dict(loaded.get(k, {})) for k in ("approved", "disabled")})
        except (OSError, ValueError):
            pass  # no file yet, or unreadable: start with nothing approved

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)

    def approved(self, name: str) -> str | None:
        return self.data["approved"].get(name)

    def approve(self, name: str, fingerprint: str) -> None:
        self.data["approved"][name] = fingerprint
        self._save()

    def disabled(self, name: str) -> str | None:
        return self.data["disabled"].get(name)

    def disable(self, name: str, reason: str) -> None:
        self.data["disabled"][name] = reason
        self._save()

    def enable(self, name: str) -> None:
        self.data["disabled"].pop(name, None)
        self._save()
