"""Deterministic, seeded hostile .twin files: the attacks of issue 14 and random damage.

Families (each case draws one, then its parameters from the seed):

* ``names`` — members ``../../x``, ``/etc/cron.d/evil``, ``C:\\evil.dll``, a symlink or folder
  entry, a duplicate ``twin.json``, thousands of extra members;
* ``bomb`` — a member whose central-directory size or deflate ratio is a bomb;
* ``arrays`` — an image that is NaN, inf or empty, spacing [−1, 0, NaN], a singular affine,
  mesh points NaN, float or out-of-range faces, float labels, a .npy header that lies, an
  image's ``missing_slabs`` that is negative, short, long, text, true, huge or null;
* ``pseudonym`` — a name and birth date where the pseudonym belongs;
* ``crypto`` — encryption headers with nonces of 0, 5 or 300 bytes, bad salts, scrypt
  parameters of the wrong type or size, a header length of 0 or 2^32 − 1, truncation;
* ``json`` — deep nesting, huge numbers, NaN parameters;
* ``random`` — the random families of ``tests/io/test_fuzz.py`` (truncation, flips, wrong JSON
  types, missing and swapped members, damaged arrays).

``expected`` says whether loading must fail: every family except ``random`` must be refused.
"""

from __future__ import annotations

import io
import json
import random
import stat
import struct
import zipfile
from dataclasses import dataclass

import numpy as np

from tests.io.zips import rezip, unzip

PASSPHRASE = "fuzz-passphrase"


@dataclass
class TwinCase:
    seed: int
    family: str
    what: str
    data: bytes
    must_refuse: bool


_BASE: dict[str, bytes] = {}

#: ``missing_slabs`` values a file must not be read with (negative volumes and SDs, an
#: IndexError or OverflowError in the coverage model, a string read digit by digit...).
BAD_MISSING_SLABS = ([-2, 0], [0, -1], [1], [0], [], [0, 0, 7], "12", [True, 0], [0, False],
                     [1e300, 0], [1.0, 0], [10**400, 0], [101, 0], None, {"a": 1}, [[1], 0],
                     ["1", 0])


def base_bytes(encrypted: bool = False) -> bytes:
    """A valid twin with every array kind: image, labels, meshes, ensemble, results."""
    key = "enc" if encrypted else "plain"
    if key not in _BASE:
        from tests.io.conftest import make_twin
        from twinviewer.core.anatomy import Anatomy, ImageVolume, Structure, SurfaceMesh
        from twinviewer.core.measurement import Measurement
        from twinviewer.io import twin_bytes

        twin = make_twin(n=6)
        points = np.array([[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10]], float)
        faces = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
        s = Structure("lv_blood", "LV blood pool", (0.8, 0.2, 0.2),
                      {0: SurfaceMesh(points, faces, np.full(4, 0.5))},
                      {0: Measurement("lv_blood volume", 0.17, "mL", 0.01, "mesh")})
        img = ImageVolume(np.arange(120, dtype=np.int16).reshape(1, 4, 5, 6),
                          np.diag([2.0, 1.0, 1.0, 1.0]), (2.0, 1.0, 1.0), [0.0], 0, 0, "CT",
                          "fuzz")
        twin.anatomy = Anatomy(twin.pseudonym, {"lv_blood": s}, img,
                               {0: np.zeros((4, 5, 6), np.uint8)}, {"lv_blood": 1},
                               notes=["fuzz"])
        _BASE[key] = twin_bytes(twin, results={"baseline": {"LVEF": np.linspace(50, 60, 6)}},
                                passphrase=PASSPHRASE if encrypted else None)
    return _BASE[key]


