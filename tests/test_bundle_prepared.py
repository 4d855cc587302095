"""The desktop bundle's prepared cache (``packaging/bundle_prepared.py``) and its pyarrow hook.

Kernels compiled at build time and copied into a user cache are loaded by numba without
compiling on the same machine, and compiled again (same numbers) when numba's key of the
machine differs; the copy keeps the file times numba keys on and never replaces a user's file.
"""

from __future__ import annotations

import json
import os
import runpy
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "packaging"))
import bundle_prepared  # noqa: E402

KERNEL = textwrap.dedent('''
    import numba
    import numpy as np


    @numba.njit(cache=True)
    def kernel(x):
        s = 0.0
        for v in x:
            s += np.sin(v) * v
        return s
''')

#: Loads the kernel from ``argv[1]`` (as the app loads a generated kernel module) and
#: prints its result and numba's cache hits and misses.
LOAD = textwrap.dedent('''
    import importlib.util, json, sys
    import numpy as np
    spec = importlib.util.spec_from_file_location("twinviewer_kernel_test", sys.argv[1])
    m = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = m  # as twinviewer.physiology.kernels.load_generated_module does
    spec.loader.exec_module(m)
    r = m.kernel(np.linspace(0.0, 3.0, 101))
    st = m.kernel.stats
    print(json.dumps({"r": r.hex(), "hits": sum(st.cache_hits.values()),
                      "misses": sum(st.cache_misses.values())}))
''')


def _load(path: Path, **env: str) -> dict:
    e = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    out = subprocess.run([sys.executable, "-c", LOAD, str(path)], env={**e, **env},
                         capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict]:
    """A user cache where a kernel was compiled (as the build's warm-up leaves it), staged."""
    root = tmp_path_factory.mktemp("build")
    cache = root / "cache"
    (cache / "kernels").mkdir(parents=True)
    (cache / "kernels" / "twinviewer_kernel_test.py").write_text(KERNEL)
    (cache / "demo_heart").mkdir()
    (cache / "demo_heart" / "heart_anatomy_0123.npz").write_bytes(b"anatomy")
    (cache / "demo_heart" / "demo_twin_0.twin").write_bytes(b"not prepared here")
    first = _load(cache / "kernels" / "twinviewer_kernel_test.py")
    assert first["misses"] == 1  # compiled at "build time"
    bundle_prepared.stage(cache, root / "prepared")
    return root / "prepared", first


def test_stage_takes_kernels_and_anatomies_only(built):
    prepared, _ = built
    files = json.loads((prepared / bundle_prepared.MANIFEST).read_text())["files"]
    assert "kernels/twinviewer_kernel_test.py" in files
    assert any(f.startswith("kernels/__pycache__/") and f.endswith(".nbi") for f in files)
    assert any(f.endswith(".nbc") for f in files)
    assert "demo_heart/heart_anatomy_0123.npz" in files
    assert "demo_heart/demo_twin_0.twin" not in files  # the demo's files have their own copy


def test_seeded_kernel_loads_without_compiling_and_same_numbers(built, tmp_path):
    prepared, first = built
    copied = bundle_prepared.seed(prepared, tmp_path)
    assert "kernels/twinviewer_kernel_test.py" in copied
    src = prepared / "kernels" / "twinviewer_kernel_test.py"
    dst = tmp_path / "kernels" / "twinviewer_kernel_test.py"
    assert dst.stat().st_mtime_ns == src.stat().st_mtime_ns  # numba's index stamp
    run = _load(dst)
    assert (run["hits"], run["misses"]) == (1, 0)
    assert run["r"] == first["r"]
    assert bundle_prepared.seed(prepared, tmp_path) == []  # done: the mark


def test_another_cpu_compiles_again_with_the_same_numbers(built, tmp_path):
    """numba keys a cached compile by CPU name and features: a kernel cached for another
    machine is a miss and is compiled (``NUMBA_CPU_NAME`` stands for another CPU)."""
    prepared, first = built
    bundle_prepared.seed(prepared, tmp_path)
    dst = tmp_path / "kernels" / "twinviewer_kernel_test.py"
    run = _load(dst, NUMBA_CPU_NAME="generic")
    assert (run["hits"], run["misses"]) == (0, 1)
    assert run["r"] == first["r"]
    again = _load(dst)  # the shipped entry for this machine is still there
    assert (again["hits"], again["misses"]) == (1, 0)


