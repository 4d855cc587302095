"""Crash safety: the previous file survives a writer killed at any moment."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from twinviewer.core.atomic import atomic_write_bytes, private_dir, sweep_temp_files
from twinviewer.io import load_twin

SAVER = textwrap.dedent("""
    import sys
    import numpy as np
    from twinviewer.core.twin import Twin
    from twinviewer.io import ParameterInfo, save_twin

    path = sys.argv[1]
    table = [ParameterInfo(f"p{i}", "mL", (0.0, 1e9)) for i in range(45)]
    rng = np.random.default_rng(0)
    twin = Twin("virtual-crash", "m", "1", "h", np.ones(45),
                rng.uniform(0, 1, (40000, 45)))  # 40000 x 45 float64 = 14 MB per save
    i = 0
    while True:
        twin.origin = f"gen-{i}"
        save_twin(path, twin, parameters=table)
        print(i, flush=True)
        i += 1
""")


@pytest.mark.slow  # five writer processes saving 14 MB files in a loop
def test_kill_minus_9_mid_save_leaves_a_loadable_file(tmp_path):
    path = tmp_path / "big.twin"
    rng = random.Random(7)
    for _round in range(5):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(path)],
                                stdout=subprocess.PIPE, text=True)
        try:
            proc.stdout.readline()  # at least one save completed in this round
            time.sleep(rng.uniform(0.0, 0.35))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        done = [int(n) for n in proc.stdout.read().split()]  # saves reported meanwhile
        proc.stdout.close()
        doc = load_twin(path)  # a complete version: the last reported, or the one after it
        last = done[-1] if done else 0  # whose replace may have landed before the kill
        assert doc.twin.origin in (f"gen-{last}", f"gen-{last + 1}")
        assert doc.twin.ensemble.shape == (40000, 45)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "big.twin"]
    # a killed writer may leave its own temp file, never a damaged target ...
    assert all(n.startswith(".big.twin.") and n.endswith(".tmp") for n in leftovers)
    # ... and the next save (or start) removes it, whatever its age
    for p in tmp_path.glob(".*.tmp"):
        os.utime(p, (time.time() - 5, time.time() - 5))
    atomic_write_bytes(path, path.read_bytes())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.twin"]


def test_failed_replace_keeps_old_file_and_removes_temp(tmp_path, monkeypatch):
    target = tmp_path / "f.bin"
    atomic_write_bytes(target, b"old")
    os.chmod(target, 0o640)

    def boom(a, b):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="cannot write .*f.bin: No space left on device"):
        atomic_write_bytes(target, b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["f.bin"]
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new" and (target.stat().st_mode & 0o777) == 0o640


def test_temp_files_of_dead_writers_are_swept_whatever_their_age(tmp_path):
    import fcntl

    dead, live, fresh = (tmp_path / f".f.bin.{s}.tmp" for s in ("abc", "def", "ghi"))
    for p in (dead, live, fresh):
        p.write_bytes(b"x")
    two_s_ago = time.time() - 2
    os.utime(dead, (two_s_ago, two_s_ago))
    os.utime(live, (two_s_ago, two_s_ago))
    with open(live, "rb") as held:  # a writer still at work holds the lock
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        atomic_write_bytes(tmp_path / "f.bin", b"data")
        assert not dead.exists() and live.exists() and fresh.exists()
    os.utime(live, (two_s_ago, two_s_ago))
    assert sweep_temp_files(tmp_path) == 1 and not live.exists()


def test_written_files_and_stores_are_private(tmp_path):
    store = private_dir(tmp_path / "store" / "sub")
    assert (store.stat().st_mode & 0o777) == 0o700
    target = store / "f.bin"
    atomic_write_bytes(target, b"data")
    assert (target.stat().st_mode & 0o777) == 0o600
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    os.chmod(loose, 0o755)
    assert (private_dir(loose).stat().st_mode & 0o777) == 0o700
