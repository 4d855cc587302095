"""review16 #11a: a recovered autosave was announced as "Opened p1.twin: audit trail intact
(18 entries)" while p1.twin held 17: the 18 are the autosave's. Now "Opened the autosave of
p1.twin from <when>"."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from twinviewer.gui import twin_file_actions as actions
from twinviewer.io import audit_log
from twinviewer.io.autosave import Autosaver
from twinviewer.twins import twin_from_preset


def test_a_recovered_autosave_is_announced_as_one(env, tmp_path, monkeypatch):
    state, window, messages = env
    twin = twin_from_preset("healthy", n=4)
    audit_log(twin).record(twin, "create", {"preset": "healthy"})
    state.session.set_twin(twin)
    actions.save_twin_as(window, state, tmp_path / "p1.twin")
    saver = Autosaver(tmp_path / "auto")
    state.session.add_note("after the save")
    saver.autosave(state.session.twin)
    saver.note_origin(state.session.twin, tmp_path / "p1.twin")
    state.session.dirty = False
    state.session.set_twin(None)
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    messages.clear()
    assert actions.offer_recovery(window, state, saver)
    opened = [t for _lvl, t in messages if t.startswith("Opened")]
    assert len(opened) == 1, messages
    assert opened[0].startswith("Opened the autosave of p1.twin from 20"), opened
    assert not any(t.startswith("Opened p1.twin") for _lvl, t in messages)
