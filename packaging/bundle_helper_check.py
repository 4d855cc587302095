"""Run a calibration in the built bundle's own helper process and the same calibration in
this (not frozen) interpreter; print the helper's pid and executable, what it loaded, both
times and whether the results are equal (exit 1 if they differ).

    bash packaging/build-bundle.sh
    PYTHONPATH=. .venv/bin/python packaging/bundle_helper_check.py [--members 200]
    PYTHONPATH=. .venv/bin/python packaging/bundle_helper_check.py --actions [OUT]

``--actions``: the app's own actions in the bundle's window under Xvfb (``twinviewer
--self-check``, :mod:`bundle_selfcheck`): a what-if Run and a calibration (model helper),
Save (file-writer helper), a report export (the report process), each checked for the
process it ran in; then the same in this source tree, and the two compared (the
calibration's fit table, the scenarios read back from the saved file). Exit 1 if the
bundle's check fails or the two differ.

The helper is started exactly as the frozen app starts it (``process_worker._helper_command``
with ``sys.frozen`` set and ``sys.executable`` the bundle's executable: ``twinviewer
--process-worker FD FD MODULE...``), and is sent the app's own calibration job
(``calibration_job.calibrated_in_process``) on the healthy preset with the demo heart's
measurements, as *Calibrate* runs it on the demo.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "build" / "bundle" / "dist" / "twinviewer" / "twinviewer"
QT_LIBS = ("libQt6", "libpyside6", "libshiboken6")


@contextmanager
def frozen_as(app: Path):
    """Make this interpreter start helpers as the frozen ``app`` would."""
    real = sys.executable
    sys.frozen, sys.executable = True, str(app)
    try:
        yield
    finally:
        del sys.frozen
        sys.executable = real


def _loaded(pid: int) -> dict:
    maps = Path(f"/proc/{pid}/maps").read_text()
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return {"pid": pid, "exe": os.readlink(f"/proc/{pid}/exe"),
            "qt_libraries_mapped": sorted({Path(line.split()[-1]).name for line in
                                           maps.splitlines() if any(q in line for q in QT_LIBS)}),
            "cpu_s": round((int(stat[11]) + int(stat[12])) / tick, 2)}


def _same(a, b) -> list[str]:
    (r1, res1, new1), (r2, res2, new2) = a, b
    diff = []
    if not np.array_equal(r1.ensemble, r2.ensemble):
        diff.append("posterior ensemble")
    if [(f.label, f.median, f.z) for f in r1.fit] != [(f.label, f.median, f.z) for f in r2.fit]:
        diff.append("fit table")
    if (new1 is None) != (new2 is None):
        diff.append("calibrated twin made on one side only")
    elif new1 is not None:
        if not np.array_equal(new1.params, new2.params):
            diff.append("calibrated twin's parameters")
        diff += [f"results {k}" for k in res1.series
                 if not np.array_equal(res1.series[k], res2.series[k])]
    return diff


def _self_check(command: list[str], out: Path) -> dict:
    """Run ``command OUT`` under Xvfb with its own data and settings folders (the user
    cache kept: a warm start); its ``selfcheck.json`` with the wall time and exit code."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_DATA_HOME=str(out / "data"),
               XDG_CONFIG_HOME=str(out / "config"))
    t = time.perf_counter()
    proc = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24", *command,
                           str(out)], env=env, capture_output=True, text=True, timeout=1800)
    rec = {"exit_code": proc.returncode, "wall_s": round(time.perf_counter() - t, 1),
           "output": proc.stdout.strip().splitlines()[-8:]}
    try:
        rec.update(json.loads((out / "selfcheck.json").read_text()))
    except (OSError, ValueError) as exc:
        rec["error"] = f"no selfcheck.json ({exc}); stderr: {proc.stderr[-800:]}"
    return rec


