"""The helper process in the desktop bundle (issue 15, point 6): a frozen app has no
interpreter to start, so it starts itself with ``--process-worker``; its entry routes that to
the worker's loop without the command line, the application or Qt, and the loop ends when
its job pipe closes. None of this needs the bundle built: the frozen form is run through
the entry script by the interpreter, as the bundle's bootloader runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from twinviewer.gui.process_worker import ProcessWorker, _helper_command, available

ENTRY = Path(__file__).resolve().parents[1] / "packaging" / "twinviewer_entry.py"
ROOT = ENTRY.parents[1]
QT_LIBS = ("libQt6", "libpyside6", "libshiboken6")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def test_helper_command_is_the_app_itself_when_frozen(monkeypatch):
    monkeypatch.setattr(sys, "executable", "/opt/twinviewer/twinviewer")
    monkeypatch.delattr(sys, "frozen", raising=False)
    assert _helper_command((7, 9)) == ["/opt/twinviewer/twinviewer", "-m",
                                       "twinviewer.gui.process_worker", "7", "9"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert _helper_command((7, 9)) == ["/opt/twinviewer/twinviewer", "--process-worker", "7",
                                       "9"]
    assert available() is (os.name == "posix")  # a frozen bundle runs jobs in a helper too


# Runs the entry's main as the bundle's bootloader would, with a job pipe closed at once:
# the worker's loop must be reached (it ends the process with code 0 when the pipe closes);
# what was imported by then is printed from its exit.
_PROBE = """
import importlib.util, json, os, sys
spec = importlib.util.spec_from_file_location("twinviewer_entry", sys.argv[1])
entry = importlib.util.module_from_spec(spec)
spec.loader.exec_module(entry)
job_r, job_w = os.pipe()
res_r, res_w = os.pipe()
os.close(job_w)
real_exit = os._exit
def probed_exit(code):
    print(json.dumps({"code": code, "modules": sorted(sys.modules)}), flush=True)
    real_exit(code)
os._exit = probed_exit
entry.main(["--process-worker", str(job_r), str(res_w)])
print(json.dumps({"returned": True}), flush=True)
"""


@pytest.mark.skipif(os.name != "posix", reason="the helper's pipes are POSIX descriptors")
def test_entry_routes_process_worker_to_the_loop_without_qt():
    out = subprocess.run([sys.executable, "-c", _PROBE, str(ENTRY)], capture_output=True,
                         text=True, timeout=120, env=_env(), stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen.get("code") == 0, seen  # the loop ran and ended on the closed pipe
    modules = seen["modules"]
    assert "twinviewer.gui.process_worker" in modules
    assert not [m for m in modules if m.split(".")[0] in ("PySide6", "shiboken6")]
    assert "twinviewer.gui" not in modules  # its __init__ sets up Qt for the app
    assert "twinviewer.cli" not in modules  # no command line, so no application or window


def test_entry_refuses_a_helper_call_without_its_pipes():
    out = subprocess.run([sys.executable, str(ENTRY), "--process-worker", "jobs"],
                         capture_output=True, text=True, timeout=120, env=_env(),
                         stdin=subprocess.DEVNULL)
    assert out.returncode == 2
    assert "--process-worker: expected two pipe descriptors" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_frozen_app_runs_jobs_in_its_own_helper(monkeypatch, tmp_path):
    """The frozen form end to end: the 'app' is the entry script behind an executable."""
    app = tmp_path / "twinviewer"
    app.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{ENTRY}" "$@"\n')
    app.chmod(0o755)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(app))
    worker = ProcessWorker("bundle helper (test)")
    try:
        pid = worker.call("os:getpid", {}, with_progress=False)
        assert pid == worker.pid != os.getpid()
        assert worker.call("textwrap:dedent", {"text": "  in the helper"},
                           with_progress=False) == "in the helper"
        maps = Path(f"/proc/{pid}/maps").read_text()
        assert not [lib for lib in QT_LIBS if lib in maps]  # no Qt loaded: no window
        proc = worker._proc
    finally:
        worker.close()
    assert proc.returncode == 0  # it ended by itself when its pipe closed (not killed)


def test_the_launcher_and_its_icon_are_valid():
    """What build-bundle.sh copies beside the executable: the desktop entry passes the
    freedesktop validator (where installed: desktop-file-utils) and names an SVG icon."""
    import configparser
    import shutil
    import xml.etree.ElementTree as ET

    desktop = ENTRY.parent / "twinviewer.desktop"
    ini = configparser.ConfigParser(interpolation=None)
    ini.optionxform = str
    ini.read(desktop)
    icon = ENTRY.parent / f"{ini['Desktop Entry']['Icon']}.svg"
    root = ET.parse(icon).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox")
    if shutil.which("desktop-file-validate") is None:
        pytest.skip("desktop-file-validate is not installed (apt: desktop-file-utils)")
    out = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr


def test_the_bundle_carries_every_folder_the_package_reads_beside_itself():
    """A module that reads ``<repository>/<folder>`` (``Path(__file__).parents[2] /
    'folder'``) finds it in a bundle only if build-bundle.sh adds it: the biv-me patient the
    demo heart is built from was missing, and a first start never showed the demo; the
    svZeroDSolver reference cases were left out, and the bundle's validate said "not
    installed"."""
    import re

    script = (ENTRY.parent / "build-bundle.sh").read_text()
    # where each --add-data puts its folder in the bundle (its source may be a build output)
    added = [Path(dest) for dest in re.findall(r'--add-data "[^":]+:([^"]+)"', script)]
    read = {Path(*re.findall(r'"([^"]+)"', m))
            for f in (ROOT / "twinviewer").rglob("*.py")
            for m in re.findall(r'parents\[2\]((?: / "[^"]+")+)', f.read_text(encoding="utf-8"))}
    assert {Path("meshes/bivme_patient1"), Path("assets/lessons")} <= read  # the scan works
    assert Path("tests/data/svzerodsolver") in read  # validate's reference cases (bundle11)
    missing = [r for r in read if not any(r.is_relative_to(a) for a in added)]
    assert not missing, f"not in the bundle: {missing}"


def test_our_pyside6_run_time_hook_leaves_the_helper_without_qt():
    """PyInstaller's own hook imported QtCore in every start of the frozen executable; ours
    (found first through --additional-hooks-dir) is skipped by the helper."""
    import ast

    hooks = ENTRY.parent / "pyinstaller-hooks"
    table = ast.literal_eval((hooks / "rthooks.dat").read_text())
    hook = hooks / "rthooks" / table["PySide6"][0]
    assert hook.is_file()
    assert '--additional-hooks-dir "$ROOT/packaging/pyinstaller-hooks"' in (
        ENTRY.parent / "build-bundle.sh").read_text()
    probe = ("import runpy, sys; sys.argv = ['twinviewer', '--process-worker', '3', '4']; "
             f"runpy.run_path({str(hook)!r}); "
             "print(sorted(m for m in sys.modules if m.startswith(('PySide6', '_pyi'))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
