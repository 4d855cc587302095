"""A start whose look for unsaved work fails says so and keeps the autosaves (review15 #1:
the recovery question was never asked, and nothing said why, when an import raced it)."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from twinviewer.gui import twin_file_actions as actions
from twinviewer.io.autosave import Autosaver


def test_a_failing_look_for_autosaves_is_named_and_keeps_them(env, tmp_path, monkeypatch):
    state, window, messages = env
    saver = Autosaver(tmp_path / "autosave", secret=b"k" * 32)
    kept = saver.directory / "work.autosave.twin"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"unsaved work")

    def broken() -> list:
        raise AttributeError("partially initialized module 'pydicom' has no attribute 'valuerep'")

    monkeypatch.setattr(saver, "pending_recovery", broken)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("nothing to ask about")))
    assert not actions.offer_recovery(window, state, saver)
    level, text = messages[-1]
    assert level == "error" and str(saver.directory) in text and "partially initialized" in text
    assert "kept" in text and kept.read_bytes() == b"unsaved work"
