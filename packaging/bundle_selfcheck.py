"""The app's own actions run in its window, each checked for the process it ran in: the
frozen bundle's ``twinviewer --self-check OUT`` (``packaging/twinviewer_entry.py``), or the
source install's ``python packaging/bundle_selfcheck.py OUT``, under a (virtual) display.

On the demo heart: a what-if **Run** (the model helper), **Save** (the file-writer helper;
the file read back, its scenario with it), a **report** export (the ``twinviewer report``
process); then a preset twin on the demo anatomy, simulated (model helper) and
**calibrated** (the model helper); a cohort table written and read as Parquet. Each helper
job is recorded with the pid and executable of the process it ran in (``/proc/PID/exe``);
each process started with its command line.
Writes ``OUT/selfcheck.json`` (and ``OUT/window.png``, the window at the end) and exits
0 when every action finished in a process of its own that is this executable, else 1.

    xvfb-run -a build/bundle/dist/twinviewer/twinviewer --self-check /tmp/check
    PYTHONPATH=. xvfb-run -a .venv/bin/python packaging/bundle_selfcheck.py /tmp/check-src

``packaging/bundle_helper_check.py --actions`` runs both and compares their numbers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

#: Longest wait for one action, s (a calibration on a loaded 2-core machine takes ~1 min).
TIMEOUT_S = 600.0


def _exe(pid: int | None) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except (OSError, TypeError):
        return None


def _wait(app, until, what: str, window, timeout_s: float = TIMEOUT_S) -> float:
    """Process events until ``until()``; the wall time, s (raises on time-out or error)."""
    t0 = time.perf_counter()
    while not until():
        app.processEvents()
        time.sleep(0.02)
        if time.perf_counter() - t0 > timeout_s:
            raise TimeoutError(f"{what}: not done in {timeout_s:.0f} s "
                               f"(last error: {window.last_error})")
    return round(time.perf_counter() - t0, 2)


def run(out: Path) -> dict:
    """Run the actions in a new main window; the record (also written to ``out``).

    The window has its own settings, plug-in approvals, autosave and data under ``out``
    (final14 #5: it used the user's, and closing it replaced the user's saved layout); only
    the caches (compiled kernels, the demo's prepared files) are the user's."""
    out.mkdir(parents=True, exist_ok=True)
    os.environ["XDG_CONFIG_HOME"] = str((out / "config").resolve())
    os.environ["XDG_DATA_HOME"] = str((out / "data").resolve())
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication, QMessageBox

    from twinviewer.core.twin import InterventionStep, Scenario
    from twinviewer.gui import model_jobs, twin_file_actions
    from twinviewer.gui.app import _app, grab_window, wait_for_predictions
    from twinviewer.gui.main_window import MainWindow
    from twinviewer.gui.process_worker import ProcessWorker
    from twinviewer.io.twinfile import load_twin
    from twinviewer.twins import twin_from_preset

    out.mkdir(parents=True, exist_ok=True)
    me = os.getpid()
    jobs: list[dict] = []  # each helper job: target, helper, pid, exe
    started: list[dict] = []  # each process started: argv, pid, the Popen
    real_call, real_popen = ProcessWorker.call, subprocess.Popen

    def call(self, target, *a, **kw):
        try:
            return real_call(self, target, *a, **kw)
        finally:
            jobs.append({"target": target, "helper": self.name, "pid": self.pid,
                         "exe": _exe(self.pid)})

    class Popen(real_popen):  # records what the app starts (helpers, the report)
        def __init__(self, args, *a, **kw):
            super().__init__(args, *a, **kw)
            started.append({"argv": [str(x) for x in args][:4], "pid": self.pid,
                            "popen": self})

    ProcessWorker.call = call
    subprocess.Popen = Popen
    QMessageBox.question = staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard)
    rec: dict = {"frozen": bool(getattr(sys, "frozen", False)), "executable": sys.executable,
                 "pid": me, "actions": {}, "ok": False}
    app = _app(sys.argv[:1])
    assert isinstance(app, QApplication)
    window = MainWindow(load_demo=True, settings=QSettings(
        str(out / "settings.ini"), QSettings.Format.IniFormat))
    window.resize(1600, 1000)
    window.show()
    messages: list[tuple[str, str]] = []
    doc = window.state.session
    real_message = doc.message

    def message(level, text, *a, **kw):
        messages.append((level, text))
        return real_message(level, text, *a, **kw)

    doc.message = message

    def action(name: str, fn) -> None:
        n_jobs, n_started = len(jobs), len(started)
        t0 = time.perf_counter()
        entry: dict = {}
        try:
            entry.update(fn() or {})
            entry["ok"] = True
        except Exception as exc:  # noqa: BLE001 - recorded, the next action still runs
            entry.update(ok=False, error=f"{type(exc).__name__}: {exc}")
        entry["wall_s"] = round(time.perf_counter() - t0, 2)
        entry["helper_jobs"] = jobs[n_jobs:]
        entry["processes_started"] = [{k: v for k, v in s.items() if k != "popen"}
                                      for s in started[n_started:]]
        rec["actions"][name] = entry

    def demo():
        if not wait_for_predictions(app, window, TIMEOUT_S):
            raise RuntimeError(f"predictions did not arrive: {window.last_error}")
        return {"pseudonym": doc.twin.pseudonym}

    def whatif():
        doc.add_scenario(Scenario("Beta-blocker 5 mg",
                                  (InterventionStep("beta_blocker", {"dose": 5.0}),),
                                  "regulated"))
        window.show_step("What-if")
        _wait(app, lambda: "What-if scenarios" in window.panels, "What-if step", window)
        panel = window.panels["What-if scenarios"]
        panel.run_all()
        _wait(app, lambda: panel.job is None and not window.state.jobs, "what-if Run", window)
        res = doc.scenario_results.get("Beta-blocker 5 mg")
        if res is None:
            raise RuntimeError(f"no results for the scenario ({panel.failed_label.text()!r})")
        return {"scenario_results": sorted(doc.scenario_results)}

    def save():
        path = twin_file_actions.save_twin_as(window, window.state, out / "check.twin",
                                              wait=False)
        if path is None:
            raise RuntimeError(f"save not started: {messages[-1:]}")
        _wait(app, lambda: getattr(window.state, "_saving", None) is None, "Save", window)
        if doc.dirty:
            raise RuntimeError(f"the document is still unsaved: {messages[-1:]}")
        back = load_twin(path)
        return {"file_mb": round(path.stat().st_size / 1e6, 1),
                "scenarios_read_back": [sc.name for sc in back.twin.scenarios],
                "results_read_back": sorted(k for k in back.results if not k.startswith("_"))}

    def report():
        pdf = out / "check.pdf"
        n_msg = len(messages)
        twin_file_actions.export_report(window, window.state, pdf)
        _wait(app, lambda: any(t.startswith(("Report written", "Could not export"))
                               for _, t in messages[n_msg:]), "report export", window)
        said = [t for _, t in messages[n_msg:]]
        if not pdf.exists() or not any(t.startswith("Report written") for t in said):
            raise RuntimeError(f"no report: {said}")
        return {"pdf_kb": round(pdf.stat().st_size / 1e3), "said": said[-1]}

    def calibrate():
        twin = twin_from_preset("healthy", n=32, anatomy=doc.twin.anatomy)
        window.show_twin(twin)
        _wait(app, lambda: doc.results is not None and not window.state.jobs,
              "the preset twin's predictions", window)
        window.show_step("Calibrate")
        _wait(app, lambda: "Calibration" in window.panels, "Calibrate step", window)
        panel = window.panels["Calibration"]
        panel.members.setValue(32)
        panel.seed.setValue(0)
        if panel.start() is None:
            raise RuntimeError(f"calibration not started: {panel.status.text()}")
        _wait(app, lambda: doc.twin.ensemble_kind == "posterior" and not window.state.jobs,
              "calibration", window)
        return {"fit": [(f.label, round(float(f.median), 4), round(float(f.z), 4))
                        for f in panel.result.fit]}

    def parquet():  # a cohort table's round trip (the bundle ships pyarrow for Parquet only)
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pd.DataFrame({"patient": ["a", "b"], "lvef_pct": [55.0, 61.5]})
        pq.write_table(pa.Table.from_pandas(table, preserve_index=False), out / "t.parquet")
        if not pq.read_table(out / "t.parquet").to_pandas().equals(table):
            raise RuntimeError("the Parquet table read back differs")
        return {"rows": len(table)}

    try:
        for name, fn in (("demo heart with predictions", demo), ("what-if run", whatif),
                         ("save", save), ("report export", report),
                         ("calibration", calibrate), ("cohort table (Parquet)", parquet)):
            action(name, fn)
        grab_window(window, str(out / "window.png"))  # the 3D view's own pixels composited
    finally:
        ProcessWorker.call, subprocess.Popen = real_call, real_popen
    for s in started:  # the report process has ended; the helpers still run
        s["returncode"] = s["popen"].poll()
    helpers = {name: {"pid": w.pid, "exe": _exe(w.pid)}
               for name, w in model_jobs._HELPERS.items()}
    rec["helpers"] = helpers
    rec["ok"] = _verdict(rec, started, me)
    rec["messages"] = [f"{lvl}: {t}" for lvl, t in messages][-12:]
    window.state.session.dirty = False
    window.close()
    (out / "selfcheck.json").write_text(json.dumps(rec, indent=1, default=str))
    return rec


#: Which helper each action must have used (a helper job's ``helper`` name), or the report
#: process (``"report"``).
EXPECTED = {"what-if run": "model", "save": "file writer", "report export": "report",
            "calibration": "model"}


def _verdict(rec: dict, started: list[dict], me: int) -> bool:
    """Every action ran, and ran where it should: a helper job in a process that is not
    this one and is this executable; the report in a ``report`` process of this
    executable that ended with 0. Each action's ``checked`` says what was found."""
    ok = all(a.get("ok") for a in rec["actions"].values())
    exe = os.path.realpath(sys.executable)
    for name, want in EXPECTED.items():
        a = rec["actions"].get(name, {})
        if want == "report":
            runs = [s for s in started if "report" in s["argv"][1:4]
                    and os.path.realpath(s["argv"][0]) == exe and s.get("returncode") == 0]
            found = bool(runs) and a.get("ok", False)
            a["checked"] = (f"report process pid {runs[0]['pid']}, exit 0" if found
                            else "no report process of this executable ended with 0")
        else:
            runs = [j for j in a.get("helper_jobs", []) if j["helper"] == want
                    and j["pid"] not in (None, me) and j["exe"]
                    and os.path.realpath(j["exe"]) == exe]
            found = bool(runs) and a.get("ok", False)
            a["checked"] = (f"{len(runs)} job(s) in the {want} helper, pid {runs[0]['pid']}"
                            if found else f"no job in a {want} helper of this executable")
        ok = ok and found
    for h in rec["helpers"].values():  # every helper the session started
        h["this_executable"] = bool(h["exe"]) and os.path.realpath(h["exe"]) == exe
        ok = ok and h["this_executable"] and h["pid"] != me
    return ok


def main(argv: list[str] | None = None) -> int:
    """``OUT`` folder → 0 when every action ran where it should, else 1."""
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 1:
        print("usage: twinviewer --self-check OUT_FOLDER", file=sys.stderr)
        return 2
    rec = run(Path(args[0]))
    for name, a in rec["actions"].items():
        print(f"{name}: {'ok' if a['ok'] else 'FAILED'} in {a['wall_s']} s; "
              f"{a.get('checked', '')} {a.get('error', '')}".rstrip())
    print(f"self-check: {'passed' if rec['ok'] else 'FAILED'} ({args[0]}/selfcheck.json)")
    return 0 if rec["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
