"""A regulated what-if written by one process is current when another reads it (review12 #1).

The reviewer saved a regulated scenario with ``twinviewer whatif`` and ``twinviewer info``
called it "kept in the file, not current" a second later, because the stored intervention
digest followed the process's hash seed. Two processes, two different hash seeds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import twinviewer
from tests.io.conftest import make_twin
from twinviewer.io import load_twin, save_twin

ROOT = Path(twinviewer.__file__).resolve().parent.parent


def _cli(tmp_path: Path, seed: str, *args: str) -> str:
    # numpy engine: no kernel compile in the isolated cache (the digest ignores the switch)
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT), "TWINVIEWER_NUMBA": "0"}
    out = subprocess.run([sys.executable, "-m", "twinviewer", *args], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-1500:] + out.stderr[-1500:]
    return out.stdout


@pytest.mark.slow  # two CLI processes, a regulated what-if on the numpy engine (~25 s CPU)
def test_regulated_whatif_saved_by_one_process_is_current_in_another(tmp_path):
    path = save_twin(tmp_path / "p.twin", make_twin(n=8))
    _cli(tmp_path, "1", "whatif", str(path), "-i", "tavi_sapien3:size=26",
         "--regulation", "regulated")
    doc = load_twin(path)
    from twinviewer.interventions.scenario import shown_name

    regulated = [s for s in doc.twin.scenarios if s.regulation == "regulated"]
    assert regulated and all(s.name in doc.results for s in regulated)
    info = _cli(tmp_path, "2", "info", str(path))
    assert "not current" not in info, info
    line = next(x for x in info.splitlines() if x.startswith("results"))
    # named as the report names it (review12b #9: words and the response mode)
    assert all(shown_name(s) in line for s in regulated), line
