"""The model's jobs in the helper process (stall11): the what-if ensembles, the live preview
and a twin's simulation give the thread path's results bit for bit, and a whole session of
the app (demo heart → Play → calibrate → what-if → live preview → report) never imports
numba in the GUI process — the cause of the 73–278 ms stalls of a Play pressed while the
model was readied (docs/notes/stall10.md) cannot come back unnoticed."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.gui.model_jobs import (
    call_until_closed,
    live_in_process,
    live_prediction,
    ready_in_process,
    scenario_ensembles,
    scenarios_in_process,
    simulated_twin,
    use_helper,
)
from twinviewer.gui.process_worker import ProcessWorker, available
from twinviewer.physiology import simulate
from twinviewer.twins import model_of, twin_from_preset

pytestmark = pytest.mark.skipif(not available(), reason="no helper process here")

SCENARIOS = [Scenario("BB 5 mg", (InterventionStep("beta_blocker", {"dose": 5.0}),),
                      "regulated"),
             Scenario("TAVI", (InterventionStep("tavi", {"eoa": 1.8}),), "acute")]


def _same(a, b) -> None:
    """Two Results equal in every array, bit for bit (NaN where NaN)."""
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, dict):
            assert x.keys() == y.keys(), f.name
            for k in x:
                np.testing.assert_array_equal(x[k], y[k], err_msg=f"{f.name}[{k}]")
        elif isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=f.name)
        elif f.name == "model":
            assert x is y  # sent by reference: the installed model itself
        else:
            assert x == y, f.name


@pytest.fixture(scope="module")
def worker():
    w = ProcessWorker("model")
    yield w
    w.close()


def _quiet(_f, _t=""):
    return None


def test_whatif_in_the_helper_equals_the_thread_path_bit_for_bit(worker):
    twin = twin_from_preset("severe_as", n=6, seed=4)
    assert use_helper(twin)
    model = model_of(twin)
    base = simulate(model, twin.ensemble)
    here_base, here = scenario_ensembles(model, twin.ensemble, base, SCENARIOS,
                                         progress=_quiet, cancel=lambda: False)
    seen: list[float] = []
    there_base, there = scenarios_in_process(worker, model, twin.ensemble, base, SCENARIOS,
                                             progress=lambda f, t="": seen.append(f),
                                             cancel=lambda: False)
    assert here_base is base and there_base is base  # the open baseline, not a copy
    assert list(here) == list(there) == [s.name for s in SCENARIOS]
    for name in here:
        _same(here[name], there[name])
    assert seen  # progress came back
    # the curves the What-if step draws came with the results, as computed here
    from twinviewer.gui.prepared import loop_curves

    for r in (there["TAVI"], base):
        kept = r.__dict__["_loop_curves"]
        fresh = loop_curves(dataclasses.replace(r))
        assert len(kept) == len(fresh) == 6
        for a, b in zip(kept, fresh, strict=True):
            np.testing.assert_array_equal(a, b)
    # without a baseline, the helper simulates it and sends it back
    b2, r2 = scenarios_in_process(worker, model, twin.ensemble, None, SCENARIOS[1:],
                                  progress=_quiet, cancel=lambda: False)
    _same(b2, base)
    _same(r2["TAVI"], here["TAVI"])


def test_a_refused_scenario_comes_back_as_itself(worker):
    from twinviewer.interventions import InterventionError

    twin = twin_from_preset("healthy", n=2, seed=1)
    bad = Scenario("too much", (InterventionStep("beta_blocker", {"dose": 1e6}),), "acute")
    with pytest.raises(InterventionError) as here:
        live_prediction(model_of(twin), twin.params, bad, {})
    with pytest.raises(InterventionError) as there:
        live_in_process(worker, model_of(twin), twin.params, bad)
    assert str(here.value) == str(there.value)


def test_live_preview_in_the_helper_equals_the_gui_thread_path(worker):
    twin = twin_from_preset("severe_as", n=2, seed=3)
    model, kept = model_of(twin), {}
    for eoa in (1.2, 1.8, 2.4):  # each warm-starts from the last: the same sequence
        sc = Scenario("tavi", (InterventionStep("tavi", {"eoa": eoa}),), "regulated")
        _same(live_prediction(model, twin.params, sc, kept),
              live_in_process(worker, model, twin.params, sc))


def test_a_twin_simulated_in_the_helper_equals_here(worker):
    twin = twin_from_preset("hfref", n=5, seed=2)
    ready_in_process(worker, twin)
    warm = simulate(model_of(twin), twin.ensemble).final_state
    _same(simulated_twin(twin, progress=_quiet, cancel=lambda: False, warm_start=warm),
          simulated_twin(twin, progress=_quiet, cancel=lambda: False, warm_start=warm,
                         worker=worker))


def test_a_closing_window_ends_a_readying_that_never_looks_at_cancel():
    """The first start's readying compiles the kernels for ~1 min without looking at
    Cancel; a window closed meanwhile ended only when it finished (bundle14b: the start's
    exit waited 55–80 s). Here a helper job that blocks (a 60 s ``sleep``) is ended within
    seconds of the cancel, raises Cancelled, and the helper starts again for the next job."""
    import threading
    import time

    from twinviewer.physiology import Cancelled

    w = ProcessWorker("closing test")
    try:
        closed = threading.Event()
        threading.Timer(1.0, closed.set).start()
        t0 = time.monotonic()
        with pytest.raises(Cancelled):
            call_until_closed(w, "subprocess:run", {"args": ["sleep", "60"]}, closed.is_set,
                              background=True)
        assert time.monotonic() - t0 < 15.0
        assert not w.alive()
        assert call_until_closed(w, "textwrap:dedent", {"text": " x"}) == "x"
        # not cancelled: the job's own failure is raised as it was
        with pytest.raises(ValueError):
            call_until_closed(w, "json:loads", {"s": "not json"}, lambda: False)
    finally:
        w.close()


_JOURNEY = r"""
import json, os, sys, tempfile, time
from pathlib import Path
from PySide6.QtCore import QSettings
from twinviewer.core.measurement import Measurement
from twinviewer.gui import demo_heart, twin_file_actions
from twinviewer.gui.app import _app, wait_for_predictions
from twinviewer.gui.main_window import MainWindow
cache = Path(sys.argv[1])
demo_heart.cache_dir = lambda: cache
app = _app(None)
qs = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
w = MainWindow(settings=qs); w.resize(1280, 800); w.show()
assert wait_for_predictions(app, w, 600), w.last_error
def spin(until, limit=600.0):
    t0 = time.perf_counter()
    while not until():
        assert time.perf_counter() - t0 < limit, "timed out"
        app.processEvents(); time.sleep(0.01)
