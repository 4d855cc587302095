"""What a GUI session tells the user also lands in the log file, de-identified and written
at once (review14b #4: ``twinviewer.log`` stayed 0 bytes through a plug-in failure, a
refused Save and a kill)."""

from __future__ import annotations

import logging
import sys

import pytest
from PySide6.QtWidgets import QInputDialog

from tests.plugins.helpers import broken_preset_plugin
from twinviewer.io.logs import configure_logging, log_uncaught_exceptions
from twinviewer.io.privacy import clear_identifiers, register_identifiers

SECRET_FOLDER = "/home/ann/Smithers_Jane_MRN9988776"


@pytest.fixture()
def log_file(tmp_path):
    path = configure_logging(tmp_path / "logs")
    register_identifiers(["Smithers", "MRN9988776"])
    yield path
    clear_identifiers()
    logger = logging.getLogger("twinviewer")
    for h in list(logger.handlers):
        if getattr(h, "_twinviewer", False):
            logger.removeHandler(h)
            h.close()


def test_messages_and_a_plugin_failure_reach_the_file_without_identifiers(
        log_file, make_twin_window, plugin_registry, tmp_path, monkeypatch):
    reg = plugin_registry(broken_preset_plugin(
        tmp_path, f"missing compiled part {SECRET_FOLDER}/lib.so"), entry_points=[])
    w = make_twin_window(load_demo=False)
    w.state.warn(f"study of Smithers: skipped {SECRET_FOLDER}/S001/notes.txt: not DICOM")
    w.state.error(f"Not saved: cannot write '{SECRET_FOLDER}/case.twin': disk full")
    w.state.info("education mode: the patient's twin was closed")
    w.state.warn("reading /data/Smithers/IM0001.dcm failed: not a DICOM file")  # a whole token
    monkeypatch.setattr(QInputDialog, "getItem", lambda parent, title, text, labels, *a: (
        next(x for x in labels if x.startswith("broken_heart")), True))
    w.new_virtual_patient()
    assert reg.plugins["tv-broken-heart"].status == "disabled"
    assert "missing compiled part" in w.last_error  # the control: the user was told

    text = log_file.read_text(encoding="utf-8")  # no flush, no close: written at once
    lines = text.splitlines()
    assert any("WARNING twinviewer.gui.messages: study of [redacted]: skipped <path> "
               "not DICOM" in x for x in lines), text
    assert any("ERROR twinviewer.gui.messages: Not saved: cannot write '<path>': disk full"
               in x for x in lines), text
    assert any("INFO twinviewer.gui.messages: education mode: the patient's twin was closed"
               in x for x in lines), text
    assert any(x.endswith("WARNING twinviewer.gui.messages: reading <path> failed: not a DICOM "
                          "file") for x in lines), text
    failure = [x for x in lines if "ERROR" in x and "tv-broken-heart" in x]
    assert failure and "missing compiled part <path>" in failure[0], text
    for secret in ("Smithers", "MRN9988776", "/home/ann"):
        assert secret.lower() not in text.lower(), secret
    # the dock shows each message once (the records of its messages are not echoed back)
    shown = w.log_panel.text.toPlainText()
    assert shown.count("education mode: the patient's twin was closed") == 1


def test_an_uncaught_exception_logs_its_traceback_and_reaches_the_old_hook(log_file,
                                                                           monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: seen.append(exc[0]))
    log_uncaught_exceptions()
    log_uncaught_exceptions()  # not chained twice
    try:
        raise OSError(f"cannot read {SECRET_FOLDER}/IM0001")
    except OSError:
        sys.excepthook(*sys.exc_info())
    assert seen == [OSError]
    text = log_file.read_text(encoding="utf-8")
    assert "CRITICAL twinviewer.crash: uncaught OSError" in text
    assert 'File "tests/gui/test_log_file.py", line' in text  # where, kept for diagnosis
    assert "OSError: cannot read <path>" in text
    assert "Smithers" not in text and "/home/ann" not in text
