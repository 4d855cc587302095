"""Nothing is lost around a Save (review13b #4, #8, #9): the unsaved work's recovery
snapshot stays until the save holding it has landed (the app killed as the write starts
leaves the old file and the snapshot); Quit → Save while a save is written waits for it,
then saves what is newer and quits; a folder that cannot hold files is named as such."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from PySide6.QtWidgets import QMessageBox

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.gui import twin_file_actions as actions
from twinviewer.gui.process_worker import available
from twinviewer.io.audit import audit_log
from twinviewer.io.autosave import Autosaver
from twinviewer.io.twinfile import load_twin
from twinviewer.twins import twin_from_preset

pytestmark = pytest.mark.skipif(not available(), reason="no helper process here")
SECRET = b"k" * 32

# the app: a twin saved to its file, a note added (its autosave still pending: the
# debounce is long), File → Save, and the process killed the moment the save's write starts
_KILLED_APP = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from PySide6.QtWidgets import QApplication, QWidget
    from twinviewer.core.twin import InterventionStep, Scenario
    from twinviewer.gui import twin_file_actions as actions
    from twinviewer.gui.state import TwinState
    from twinviewer.io.audit import audit_log
    from twinviewer.io.autosave import Autosaver
    from twinviewer.twins import twin_from_preset

    app = QApplication([])
    target, auto = Path(sys.argv[1]), Path(sys.argv[2])
    state = TwinState()
    window = QWidget(); window.state = state
    ctl = actions.AutosaveController(state, interval_s=600, debounce_s=600,
                                     autosaver=Autosaver(auto, secret=b"k" * 32))
    twin = twin_from_preset("moderate_as", n=6)
    twin.scenarios.append(Scenario("TAVI", (InterventionStep("tavi", {"eoa": 2.0}),)))
    audit_log(twin).record(twin, "create", {"preset": "moderate_as"})
    state.session.open_twin(twin)
    state.session.save(target)
    state.session.add_note("KILL-NOTE")
    assert ctl.debounce.isActive()
    real = actions.write_file

    def write_file(job, twin, kwargs):
        if job == "save":
            os.kill(os.getpid(), signal.SIGKILL)
        return real(job, twin, kwargs)

    actions.write_file = write_file
    actions.save_twin(window, state)
    print("not killed")
""")


def test_a_kill_as_the_save_writes_leaves_the_old_file_and_the_snapshot(tmp_path):
    target, auto = tmp_path / "f.twin", tmp_path / "auto"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "XDG_DATA_HOME": str(tmp_path / "data")}
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_APP, str(target), str(auto)],
                            env=env, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=300)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # its file helper, if it outlived it
    except ProcessLookupError:
        pass
    assert proc.returncode == -signal.SIGKILL, (out, err)
    notes = [e["details"].get("text") for e in load_twin(target).audit.to_list()]
    assert "KILL-NOTE" not in notes  # the old file, whole
    saver = Autosaver(auto, secret=SECRET)
    (found,) = saver.pending_recovery()
    back = saver.recover(found)
    assert "KILL-NOTE" in [e["details"].get("text") for e in back.audit.to_list()]
    assert found.file == target


def _twin():
    twin = twin_from_preset("moderate_as", n=6)
    twin.scenarios.append(Scenario("TAVI", (InterventionStep("tavi", {"eoa": 2.0}),)))
    audit_log(twin).record(twin, "create", {"preset": "moderate_as"})
    return twin


def test_the_snapshot_goes_only_once_the_save_landed(env, tmp_path, qtbot):
    state, window, _ = env
    saver = Autosaver(tmp_path / "auto", secret=SECRET)
    ctl = actions.AutosaveController(state, interval_s=600, debounce_s=600, autosaver=saver)
    state.session.open_twin(_twin())
    state.session.add_note("pending")
    assert ctl.debounce.isActive()
    actions.save_twin_as(window, state, tmp_path / "a.twin", wait=False)
    assert not ctl.debounce.isActive()
    qtbot.waitUntil(lambda: getattr(state, "_saving", 1) is None, timeout=60_000)
    qtbot.waitUntil(lambda: not saver.pending_recovery(), timeout=10_000)  # now dropped
    ctl.stop()


def test_quit_save_while_a_save_is_written_waits_then_saves_and_quits(
        make_twin_window, tmp_path, monkeypatch):
    w = make_twin_window(load_demo=False)
    doc = w.state.session
    doc.open_twin(_twin())
    doc.add_note("first")
    target = tmp_path / "e.twin"
    actions.save_twin_as(w, w.state, target, wait=False)  # a menu Save's first 400 ms
    doc.add_note("second")
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Save)
    assert w.close()  # not refused
    assert not doc.dirty
    texts = [e["details"].get("text") for e in load_twin(target).audit.to_list()]
    assert {"first", "second"} <= set(texts)


def test_quit_save_while_a_save_is_written_with_nothing_newer_just_quits(
        make_twin_window, tmp_path, monkeypatch):
    w = make_twin_window(load_demo=False)
    doc = w.state.session
    doc.open_twin(_twin())
    doc.add_note("only")
    target = tmp_path / "e.twin"
    actions.save_twin_as(w, w.state, target, wait=False)
    sent = []
    real = actions.save_twin_as
    monkeypatch.setattr(actions, "save_twin_as", lambda *a, **k: sent.append(a) or real(*a, **k))
    assert actions.save_twin(w, w.state, after_running=True) == target
    assert not doc.dirty and not sent  # waited, nothing newer: not written twice


def test_a_folder_that_cannot_hold_files_is_named(env):
    state, window, messages = env
    if not os.path.isdir("/proc"):
        pytest.skip("no /proc here")
    state.session.open_twin(_twin())
    state.session.add_note("work")
    assert actions.save_twin_as(window, state, "/proc/a.twin") is None
    assert messages[-1][0] == "error"
    assert "cannot create a file in /proc (this folder cannot hold files)" in messages[-1][1]
    assert state.session.dirty
    missing = "/proc/no-such-folder-here/a.twin"
    assert actions.save_twin_as(window, state, missing) is None
    assert "the folder does not exist" in messages[-1][1]