seen = {}
w.cine.set_playing(True)  # Play while the model is readied
t0 = time.perf_counter(); spin(lambda: time.perf_counter() - t0 > 1.0)
w.cine.set_playing(False)
spin(lambda: not w.startup_work_pending() and not w.state.jobs)
seen["readied"] = "numba" in sys.modules
w.show_step("Calibrate")
doc = w.state.session
doc.add_measurement(Measurement("SBP", 126.0, "mmHg", 8.0, "cuff, test visit"))
doc.add_measurement(Measurement("DBP", 78.0, "mmHg", 6.0, "cuff, test visit"))
twin0 = w.state.twin
cal = w.panels["Calibration"]
cal.members.setValue(32)
cal.start()
spin(lambda: (w.state.twin is not twin0 or w.last_error) and not w.state.jobs)
seen["calibrated"] = w.state.twin is not twin0
w.show_step("What-if")
p = w.panels["What-if scenarios"]
p.select_intervention("beta_blocker"); p.set_setting("dose", 5.0); p.name_edit.setText("BB")
assert p.add_scenario(), p.error_label.text()
p.run_all()
spin(lambda: "BB" in doc.scenario_results and not w.state.jobs)
n0 = p.live_updates
p.slider.setValue(p.slider.minimum() + 3)
spin(lambda: p.live_updates > n0 and not w.state.jobs)
seen["live"] = p.live_label.text()
out = Path(tempfile.mkdtemp()) / "r.pdf"
twin_file_actions.export_report(w, w.state, out)
spin(lambda: not w.state.jobs)
seen["report"] = out.exists()
seen["numba"] = "numba" in sys.modules
seen["error"] = w.last_error
doc.dirty = False
print("JOURNEY" + json.dumps(seen), flush=True)
os._exit(0)
"""


def test_a_session_never_imports_numba_in_the_gui_process(gui_cache):
    """The journey in a fresh GUI process (this test process has numba from other tests):
    numba is loaded only in the helpers, and every step still gives its result."""
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(_JOURNEY), str(gui_cache)],
                         capture_output=True, text=True, env=env, timeout=1500)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("JOURNEY")]
    assert lines, out.stdout[-2000:] + out.stderr[-4000:]
    seen = json.loads(lines[0][len("JOURNEY"):])
    assert seen["calibrated"] and seen["report"] and seen["error"] is None, seen
    assert "point estimate" in seen["live"], seen
    assert not seen["readied"] and not seen["numba"], seen


def test_metrics_intervals_kept_by_the_job_are_those_computed_here():
    """The Metrics panel reads the intervals the job computed (prepared_results); they are
    shown_interval's own, and a twin with another interval context gets its own."""
    from twinviewer.gui.prepared import prepared_results, shown_interval_of
    from twinviewer.personalize.shown import IntervalContext, shown_interval

    twin = twin_from_preset("hfref", n=12, seed=6)
    results = prepared_results(simulate(model_of(twin), twin.ensemble), twin)
    kept = results.__dict__["_shown_intervals"][1]
    assert set(kept) == set(results.metrics)
    for name, triple in kept.items():
        assert triple == shown_interval(name, results.metrics[name], results.ok, None)
    ctx = IntervalContext(atypicality=1.4, measured=frozenset({"SBP", "DBP"}))
    widened = [n for n in results.metrics if ctx.widened(n)]
    assert widened
    for name in widened:
        assert shown_interval_of(results, name, ctx) == shown_interval(
            name, results.metrics[name], results.ok, ctx) != kept.get(name)


