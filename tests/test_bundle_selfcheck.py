"""The bundle's self-check and its trimmed VTK (bundle14): ``twinviewer --self-check`` is
routed to ``packaging/bundle_selfcheck.py``, whose verdict fails an action that ran in the
app's own process or in another executable; the VTK modules the build leaves out are none
that the app loads, the 3D view, an off-screen render and the report's figures included.
None of this needs the bundle built."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"{name}_under_test", PACKAGING / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_entry_routes_self_check_to_the_packaging_script(monkeypatch):
    entry = _load("twinviewer_entry")
    got = []
    fake = types.ModuleType("bundle_selfcheck")
    fake.main = lambda args: got.append(args) or 0
    monkeypatch.setitem(sys.modules, "bundle_selfcheck", fake)
    assert entry.main(["--self-check", "/tmp/out"]) == 0
    assert got == [["/tmp/out"]]
    assert _load("bundle_selfcheck").main([]) == 2  # no folder: usage, no window


def _record(save_pid: int, exe: str) -> tuple[dict, list]:
    job = {"helper": "model", "pid": 11, "exe": sys.executable}
    actions = {"what-if run": {"ok": True, "helper_jobs": [job]},
               "save": {"ok": True, "helper_jobs": [{"helper": "file writer", "pid": save_pid,
                                                     "exe": exe}]},
               "report export": {"ok": True, "helper_jobs": []},
               "calibration": {"ok": True, "helper_jobs": [job]}}
    started = [{"argv": [sys.executable, "-m", "twinviewer.cli", "report"], "pid": 12,
                "returncode": 0}]
    helpers = {"model": {"pid": 11, "exe": sys.executable},
               "files": {"pid": save_pid, "exe": exe}}
    return {"actions": actions, "helpers": helpers}, started


def test_the_verdict_fails_a_job_run_here_or_in_another_program():
    check = _load("bundle_selfcheck")
    me = os.getpid()
    rec, started = _record(13, sys.executable)
    assert check._verdict(rec, started, me)
    assert rec["actions"]["save"]["checked"].startswith("1 job(s) in the file writer helper")
    rec, started = _record(me, sys.executable)  # written in the app's own process
    assert not check._verdict(rec, started, me)
    assert rec["actions"]["save"]["checked"] == "no job in a file writer helper of this executable"
    rec, started = _record(13, "/usr/bin/python3-other")  # not this executable
    assert not check._verdict(rec, started, me)
    rec, started = _record(13, sys.executable)
    started[0]["returncode"] = 1  # the report process failed
    assert not check._verdict(rec, started, me)


_PROBE = """
import importlib, os, re, sys
from pathlib import Path
os.environ["QT_QPA_PLATFORM"] = "offscreen"
sys.path.insert(0, sys.argv[1])
import vtk_unused
left_out = set(vtk_unused.unused())
import pyvista as pv
root = Path(sys.argv[2])
sources = {f: f.read_text(encoding="utf-8") for f in root.rglob("*.py")}
for f, text in sources.items():  # every module of the app that uses VTK, imported
    if "vtkmodules" in text or "pyvista" in text:
        importlib.import_module(".".join(f.relative_to(root.parent).with_suffix("").parts))
pl = pv.Plotter(off_screen=True, window_size=(64, 64))
pl.add_mesh(pv.Sphere().decimate(0.5).compute_normals())
pl.add_text("x")
pl.screenshot(return_img=True)
loaded = {k.split(".", 1)[1] for k in sys.modules if k.startswith("vtkmodules.vtk")}
import vtkmodules.all as every  # now: where each VTK name the app's code uses is defined
bad = sorted(loaded & left_out)
for name in sorted({n for t in sources.values() for n in re.findall(r"\\b(vtk[A-Z]\\w+)", t)}):
    where = getattr(getattr(every, name, None), "__module__", "").rsplit(".", 1)[-1]
    if name in left_out or where in left_out:
        bad.append(name)
print(len(left_out), bad)
"""


def test_no_vtk_module_the_app_loads_is_left_out_of_the_bundle():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    out = subprocess.run([sys.executable, "-c", _PROBE, str(PACKAGING), str(ROOT / "twinviewer")],
                         capture_output=True,
                         text=True, timeout=300, env=env, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr[-2000:]
    n, overlap = out.stdout.strip().splitlines()[-1].split(" ", 1)
    assert int(n) > 20  # the list is not empty: the VTK-m accelerators, web, VR, …
    assert overlap == "[]"
    names = _load("vtk_unused").unused()
    assert "vtkAcceleratorsVTKmCore" in names
    assert not {"vtkRenderingOpenGL2", "vtkRenderingCore", "vtkFiltersCore",
                "vtkImagingStencil", "vtkRenderingAnnotation"} & set(names)


def test_the_build_leaves_out_only_what_the_list_names():
    script = (PACKAGING / "build-bundle.sh").read_text(encoding="utf-8")
    assert "--collect-all vtkmodules" not in script  # every library of VTK: 557 MB
    assert "packaging/vtk_unused.py" in script
