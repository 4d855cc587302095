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


def test_setup_uses_the_python_named_and_refuses_an_old_one(tmp_path):
    """fix16b: an admin installing for several accounts names a Python they can all run
    (README: for several accounts); one too old is refused at once, naming it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "dpkg").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "dpkg").chmod(0o755)
    for tool in ("bash", "dirname", "id"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    old = tmp_path / "opt" / "python3.9"
    old.parent.mkdir()
    old.write_text('#!/bin/sh\ncase "$*" in *--version*) echo "Python 3.9.2";; esac\nexit 1\n')
    old.chmod(0o755)
    copy = tmp_path / "repo"
    (copy / "packaging").mkdir(parents=True)
    for name in ("setup.sh", "install-system-deps.sh"):
        shutil.copy(ROOT / "packaging" / name, copy / "packaging" / name)
    out = subprocess.run([shutil.which("bash"), "packaging/setup.sh"], cwd=copy,
                         env={"PATH": str(bin_dir), "TWINVIEWER_PYTHON": str(old)},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert f"TWINVIEWER_PYTHON={old} is not a Python 3.11" in out.stderr
    assert "Python 3.9.2" in out.stderr and not (copy / ".venv").exists()


def test_others_can_run_names_the_folder_that_closes_an_install(tmp_path):
    """What set-up says at its end: a venv whose Python lies under /root (pyenv) cannot be
    run by any other account (fix15h); the first closed folder is named."""
    script = ROOT / "packaging" / "others-can-run.sh"
    closed = tmp_path / "home" / "admin"
    (closed / "bin").mkdir(parents=True)
    python = closed / "bin" / "python3"
    python.write_text("#!/bin/sh\n")
    python.chmod(0o755)
    (tmp_path / "home").chmod(0o755)
    closed.chmod(0o700)
    link = tmp_path / "venv-python"
    link.symlink_to(python)  # the venv's bin/python is a link to its interpreter
    out = subprocess.run(["bash", str(script), str(link)], capture_output=True, text=True)
    assert out.returncode == 1 and f"{closed} (drwx------) is closed" in out.stdout
    closed.chmod(0o755)  # open: the next folder out is named, if any (pytest's own is 0700)
    out = subprocess.run(["bash", str(script), str(link)], capture_output=True, text=True)
    assert str(closed) + " " not in out.stdout
    out = subprocess.run(["bash", str(script), shutil.which("sh")], capture_output=True,
                         text=True)
    assert out.returncode == 0 and out.stdout == ""  # the system's own: every account's
