"""``packaging/setup.sh`` says at once that it needs Python 3.11+, before a venv or pip run
(review15 #5: on Ubuntu 22.04 or Debian 11 it failed late, in pip)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_setup_names_the_python_it_needs(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    old = bin_dir / "python3"  # an older distribution's python3
    old.write_text('#!/bin/sh\ncase "$*" in *--version*) echo "Python 3.10.12";; esac\n'
                   'exit 1\n')
    old.chmod(0o755)
    (bin_dir / "dpkg").write_text("#!/bin/sh\nexit 0\n")  # every system package "installed"
    (bin_dir / "dpkg").chmod(0o755)
    for tool in ("bash", "dirname", "id"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    copy = tmp_path / "repo"
    (copy / "packaging").mkdir(parents=True)
    for name in ("setup.sh", "install-system-deps.sh"):
        shutil.copy(ROOT / "packaging" / name, copy / "packaging" / name)
    out = subprocess.run([shutil.which("bash"), "packaging/setup.sh"], cwd=copy,
                         env={"PATH": str(bin_dir)}, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 1
    assert "needs Python 3.11 or newer" in out.stderr and "Python 3.10.12" in out.stderr
    assert not (copy / ".venv").exists()
