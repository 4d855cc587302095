"""Fuzzing the reader: mutated .twin files never crash it; every rejection is a TwinFileError.

A seeded mutation loop (no new dependency) over five families: truncation, flipped bytes,
wrong JSON types or missing keys with valid checksums (so the mutation reaches the decoder),
missing members, and swapped or damaged arrays with valid checksums.
"""

from __future__ import annotations

import json
import random
import time

import numpy as np

from tests.io.conftest import make_twin
from tests.io.zips import rezip, unzip
from twinviewer.core.anatomy import Anatomy, Structure, SurfaceMesh
from twinviewer.core.measurement import Measurement
from twinviewer.io import TwinDocument, TwinFileError, twin_bytes
from twinviewer.io.twinfile import load_twin_bytes

N_CASES = 2000
WRONG = [None, 0, -1, 1e308, "x", "", [], {}, [1, 2], {"a": 1}, True, {"$array": 3},
         {"$array": "arrays/9999.npy"}, {"$array": "twin.json"}, float("nan")]


def _base() -> bytes:
    twin = make_twin(n=6)
    points = np.array([[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10]], float)
    faces = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    s = Structure("lv_blood", "LV blood pool", (0.8, 0.2, 0.2), {0: SurfaceMesh(points, faces)},
                  {0: Measurement("lv_blood volume", 0.17, "mL", 0.01, "mesh")})
    twin.anatomy = Anatomy(twin.pseudonym, {"lv_blood": s}, notes=["fuzz"])
    return twin_bytes(twin, results={"baseline": {"LVEF": np.linspace(50, 60, 6)}})


def _paths(obj, prefix=()):
    """Every (path) to a value in a JSON tree."""
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*prefix, i))


def _set(tree, path, value, delete=False):
    node = tree
    for p in path[:-1]:
        node = node[p]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value


def _mutate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    kind = rng.choice(["truncate", "flip", "json", "json", "delete", "member", "swap", "npy",
                       "manifest"])
    if kind == "truncate":
        return kind, data[: rng.randrange(len(data))]
    if kind == "flip":
        b = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        return kind, bytes(b)
    members, manifest = unzip(data)
    if kind in ("json", "delete"):
        name = rng.choice(["twin.json", "twin.json", "audit.json"])
        tree = json.loads(members[name])
        paths = [p for p in _paths(tree) if p]
        path = rng.choice(paths)
        _set(tree, path, rng.choice(WRONG), delete=(kind == "delete"))
        members[name] = json.dumps(tree).encode()
        return f"{kind} {name}:{'/'.join(map(str, path))}", rezip(members, manifest)
    if kind == "member":
        victim = rng.choice(sorted(members))
        del members[victim]
        return f"member {victim}", rezip(members, manifest, fix=rng.random() < 0.5)
    arrays = sorted(n for n in members if n.endswith(".npy"))
    if kind == "swap":
        a, b = rng.sample(arrays, 2)
        members[a], members[b] = members[b], members[a]
        return f"swap {a} {b}", rezip(members, manifest, fix=rng.random() < 0.8)
    if kind == "npy":
        a = rng.choice(arrays)
        raw = bytearray(members[a])
        pos = rng.randrange(min(len(raw), 128))  # mostly the header
        raw[pos] = rng.randrange(256)
        members[a] = bytes(raw[: rng.choice([len(raw), rng.randrange(len(raw) + 1)])])
        return f"npy {a}", rezip(members, manifest)
    key = rng.choice(["format", "schema_version", "members", "audit", "identifiable"])
    manifest[key] = rng.choice(WRONG)
    return f"manifest {key}", rezip(members, manifest, fix=False)


def test_fuzzed_files_never_crash_the_reader():
    rng = random.Random(20261123)
    base = _base()
    assert isinstance(load_twin_bytes(base), TwinDocument)
    start = time.perf_counter()
    rejected = accepted = 0
    kinds: dict[str, int] = {}
    for i in range(N_CASES):
        what, data = _mutate(base, rng)
        family = what.split()[0]
        kinds[family] = kinds.get(family, 0) + 1
        try:
            doc = load_twin_bytes(data, name="fuzz.twin")
        except TwinFileError as exc:
            msg = str(exc)
            assert msg.startswith("fuzz.twin") and len(msg) > 25, (i, what, msg)
            rejected += 1
        except Exception as exc:  # noqa: BLE001 - the point of the test
            raise AssertionError(f"case {i} ({what}) crashed the reader: "
                                 f"{type(exc).__name__}: {exc}") from exc
        else:
            # accepted only if the result is still a consistent twin
            assert doc.twin.ensemble.shape[1] == doc.twin.params.shape[0] == len(doc.parameters)
            assert np.isfinite(doc.twin.ensemble).all() and doc.chain.ok
            accepted += 1
    elapsed = time.perf_counter() - start
    print(f"\nfuzz: {N_CASES} cases in {elapsed:.1f} s, {rejected} rejected with "
          f"TwinFileError, {accepted} accepted as consistent; by family {kinds}")
    assert rejected + accepted == N_CASES >= 500
    assert rejected > 0.7 * N_CASES
    # the run time (target < 30 s) is asserted in tests/benchmarks/test_bench_gate_timings.py
