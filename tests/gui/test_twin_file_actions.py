"""Save / open / report / autosave actions and the audit panel, driven like the main window."""

from __future__ import annotations

import os
import time

import pytest
from PySide6.QtWidgets import QInputDialog, QMessageBox

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.gui import twin_file_actions as actions
from twinviewer.gui.audit_panel import AuditPanel
from twinviewer.gui.state import TwinState
from twinviewer.io import AuditLog, attach_audit_log, audit_log
from twinviewer.io.autosave import Autosaver
from twinviewer.twins import twin_from_preset


@pytest.fixture
def env(env):
    """conftest's twin state in a bare window, with a moderate-AS twin holding a TAVI
    scenario: ``(state, window, messages, twin)``."""
    state, window, messages = env
    twin = twin_from_preset("moderate_as", n=6)
    twin.scenarios.append(Scenario("TAVI", (InterventionStep("tavi", {"eoa": 2.0}),)))
    audit_log(twin).record(twin, "create", {"preset": "moderate_as"})
    return state, window, messages, twin


def test_save_then_open_round_trip(env, tmp_path):
    state, window, messages, twin = env
    state.session.set_twin(twin)
    path = actions.save_twin_as(window, state, tmp_path / "case")
    assert path == tmp_path / "case.twin" and messages[-1] == ("info", "Twin saved to case.twin")
    other = TwinState()
    try:
        doc = actions.open_twin(window, other, path)
        assert other.session.twin is doc.twin and doc.twin.scenarios == twin.scenarios
    finally:
        other.close()
    # the app's two-argument form: open_twin(window, path)
    state.session.set_twin(None)
    assert actions.open_twin(window, str(path)) is not None
    assert "audit trail intact (1 entries)" in messages[-1][1]


def test_bad_file_keeps_current_twin_and_says_why(env, tmp_path):
    state, window, messages, twin = env
    state.session.set_twin(twin)
    bad = tmp_path / "bad.twin"
    bad.write_bytes(b"PK\x03\x04 truncated")
    assert actions.open_twin(window, state, bad) is None
    assert state.session.twin is twin
    level, text = messages[-1]
    assert level == "error" and "bad.twin is not a .twin file, or it is truncated" in text


def test_nothing_to_save_and_unwritable(env, tmp_path):
    state, window, messages, twin = env
    assert actions.save_twin_as(window, state, tmp_path / "x.twin") is None
    assert messages[-1] == ("warning", "There is no twin to save.")
    state.session.set_twin(twin)
    assert actions.save_twin_as(window, state, tmp_path / "missing" / "x.twin") is None
    assert messages[-1][0] == "error" and "Could not save the twin" in messages[-1][1]


def test_encrypted_save_and_open_with_prompt(env, tmp_path, monkeypatch):
    state, window, messages, twin = env
    state.session.set_twin(twin)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("pw-123", True))
    path = actions.save_twin_as(window, state, tmp_path / "e.twin", encrypt=True)
    assert messages[-1] == ("info", "Twin saved to e.twin (encrypted)")
    state.session.set_twin(None)
    assert actions.open_twin(window, state, path) is not None
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("wrong", True))
    assert actions.open_twin(window, state, path) is None
    assert "wrong passphrase" in messages[-1][1]


def test_autosave_and_recovery(env, tmp_path, monkeypatch, qtbot):
    state, window, messages, twin = env
    saver = Autosaver(tmp_path / "auto")
    ctl = actions.AutosaveController(state, interval_s=0.05, autosaver=saver)
    state.session.set_twin(twin)
    qtbot.wait(300)
    assert not saver.path_for(twin).exists()  # nothing the user made: no recovery later
    state.session.add_note("first")
    qtbot.waitUntil(lambda: saver.path_for(twin).exists(), timeout=5000)
    assert ctl.autosave_now() is None  # unchanged: not written again
    state.session.add_note("changed")
    assert ctl.autosave_now() == saver.path_for(twin)
    ctl.stop()

    state.session.set_twin(None)
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    assert actions.offer_recovery(window, state, saver)
    restored = state.session.twin
    assert restored.origin == twin.origin and len(audit_log(restored)) == 3
    assert state.session.dirty  # recovered work is not saved yet

    state.session.set_twin(twin)
    actions.save_twin_as(window, state, tmp_path / "saved.twin")  # explicit save
    assert saver.pending_recovery() == []
    state.session.add_note("after the save")
    ctl.autosave_now()
    later = time.time() + 5
    os.utime(saver.path_for(twin), (later, later))
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Discard)
    assert not actions.offer_recovery(window, state, saver)
    assert saver.pending_recovery() == [] and messages[-1][1] == "Autosaved work discarded."


