"""What a .twin was on disk, and what another writer added since (review14 #1); the command
line's write-back never overwrites a file a TwinViewer window saved while it ran."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from twinviewer import pipeline
from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.io.audit import audit_log
from twinviewer.io.disk_stamp import DiskStamp, added_entries
from twinviewer.io.errors import TwinFileError
from twinviewer.io.twinfile import load_twin, save_twin
from twinviewer.io.verified_save import save_twin_verified
from twinviewer.twins import twin_from_preset


def _twin():
    t = twin_from_preset("healthy", n=3)
    audit_log(t).record(t, "create", {"preset": "healthy"})
    return t


def test_a_stamp_sees_a_rewrite_of_the_same_size(tmp_path):
    f = tmp_path / "a.twin"
    f.write_bytes(b"abc")
    s = DiskStamp.of(f)
    assert not s.changed(f)
    f.write_bytes(b"xyz")
    os.utime(f, ns=(s.mtime_ns + 1_000_000, s.mtime_ns + 1_000_000))
    assert s.changed(f)
    f.unlink()
    assert not s.changed(f) and DiskStamp.of(f) is None  # gone: nobody's work is lost


def test_added_entries_name_only_the_other_writers(tmp_path):
    t, f = _twin(), tmp_path / "a.twin"
    save_twin(f, t)
    known = {e.hash for e in audit_log(t).entries}
    assert added_entries(f, known) == []
    audit_log(t).add_note(t, "written by the command line")
    save_twin(f, t)
    assert added_entries(f, known) == ['note: "written by the command line"']


@pytest.mark.parametrize("content", [b"not a zip", b"TWINENC1" + b"\0" * 64])
def test_added_entries_say_none_when_it_cannot_be_read_cheaply(tmp_path, content):
    f = tmp_path / "a.twin"
    f.write_bytes(content)
    assert added_entries(f, set()) is None


def test_an_encrypted_file_is_not_read(tmp_path):
    t, f = _twin(), tmp_path / "e.twin"
    save_twin(f, t, passphrase="pw")
    assert added_entries(f, set()) is None


def test_verified_save_refuses_a_file_changed_since_it_was_read(tmp_path):
    t, f = _twin(), tmp_path / "a.twin"
    save_twin(f, t)
    read_at = DiskStamp.of(f)
    save_twin_verified(f, t, unchanged_since=read_at)  # nobody else: written
    other = _twin()
    audit_log(other).add_note(other, "saved by the window")
    save_twin(f, other)
    os.utime(f, ns=(read_at.mtime_ns + 10**9,) * 2)
    before = f.read_bytes()
    with pytest.raises(TwinFileError, match="a.twin changed on disk at .* while this command"):
        save_twin_verified(f, t, unchanged_since=read_at)
    assert f.read_bytes() == before


def test_whatif_write_back_never_overwrites_a_window_save_made_meanwhile(tmp_path,
                                                                         monkeypatch):
    f = tmp_path / "conc.twin"
    t = _twin()
    save_twin(f, t)
    real = pipeline.read_twin

    def read_then_window_saves(path):
        out = real(path)
        w = load_twin(f).twin
        audit_log(w).add_note(w, "GUI note saved while the command ran")
        save_twin(f, w)
        st = os.stat(f)
        os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
        return out

    monkeypatch.setattr(pipeline, "read_twin", read_then_window_saves)
    with pytest.raises(TwinFileError, match="not written: conc.twin changed on disk"):
        pipeline.whatif_file(f, [Scenario("TAVI", (InterventionStep("tavi", {"eoa": 2.0}),))],
                             ["CO"])
    notes = [e.details.get("text") for e in load_twin(f).audit.entries if e.action == "note"]
    assert notes == ["GUI note saved while the command ran"]
    assert [s.name for s in load_twin(f).twin.scenarios] == []


@pytest.mark.parametrize("spelt", ["same", "absolute", "symlink"])
def test_visit_write_back_never_overwrites_a_window_save_made_meanwhile(tmp_path, spelt,
                                                                        monkeypatch, capsys):
    """Also when ``-o`` names the same file another way (final14 #7b)."""
    import argparse

    from twinviewer import living, living_cli

    f = tmp_path / "p.twin"
    save_twin(f, _twin())
    real = living_cli._load
    output = {"same": None, "absolute": str(f.resolve())}.get(spelt)
    if spelt == "symlink":
        (tmp_path / "link.twin").symlink_to(f)
        output = str(tmp_path / "link.twin")
    monkeypatch.chdir(tmp_path)
    f = Path("p.twin")  # as typed on the command line, relative

    def load_then_window_saves(path):
        out = real(path)
        w = load_twin(f).twin
        audit_log(w).add_note(w, "GUI note saved while the visit ran")
        save_twin(f, w)
        st = os.stat(f)
        os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
        return out

    monkeypatch.setattr(living_cli, "_load", load_then_window_saves)
    monkeypatch.setattr(living, "recalibrate_new_model", lambda twin: twin)
    code = living_cli.run_visit(argparse.Namespace(twin=str(f), output=output,
                                                   visit_command="recalibrate"))
    assert code == 2
    named = Path(output).name if output else "p.twin"  # the file as the user named it
    assert f"{named} changed on disk" in capsys.readouterr().err
    notes = [e.details.get("text") for e in load_twin(f).audit.entries if e.action == "note"]
    assert notes == ["GUI note saved while the visit ran"]
