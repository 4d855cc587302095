"""Passphrase encryption of .twin files."""

from __future__ import annotations

import pytest

from tests.io.conftest import assert_twins_equal
from twinviewer.io import TwinFileError, load_twin, save_twin
from twinviewer.io.crypto import MAGIC


def test_encrypted_round_trip(twin, tmp_path):
    path = save_twin(tmp_path / "e.twin", twin, passphrase="correct horse battery")
    data = path.read_bytes()
    assert data.startswith(MAGIC) and b"twin.json" not in data and b"severe_as" not in data
    doc = load_twin(path, passphrase="correct horse battery")
    assert doc.encrypted and doc.chain.ok
    assert_twins_equal(twin, doc.twin)


def test_wrong_missing_and_damaged(twin, tmp_path):
    path = save_twin(tmp_path / "e.twin", twin, passphrase="s3cret")
    with pytest.raises(TwinFileError, match="e.twin: wrong passphrase, or the encrypted file"):
        load_twin(path, passphrase="S3cret")
    with pytest.raises(TwinFileError, match="e.twin is encrypted: a passphrase is needed"):
        load_twin(path)
    data = bytearray(path.read_bytes())
    data[-5] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(TwinFileError, match="wrong passphrase, or the encrypted file was "
                                            "damaged"):
        load_twin(path, passphrase="s3cret")
    path.write_bytes(MAGIC + b"\x00\x00\x00\x05{bad}")
    with pytest.raises(TwinFileError, match="encryption header is damaged"):
        load_twin(path, passphrase="s3cret")
    with pytest.raises(TwinFileError, match="empty passphrase"):
        save_twin(tmp_path / "f.twin", twin, passphrase="")