def test_export_report_simulates_when_needed(env, tmp_path, qtbot):
    state, window, messages, twin = env
    state.session.set_twin(twin)
    path = actions.export_report(window, state, tmp_path / "r.pdf")
    assert state.jobs, "the report is written in the background"
    qtbot.waitUntil(lambda: not state.jobs, timeout=180_000)
    assert path.read_bytes().startswith(b"%PDF")
    assert audit_log(state.session.twin).entries[-1].action == "export"
    assert any("Report written to r.pdf" in t for _, t in messages), messages


def test_audit_panel_shows_chain_and_adds_notes(env, qtbot):
    state, window, messages, twin = env
    panel = AuditPanel(state)
    qtbot.addWidget(panel)
    assert panel.status.text() == "No twin open." and not panel.add_button.isEnabled()
    state.session.set_twin(twin)
    assert panel.table.rowCount() == 1 and "intact (1 entries)" in panel.status.text()

    panel.note.setPlainText("Gradient matches echo.")
    panel.disagreement.setText("predicted LVEDP")
    panel.add_note()  # no reason given: refused
    assert messages[-1] == ("warning", "Say why you disagree with the twin.")
    panel.why.setText("catheter LVEDP 22 mmHg")
    panel.conclusion.setChecked(True)
    panel.add_button.click()
    entry = audit_log(twin).entries[-1]
    assert entry.action == "conclusion" and entry.details["why"] == "catheter LVEDP 22 mmHg"
    assert panel.table.rowCount() == 2 and panel.table.item(1, 2).text() == "conclusion"

    # a log edited behind the chain's back shows the break in red
    entries = audit_log(twin).to_list()
    entries[0]["details"]["preset"] = "healthy"
    attach_audit_log(twin, AuditLog.from_list(entries))
    panel.refresh()
    assert panel.status.text().startswith("✖ audit trail broken: entry #0")


def _encrypted(path) -> bool:
    from twinviewer.io.crypto import is_encrypted

    return is_encrypted(path.read_bytes())


def test_encrypted_twin_stays_encrypted_on_autosave_and_save(env, tmp_path, monkeypatch):
    from twinviewer.io import load_twin, save_twin

    state, window, messages, twin = env
    # an identifiable twin kept for a local study, encrypted
    twin.pseudonym = "Study Patient 7"
    path = save_twin(tmp_path / "id.twin", twin, keep_identifiers=True, passphrase="pw-123")
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("pw-123", True))
    assert actions.open_twin(window, state, path) is not None  # passphrase typed at the prompt
    ctx = actions.context(state)
    assert ctx.passphrase == "pw-123" and ctx.identifiable

    saver = Autosaver(tmp_path / "auto")
    ctl = actions.AutosaveController(state, interval_s=3600, autosaver=saver)
    assert ctl.autosave_now() is None  # just opened: nothing of the user's to keep
    state.session.add_note("looked at it")
    auto = ctl.autosave_now()
    assert auto is not None and _encrypted(auto)
    assert load_twin(auto, passphrase="pw-123").twin.pseudonym == "Study Patient 7"
    assert ctl.autosave_now() is None  # digest of the plaintext: unchanged, not rewritten
    state.session.add_note("checked")
    assert ctl.autosave_now() == auto and _encrypted(auto)
    ctl.stop()

    again = actions.save_twin_as(window, state, tmp_path / "again.twin")  # no encrypt flag
    assert again is not None and _encrypted(again)
    assert messages[-1] == ("info", "Twin saved to again.twin (encrypted)")

    # the recovered autosave asks for the passphrase and keeps it for the next autosave
    state.session.set_twin(None)
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    audit_log(twin).add_note(twin, "unsaved")
    saver.autosave(twin, keep_identifiers=True, passphrase="pw-123")
    assert actions.offer_recovery(window, state, saver)
    assert actions.context(state).passphrase == "pw-123"


