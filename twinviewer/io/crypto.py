"""Optional passphrase encryption of a whole .twin file (AES-256-GCM, scrypt key).

Layout of an encrypted file: the magic ``TWINENC1``, a 4-byte big-endian header length, a
JSON header (KDF name and parameters, salt, nonce; no secret), then the AES-GCM ciphertext of
the plain .twin (zip) bytes with the header as associated data, so the header cannot be
altered either. scrypt with N=2^17, r=8, p=1 (128 MiB, about 0.3 s) follows the OWASP
password-storage recommendation. GCM's tag makes a wrong passphrase and a damaged file
indistinguishable by design; the message says both.
"""

from __future__ import annotations

import json
import os
import re
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from twinviewer.io.errors import TwinFileError

MAGIC = b"TWINENC1"
SALT_BYTES, NONCE_BYTES = 16, 12  # GCM's standard 96-bit nonce; nothing else is accepted
_HEX = re.compile(r"[0-9a-fA-F]*")
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
_MAX_HEADER = 4096


#: Largest scrypt memory (128·r·n bytes) a file may ask for: twice what we write.
MAX_SCRYPT_BYTES = 256 * 2**20
MAX_SCRYPT_P = 4


def _check_scrypt(n: int, r: int, p: int) -> None:
    """Refuse scrypt parameters from a damaged or hostile header before deriving a key:
    n must be a power of two ≥ 2^14, the memory 128·r·n at most 256 MiB, p at most 4."""
    if n < 2**14 or n & (n - 1):
        raise ValueError(f"scrypt n={n} is not a power of two ≥ 2^14")
    if not (1 <= r and 1 <= p <= MAX_SCRYPT_P):
        raise ValueError(f"scrypt parameters out of range (r={r}, p={p}; p ≤ {MAX_SCRYPT_P})")
    if 128 * r * n > MAX_SCRYPT_BYTES:
        raise ValueError(f"scrypt n={n}, r={r} would need {128 * r * n // 2**20} MiB "
                         f"(limit {MAX_SCRYPT_BYTES // 2**20} MiB)")


def is_encrypted(data: bytes) -> bool:
    return data[:len(MAGIC)] == MAGIC


def _key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    if not isinstance(passphrase, str) or not passphrase:
        raise TwinFileError("a passphrase is required (empty passphrase given)")
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def encrypt(plain: bytes, passphrase: str) -> bytes:
    """Encrypt the bytes of a .twin file with a passphrase."""
    salt, nonce = os.urandom(SALT_BYTES), os.urandom(NONCE_BYTES)
    header = json.dumps({"cipher": "AES-256-GCM", "kdf": "scrypt", "n": SCRYPT_N,
                         "r": SCRYPT_R, "p": SCRYPT_P, "salt": salt.hex(),
                         "nonce": nonce.hex()}).encode()
    aad = MAGIC + struct.pack(">I", len(header)) + header
    return aad + AESGCM(_key(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)).encrypt(
        nonce, plain, aad)


def _header(data: bytes) -> tuple[dict, int, int]:
    """The parsed, checked header, its start and length; ValueError says what is wrong."""
    (hlen,) = struct.unpack(">I", data[len(MAGIC):len(MAGIC) + 4])
    if not 0 < hlen <= _MAX_HEADER:
        raise ValueError(f"header length {hlen} outside 1–{_MAX_HEADER}")
    start = len(MAGIC) + 4
    if len(data) < start + hlen + 16:
        raise ValueError("the file ends inside the header or before the authentication tag")
    header = json.loads(data[start:start + hlen])
    if not isinstance(header, dict):
        raise ValueError("the header is not a JSON object")
    if header.get("kdf") != "scrypt" or header.get("cipher") != "AES-256-GCM":
        raise ValueError(f"unsupported cipher/KDF {str(header.get('cipher'))[:20]}/"
                         f"{str(header.get('kdf'))[:20]} (supported: AES-256-GCM/scrypt)")
    for k in ("n", "r", "p"):
        if not isinstance(header.get(k), int) or isinstance(header.get(k), bool):
            raise ValueError(f"scrypt {k} should be a whole number")
    for k, size in (("salt", SALT_BYTES), ("nonce", NONCE_BYTES)):
        v = header.get(k)
        if not isinstance(v, str) or len(v) != 2 * size or not _HEX.fullmatch(v):
            raise ValueError(f"{k} should be {size} bytes in hex")
    _check_scrypt(header["n"], header["r"], header["p"])
    return header, start, hlen


def decrypt(data: bytes, passphrase: str | None, name: str = "file") -> bytes:
    """The plain .twin bytes of an encrypted file.

    Raises
    ------
    TwinFileError
        No passphrase given, a damaged header, or a wrong passphrase / altered content.
    """
    if passphrase is None:
        raise TwinFileError(f"{name} is encrypted: a passphrase is needed to open it")
    try:
        header, start, hlen = _header(data)
        salt, nonce = bytes.fromhex(header["salt"]), bytes.fromhex(header["nonce"])
        n, r, p = header["n"], header["r"], header["p"]
    except (ValueError, KeyError, TypeError, struct.error, RecursionError) as exc:
        raise TwinFileError(f"{name}: the encryption header is damaged ({exc})") from None
    aad = data[:start + hlen]
    try:
        return AESGCM(_key(passphrase, salt, n, r, p)).decrypt(nonce, data[start + hlen:], aad)
    except InvalidTag:
        raise TwinFileError(f"{name}: wrong passphrase, or the encrypted file was damaged "
                            f"or altered") from None
