"""A Save never silently overwrites another writer's changes (review14 #1): the reviewer's
journey — a .twin open in the window, a note added, ``twinviewer whatif FILE`` writes a
scenario, its results and audit entries into the same file, then File → Save — asks,
naming the file, the time and what the other writer added, and each answer does what it
says. A Save with no outside change, and a Save As to a new file, ask nothing."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from twinviewer.gui import file_dialogs
from twinviewer.gui import twin_file_actions as actions
from twinviewer.gui.state import TwinState
from twinviewer.io.audit import audit_log
from twinviewer.io.autosave import Autosaver
from twinviewer.io.disk_stamp import DiskStamp
from twinviewer.io.twinfile import load_twin, save_twin
from twinviewer.twins import twin_from_preset

CLI_SCENARIO = "beta_blocker"  # the scenario `whatif -i beta_blocker` writes
REAL_ASK = actions.ask_changed_on_disk  # before the GUI tests' fixture answers for it


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[Path, Path]:
    """A twin file as the window opens it, and the same file after ``twinviewer whatif``
    wrote a beta-blocker scenario into it (the real command line, run once)."""
    tmp = tmp_path_factory.mktemp("conc")
    before, after = tmp / "before.twin", tmp / "after.twin"
    twin = twin_from_preset("healthy", n=4)
    audit_log(twin).record(twin, "create", {"preset": "healthy"})
    save_twin(before, twin)
    shutil.copy(before, after)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path),
           "XDG_DATA_HOME": str(tmp / "data"), "XDG_CONFIG_HOME": str(tmp / "cfg")}
    out = subprocess.run([sys.executable, "-m", "twinviewer", "whatif", str(after), "-i",
                          "beta_blocker", "--metrics", "CO"], capture_output=True, text=True,
                         env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "results back to" in out.stdout
    return before, after


def _scenarios(path: Path) -> list[str]:
    return [s.name for s in load_twin(path).twin.scenarios]


def _notes(path: Path) -> list[str]:
    return [e.details.get("text", "") for e in load_twin(path).audit.entries
            if e.action == "note"]


def _window() -> tuple[QWidget, TwinState]:
    """A bare window holding a fresh state, as the file actions see the main window."""
    state = TwinState()
    window = QWidget()
    window.state = state
    return window, state


def _opened(target: Path) -> tuple[QWidget, TwinState]:
    """A bare window with ``target`` open."""
    window, state = _window()
    assert actions.open_twin(window, state, target) is not None
    return window, state


def _recovered(monkeypatch, saver: Autosaver) -> tuple[QWidget, TwinState]:
    """The next start after a crash: a fresh window restores the autosaved work (Yes)."""
    window, state = _window()
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    assert actions.offer_recovery(window, state, saver)
    return window, state


@contextlib.contextmanager
def _autosaving(state: TwinState, saver: Autosaver):
    """An autosave controller on ``state`` that only saves when told (``autosave_now``)."""
    controller = actions.AutosaveController(state, interval_s=600, debounce_s=600,
                                            autosaver=saver)
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture()
def journey(qapp, tmp_path, files):
    """The window has ``conc.twin`` open with a note unsaved; then the command line's write
    lands on the file (the bytes ``twinviewer whatif`` wrote, with a new modification time)."""
    before, after = files
    target = tmp_path / "conc.twin"
    shutil.copy(before, target)
    window, state = _opened(target)
    state.session.add_note("GUI note before save")
    opened = state.session.file.disk
    shutil.copy(after, target)  # `twinviewer whatif conc.twin` wrote it meanwhile
    os.utime(target, ns=(opened.mtime_ns + 2_000_000_000,) * 2)
    assert CLI_SCENARIO in _scenarios(target)
    yield window, state, target
    window.deleteLater()


def _answer(monkeypatch, answer: str) -> list[str]:
    asked: list[str] = []
    monkeypatch.setattr(actions, "ask_changed_on_disk",
                        lambda _w, text: asked.append(text) or answer)
    return asked


def test_save_after_the_cli_wrote_asks_and_cancel_writes_nothing(journey, monkeypatch):
    window, state, target = journey
    asked = _answer(monkeypatch, "cancel")
    written = target.read_bytes()
    said: list = []
    state.session.subscribe("message", said.append)
    assert actions.save_twin(window, state) is None
    assert len(asked) == 1
    text = asked[0]
    assert "conc.twin changed on disk at" in text and DiskStamp.of(target).time in text
    assert "another TwinViewer or the command line" in text and "since you opened it" in text
    # what the command line added is named, from the file's audit trail
    assert "scenario: ran beta_blocker" in text and "command whatif" in text
    assert "1 audit entry" in text  # only the new one, not the file's older entries
    assert target.read_bytes() == written  # nothing written
    assert state.session.dirty
    assert "Not saved: conc.twin changed on disk" in said[-1][1]


def test_overwrite_writes_and_records_what_it_replaced(journey, monkeypatch):
    window, state, target = journey
    asked = _answer(monkeypatch, "overwrite")
    assert actions.save_twin(window, state) == target
    assert len(asked) == 1
    assert "GUI note before save" in _notes(target)
    assert CLI_SCENARIO not in _scenarios(target)  # the user chose to replace it
    entry = [e for e in load_twin(target).audit.entries if e.action == "save"]
    assert len(entry) == 1  # …and the trail says what was replaced, and when
    # what it replaced by kind and hash, never the other writer's text (final14 #1)
    details = entry[0].details
    assert details["replaced"] == ["scenario"] and details["replaced_entries"] == 1
    assert len(details["replaced_hashes"]) == 1
    assert "beta_blocker" not in str(details)
    # the entry is in the file written and is the document's own (same hash), saved
    assert entry[0].hash in {e.hash for e in state.session.twin.audit}
    assert not state.session.dirty
    # saved here since: the next Save asks nothing
    state.session.add_note("second")
    assert actions.save_twin(window, state) == target
    assert len(asked) == 1


def test_save_as_new_keeps_both(journey, monkeypatch, tmp_path):
    window, state, target = journey
    asked = _answer(monkeypatch, "new")
    offered: list[str] = []
    new = tmp_path / "mine.twin"
    monkeypatch.setattr(file_dialogs, "get_save_file_name",
                        lambda _w, _t, start, _f: offered.append(start) or (str(new), ""))
    assert actions.save_twin(window, state) == new
    assert len(asked) == 1 and offered == [str(tmp_path / "conc-2.twin")]
    assert CLI_SCENARIO in _scenarios(target)  # the command line's work is kept…
    assert "GUI note before save" not in _notes(target)
    assert "GUI note before save" in _notes(new)  # …and the window's, in the new file
    assert state.session.file.path == new and not state.session.dirty


def test_save_as_new_with_no_file_chosen_saves_nothing(journey, monkeypatch):
    window, state, target = journey
    _answer(monkeypatch, "new")
    monkeypatch.setattr(file_dialogs, "get_save_file_name", lambda *a: ("", ""))
    written = target.read_bytes()
    assert actions.save_twin(window, state) is None
    assert target.read_bytes() == written and state.session.dirty


def test_save_as_to_a_new_file_asks_nothing(journey, monkeypatch, tmp_path):
    window, state, target = journey
    asked = _answer(monkeypatch, "cancel")
    other = tmp_path / "elsewhere.twin"
    assert actions.save_twin_as(window, state, other) == other
    assert asked == [] and "GUI note before save" in _notes(other)
    assert CLI_SCENARIO in _scenarios(target)


def test_save_with_no_outside_change_asks_nothing(qapp, tmp_path, files, monkeypatch):
    asked = _answer(monkeypatch, "cancel")
    target = tmp_path / "quiet.twin"
    shutil.copy(files[0], target)
    window, state = _opened(target)
    state.session.add_note("one")
    assert actions.save_twin(window, state) == target
    state.session.add_note("two")
    assert actions.save_twin(window, state) == target
    assert asked == [] and _notes(target) == ["one", "two"]
    # a Save by the document itself (the command line's path) keeps the stamp too
    state.session.add_note("three")
    state.session.save()
    state.session.add_note("four")
    assert actions.save_twin(window, state) == target and asked == []
    window.deleteLater()


def test_the_question_offers_the_three_answers(qapp):
    """The real dialog: its buttons, each answer, Escape is Cancel."""
    for button, expected in (("Save as a new file…", "new"), ("Overwrite", "overwrite"),
                             (None, "cancel")):
        seen: list[list[str]] = []

        def click(button=button, seen=seen) -> None:
            box = QApplication.activeModalWidget()
            if not isinstance(box, QMessageBox):
                QTimer.singleShot(20, click)
                return
            seen.append([b.text() for b in box.buttons()])
            if button is None:
                box.reject()  # Escape / the window's close button
            else:
                next(b for b in box.buttons() if b.text() == button).click()

        QTimer.singleShot(20, click)
        window = QWidget()
        assert REAL_ASK(window, "The file x.twin changed on disk") == expected
        assert seen == [["Save as a new file…", "Overwrite", "Cancel"]] or \
            sorted(seen[0]) == sorted(["Save as a new file…", "Overwrite", "Cancel"])
        window.deleteLater()


def test_recovered_work_remembers_the_file_as_it_was(tmp_path):
    """The autosave's index keeps the file's stamp, so a Save of recovered work asks too."""
    saver = Autosaver(tmp_path / "auto", secret=b"k" * 32)
    twin = twin_from_preset("healthy", n=2)
    saver.path_for(twin).parent.mkdir(parents=True, exist_ok=True)
    saver.path_for(twin).write_bytes(b"x")
    saver.note_origin(twin, tmp_path / "j.twin", DiskStamp(12, 345))
    (rec,) = saver.pending_recovery()
    assert rec.disk == DiskStamp(12, 345)


def test_the_autosave_writes_only_its_recovery_file_and_recovery_keeps_the_check(
        journey, monkeypatch, tmp_path):
    """The autosave never touches the twin's file; work recovered from it still asks if
    the file changed since the work began (the stamp is kept in the autosave's index)."""
    window, state, target = journey
    written = target.read_bytes()
    with _autosaving(state, Autosaver(tmp_path / "auto", secret=b"k" * 32)) as controller:
        path = controller.autosave_now()
        assert path is not None and path.parent == tmp_path / "auto"
        assert target.read_bytes() == written
        opened_at = state.session.file.disk
        # the window is gone (a crash); the next start restores the work
        fresh_window, fresh = _recovered(monkeypatch, controller.autosaver)
        assert fresh.session.file.path == target and fresh.session.file.disk == opened_at
        asked = _answer(monkeypatch, "cancel")
        assert actions.save_twin(fresh_window, fresh) is None
        assert len(asked) == 1 and target.read_bytes() == written
        fresh_window.deleteLater()


def _write_other_twin(target: Path, opened: DiskStamp) -> None:
    """Another writer puts a different patient's twin (with a note) at ``target``."""
    other = twin_from_preset("hfref", n=4)
    audit_log(other).record(other, "create", {"preset": "hfref"})
    audit_log(other).add_note(other, "other patient: called daughter re. chemo")
    save_twin(target.with_name("other.twin"), other)
    os.replace(target.with_name("other.twin"), target)
    os.utime(target, ns=(opened.mtime_ns + 3_000_000_000,) * 2)


def test_overwrite_records_nothing_when_the_save_does_not_happen(journey, monkeypatch):
    """final14 #1: Overwrite, then the passphrase prompt is cancelled: nothing is written,
    and the twin's trail holds no "overwrote" entry (a retry asks again, records one)."""
    window, state, target = journey
    asked = _answer(monkeypatch, "overwrite")
    monkeypatch.setattr(actions, "_ask_passphrase", lambda *a, **k: None)
    before = [e.hash for e in state.session.twin.audit]
    written = target.read_bytes()
    assert actions.save_twin_as(window, state, target, encrypt=True) is None
    assert len(asked) == 1 and target.read_bytes() == written
    assert [e.hash for e in state.session.twin.audit] == before
    # a refused save_request records nothing either
    monkeypatch.setattr(state.session, "save_request",
                        lambda *a, **k: (_ for _ in ()).throw(actions.TwinFileError("no")))
    assert actions.save_twin(window, state) is None
    assert [e.hash for e in state.session.twin.audit] == before
    monkeypatch.undo()
    asked = _answer(monkeypatch, "overwrite")
    assert actions.save_twin(window, state) == target  # the retry asks again, records one
    assert len(asked) == 1
    saves = [e for e in load_twin(target).audit.entries if e.action == "save"]
    assert len(saves) == 1 and not state.session.dirty


def test_a_file_now_holding_another_twin_is_named_and_none_of_its_record_copied(
        qapp, tmp_path, files, monkeypatch):
    """final14 #1: the file now holds another patient's twin: the question says so and
    lists none of its entries; an Overwrite records none of them in this twin's trail."""
    target = tmp_path / "pt.twin"
    shutil.copy(files[0], target)
    window, state = _opened(target)
    _write_other_twin(target, state.session.file.disk)
    asked = _answer(monkeypatch, "overwrite")
    assert actions.save_twin(window, state) == target
    (text,) = asked
    assert "now holds another twin (virtual-hfref)" in text
    assert "chemo" not in text and "preset" not in text
    trail = state.session.twin.audit
    assert "chemo" not in str([e.details for e in trail])
    (entry,) = [e for e in trail if e.action == "save"]
    assert entry.details["replaced"].startswith("another twin")
    assert load_twin(target).twin.pseudonym == "virtual-healthy"
    window.deleteLater()


def test_a_write_after_the_check_is_not_overwritten(journey, monkeypatch):
    """final14 #2: the file is checked at the click, but written seconds later (passphrase,
    serialising): a command that writes it in between is not overwritten; the Save says
    so, writes nothing, and the next Save asks."""
    window, state, target = journey
    asked = _answer(monkeypatch, "overwrite")
    said: list = []
    state.session.subscribe("message", said.append)

    def passphrase_then_the_cli_writes(*_a, **_k) -> str:
        target.write_bytes(target.read_bytes() + b"")  # the same bytes…
        os.utime(target, ns=(state.session.file.disk.mtime_ns + 9_000_000_000,) * 2)
        return "pw"  # …written by another writer while the prompt was open

    monkeypatch.setattr(actions, "_ask_passphrase", passphrase_then_the_cli_writes)
    after_cli = target.read_bytes()
    assert actions.save_twin_as(window, state, target, encrypt=True) is None
    assert len(asked) == 1  # the question about the first outside write
    assert target.read_bytes() == after_cli  # the second writer's file is kept
    assert "changed on disk" in said[-1][1] and said[-1][0] == "warning"
    assert state.session.dirty
    assert not [e for e in state.session.twin.audit if e.action == "save"]
    assert actions.save_twin(window, state) == target and len(asked) == 2


def test_the_stamp_is_of_the_file_written_not_of_a_later_write(journey, monkeypatch):
    """final14 #2: a write landing right after the save's rename is not taken for the
    save's own: the next Save asks about it."""
    from twinviewer.core import atomic

    window, state, target = journey
    asked = _answer(monkeypatch, "overwrite")
    monkeypatch.setattr(actions, "write_file", lambda job, twin, kw: _write_then_touch(kw))
    assert actions.save_twin(window, state) == target
    assert len(asked) == 1
    state.session.add_note("after")
    assert actions.save_twin(window, state) == target
    assert len(asked) == 2  # the write after ours was noticed
    assert atomic  # (the helper's write is the same function, in another process)


def _write_then_touch(kw: dict):
    from twinviewer.gui.model_jobs import save_twin_file

    stamp = save_twin_file(**kw)
    path = kw["path"]
    os.utime(path, ns=(stamp.mtime_ns + 5_000_000_000,) * 2)  # another writer, just after
    return stamp


def test_recovered_work_from_an_old_autosave_index_asks_before_the_first_save(
        journey, monkeypatch, tmp_path):
    """final14 #7a: an autosave index without the file's stamp (written before it was
    kept): the recovered work's first Save asks instead of taking the file as ours."""
    window, state, target = journey
    saver = Autosaver(tmp_path / "auto", secret=b"k" * 32)
    with _autosaving(state, saver) as controller:
        assert controller.autosave_now() is not None
        saver.note_origin(state.session.twin, target, None)  # an index of before
        fresh_window, fresh = _recovered(monkeypatch, saver)
        asked = _answer(monkeypatch, "cancel")
        written = target.read_bytes()
        assert actions.save_twin(fresh_window, fresh) is None
        assert len(asked) == 1 and "recovered work began" in asked[0]
        assert target.read_bytes() == written
        fresh_window.deleteLater()