def test_seed_never_replaces_and_checks_digests(built, tmp_path):
    prepared, _ = built
    own = tmp_path / "demo_heart" / "heart_anatomy_0123.npz"
    own.parent.mkdir(parents=True)
    own.write_bytes(b"the user's own")
    copied = bundle_prepared.seed(prepared, tmp_path)
    assert "demo_heart/heart_anatomy_0123.npz" not in copied
    assert own.read_bytes() == b"the user's own"
    other = tmp_path / "other"
    bad = tmp_path / "bad"
    shutil.copytree(prepared, bad)
    (bad / "demo_heart" / "heart_anatomy_0123.npz").write_bytes(b"changed")
    assert "demo_heart/heart_anatomy_0123.npz" not in bundle_prepared.seed(bad, other)


def test_seed_without_prepared_cache_or_writable_cache(tmp_path, capsys):
    assert bundle_prepared.seed(tmp_path / "none", tmp_path / "c") == []
    assert bundle_prepared.same_machine(tmp_path / "none") is None
    prepared = tmp_path / "p"
    (tmp_path / "u" / "kernels").mkdir(parents=True)
    (tmp_path / "u" / "kernels" / "k.py").write_text("x = 1")
    bundle_prepared.stage(tmp_path / "u", prepared)
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would be")
    assert bundle_prepared.seed(prepared, blocked) == []
    assert "not copied into the cache" in capsys.readouterr().err


def test_pyarrow_hook_leaves_out_flight_s3_headers_and_sources():
    pytest.importorskip("PyInstaller")
    hook = runpy.run_path(str(ROOT / "packaging" / "pyinstaller-hooks" / "hook-pyarrow.py"))
    names = [src.rsplit("/", 1)[-1] for src, _ in hook["datas"] + hook["binaries"]]
    assert not [n for n in names if n.startswith(("libarrow_flight", "libarrow_s3",
                                                   "libarrow_python_flight"))]
    assert not [n for n in names if n.endswith((".pyx", ".pxd", ".pxi", ".h"))]
    assert not [src for src, _ in hook["datas"] if "/include/" in src or "/tests/" in src]
    assert any(n.startswith("libparquet") for n in names)  # Parquet stays
    hidden = hook["hiddenimports"]
    assert "pyarrow.parquet" in hidden and "pyarrow._parquet" in hidden
    assert not [h for h in hidden if "flight" in h or h.startswith("pyarrow.lib") and
                h != "pyarrow.lib"]
    script = (ROOT / "packaging" / "build-bundle.sh").read_text()
    for name in hook["LEFT_OUT"][:8]:  # the build excludes the same modules
        assert f"--exclude-module {name} " in script


def _site_lib(pattern: str) -> Path:
    import numpy

    site = Path(numpy.__file__).parents[1]
    found = sorted(site.glob(pattern))
    if not found or shutil.which("strip") is None:
        pytest.skip(f"no {pattern} here, or no strip")
    return found[0]


def test_strip_keeps_libraries_loadable(tmp_path):
    """A plain extension library is stripped and still loads; a patchelf-rewritten one
    (numpy's vendored OpenBLAS), which ``strip`` would make unloadable, is left as it is."""
    import ctypes

    import strip_libs

    plain = tmp_path / "_cext.so"
    shutil.copy2(_site_lib("kiwisolver/_cext*.so"), plain)
    before = plain.stat().st_size
    assert strip_libs.strip_one(plain) > 0 and plain.stat().st_size < before
    assert strip_libs.loadable(plain)
    ctypes.CDLL(str(plain))  # the dynamic loader takes it
    vendored = tmp_path / "libscipy_openblas64_.so"
    shutil.copy2(_site_lib("numpy.libs/libscipy_openblas64_*.so"), vendored)
    raw = vendored.read_bytes()
    assert strip_libs.strip_one(vendored) == 0
    assert vendored.read_bytes() == raw and strip_libs.loadable(vendored)
