"""The live preview of a plug-in's intervention (stall12): plug-ins are loaded only in the
GUI process, so its transform runs on a job's thread there, not the GUI thread, and its
simulation in the preview helper (plugrun13); the plug-in guard still holds: a transform
that hangs is ended after its budget, one that raises or gives NaN is refused, named, and
the app goes on."""

from __future__ import annotations

import threading
import time

import pytest

pytest.importorskip("pytestqt")

from tests.plugins.helpers import FAULTY_DRUGS as CODE  # noqa: E402
from tests.plugins.helpers import contribution_folder  # noqa: E402
from twinviewer.gui.scenario_panel import ScenarioPanel  # noqa: E402
from twinviewer.gui.state import TwinState  # noqa: E402
from twinviewer.plugins.registry import DISABLED, get_registry  # noqa: E402
from twinviewer.testing import plugin_config, plugin_registry  # noqa: E402, F401
from twinviewer.twins import twin_from_preset  # noqa: E402

NAMES = ("sleep", "raise", "nan", "fine")


@pytest.fixture
def panel(plugin_registry, tmp_path, qtbot, monkeypatch):  # noqa: F811
    monkeypatch.setenv("TWINVIEWER_PLUGIN_BUDGETS", "interventions=1")
    manifest = "".join(f'\n[[contributions.interventions]]\nname = "{n}_drug"\n'
                       f'ref = "tv_preview_drug:{n.upper()}"\n' for n in NAMES)
    reg = plugin_registry(contribution_folder(tmp_path, "tv-preview-drug", CODE, manifest),
                          entry_points=[])
    for n in NAMES:
        reg.load("interventions", f"{n}_drug")
    state = TwinState()
    state.session.open_twin(twin_from_preset("healthy", n=4))
    p = ScenarioPanel(state)
    qtbot.addWidget(p)
    yield p
    qtbot.waitUntil(lambda: not state.jobs, timeout=120_000)
    state.close()
    from twinviewer.interventions.library import LIBRARY

    for n in NAMES:
        LIBRARY.pop(f"{n}_drug", None)


def _request(panel, qtbot, name: str) -> tuple[float, int]:
    """Ask for ``name``'s live preview as the coalescing timer does; the GUI thread's time
    in the call and the count of shown previews before it, once the job has ended."""
    qtbot.waitUntil(lambda: panel._live_job is None, timeout=120_000)
    panel.select_intervention(name)
    qtbot.waitUntil(lambda: panel._live_job is None, timeout=120_000)  # the change's own
    before = panel.live_updates
    t0 = time.perf_counter()
    panel.request_live()
    spent = time.perf_counter() - t0
    assert panel._live_job is not None  # a job, not a prediction on this thread
    qtbot.waitUntil(lambda: panel._live_job is None, timeout=120_000)
    return spent, before


def test_a_plugin_interventions_preview_runs_on_a_jobs_thread(panel, qtbot, monkeypatch):
    """Its transform is applied on a job's thread here and the prediction simulated in the
    preview helper (plugrun13), never on the GUI thread nor in this process."""
    from twinviewer.gui import scenario_panel

    threads, here = [], []
    there = scenario_panel.live_applied_in_process

    def recorded(*args):
        threads.append(threading.current_thread())
        return there(*args)

    monkeypatch.setattr(scenario_panel, "live_applied_in_process", recorded)
    monkeypatch.setattr(panel, "_predict_here", lambda *a: here.append(a))
    _spent, before = _request(panel, qtbot, "fine_drug")
    assert threads and threading.main_thread() not in threads
    assert not here  # not simulated in this process
    assert panel.live_updates > before
    assert panel.live_label.text().startswith("point estimate")


def test_a_hanging_plugin_intervention_does_not_freeze_the_window(panel, qtbot):
    gaps, last = [], [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    from PySide6.QtCore import QTimer

    beat = QTimer()
    beat.setInterval(20)
    beat.timeout.connect(tick)
    beat.start()
    spent, _before = _request(panel, qtbot, "sleep_drug")
    beat.stop()
    assert spent < 0.5
    # the 1 s budget passed while the window ticked (on the GUI thread it froze for all of it)
    assert sum(gaps) > 1.0 and max(gaps[1:]) < 0.9
    text = panel.live_label.text()
    assert text.startswith("not applicable") and "did not finish within 1" in text
    assert get_registry().plugins["tv-preview-drug"].status == DISABLED


@pytest.mark.parametrize("name", ["raise_drug", "nan_drug"])
def test_a_failing_plugin_interventions_preview_is_refused_and_named(panel, qtbot, name):
    _spent, before = _request(panel, qtbot, name)
    text = panel.live_label.text()
    assert text.startswith(("not applicable", "no periodic state")), text
    if name == "raise_drug":
        assert "boom from raise_drug" in text and "tv-preview-drug" in text
    assert panel.live_updates >= before  # the panel is still working


def test_adding_and_running_a_hanging_plugin_step_leaves_the_gui_thread_free(panel, qtbot):
    """review12 #2: the form's refusal check ran the plug-in's transform on the GUI thread
    (the window froze for the whole budget at each Add and each Run)."""
    from twinviewer.core.twin import InterventionStep, Scenario

    qtbot.waitUntil(lambda: panel._live_job is None, timeout=120_000)
    panel.select_intervention("sleep_drug")
    qtbot.waitUntil(lambda: panel._live_job is None, timeout=120_000)
    t0 = time.perf_counter()
    assert panel.add_step()
    added = time.perf_counter() - t0
    t0 = time.perf_counter()
    panel._run([Scenario("hang", (InterventionStep("sleep_drug", {"fall": 20.0}),))],
               replace=False)
    started = time.perf_counter() - t0
    assert added < 0.5 and started < 0.5, (added, started)
    # the run ends with the hanging scenario named beside the (empty) results, not lost
    qtbot.waitUntil(lambda: panel.job is None, timeout=120_000)
    assert "hang" in panel.failed_label.text()
    assert "did not finish within 1" in panel.failed_label.text()


def test_the_preview_says_the_mode_it_ran_in_not_the_forms_mode_now(panel, qtbot):
    """final12 #3: the label took the mode from the form when the result arrived."""
    _spent, before = _request(panel, qtbot, "fine_drug")
    r = panel.live_result
    other = "acute" if panel.regulation == "regulated" else "regulated"
    from twinviewer.interventions.baroreflex import REGULATION_TEXT

    panel._show_live(r, other)
    assert REGULATION_TEXT[other] in panel.live_label.text()
