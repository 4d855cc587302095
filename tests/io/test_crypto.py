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


def _with_header(n: int, r: int, p: int) -> bytes:
    import json
    import struct

    header = json.dumps({"cipher": "AES-256-GCM", "kdf": "scrypt", "n": n, "r": r, "p": p,
                         "salt": "00" * 16, "nonce": "00" * 12}).encode()
    return MAGIC + struct.pack(">I", len(header)) + header + b"\x00" * 64


@pytest.mark.parametrize(("n", "r", "p", "message"), [
    (2**17 + 1, 8, 1, r"n=131073 is not a power of two"),
    (3 * 2**15, 8, 1, r"n=98304 is not a power of two"),
    (2**20, 16, 1, r"would need 2048 MiB \(limit 256 MiB\)"),
    (2**17, 8, 64, r"p=64"),
    (2**10, 8, 1, r"n=1024 is not a power of two ≥ 2\^14"),
])
def test_hostile_scrypt_parameters_are_refused_before_deriving(tmp_path, n, r, p, message):
    path = tmp_path / "hostile.twin"
    path.write_bytes(_with_header(n, r, p))
    with pytest.raises(TwinFileError, match=r"hostile\.twin: the encryption header is "
                                            r"damaged \(scrypt .*" + message):
        load_twin(path, passphrase="s3cret")
