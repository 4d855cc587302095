"""The installation's prepared cache for every account (``twinviewer/prepared_cache.py``).

``setup.sh`` stages the installing account's compiled kernels (of this code only) into the
virtual environment; another account's first ``twinviewer`` command copies them into its own
empty cache, and numba loads them without compiling. The bundle's side (the same module, used
by ``packaging/bundle_prepared.py``) is tested in ``test_bundle_prepared.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from twinviewer import prepared_cache


def _staged(root: Path) -> Path:
    user = root / "user"
    (user / "kernels" / "__pycache__").mkdir(parents=True)
    (user / "kernels" / "twinviewer_kernel_x_1.py").write_text("x = 1")
    (user / "kernels" / "__pycache__" / "twinviewer_kernel_x_1.kernel-3.py311.nbi").write_bytes(
        b"index")
    (user / "kernels" / "twinviewer_kernel_x_0.py").write_text("x = 0")  # older code's
    return user


def test_stage_keeps_only_what_the_filter_keeps(tmp_path):
    user = _staged(tmp_path)
    manifest = prepared_cache.stage(user, tmp_path / "p",
                                    only=lambda rel: rel.name.split(".")[0].endswith("_1"))
    assert sorted(manifest["files"]) == [
        "kernels/__pycache__/twinviewer_kernel_x_1.kernel-3.py311.nbi",
        "kernels/twinviewer_kernel_x_1.py"]
    assert not (tmp_path / "p" / "kernels" / "twinviewer_kernel_x_0.py").exists()


def test_installed_prefers_the_variable_then_the_venv(tmp_path, monkeypatch):
    prepared_cache.stage(_staged(tmp_path), tmp_path / "venv" / "share" / "twinviewer" /
                         prepared_cache.FOLDER)
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    monkeypatch.delenv(prepared_cache.ENV, raising=False)
    assert prepared_cache.installed() == prepared_cache.venv_folder()
    monkeypatch.setenv(prepared_cache.ENV, str(tmp_path / "elsewhere"))
    assert prepared_cache.installed() is None  # named, but holds no manifest
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "no-venv"))
    monkeypatch.delenv(prepared_cache.ENV)
    assert prepared_cache.installed() is None and prepared_cache.seed() == []


def test_staged_files_are_readable_by_every_account(tmp_path):
    """A user cache's own files may be private (the .twin files are 0600) and the installing
    account's umask strict: the staged folder is for every account all the same."""
    user = _staged(tmp_path)
    private = user / "kernels" / "twinviewer_kernel_x_1.py"
    private.chmod(0o600)
    old = os.umask(0o077)
    try:
        prepared_cache.stage(user, tmp_path / "p")
    finally:
        os.umask(old)
    p = tmp_path / "p"
    assert (p / "kernels" / "twinviewer_kernel_x_1.py").stat().st_mode & 0o777 == 0o644
    assert (p / prepared_cache.MANIFEST).stat().st_mode & 0o777 == 0o644
    assert {d.stat().st_mode & 0o777 for d in (p, p / "kernels", p / "kernels" / "__pycache__")
            } == {0o755}


def test_a_file_this_account_cannot_read_is_skipped_not_fatal(tmp_path, monkeypatch):
    prepared_cache.stage(_staged(tmp_path), tmp_path / "p")
    locked = tmp_path / "p" / "kernels" / "twinviewer_kernel_x_0.py"
    locked.chmod(0)
    if os.geteuid() == 0:  # root reads every file: refused as the kernel refuses others
        read = Path.read_bytes

        def refuse(self):
            if self == locked:
                raise PermissionError(13, "Permission denied", str(self))
            return read(self)

        monkeypatch.setattr(Path, "read_bytes", refuse)
    copied = prepared_cache.seed(tmp_path / "p", tmp_path / "cache")
    assert "kernels/twinviewer_kernel_x_1.py" in copied
    assert "kernels/twinviewer_kernel_x_0.py" not in copied


def test_unreadable_manifest_is_said_and_not_fatal(tmp_path, capsys):
    bad = tmp_path / "p"
    bad.mkdir()
    (bad / prepared_cache.MANIFEST).write_text("{not json")
    assert prepared_cache.seed(bad, tmp_path / "cache") == []
    err = capsys.readouterr().err
    assert "unreadable" in err and "manifest.json" in err and "compile at first use" in err


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("NUMBA_") and k != "TWINVIEWER_CACHE_DIR"}
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return {**env, **extra}


def test_the_twinviewer_command_seeds_a_new_accounts_cache(tmp_path):
    """Any ``twinviewer`` command (here ``--help``) copies the installation's files into an
    empty cache first, and leaves a file the account has alone."""
    prepared_cache.stage(_staged(tmp_path), tmp_path / "p")
    cache = tmp_path / "account"
    own = cache / "twinviewer" / "kernels" / "twinviewer_kernel_x_0.py"
    own.parent.mkdir(parents=True)
    own.write_text("the account's own")
    run = subprocess.run([sys.executable, "-m", "twinviewer", "--help"], capture_output=True,
                         text=True, timeout=300,
                         env=_env(TWINVIEWER_PREPARED_CACHE=str(tmp_path / "p"),
                                  XDG_CACHE_HOME=str(cache)))
    assert run.returncode == 0, run.stderr
    kernels = cache / "twinviewer" / "kernels"
    assert (kernels / "twinviewer_kernel_x_1.py").read_text() == "x = 1"
    assert own.read_text() == "the account's own"
    src = tmp_path / "p" / "kernels" / "twinviewer_kernel_x_1.py"
    assert (kernels / "twinviewer_kernel_x_1.py").stat().st_mtime_ns == src.stat().st_mtime_ns
    assert len(list((cache / "twinviewer" / "prepared").iterdir())) == 1  # the done mark


@pytest.mark.slow
def test_staged_kernels_make_a_new_accounts_first_simulation_compile_nothing(tmp_path):
    """What ``setup.sh`` stages (:func:`twinviewer.warmup.stage_prepared`, from the test
    account's own kernel cache) lets an account with an empty cache run ``twinviewer
    simulate`` with numba loading every kernel from the copies and compiling none."""
    from twinviewer.warmup import stage_prepared

    manifest = stage_prepared(tmp_path / "p", log=lambda s: None)
    kinds = {Path(f).name.split("_")[1] for f in manifest["files"] if f.endswith(".py")}
    assert {"kernel", "observer"} <= kinds  # and any other this cache holds (svzerod in CI)
    cache = tmp_path / "account"
    run = subprocess.run([sys.executable, "-m", "twinviewer", "simulate", "--preset",
                          "healthy"], capture_output=True, text=True, timeout=900,
                         env=_env(TWINVIEWER_PREPARED_CACHE=str(tmp_path / "p"),
                                  XDG_CACHE_HOME=str(cache), NUMBA_DEBUG_CACHE="1"))
    assert run.returncode == 0, run.stderr
    log = run.stdout + run.stderr
    assert "data loaded from" in log
    assert "data saved to" not in log  # numba compiled (and saved) nothing
    staged = json.loads((tmp_path / "p" / prepared_cache.MANIFEST).read_text())["files"]
    assert all((cache / "twinviewer" / f).is_file() for f in staged)
