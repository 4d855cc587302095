"""Taking a .twin apart and putting it back, for tests that damage or edit its members."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile


def unzip(data: bytes) -> tuple[dict[str, bytes], dict]:
    """The members of a .twin (without the manifest) and its manifest."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    members = {n: zf.read(n) for n in zf.namelist()}
    return members, json.loads(members.pop("manifest.json"))


def rezip(members: dict[str, bytes], manifest: dict, fix: bool = True) -> bytes:
    """A .twin of ``members`` and ``manifest``; with ``fix`` the checksums are recomputed so
    an edit reaches the decoder instead of failing the integrity check."""
    if fix:
        manifest = {**manifest, "members": {
            n: {"sha256": hashlib.sha256(b).hexdigest(), "size": len(b)}
            for n, b in members.items()}}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("manifest.json", json.dumps(manifest))
        for n, b in members.items():
            z.writestr(n, b)
    return out.getvalue()
