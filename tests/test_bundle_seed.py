"""The desktop bundle's first start (issue 15, point 4): the demo's cache files are prepared
when the bundle is built and shipped read-only (``demo_cache/`` with a manifest); a start
with an empty user cache copies them in when the manifest's keys are its own, and computes
them as before when not. ``twinviewer --warm-up`` is the frozen ``python -m
twinviewer.warmup``. None of this needs the bundle built."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import twinviewer.gui.demo_heart as demo
from twinviewer import warmup
from twinviewer.io.twinfile import save_twin
from twinviewer.twins import twin_from_preset

ENTRY = Path(__file__).resolve().parents[1] / "packaging" / "twinviewer_entry.py"


@pytest.fixture
def bundled(tmp_path, monkeypatch):
    """A bundle's prepared folder holding a (small, uncalibrated) demo twin under the name
    the app looks for, with a manifest of this app's keys; the memo of checked folders
    emptied."""
    folder = tmp_path / "bundle" / "demo_cache"
    folder.mkdir(parents=True)
    name = demo._demo_twin_path(folder).name
    save_twin(folder / name, twin_from_preset(demo.DEMO_PRESET, n=4,
                                              pseudonym=demo.DEMO_PSEUDONYM))
    manifest = {"keys": demo.seed_keys(), "files": {name: demo._file_sha(folder / name)}}
    (folder / demo.SEED_MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    monkeypatch.setattr(demo, "BUNDLED_CACHE", folder)
    monkeypatch.setattr(demo, "_seed_ok", {})
    return folder


def _manifest(folder: Path) -> dict:
    return json.loads((folder / demo.SEED_MANIFEST).read_text(encoding="utf-8"))


def test_an_empty_user_cache_is_filled_from_the_bundle(bundled, tmp_path):
    cache = tmp_path / "user_cache"  # a new user: not even the folder exists
    twin = demo.load_demo_twin(cache)
    assert twin is not None and twin.pseudonym == demo.DEMO_PSEUDONYM
    assert twin.ensemble.shape[0] == 4  # the bundle's twin, not a calibration of 200
    copied = cache / demo._demo_twin_path(cache).name
    assert copied.read_bytes() == (bundled / copied.name).read_bytes()


def test_the_users_own_cache_file_wins(bundled, tmp_path):
    cache = tmp_path / "user_cache"
    cache.mkdir()
    own = cache / demo._demo_twin_path(cache).name
    save_twin(own, twin_from_preset(demo.DEMO_PRESET, n=3, pseudonym=demo.DEMO_PSEUDONYM))
    before = own.read_bytes()
    assert demo.load_demo_twin(cache).ensemble.shape[0] == 3
    assert own.read_bytes() == before


@pytest.mark.parametrize("key", ["equation_hash", "sources", "version", "numpy"])
def test_prepared_files_of_other_code_are_refused(bundled, tmp_path, key, caplog):
    """A bundle whose prepared files were made by other code (another model, prior,
    calibration or numpy) falls back to computing them: nothing copied, no twin."""
    manifest = _manifest(bundled)
    manifest["keys"][key] = "something else"
    (bundled / demo.SEED_MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    cache = tmp_path / "user_cache"
    assert demo.load_demo_twin(cache) is None
    assert not cache.exists() or not any(cache.iterdir())
    assert "made by other code" in caplog.text
    assert str(tmp_path) not in caplog.text  # review11b #11: no home-folder paths in the log


def test_a_cache_that_cannot_be_written_is_logged_without_its_path(bundled, tmp_path,
                                                                  monkeypatch, caplog):
    """review11b #11: the copy's failure logged the bundle's and cache's absolute paths (a
    home folder names the user); now the file's name and the error with paths removed."""
    import shutil

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(shutil, "copyfile", refuse)
    cache = tmp_path / "user_cache"
    assert demo.load_demo_twin(cache) is not None  # read from the bundle's own copy
    assert "could not copy" in caplog.text and "Permission denied" in caplog.text
    assert str(tmp_path) not in caplog.text


def test_a_damaged_or_unlisted_prepared_file_is_refused(bundled, tmp_path):
    name = demo._demo_twin_path(bundled).name
    with open(bundled / name, "ab") as f:
        f.write(b"\0")  # its digest no longer the manifest's
    assert demo.load_demo_twin(tmp_path / "a") is None
    manifest = _manifest(bundled)
    manifest["files"] = {}
    (bundled / demo.SEED_MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    demo._seed_ok.clear()
    assert demo.load_demo_twin(tmp_path / "b") is None


def test_a_missing_or_broken_manifest_is_refused(bundled, tmp_path, caplog):
    (bundled / demo.SEED_MANIFEST).write_text("{not json", encoding="utf-8")
    assert demo.load_demo_twin(tmp_path / "a") is None
    assert "unreadable" in caplog.text
    (bundled / demo.SEED_MANIFEST).unlink()
    demo._seed_ok.clear()
    assert demo.load_demo_twin(tmp_path / "b") is None


def test_results_and_anatomy_are_looked_up_in_the_bundle_too(bundled, tmp_path):
    """Every demo cache file goes through the same lookup: the stored results (checked
    against the twin's ensemble, as from the user cache) and the anatomy."""
    from twinviewer.twins import simulate_twin

    twin = demo.load_demo_twin(tmp_path / "seed")
    results = simulate_twin(twin)
    stored = demo.store_results(twin, results, bundled)
    manifest = _manifest(bundled)
    manifest["files"][stored.name] = demo._file_sha(stored)
    (bundled / demo.SEED_MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    demo._seed_ok.clear()
    cache = tmp_path / "user_cache"
    got = demo.load_stored_results(twin, cache)
    assert got is not None and (cache / stored.name).exists()
    assert all(np.array_equal(got.series[k], v) for k, v in results.series.items())


def test_warm_shaders_runs_the_frozen_app_itself(monkeypatch):
    """A frozen bundle has no interpreter for ``-m``: the warm-up's window is the bundle's
    executable with ``screenshot``."""
    ran = []
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setattr(subprocess, "run",
                        lambda cmd, **kw: ran.append(cmd) or subprocess.CompletedProcess(cmd, 0))
    monkeypatch.setattr(sys, "executable", "/opt/twinviewer/twinviewer")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert warmup.warm_shaders() is True
    assert ran[-1][:3] == ["/opt/twinviewer/twinviewer", "screenshot", "-o"]
    monkeypatch.delattr(sys, "frozen")
    warmup.warm_shaders()
    assert ran[-1][:4] == ["/opt/twinviewer/twinviewer", "-m", "twinviewer", "screenshot"]


def test_the_entry_routes_warm_up_to_the_warmup(monkeypatch):
    spec = importlib.util.spec_from_file_location("twinviewer_entry_seed_test", ENTRY)
    entry = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(entry)
    got = []
    monkeypatch.setattr(warmup, "main", lambda args: got.append(args) or 0)
    assert entry.main(["--warm-up", "--seed", "x"]) == 0
    assert got == [["--seed", "x"]]


def test_the_build_prepares_and_ships_the_demo_files_and_install_warms_up():
    script = (ENTRY.parent / "build-bundle.sh").read_text(encoding="utf-8")
    seed = script.index("-m twinviewer.warmup --seed")
    assert seed < script.index("-m PyInstaller")  # made before the bundle takes them
    assert '--add-data "$OUT/demo_cache:demo_cache"' in script
    install = script[script.index("install-desktop-entry.sh\" <<'SH'"):]
    assert '"$HERE/twinviewer" --warm-up' in install
