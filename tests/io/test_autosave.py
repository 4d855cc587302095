"""Autosave and recovery (Qt-free logic)."""

from __future__ import annotations

import os
import time

import pytest

from tests.io.conftest import assert_twins_equal
from twinviewer.io import TwinFileError
from twinviewer.io.autosave import Autosaver, default_autosave_dir


def test_default_dir_is_under_user_data(tmp_path):
    assert str(default_autosave_dir()).startswith(str(tmp_path / "xdg-data"))


def test_autosave_recover_and_mark_saved(twin, tmp_path):
    saver = Autosaver(tmp_path / "auto")
    assert saver.pending_recovery() == []
    path = saver.autosave(twin)
    assert twin.pseudonym not in path.name and path.name.endswith(".autosave.twin")
    (rec,) = saver.pending_recovery()
    assert rec.path == path and rec.saved_at is None and "autosaved" in rec.describe()
    assert_twins_equal(twin, saver.recover(rec).twin)

    saver.mark_saved(twin)  # an explicit save after the autosave: nothing to recover
    assert saver.pending_recovery() == []
    later = time.time() + 5
    saver.autosave(twin)
    os.utime(path, (later, later))
    assert [r.path for r in saver.pending_recovery()] == [path]
    saver.discard(twin)
    assert saver.pending_recovery() == [] and not path.exists()


def test_two_twins_are_kept_apart(twin, tmp_path):
    from tests.io.conftest import make_twin

    other = make_twin(n=3, name="healthy")
    saver = Autosaver(tmp_path / "auto")
    saver.autosave(twin)
    saver.autosave(other)
    names = {saver.recover(r).twin.origin for r in saver.pending_recovery()}
    assert names == {"preset:severe_as", "preset:healthy"}


def test_damaged_autosave_and_index(twin, tmp_path):
    saver = Autosaver(tmp_path / "auto")
    path = saver.autosave(twin)
    (saver.directory / "index.json").write_text("{not json")
    (rec,) = saver.pending_recovery()  # a broken index means: offer recovery
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(TwinFileError, match="autosave.twin"):
        saver.recover(rec)
