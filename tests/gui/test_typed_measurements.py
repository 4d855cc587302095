"""A measurement typed in the Measurements table and not applied is the document's unsaved
work (review13 #3: it was dropped on quit without a prompt): the quit prompt names it, Save
keeps it as typed, and it comes back on open and after a crash."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from twinviewer.document import Document
from twinviewer.gui import twin_file_actions as actions
from twinviewer.gui.measurements_panel import MeasurementsPanel
from twinviewer.gui.state import TwinState
from twinviewer.io.autosave import Autosaver


@pytest.fixture
def window(saved_healthy_window):
    saved_healthy_window.show_step("Measurements")
    return saved_healthy_window


def _panel(w) -> MeasurementsPanel:
    return next(p for p in w.panels.values() if isinstance(p, MeasurementsPanel))


def _type(panel: MeasurementsPanel, name: str, value: str, sd: str) -> None:
    """What the user does: Add, then type the value and its SD (not Apply)."""
    panel.add_row(name)
    r = panel.table.rowCount() - 1
    panel.table.item(r, 1).setText(value)
    panel.table.item(r, 3).setText(sd)


def _typed_rows(panel: MeasurementsPanel) -> list[tuple[str, str]]:
    return [(panel.table.item(r, 0).text(), panel.table.item(r, 1).text())
            for r in range(panel.table.rowCount()) if panel._editable(r)]


def test_a_typed_measurement_is_asked_for_on_quit_and_saved_as_typed(window, tmp_path,
                                                                     monkeypatch):
    w, doc = window, window.state.session
    panel = _panel(w)
    applied = len(doc.twin.measurements)
    assert not doc.dirty and doc.measurement_draft is None
    _type(panel, "CO", "4.2", "0.4")
    _type(panel, "SBP", "13O", "8")  # a typo: kept as typed, not dropped
    assert doc.dirty and len(doc.twin.measurements) == applied  # not applied
    assert ("CO", "4.2", "L/min", "0.4", "") in doc.measurement_draft
    assert "Not applied yet" in panel.messages.text()
    assert any(r[0] == "SBP" and r[1] == "13O" for r in doc.measurement_draft)

    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: (
        asked.append(a[2]), QMessageBox.StandardButton.Cancel)[1])
    assert not w.close()  # the prompt: Cancel keeps the window and the rows
    assert "2 measurement rows typed in the Measurements step and not applied" in asked[0]
    assert ("CO", "4.2") in _typed_rows(panel)

    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Save)
    assert w.close()  # Save, then quit
    reopened = Document()
    reopened.open_file(tmp_path / "case.twin")
    assert reopened.measurement_draft == doc.measurement_draft and not reopened.dirty
    assert len(reopened.twin.measurements) == applied  # a draft is not the twin's

    state = TwinState(reopened)  # the typed rows are shown again, as typed
    again = MeasurementsPanel(state)
    rows = _typed_rows(again)
    assert ("CO", "4.2") in rows and ("SBP", "13O") in rows
    assert not reopened.dirty  # showing them is no edit
    # the typo fixed and applied: the rows are the twin's, the draft is gone
    r = next(i for i in range(again.table.rowCount()) if again.table.item(i, 1).text() == "13O")
    again.table.item(r, 1).setText("130")
    assert again.apply()
    assert reopened.measurement_draft is None and "Not applied" not in again.messages.text()
    got = {m.name: m.value for m in reopened.twin.measurements}
    assert got["CO"] == 4.2 and got["SBP"] == 130.0
    state.close()


def test_a_typed_measurement_comes_back_after_a_crash(window, tmp_path, monkeypatch):
    w, doc = window, window.state.session
    saver = Autosaver(tmp_path / "auto")
    ctl = actions.AutosaveController(w.state, interval_s=3600, autosaver=saver, parent=w)
    _type(_panel(w), "CO", "4.2", "0.4")
    assert ctl.autosave_now() is not None
    typed = list(doc.measurement_draft)
    ctl.stop()
    doc.open_twin(None)  # "kill -9": a new session with nothing open
    assert doc.measurement_draft is None
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    assert actions.offer_recovery(w, w.state, saver)
    assert doc.measurement_draft == typed and doc.dirty
    assert ("CO", "4.2") in _typed_rows(_panel(w))