def test_file_context_survives_derived_twins(env, tmp_path, monkeypatch):
    from dataclasses import replace

    from twinviewer.io import save_twin
    from twinviewer.twins import simulate_twin, twin_from_preset

    state, window, messages, twin = env
    twin.pseudonym = "Study Patient 7"
    results = simulate_twin(twin)
    path = save_twin(tmp_path / "id.twin", twin, keep_identifiers=True, passphrase="pw",
                     results={"baseline": results})
    assert actions.open_twin(window, state, path, passphrase="pw") is not None
    opened = state.session.twin
    assert "baseline" in actions.context(state).stored_results

    # "Apply to twin" in the measurements panel: same audit list, same parameters
    applied = replace(opened, measurements=[])
    state.session.set_twin(applied)
    ctx = actions.context(state)
    assert (state.session.twin, ctx.path, ctx.passphrase, ctx.identifiable) == \
        (applied, path, "pw", True)
    assert "baseline" in ctx.stored_results

    # a calibration: a copy of the trail plus an entry, new parameters
    calibrated = replace(applied, params=applied.params * 1.01, audit=list(applied.audit))
    audit_log(calibrated).record(calibrated, "calibration", {"method": "test"})
    state.session.set_twin(calibrated)
    ctx = actions.context(state)
    assert (ctx.path, ctx.passphrase, ctx.identifiable) == (path, "pw", True)
    assert ctx.stored_results == {}  # parameters changed: cached results no longer hold
    assert actions.save_twin_as(window, state, tmp_path / "cal.twin") is not None
    assert messages[-1] == ("info", "Twin saved to cal.twin (encrypted)")

    # another twin (other trail) is another document
    other = twin_from_preset("moderate_as", n=6, pseudonym="Study Patient 7")
    audit_log(other).record(other, "create", {"preset": "moderate_as"})
    state.session.set_twin(other)
    ctx = actions.context(state)
    assert ctx.path is None and ctx.passphrase is None and not ctx.identifiable


def test_report_of_a_twin_closed_meanwhile_records_nothing_in_the_new_one(env, tmp_path,
                                                                           qtbot):
    state, window, messages, twin = env
    state.session.set_twin(twin)
    path = actions.export_report(window, state, tmp_path / "r.pdf")
    other = twin_from_preset("moderate_as", n=6)
    state.session.set_twin(other)
    qtbot.waitUntil(lambda: not state.jobs, timeout=180_000)
    assert path.exists()  # the report of the snapshot taken when asked
    assert [e.action for e in audit_log(other).entries] == []


def test_report_failure_names_the_file(env, tmp_path, qtbot):
    state, window, messages, twin = env
    state.session.set_twin(twin)
    actions.export_report(window, state, tmp_path / "missing" / "r.pdf")
    qtbot.waitUntil(lambda: not state.jobs, timeout=180_000)
    level, text = messages[-1]
    assert level == "error" and "r.pdf" in text


def test_reopening_a_twin_with_misfits_says_so(env, tmp_path):
    """A reviewer's reopened twin (SBP 150 fitted as 124, z −2.6) said only "audit trail
    intact": misfit is never silent (issue 12 item 5)."""
    state, window, messages, twin = env
    miss = "SBP measured 150 mmHg, twin 124 (118–131), z -2.6"
    audit_log(twin).record(twin, "calibration", {"method": "eki", "summary": {
        "fit": [], "misfits": [miss]}})
    state.session.set_twin(twin)
    path = actions.save_twin_as(window, state, tmp_path / "miss")
    messages.clear()
    assert actions.open_twin(window, state, path) is not None
    warn = [t for lvl, t in messages if lvl == "warning"]
    assert any("does not reproduce 1 measurement (|z| > 2): " + miss in t for t in warn)


