"""Plugins that hang: each call into plugin code has a time budget (made small here); past it
the plugin is named, disabled for the session (the user may keep it disabled) and the caller
carries on with its state as it was."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.plugins.helpers import contribution_folder as _folder
from twinviewer import cli
from twinviewer.plugins.budget import PluginTimeout, budget, call_within
from twinviewer.plugins.registry import DISABLED, PluginError, PluginHung
from twinviewer.plugins.watchdog import CallWatchdog, PluginHangInterrupted, culprits

#: what each kind of plugin runs "forever": a sleep (releases the interpreter lock) and a
#: pure-Python loop (holds it, but gives it up every switch interval). The loop ends after
#: 3 s so that an abandoned thread does not eat the test process's CPU for the whole run.
SLEEP = "time.sleep(30)"  # finite: a guard that failed would fail the test, not hang it
LOOP = ("import time as _t\n"
        "            _end = _t.monotonic() + 3\n"
        "            while _t.monotonic() < _end:\n"
        "                pass")


def _hang(body: str):
    """``body`` (written for the plugin templates below, 12 spaces in) as a function."""
    first, *rest = body.split("\n")
    src = "\n".join(["import time", "def hang():", "    " + first]
                    + ["    " + line[12:] for line in rest])
    ns: dict = {}
    exec(src, ns)
    return ns["hang"]


@pytest.fixture
def small_budgets(monkeypatch):
    monkeypatch.setenv("TWINVIEWER_PLUGIN_BUDGETS",
                       "explainers=0.5,readers=0.5,interventions=0.5,commands=0.5,imports=3")


def test_budgets_come_from_the_environment_and_bad_ones_are_named(monkeypatch):
    monkeypatch.setenv("TWINVIEWER_PLUGIN_BUDGETS", "readers=2.5")
    assert budget("readers") == 2.5 and budget("explainers") == 20.0
    monkeypatch.setenv("TWINVIEWER_PLUGIN_BUDGETS", "readers=soon")
    with pytest.raises(ValueError, match="'readers=soon' is not KIND=SECONDS"):
        budget("readers")


@pytest.mark.parametrize("body", [SLEEP, LOOP])
def test_call_within_gives_up_after_the_budget(body):
    hang = _hang(body)
    t0 = time.monotonic()
    with pytest.raises(PluginTimeout, match="the hang did not finish within 0.2 s"):
        call_within(hang, seconds=0.2, label="the hang")
    assert time.monotonic() - t0 < 2.0
    with pytest.raises(ZeroDivisionError):  # an exception is the caller's, as it was
        call_within(lambda: 1 / 0, seconds=5, label="x")


def test_a_hanging_reader_is_named_and_disabled_for_the_session(plugin_registry, tmp_path,
                                                                small_budgets):
    folder = _folder(tmp_path, "tv-slow-reader", f"""
        import time

        def read(path):
            {SLEEP}
        """, """
        [[contributions.readers]]
        name = "slow_labels"
        ref = "tv_slow_reader:read"
        suffixes = [".slow"]
        """)
    reg = plugin_registry(folder, entry_points=[])
    read = reg.label_readers()[".slow"]
    t0 = time.monotonic()
    with pytest.raises(PluginHung) as err:
        read(tmp_path / "heart.slow")
    assert time.monotonic() - t0 < 3.0
    msg = str(err.value)
    assert "plugin 'tv-slow-reader': reader 'slow_labels'" in msg
    assert "heart.slow" not in msg  # stored with the disabled state: never a file's name
    assert "did not finish within 0.5 s" in msg and "disabled for this session" in msg
    assert isinstance(err.value, PluginError)  # callers that catch plugin errors catch it
    assert reg.plugins["tv-slow-reader"].status == DISABLED
    assert reg.find("readers", "slow_labels") is None
    assert reg.store.disabled("tv-slow-reader") is None  # not remembered unless asked
    reg.keep_disabled("tv-slow-reader")
    assert "did not finish" in reg.store.disabled("tv-slow-reader")
    assert reg.incidents and reg.incidents[0][0] == "tv-slow-reader"


def test_a_hanging_intervention_leaves_the_twin_as_it_was(plugin_registry, tmp_path,
                                                          monkeypatch):
    """The transform loops in pure Python (holding the interpreter lock between switches).
    Its budget is 2 s, not 0.5: ivabradine's own check runs first under the same budget and
    missed 0.5 s on a loaded machine (fix14a)."""
    monkeypatch.setenv("TWINVIEWER_PLUGIN_BUDGETS", "interventions=2")
    folder = _folder(tmp_path, "tv-loop-drug", f"""
        from dataclasses import replace

        from tv_ivabradine.intervention import IVABRADINE

        def _transform(ctx, P, s):
            P[:, 0] = -1.0  # changes its copy, then never returns
            {LOOP}

        LOOPING = replace(IVABRADINE, name="loop_drug", transform=_transform)
        """, """
        [[contributions.interventions]]
        name = "loop_drug"
        ref = "tv_loop_drug:LOOPING"
        """)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "plugins" / "tv-ivabradine"))
    try:
        reg = plugin_registry(folder, entry_points=[])
        from twinviewer.interventions.intervention import InterventionError
        from twinviewer.interventions.library import LIBRARY
        from twinviewer.physiology.presets import PRESETS

        reg.load("interventions", "loop_drug")
        preset = PRESETS["healthy"]
        ensemble = np.tile(preset.vector(), (4, 1))  # a resting HR of 70 bpm passes its check
        before = ensemble.copy()
        t0 = time.monotonic()
        with pytest.raises(InterventionError, match="plugin 'tv-loop-drug': intervention "
                           "'loop_drug'.*its transform did not finish within 2 s"):
            LIBRARY["loop_drug"].apply(preset.model, ensemble, {"dose": 5.0})
        assert time.monotonic() - t0 < 5.0
        np.testing.assert_array_equal(ensemble, before)
        assert reg.plugins["tv-loop-drug"].status == DISABLED
    finally:
        sys.path.remove(str(Path(__file__).resolve().parents[2] / "plugins" / "tv-ivabradine"))


def test_a_plugin_whose_import_hangs_is_named(plugin_registry, tmp_path, small_budgets):
    folder = _folder(tmp_path, "tv-slow-import", f"""
        import time
        {SLEEP}

        def explain(twin, metric, results):
            return "never"
        """, """
        [[contributions.explainers]]
        name = "slow_import"
        ref = "tv_slow_import:explain"
        """)
    reg = plugin_registry(folder, entry_points=[])
    with pytest.raises(PluginHung, match="plugin 'tv-slow-import': importing explainer "
                       "'slow_import'.*did not finish within 3 s"):
        reg.load("explainers", "slow_import")
    assert reg.plugins["tv-slow-import"].status == DISABLED


def test_a_hanging_command_ends_with_a_message_and_exit_1(plugin_registry, tmp_path, capsys,
                                                         small_budgets):
    folder = _folder(tmp_path, "tv-stuck", f"""
        import time

        def add_arguments(p):
            pass

        def run(args):
            {SLEEP}
        """, """
        [[contributions.commands]]
        name = "stuck"
        ref = "tv_stuck:run"
        """)
    reg = plugin_registry(folder, entry_points=[])
    t0 = time.monotonic()
    assert cli.main(["stuck"]) == 1
    assert time.monotonic() - t0 < 5.0
    err = capsys.readouterr().err
    assert "plugin 'tv-stuck': command 'stuck'" in err and "did not finish within 0.5 s" in err
    assert reg.plugins["tv-stuck"].status == DISABLED


@pytest.mark.slow
def test_explain_with_a_hanging_explainer_exits_1_naming_it(plugin_registry, tmp_path,
                                                            capsys, small_budgets):
    """review10: ``twinviewer explain`` with an explainer that sleeps hung the CLI."""
    folder = _folder(tmp_path, "tv-sleepy", f"""
        import time

        def explain(twin, metric, results):
            {SLEEP}
        """, """
        [[contributions.explainers]]
        name = "sleepy"
        ref = "tv_sleepy:explain"
        """)
    reg = plugin_registry(folder, entry_points=[])
    assert cli.main(["explain", "--preset", "healthy", "--metric", "MAP", "--n", "8",
                     "--parameters", "3"]) == 1
    out, err = capsys.readouterr()
    assert "Mean arterial pressure" in out  # the explanation itself is printed
    assert "[sleepy] not available (plugin 'tv-sleepy'" in out
    assert err.startswith("error: plugin 'tv-sleepy': explainer 'sleepy'")
    assert "did not finish within 0.5 s" in err and "disabled for this session" in err
    assert reg.plugins["tv-sleepy"].status == DISABLED


# --------------------------------------------------------------------- GUI-thread watchdog
@pytest.mark.parametrize("body", [SLEEP, LOOP])
def test_the_watchdog_interrupts_a_stuck_main_thread_call(tmp_path, body):
    hang = _hang(body)
    hung: list = []
    dog = CallWatchdog(tmp_path, on_hang=lambda plugin, what: hung.append((plugin, what)))
    t0 = time.monotonic()
    with pytest.raises(PluginHangInterrupted, match="plugin 'tv-x': panel 'p' did not finish "
                       "within 0.3 s"), dog.guard("tv-x", "panel 'p'", 0.3):
        hang()
    assert time.monotonic() - t0 < 3.0
    assert hung == [("tv-x", "panel 'p'")]  # the GUI autosaves here
    assert list(tmp_path.glob("*.json")) == []  # the call returned: no culprit
    with dog.guard("tv-x", "panel 'q'", 0.3):  # a later, quick call is left alone
        time.sleep(0.01)
    time.sleep(0.4)


def test_a_process_ended_inside_a_plugin_call_names_the_culprit_next_time(tmp_path):
    """The GIL-bound case: nothing can interrupt it, so the marker written before the call
    names the plugin at the next start (here the process is killed while inside)."""
    code = (f"import time, sys\nfrom pathlib import Path\n"
            f"from twinviewer.plugins.watchdog import CallWatchdog\n"
            f"dog = CallWatchdog(Path({str(tmp_path)!r}), interrupt=False)\n"
            f"with dog.guard('tv-frozen', \"panel 'ice'\", 0.2):\n"
            f"    print('inside', flush=True)\n    time.sleep(3600)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=env)
    try:
        assert proc.stdout.readline().strip() == b"inside"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and b'"hung": true' not in b"".join(
                f.read_bytes() for f in tmp_path.glob("*.json")):
            time.sleep(0.05)
        assert culprits(tmp_path) == []  # still running: not a culprit yet
    finally:
        proc.kill()
        proc.wait(30)
    found = culprits(tmp_path)
    assert [(c["plugin"], c["what"], c["hung"]) for c in found] == [
        ("tv-frozen", "panel 'ice'", True)]
    assert culprits(tmp_path) == []  # reported once


def test_the_watchdog_never_interrupts_the_apps_own_code(tmp_path, qtbot):
    """review10b #3: while a plugin's call runs an event loop, the app's own slots run inside
    it; the interrupt must not land there (it did: a cine tick raised
    PluginHangInterrupted)."""
    from PySide6.QtCore import QEventLoop, QTimer

    from twinviewer.plugins.watchdog import module_code

    app_ns: dict = {"__name__": "twinviewer.gui.some_panel", "PluginHangInterrupted":
                    PluginHangInterrupted, "hits": []}
    exec("def tick():\n"  # an app timer slot (module name: the app's)
         "    try:\n"
         "        x = 0\n"
         "        for i in range(20000):\n"
         "            x += i\n"
         "        hits.append('ran')\n"
         "    except PluginHangInterrupted:\n"
         "        hits.append('interrupted')\n", app_ns)
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(app_ns["tick"])
    timer.start()
    hung: list = []
    dog = CallWatchdog(tmp_path, on_hang=lambda plugin, what: hung.append(plugin))
    try:
        with dog.guard("tv-x", "panel 'p'", 0.2, code=module_code("tv_dialog_plugin")):
            loop = QEventLoop()  # the plugin's dialog; no beats: as if the GUI were stuck
            QTimer.singleShot(1500, loop.quit)
            loop.exec()
    finally:
        timer.stop()
    assert "interrupted" not in app_ns["hits"]
    assert app_ns["hits"]


def test_a_ticking_gui_thread_is_not_a_hang(tmp_path):
    """While the GUI thread beats (it runs an event loop inside the call), the watchdog
    neither marks the call hung, autosaves from its thread, nor interrupts it."""
    hung: list = []
    dog = CallWatchdog(tmp_path, on_hang=lambda plugin, what: hung.append(plugin))
    with dog.guard("tv-x", "panel 'p'", 0.2):
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            dog.beat()
            time.sleep(0.05)
    assert hung == []
    with pytest.raises(PluginHangInterrupted), dog.guard("tv-x", "panel 'q'", 0.2):
        time.sleep(5)  # no beats: stuck
    assert hung == ["tv-x"]
