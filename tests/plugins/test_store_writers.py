"""final16 #9: the plug-in store wrote its whole snapshot, read when it was made: a second
process (the file-writer helper, a command) that disabled a plug-in dropped the approvals
the user gave in the app since. Each change now re-reads the file and changes one entry;
a read-only store (a helper's) never writes."""

from __future__ import annotations

import json

from twinviewer.plugins.store import PluginStore


def test_two_writers_keep_each_others_decisions(tmp_path):
    p = tmp_path / "plugins.json"
    PluginStore(p).approve("single-ventricle", "fp1")
    helper = PluginStore(p)  # its snapshot: single-ventricle approved
    app = PluginStore(p)
    app.approve("my-drug", "fp2")  # the user approves a plug-in afterwards
    helper.disable("single-ventricle", "failed: ConnectionResetError")
    data = json.loads(p.read_text(encoding="utf-8"))
    assert data["approved"] == {"single-ventricle": "fp1", "my-drug": "fp2"}
    assert "single-ventricle" in data["disabled"]


def test_a_read_only_store_never_writes(tmp_path):
    p = tmp_path / "plugins.json"
    PluginStore(p).approve("single-ventricle", "fp1")
    before = p.read_bytes()
    ro = PluginStore(p, read_only=True)
    ro.disable("single-ventricle", "failed in a helper")
    assert ro.disabled("single-ventricle") == "failed in a helper"  # for that process
    assert p.read_bytes() == before
