"""Autosave and recovery (Qt-free logic)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

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


def test_file_names_are_keyed_not_a_plain_hash_of_the_pseudonym(twin, tmp_path):
    """An unsalted hash could be reversed by hashing candidate pseudonyms; the name is an
    HMAC under the installation's secret key instead."""
    import hashlib
    import hmac

    from twinviewer.imaging.deid import installation_key

    secret = b"s" * 32
    name = Autosaver(tmp_path / "a", secret=secret).path_for(twin).name
    plain = hashlib.sha256(twin.pseudonym.encode()).hexdigest()[:20]
    assert plain not in name
    keyed = hmac.new(secret, f"autosave\x00{twin.pseudonym}".encode(), hashlib.sha256)
    assert name == f"{keyed.hexdigest()[:20]}.autosave.twin"
    assert Autosaver(tmp_path / "a", secret=b"o" * 32).path_for(twin).name != name
    # default: this installation's de-identification key (isolated under tmp_path here)
    default = Autosaver(tmp_path / "a").key(twin.pseudonym)
    assert default == Autosaver(tmp_path / "a", secret=installation_key()).key(twin.pseudonym)


def test_app_folders_are_named_twinviewer(tmp_path):
    from twinviewer.io.logs import default_log_dir

    if sys.platform != "linux":
        pytest.skip("XDG variables only steer platformdirs on Linux")
    assert default_autosave_dir() == tmp_path / "xdg-data" / "twinviewer" / "autosave"
    assert default_log_dir().parent == tmp_path / "xdg-state" / "twinviewer"


def test_a_recovery_names_its_twin_and_file(twin, tmp_path):
    """Review 7 #3: the prompt said only 'unsaved work autosaved 15:43'."""
    saver = Autosaver(tmp_path / "auto")
    saver.autosave(twin)
    saver.note_origin(twin, tmp_path / "j.twin")
    (rec,) = saver.pending_recovery()
    assert rec.file == tmp_path / "j.twin" and rec.label == twin.pseudonym
    assert f"on {twin.pseudonym} (j.twin) autosaved" in rec.describe()
    assert str(tmp_path) not in rec.describe()  # never the folder (review13 #13)
    saver.mark_saved(twin)  # keeps the file it belongs to
    key = saver.key(twin.pseudonym)
    assert saver.unseal(saver._index()[key]["file"], key) == str(tmp_path / "j.twin")
    saver.note_origin(twin, None)
    later = time.time() + 5
    os.utime(saver.path_for(twin), (later, later))
    (rec,) = saver.pending_recovery()
    assert rec.file is None and "never saved to a file" in rec.describe()


def test_a_kept_identifier_is_not_written_to_the_index(tmp_path):
    import dataclasses

    from tests.io.conftest import make_twin

    named = dataclasses.replace(make_twin(), pseudonym="Jane Doe")
    saver = Autosaver(tmp_path / "auto")
    saver.note_origin(named, None)
    assert "Jane" not in (tmp_path / "auto" / "index.json").read_text()


def test_the_index_holds_the_file_path_sealed_not_in_clear(twin, tmp_path):
    """A path can carry a patient's name; the index keeps it only encrypted, readable back by
    this installation, not by another (a copied index) nor for another entry."""
    import json

    folder = tmp_path / "Smith_John_MRN-445566"
    saver = Autosaver(tmp_path / "auto", secret=b"a" * 32)
    saver.autosave(twin)
    saver.note_origin(twin, folder / "case.twin")
    raw = (tmp_path / "auto" / "index.json").read_bytes()
    assert b"Smith" not in raw and b"445566" not in raw and b"case.twin" not in raw
    (rec,) = saver.pending_recovery()
    assert rec.file == folder / "case.twin" and "(case.twin)" in rec.describe()
    assert "Smith" not in rec.describe() and "445566" not in rec.describe()
    key = saver.key(twin.pseudonym)
    token = json.loads(raw)[key]["file"]
    assert saver.unseal(token, "another-entry") is None
    other = Autosaver(tmp_path / "auto", secret=b"b" * 32)  # another installation's key
    assert other.unseal(token, key) is None


def test_an_unreadable_sealed_path_is_said_not_taken_for_never_saved(twin, tmp_path):
    saver = Autosaver(tmp_path / "auto", secret=b"a" * 32)
    saver.autosave(twin)
    saver.note_origin(twin, tmp_path / "j.twin")
    (rec,) = Autosaver(tmp_path / "auto", secret=b"b" * 32).pending_recovery()
    assert rec.file is None and "its file could not be read back" in rec.describe()


def test_an_earlier_index_with_the_path_in_clear_is_sealed_on_first_read(twin, tmp_path):
    import json

    saver = Autosaver(tmp_path / "auto", secret=b"a" * 32)
    saver.autosave(twin)
    key = saver.key(twin.pseudonym)
    plain = str(tmp_path / "Doe_Jane" / "j.twin")
    (tmp_path / "auto" / "index.json").write_text(json.dumps({key: {"file": plain}}))
    (rec,) = saver.pending_recovery()
    assert rec.file == Path(plain)
    assert b"Doe_Jane" not in (tmp_path / "auto" / "index.json").read_bytes()


def test_the_sealing_is_said_for_what_it_protects_and_what_it_does_not(twin, tmp_path):
    """review8b #8: the key file sits in the same data folder as the index, so a backup of that
    folder can unseal the paths; the module says so instead of "a backup shows random bytes"."""
    import json
    import shutil

    import twinviewer.io.autosave as autosave
    from twinviewer.imaging.deid import _default_key_path, installation_key

    installation_key()  # creates the key file in the (isolated) user data folder
    data = default_autosave_dir().parent
    assert _default_key_path().parent == data  # key and autosave/ share one folder
    saver = Autosaver(default_autosave_dir())
    saver.autosave(twin)
    saver.note_origin(twin, tmp_path / "Smith_John" / "case.twin")
    backup = tmp_path / "backup"
    shutil.copytree(data, backup)  # a backup of the data folder holds the index and the key
    key_file = backup / _default_key_path().name
    key_bytes = key_file.read_bytes()
    restored = Autosaver(backup / "autosave", secret=installation_key(key_file))
    token = json.loads((backup / "autosave" / "index.json").read_text())
    name = saver.key(twin.pseudonym)
    assert key_bytes and restored.unseal(token[name]["file"], name).endswith("case.twin")
    doc = " ".join(autosave.__doc__.split())
    assert "a backup or a grep of the disk shows random bytes" not in doc
    assert "does not protect against" in doc and "deidentification.key" in doc