def _zip_with(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info, data in entries:
            z.writestr(info, data)
    return out.getvalue()


def _entries(data: bytes) -> list[tuple[str, bytes]]:
    zf = zipfile.ZipFile(io.BytesIO(data))
    return [(i.filename, zf.read(i)) for i in zf.infolist()]


def _names(rng: random.Random, base: bytes) -> tuple[str, bytes]:
    entries = _entries(base)
    how = rng.choice(["dotdot", "absolute", "drive", "backslash", "symlink", "folder",
                      "duplicate", "many", "unicode", "arrays_dotdot"])
    if how == "many":
        n = rng.choice([20_001, 25_000])
        entries += [(f"x/{i}", b"") for i in range(n)]
        return f"{n} extra members", _zip_with(entries)
    if how == "duplicate":
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
            return "duplicate twin.json", _zip_with(
                [*entries, ("twin.json", dict(entries)["twin.json"])])
    if how in ("symlink", "folder"):
        info = zipfile.ZipInfo("arrays/link.npy" if how == "symlink" else "arrays/sub/")
        info.external_attr = ((stat.S_IFLNK | 0o777) if how == "symlink"
                              else (stat.S_IFDIR | 0o755)) << 16
        return how, _zip_with([*entries, (info, b"/etc/passwd" if how == "symlink" else b"")])
    name = {"dotdot": "../../x", "absolute": "/etc/cron.d/evil", "drive": "C:\\evil.dll",
            "backslash": "arrays\\0000.npy", "unicode": "arrays/\u202e0000.npy",
            "arrays_dotdot": "arrays/../../x.npy"}[how]
    return f"member {name!r}", _zip_with([*entries, (name, b"evil")])


def _bomb(rng: random.Random, base: bytes) -> tuple[str, bytes]:
    entries = _entries(base)
    how = rng.choice(["ratio", "claimed", "total"])
    if how == "ratio":
        info = zipfile.ZipInfo("bomb.json")
        info.compress_type = zipfile.ZIP_DEFLATED
        return "deflate bomb 20 MB of zeros", _zip_with(
            [*entries, (info, b"\x00" * (20 * 1024**2))])
    data = bytearray(_zip_with(entries))
    # edit the central directory: claim an uncompressed size of ~4 GB for a member
    cd = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, cd + 24, 0xFFFFFFF0 if how == "claimed" else 0x7FFFFFFF)
    return f"central directory claims a huge size ({how})", bytes(data)


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return buf.getvalue()


def _arrays(rng: random.Random, base: bytes) -> tuple[str, bytes]:
    members, manifest = unzip(base)
    tree = json.loads(members["twin.json"])
    anatomy = tree["anatomy"]
    image = anatomy["image"]
    mesh = anatomy["structures"]["lv_blood"]["meshes"]["0"]
    how = rng.choice(["image_nan", "image_inf", "image_empty", "spacing", "affine",
                      "points_nan", "faces_float", "faces_range", "labels_float",
                      "npy_header_lies", "uncertainty_negative", "params_nan",
                      "missing_slabs"])
    if how == "missing_slabs":  # final14 #3: each of these loaded, then misled or crashed
        image["missing_slabs"] = rng.choice(BAD_MISSING_SLABS)
        members["twin.json"] = json.dumps(tree).encode()
        return f"missing_slabs {str(image['missing_slabs'])[:30]}", rezip(members, manifest)
    if how == "spacing":
        image["spacing"] = rng.choice([[-1, 0, float("nan")], [0, 1, 1], [1, 1], [1e400, 1, 1],
                                       ["1", 1, 1]])
        members["twin.json"] = json.dumps(tree).encode()
        return f"spacing {image['spacing']}", rezip(members, manifest)

    def put(ref: dict, a: np.ndarray) -> None:
        members[ref["$array"]] = _npy(a)

    if how.startswith("image"):
        a = np.zeros((1, 4, 5, 6), np.float32)
        if how == "image_empty":
            a = np.zeros((1, 0, 5, 6), np.float32)
        else:
            a[0, 1, 2, 3] = np.nan if how == "image_nan" else np.inf
        put(image["array"], a)
    elif how == "affine":
        put(image["affine"], rng.choice([np.zeros((4, 4)), np.full((4, 4), np.nan),
                                         np.eye(3)]))
    elif how == "points_nan":
        put(mesh["points"], np.array([[0, 0, 0], [np.nan, 0, 0], [0, 10, 0], [0, 0, 10]]))
    elif how == "faces_float":
        put(mesh["faces"], np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]], float))
    elif how == "faces_range":
        put(mesh["faces"], np.array([[0, 2, 1], [0, 1, 3], [0, 3, 99], [1, 2, -3]]))
    elif how == "labels_float":
        put(anatomy["labels"]["0"], np.full((4, 5, 6), 0.5))
    elif how == "uncertainty_negative":
        put(mesh["uncertainty_mm"], np.array([0.5, -1.0, np.nan, 0.5]))
    elif how == "params_nan":
        put(tree["params"], np.full(len(tree["parameters"]), np.nan))
    else:  # a .npy header claiming a vast shape over a few bytes of data
        header = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000,), }"
        header = header.ljust(118) + "\n"
        members[mesh["points"]["$array"]] = b"\x93NUMPY\x01\x00" + struct.pack(
            "<H", len(header)) + header.encode() + bytes(64)
    members["twin.json"] = json.dumps(tree).encode()
    return how, rezip(members, manifest)


