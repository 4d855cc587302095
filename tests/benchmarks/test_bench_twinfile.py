"""Benchmark: saving and loading the demo twin's .twin file, against pickle of the same twin.

The twin: the demo study (full size, 90 × 160 × 160 voxels × 2 phases, imported through
de-identification, meshes with per-vertex uncertainty) plus a 200-member parameter ensemble and
a cached baseline result. The peer is ``pickle`` (protocol 5) written with the same atomic
writer: the fastest thing Python offers, but unsafe to load from others and unversioned. Both
timings are best-of-N wall times; the ratio ``twin / pickle`` and the file sizes are printed
and stored in ``extra_info``. Targets: save ≤ 1 s, load ≤ 1 s.

Run with ``pytest tests/benchmarks/test_bench_twinfile.py --benchmark-enable -s``.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from tests.benchmarks.timing import best_of
from twinviewer.core.atomic import atomic_write_bytes
from twinviewer.io import audit_log, load_twin, save_twin
from twinviewer.twins import twin_from_preset

KEY = b"b" * 32


@pytest.fixture(scope="module")
def demo_twin(tmp_path_factory):
    from twinviewer.imaging.demo import write_demo_study
    from twinviewer.imaging.study import import_study

    folder = tmp_path_factory.mktemp("bench") / "study"
    write_demo_study(folder)
    anatomy = import_study(folder, key=KEY)
    twin = twin_from_preset("healthy", n=200, pseudonym=anatomy.pseudonym, anatomy=anatomy)
    twin.measurements += anatomy.measurements
    audit_log(twin).record(twin, "import", {"structures": sorted(anatomy.structures)})
    rng = np.random.default_rng(0)
    results = {"baseline": {"LVEF": rng.normal(58, 4, 200), "CO": rng.normal(5, 0.4, 200),
                            "_ok": np.ones(200, bool)}}
    return twin, results




def test_save_and_load_demo_twin(demo_twin, tmp_path, benchmark):
    twin, results = demo_twin
    path = tmp_path / "demo.twin"
    peer_path = tmp_path / "demo.pickle"
    save = best_of(lambda: save_twin(path, twin, results=results))
    load = best_of(lambda: load_twin(path))
    peer_save = best_of(lambda: atomic_write_bytes(
        peer_path, pickle.dumps((twin, results), protocol=5)))
    peer_load = best_of(lambda: pickle.loads(Path(peer_path).read_bytes()))
    size, peer_size = path.stat().st_size, peer_path.stat().st_size
    benchmark.extra_info.update({
        "save_s": save, "load_s": load, "pickle_save_s": peer_save,
        "pickle_load_s": peer_load, "save_ratio": save / peer_save,
        "load_ratio": load / peer_load, "file_MB": size / 1e6, "pickle_MB": peer_size / 1e6})
    print(f"\n.twin save {save * 1000:.0f} ms (pickle {peer_save * 1000:.0f} ms, ratio "
          f"{save / peer_save:.2f}), load {load * 1000:.0f} ms (pickle {peer_load * 1000:.0f} "
          f"ms, ratio {load / peer_load:.2f}), file {size / 1e6:.1f} MB (pickle "
          f"{peer_size / 1e6:.1f} MB); image {twin.anatomy.image.array.shape}, "
          f"{sum(len(s.meshes) for s in twin.anatomy.structures.values())} meshes, "
          f"ensemble {twin.ensemble.shape}")
    benchmark.pedantic(lambda: load_twin(path), rounds=3, iterations=1)
    assert save <= 1.0 and load <= 1.0