def test_an_explanation_in_the_helper_equals_the_thread_path(worker):
    from twinviewer.gui.model_jobs import explanation, explanation_in_process

    twin = twin_from_preset("hfref", n=16, seed=8)
    results = simulate(model_of(twin), twin.ensemble)
    here = explanation(twin, "CO", results, None, {}, progress=_quiet, cancel=lambda: False)
    there = explanation_in_process(worker, twin, "CO", results, None, progress=_quiet,
                                   cancel=lambda: False)
    assert there.summary == here.summary and there.screened == here.screened
    assert there.prediction == here.prediction
    assert [b.name for b in there.basis] == [b.name for b in here.basis]
    np.testing.assert_array_equal(np.asarray(there.elasticities.values),
                                  np.asarray(here.elasticities.values))


def test_the_helper_runs_this_trees_code_whatever_the_current_folder(tmp_path, monkeypatch):
    """``python -m`` puts the current folder first on the path: an app started from another
    checkout's folder had a helper running that checkout's code ("No module named
    'twinviewer.gui.model_jobs'" from main's folder)."""
    fake = tmp_path / "twinviewer"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('the wrong twinviewer')\n")
    monkeypatch.chdir(tmp_path)
    w = ProcessWorker("model")
    try:
        assert w.call("twinviewer.gui.model_jobs:use_helper", {"twin": None},
                      with_progress=False) is False
    finally:
        w.close()


def test_a_plugin_models_twin_stays_out_of_the_helper(monkeypatch):
    """The helper loads no plug-ins: a twin of a plug-in's model (in this process's MODELS
    once its plug-in loaded) ran there and failed 'needs model … which is not installed'
    (CI, test_plugin_consumers); it runs on a worker thread here instead."""
    from twinviewer.gui.model_jobs import use_helper
    from twinviewer.physiology import presets

    twin = twin_from_preset("healthy", n=1)
    assert use_helper(twin) == available()
    plugin_model = dataclasses.replace(presets.MODELS["four_chamber_eoa"], name="plugin_loop")
    monkeypatch.setitem(presets.MODELS, "plugin_loop", plugin_model)
    twin.model_name = "plugin_loop"
    assert presets.model_for("plugin_loop", twin.model_version, twin.equation_hash) is not None
    assert not use_helper(twin)


def test_a_plugin_intervention_stays_out_of_the_helper(monkeypatch):
    """The helper loads no plug-ins, so a what-if with a plug-in's intervention (in this
    process's LIBRARY once its plug-in loaded) runs here, guarded by its plug-in's budget."""
    from twinviewer.gui.model_jobs import use_helper
    from twinviewer.interventions import library

    twin = twin_from_preset("healthy", n=1)
    monkeypatch.setitem(library.LIBRARY, "plugin_drug", library.LIBRARY["beta_blocker"])
    core = Scenario("core", (InterventionStep("beta_blocker"),))
    mixed = Scenario("mixed", (InterventionStep("beta_blocker"), InterventionStep("plugin_drug")))
    assert use_helper(twin, [core]) == available()
    assert not use_helper(twin, [core, mixed])


def test_a_kept_earlier_model_still_runs_in_the_helper():
    """A twin of ``four_chamber_eoa_src`` 3.1 (kept for its twins) is one the package ships:
    the helper runs it (review of the CORE_MODELS change)."""
    from twinviewer.gui.model_jobs import use_helper

    twin = twin_from_preset("healthy", n=1)
    twin.model_name = "four_chamber_eoa_src"
    assert use_helper(twin) == available()