def _pseudonym(rng: random.Random, base: bytes) -> tuple[str, bytes]:
    members, manifest = unzip(base)
    tree = json.loads(members["twin.json"])
    value = rng.choice(["DOE^JANE 1962-05-12", "Jane Doe", "TW-", "TW-XYZ", "", "virtual-",
                        "PID-4711", "tw-0123456789", "TW-0123456789AB"])
    where = rng.choice(["twin", "anatomy", "both"])
    if where in ("twin", "both"):
        tree["pseudonym"] = value
    if where in ("anatomy", "both"):
        tree["anatomy"]["pseudonym"] = value
    members["twin.json"] = json.dumps(tree).encode()
    return f"{where} pseudonym replaced", rezip(members, manifest)


def _crypto(rng: random.Random, _: bytes) -> tuple[str, bytes]:
    from twinviewer.io import crypto

    enc = base_bytes(encrypted=True)
    (hlen,) = struct.unpack(">I", enc[8:12])
    header = json.loads(enc[12:12 + hlen])
    body = enc[12 + hlen:]
    how = rng.choice(["nonce", "salt", "n", "r", "p", "cipher", "hlen", "truncate", "json"])
    if how == "nonce":
        header["nonce"] = "00" * rng.choice([0, 5, 300]) if rng.random() < 0.8 else "zz"
    elif how == "salt":
        header["salt"] = rng.choice(["", "00", "xyz", 5, None])
    elif how in ("n", "r", "p"):
        header[how] = rng.choice([True, "16", 2.5, -1, 0, 2**40, None])
    elif how == "cipher":
        header["cipher"] = rng.choice(["AES-128-CBC", "", None])
    elif how == "hlen":
        return "header length", crypto.MAGIC + struct.pack(">I", rng.choice(
            [0, 2**32 - 1, len(enc)])) + enc[12:]
    elif how == "truncate":
        return "truncated", enc[:rng.randrange(8, 12 + hlen + 20)]
    else:
        raw = rng.choice([b"[]", b"null", b"{", b"\"x\"", b"[" * 5000])
        return "header json", crypto.MAGIC + struct.pack(">I", len(raw)) + raw + body
    raw = json.dumps(header).encode()
    return f"header {how}={str(header.get(how))[:20]}", crypto.MAGIC + struct.pack(
        ">I", len(raw)) + raw + body


def _json(rng: random.Random, base: bytes) -> tuple[str, bytes]:
    members, manifest = unzip(base)
    how = rng.choice(["deep", "huge_int", "nan_params_table"])
    if how == "deep":
        members["twin.json"] = b"[" * 100_000 + b"]" * 100_000
    elif how == "huge_int":
        tree = json.loads(members["twin.json"])
        tree["visits"][0]["day"] = 10**4000
        members["twin.json"] = json.dumps(tree).encode()
    else:
        tree = json.loads(members["twin.json"])
        tree["parameters"][0]["plausible"] = [float("nan"), float("nan")]
        members["twin.json"] = json.dumps(tree).encode()
    return how, rezip(members, manifest)


FAMILIES = {"names": _names, "bomb": _bomb, "arrays": _arrays, "pseudonym": _pseudonym,
            "crypto": _crypto, "json": _json}


def make_case(seed: int) -> TwinCase:
    """Hostile .twin case ``seed`` (about half targeted attacks, half random damage)."""
    rng = random.Random(seed)
    base = base_bytes()
    if rng.random() < 0.5:
        from tests.io.test_fuzz import _mutate

        what, data = _mutate(base, rng)
        return TwinCase(seed, "random", what, data, False)
    family = rng.choice(sorted(FAMILIES))
    what, data = FAMILIES[family](rng, base)
    return TwinCase(seed, family, what, data, True)