def test_a_recovered_twin_keeps_its_file(env, tmp_path, monkeypatch):
    """Review 7 #3: after kill -9 and restore the twin was 'not saved' (Save became Save
    As) and the prompt named neither the twin nor the file."""
    state, window, messages, twin = env
    saver = Autosaver(tmp_path / "auto")
    ctl = actions.AutosaveController(state, interval_s=3600, autosaver=saver)
    state.session.set_twin(twin)
    # a patient-named folder is never shown: pseudonym and file name only (review13 #13)
    folder = tmp_path / "Patients" / "SMITHERS_MONTGOMERY_MRN9988776"
    folder.mkdir(parents=True)
    path = actions.save_twin_as(window, state, folder / "j.twin")
    state.session.add_note("after the save")
    assert ctl.autosave_now() is not None
    ctl.stop()
    # "kill -9": a new session with nothing open
    state.session.open_twin(None)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: (
        asked.append(a[2]), QMessageBox.StandardButton.Yes)[1])
    assert actions.offer_recovery(window, state, saver)
    assert twin.pseudonym in asked[0] and "j.twin" in asked[0]
    assert state.session.file.path == path and state.session.dirty
    assert any("Save writes it back to j.twin" in t for _, t in messages)
    shown = [asked[0], *(t for _, t in messages)]  # the prompt and the status-bar messages
    assert not [t for t in shown if "SMITHERS" in t or "Patients" in t or "9988776" in t]
    assert state.session.save() == path  # Save, not Save As
    from twinviewer.io import load_twin

    notes = [e.details.get("text") for e in load_twin(path).audit.entries if e.action == "note"]
    assert "after the save" in notes


def test_edit_survives_a_crash_within_seconds(env, tmp_path, monkeypatch, qtbot):
    """review10 #1: a note and a measurement, then kill -9 3 s later: both are offered back.

    The periodic net is an hour here, so only the per-edit autosave can have written them; the
    write runs in the worker thread, never on the GUI thread."""
    import threading

    from twinviewer.core.measurement import Measurement

    state, window, messages, twin = env
    saver = Autosaver(tmp_path / "auto")
    ctl = actions.AutosaveController(state, interval_s=3600, autosaver=saver)
    threads = []
    write = ctl._write
    monkeypatch.setattr(ctl, "_write", lambda *a, **k: (
        threads.append(threading.current_thread()), write(*a, **k))[1])
    state.session.open_twin(twin)
    qtbot.wait(1500)
    assert saver.pending_recovery() == []  # opened, not edited: nothing to offer
    state.session.add_note("check the LVOT diameter again")
    state.session.add_measurement(Measurement("PASP", 41.0, "mmHg", 4.0, "echo TR jet"))
    qtbot.wait(3000)
    assert threads and all(t is not threading.main_thread() for t in threads)
    # the crash: no save, no stop, no discard; a new process finds the autosave
    after = TwinState()
    try:
        monkeypatch.setattr(QMessageBox, "question",
                            lambda *a, **k: QMessageBox.StandardButton.Yes)
        assert actions.offer_recovery(window, after, Autosaver(tmp_path / "auto"))
        back = after.session.twin
        assert [(m.name, m.value) for m in back.measurements][-1] == ("PASP", 41.0)
        assert any("LVOT diameter" in str(e.details) for e in audit_log(back).entries)
    finally:
        after.close()
    ctl.stop()


def test_autosave_waits_for_playback(env, tmp_path, qtbot):
    """An autosave never runs on the GUI thread during playback; the worker writes when it
    stops (or after ``max_defer_s``)."""
    state, window, messages, twin = env
    playing = [True]
    saver = Autosaver(tmp_path / "auto")
    ctl = actions.AutosaveController(state, interval_s=3600, autosaver=saver,
                                     busy=lambda: playing[0], max_defer_s=60)
    state.session.open_twin(twin)
    state.session.add_note("during playback")
    assert ctl.autosave_now() is None  # not on the GUI thread while playing
    qtbot.wait(1800)
    assert not saver.path_for(twin).exists()
    playing[0] = False
    qtbot.waitUntil(lambda: saver.path_for(twin).exists(), timeout=5000)
    ctl.stop()