def _imported(command: list[str], study: Path, out: Path) -> dict:
    """``twinviewer import STUDY --json`` (segmentation, meshes, volumes: the imaging
    path's VTK filters) run by ``command``: what it found, or the error."""
    proc = subprocess.run([*command, "import", str(study), "--out", str(out), "--json"],
                          capture_output=True, text=True, timeout=900,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        got = json.loads(proc.stdout)
    except ValueError:
        return {"error": f"exit {proc.returncode}: {proc.stderr[-600:]}"}

    # what the imaging path found (the pseudonym and stored paths differ by design)
    return {k: got.get(k) for k in ("stack", "structures", "measurements", "notes")}


def check_actions(app: Path, out: Path) -> int:
    """The bundle's self-check, then the source tree's; a DICOM study imported by both;
    print both and the comparison."""
    bundle = _self_check([str(app), "--self-check"], out / "bundle")
    source = _self_check([sys.executable, str(ROOT / "packaging" / "bundle_selfcheck.py")],
                         out / "source")
    from twinviewer.imaging.demo import write_demo_study

    write_demo_study(out / "study", shape=(48, 80, 80), spacing=(3.4, 2.0, 2.0))
    imports = {"bundle": _imported([str(app)], out / "study", out / "import-bundle"),
               "source": _imported([sys.executable, "-m", "twinviewer"], out / "study",
                                   out / "import-source")}

    def numbers(rec: dict) -> dict:
        acts = rec.get("actions", {})
        return {"fit": acts.get("calibration", {}).get("fit"),
                "scenarios_read_back": acts.get("save", {}).get("scenarios_read_back")}

    diff = [k for k, v in numbers(bundle).items() if v != numbers(source)[k]]
    if "error" in imports["bundle"] or imports["bundle"] != imports["source"]:
        diff.append("DICOM import")
    summary = {"load": os.getloadavg(),
               "bundle": {k: bundle.get(k) for k in ("ok", "exit_code", "wall_s", "error")},
               "source": {k: source.get(k) for k in ("ok", "exit_code", "wall_s", "error")},
               "actions": {name: {"bundle": a.get("checked", a.get("error")),
                                  "bundle_s": a.get("wall_s"),
                                  "source_s": source.get("actions", {}).get(name, {})
                                  .get("wall_s")}
                           for name, a in bundle.get("actions", {}).items()},
               "helpers (bundle)": bundle.get("helpers"),
               "DICOM import (bundle)": {k: imports["bundle"].get(k)
                                         for k in ("error", "measurements")
                                         if k in imports["bundle"]},
               "same numbers": not diff, "differs_in": diff}
    print(json.dumps(summary, indent=1))
    return 0 if bundle.get("ok") and bundle.get("exit_code") == 0 and not diff else 1


def main(argv: list[str] | None = None) -> int:
    """Compare the bundle's helper with this interpreter; print a JSON summary."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--app", type=Path, default=APP, help="the bundle's executable")
    ap.add_argument("--members", type=int, default=200, help="calibration ensemble size")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--actions", nargs="?", const="", metavar="OUT",
                    help="check the app's actions in the bundle's window (see above)")
    args = ap.parse_args(argv)
    if not os.access(args.app, os.X_OK):
        print(f"no bundle at {args.app}: run packaging/build-bundle.sh first", file=sys.stderr)
        return 2
    if args.actions is not None:
        out = Path(args.actions or tempfile.mkdtemp(prefix="twinviewer-check-"))
        return check_actions(args.app, out)
    from twinviewer.gui.calibration_job import WARM, calibrated_in_process
    from twinviewer.gui.calibration_job import calibrated_with_results as in_this_process
    from twinviewer.gui.demo_heart import demo_anatomy
    from twinviewer.gui.process_worker import ProcessWorker
    from twinviewer.twins import twin_from_preset

    out: dict = {"app": str(args.app), "members": args.members, "seed": args.seed,
                 "this_pid": os.getpid(), "load": os.getloadavg()}
    # 1. the bare helper: what the entry loads before any job, and that it ends by itself
    bare = ProcessWorker("bundle helper")
    with frozen_as(args.app):
        t = time.perf_counter()
        pid = bare.call("os:getpid", {}, with_progress=False)
    out["bare_helper"] = dict(_loaded(pid), first_reply_s=round(time.perf_counter() - t, 2))
    proc = bare._proc
    bare.close()
    out["bare_helper"]["exit_code_after_pipe_closed"] = proc.returncode
    # 2. the app's calibration job in the bundle's warm helper, then the same here
    twin = twin_from_preset("healthy", n=args.members, anatomy=demo_anatomy())
    kw = dict(n=args.members, seed=args.seed, prior=None, cancel=lambda: False)
    worker = ProcessWorker("calibration (bundle)", WARM)
    try:
        with frozen_as(args.app):
            t = time.perf_counter()
            worker.start()
            worker.call("os:getpid", {}, with_progress=False)  # the warm imports done
        warm_s = time.perf_counter() - t
        cpu0, t = os.times(), time.perf_counter()
        frozen = calibrated_in_process(worker, twin, progress=lambda f, s="": None, **kw)
        cpu1 = os.times()
        out["bundle_helper"] = dict(_loaded(worker.pid), warm_start_s=round(warm_s, 2),
                                    calibration_s=round(time.perf_counter() - t, 2),
                                    this_process_cpu_meanwhile_s=round(
                                        cpu1.user + cpu1.system - cpu0.user - cpu0.system, 2))
    finally:
        worker.close()
    t = time.perf_counter()
    here = in_this_process(twin, progress=lambda f, s="": None, **kw)
    out["not_frozen_in_process_s"] = round(time.perf_counter() - t, 2)
    diff = _same(here, frozen)
    out["equal"], out["differs_in"] = not diff, diff
    out["fit"] = [(f.label, round(float(f.median), 3), round(float(f.z), 3))
                  for f in frozen[0].fit][:6]
    print(json.dumps(out, indent=1))
    return 0 if not diff else 1


if __name__ == "__main__":
    sys.exit(main())
