"""Digests stored in a .twin are the same in every process (review12 #1).

A regulated what-if result stores :func:`scenario_digest`; it was recomputed differently in
every new process (the walker hashed its own ``_LIBRARY_ROOTS``, a tuple built from a set, so
its order followed ``PYTHONHASHSEED``; and the numba switch's ``_compiled`` flag, which flips
after the first simulation), so ``twinviewer info`` and the report called every regulated
result stale and re-simulated it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import twinviewer

ROOT = Path(twinviewer.__file__).resolve().parent.parent

_SCRIPT = r"""
import json, sys
from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions.constants_digest import scenario_digest
from twinviewer.interventions.library import LIBRARY
from twinviewer.physiology import MODELS
from twinviewer.personalize.synthetic import prior_fingerprint

def digests():
    out = {"prior": prior_fingerprint()}
    for name in sorted(LIBRARY):
        for mode in ("acute", "regulated"):
            sc = Scenario("s", (InterventionStep(name, {}),), regulation=mode)
            out[f"{name}/{mode}"] = scenario_digest(sc)
    for m in MODELS.values():
        out["equations/" + m.name] = m.equation_hash
    return out

first = digests()
if sys.argv[1] == "simulate":  # the kernels compiled and run in this process
    from twinviewer.physiology import get_preset, simulate
    p = get_preset("healthy")
    simulate(p.model, p.vector()[None, :].repeat(2, 0))
    assert digests() == first, "digests changed after the first simulation"
print(json.dumps(first))
"""


def _digests(tmp_path: Path, pythonpath: Path, seed: str, *extra: str, numba: str = "1"):
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(pythonpath),
           "TWINVIEWER_NUMBA": numba}
    script = tmp_path / "digests.py"
    script.write_text(_SCRIPT)
    out = subprocess.run([sys.executable, str(script), *extra], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.splitlines()[-1])


def test_stored_digests_do_not_depend_on_hash_seed_install_path_or_numba(tmp_path):
    """Two hash seeds, a copy of the same sources at another path, numba on/off, and
    before/after the kernels ran: every stored digest is the same."""
    a = _digests(tmp_path, ROOT, "1", "simulate")
    b = _digests(tmp_path, ROOT, "2", "plain")
    copy = tmp_path / "elsewhere"
    shutil.copytree(ROOT / "twinviewer", copy / "twinviewer",
                    ignore=shutil.ignore_patterns("__pycache__"))
    c = _digests(tmp_path, copy, "3", "plain", numba="0")
    assert any(k.endswith("/regulated") for k in a)
    assert {k for k in a if a[k] != b[k]} == set()
    assert {k for k in a if a[k] != c[k]} == set()


def test_no_install_path_is_hashed():
    """The hashed text holds no path of this installation (moving the venv or the checkout
    must not make saved results stale)."""
    import sysconfig

    from twinviewer.interventions import baroreflex
    from twinviewer.physiology import dependencies

    parts: list[bytes] = []

    class Recorder:
        def update(self, b: bytes) -> None:
            parts.append(b)

    dependencies._walk(baroreflex.regulate, Recorder(), set())
    text = b"".join(parts).decode(errors="replace")
    roots = {sys.prefix, sys.base_prefix, str(ROOT), *sysconfig.get_paths().values()}
    assert not [r for r in roots if r and len(r) > 4 and r in text]