def _report_twin():
    """The demo heart's anatomy (its CT image too) on a small twin, with results, the
    waveforms kept with them and a scenario."""
    from twinviewer.gui.demo_heart import demo_anatomy

    twin = twin_from_preset("healthy", n=8)
    twin = dataclasses.replace(twin, anatomy=demo_anatomy(), scenarios=[SCENARIOS[0]],
                               origin="import of Doe^Jane's study")
    from twinviewer.document import loop_series

    res = simulate(model_of(twin), twin.ensemble)
    return twin, {"results": {SCENARIOS[0].name: res},
                  "series": {SCENARIOS[0].name: loop_series(res)},
                  "written": "2026-12-07T08:00:00+00:00"}


def test_the_reports_twin_written_in_the_helper_equals_the_thread_path(worker, tmp_path):
    """The report's snapshot written in the helper is the thread path's file, bit for bit,
    with the app's registered identifiers redacted there too (the helper never saw the
    study), and encrypted with the passphrase."""
    from twinviewer.core.privacy import clear_identifiers, register_identifiers
    from twinviewer.gui.model_jobs import twin_file_written
    from twinviewer.io.twinfile import load_twin

    twin, options = _report_twin()
    register_identifiers(["Doe^Jane"])
    try:
        here, there = tmp_path / "here.twin", tmp_path / "there.twin"
        twin_file_written(here, twin, options)
        twin_file_written(there, twin, options, worker=worker)
        assert there.read_bytes() == here.read_bytes()
        assert b"Doe^Jane" not in there.read_bytes()
        assert there.stat().st_size > 50e6  # the CT went through the pipe

        secret = tmp_path / "secret.twin"
        twin_file_written(secret, twin, {**options, "passphrase": "pass phrase 12"},
                          worker=worker)
        back = load_twin(secret, passphrase="pass phrase 12").twin
        np.testing.assert_array_equal(back.anatomy.image.array, twin.anatomy.image.array)
    finally:
        clear_identifiers()


def test_the_reports_twin_refused_in_the_helper_as_here(worker, tmp_path):
    """A snapshot the writer refuses (an audit entry holding a registered identifier) is
    refused in the helper with the same error, which names the entry."""
    from twinviewer.core.privacy import clear_identifiers, register_identifiers
    from twinviewer.gui.model_jobs import twin_file_written
    from twinviewer.io.audit import audit_log
    from twinviewer.io.errors import PrivacyError

    twin = twin_from_preset("healthy", n=2)
    audit_log(twin).add_note(twin, "seen with Doe^Jane's wife")
    register_identifiers(["Doe^Jane"])
    try:
        with pytest.raises(PrivacyError) as here:
            twin_file_written(tmp_path / "a.twin", twin, {})
        with pytest.raises(PrivacyError) as there:
            twin_file_written(tmp_path / "b.twin", twin, {}, worker=worker)
        assert str(there.value) == str(here.value)
        assert not (tmp_path / "b.twin").exists()
    finally:
        clear_identifiers()


def test_the_export_writes_its_snapshot_in_the_helper_or_here_the_same(tmp_path,
                                                                      monkeypatch):
    """The report export's snapshot (:func:`twin_file_actions.write_snapshot`) goes to the
    model helper for an installed model, is written here where no helper can run or when the
    helper dies meanwhile, and is the same file each way."""
    from twinviewer.gui import model_jobs
    from twinviewer.gui.process_worker import HelperDied
    from twinviewer.gui.twin_file_actions import write_snapshot

    twin, options = _report_twin()
    sent = []
    real_call = ProcessWorker.call

    def spy(self, target, *a, **kw):
        sent.append(target)
        return real_call(self, target, *a, **kw)

    monkeypatch.setattr(ProcessWorker, "call", spy)
    write_snapshot(tmp_path / "helper.twin", twin, options)
    assert sent == ["twinviewer.gui.model_jobs:child_twin_file"]

    monkeypatch.setattr(model_jobs, "use_helper", lambda *_a: False)  # no helper here
    write_snapshot(tmp_path / "here.twin", twin, options)
    assert len(sent) == 1
    assert (tmp_path / "here.twin").read_bytes() == (tmp_path / "helper.twin").read_bytes()

    def died(self, target, *a, **kw):
        raise HelperDied("the model process ended (exit code -9)")

    monkeypatch.setattr(model_jobs, "use_helper", lambda *_a: True)
    monkeypatch.setattr(ProcessWorker, "call", died)
    write_snapshot(tmp_path / "after.twin", twin, options)
    assert (tmp_path / "after.twin").read_bytes() == (tmp_path / "here.twin").read_bytes()
