"""File actions of the main window: save / open .twin files, export the PDF report, autosave.

The main window calls these functions from its menu; they do the dialogs and hand the work to
:mod:`twinviewer.io` (Qt-free). Every failure becomes a clear message through the state
(``state.session.message``), and the user's current twin is replaced only after a file loaded
completely.
"""

from __future__ import annotations

import hashlib
import io
import logging
import weakref
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QLineEdit, QMessageBox

from twinviewer.core.atomic import atomic_write_bytes
from twinviewer.core.twin import Twin
from twinviewer.io import (
    ParameterInfo,
    TwinDocument,
    TwinFileError,
    audit_log,
    load_twin,
    parameter_table,
    twin_bytes,
)
from twinviewer.io.autosave import Autosaver
from twinviewer.io.twinfile import SCHEMA_VERSION, SUFFIX

log = logging.getLogger("twinviewer.gui.files")
FILTER = "TwinViewer twin (*.twin)"


@dataclass
class TwinFileContext:
    """What the window remembers about the open twin's file."""

    twin: Twin | None = None
    path: Path | None = None
    parameters: list[ParameterInfo] | None = None
    identifiable: bool = False
    passphrase: str | None = field(default=None, repr=False)
    results_cache: dict = field(default_factory=dict)


_CONTEXTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _hashes(twin: Twin) -> list[str]:
    return [e.hash for e in audit_log(twin).entries]


def same_document(old: Twin | None, new: Twin | None) -> bool:
    """Whether ``new`` is ``old`` edited (same file, passphrase and privacy choice).

    A twin derived by "Apply to twin" or a calibration (``dataclasses.replace``) keeps the
    pseudonym and carries its parent's audit trail (the same list, or a copy with new entries
    appended). An empty trail proves nothing unless the list itself is shared.
    """
    if old is None or new is None:
        return old is new
    if new is old:
        return True
    if new.pseudonym != old.pseudonym:
        return False
    if new.audit is old.audit:
        return True
    before, after = _hashes(old), _hashes(new)
    return bool(before) and after[:len(before)] == before


def _same_parameters(old: Twin, new: Twin) -> bool:
    def same(a, b) -> bool:
        return np.shape(a) == np.shape(b) and np.array_equal(a, b, equal_nan=True)

    return (old.ensemble_kind == new.ensemble_kind and same(old.params, new.params)
            and same(old.ensemble, new.ensemble))


def context(state) -> TwinFileContext:
    """The file context of ``state``'s current twin.

    It is kept across twins derived from the open one (see :func:`same_document`); only the
    cached results are dropped when the parameters changed. Another twin gets a fresh context.
    """
    ctx = _CONTEXTS.get(state)
    twin = state.session.twin
    if ctx is not None and ctx.twin is not twin:
        if same_document(ctx.twin, twin):
            if not _same_parameters(ctx.twin, twin):
                ctx.results_cache = {}
            if (twin.model_name, twin.model_version) != (ctx.twin.model_name,
                                                         ctx.twin.model_version):
                ctx.parameters = None
            ctx.twin = twin
        else:
            ctx = None
    if ctx is None:
        ctx = TwinFileContext(twin=twin)
        _CONTEXTS[state] = ctx
    return ctx


def _message(state, level: str, text: str) -> None:
    state.session.message(level, text)


def _table(state, twin: Twin) -> list[ParameterInfo]:
    ctx = context(state)
    return ctx.parameters if ctx.parameters is not None else parameter_table(twin)


def _results(state) -> dict[str, Any]:
    out: dict[str, Any] = dict(context(state).results_cache)
    if state.session.results is not None:
        out["baseline"] = state.session.results
    out.update(state.session.scenario_results or {})
    return out


def _default_name(twin: Twin, suffix: str) -> str:
    ctx_name = "twin" if not twin.pseudonym else "".join(
        c if c.isalnum() or c in "-_" else "_" for c in twin.pseudonym)
    return f"{ctx_name}{suffix}"


def _ask_passphrase(window, title: str, confirm: bool) -> str | None:
    text, ok = QInputDialog.getText(window, title, "Passphrase:", QLineEdit.EchoMode.Password)
    if not ok or not text:
        return None
    if confirm:
        again, ok = QInputDialog.getText(window, title, "Repeat the passphrase:",
                                         QLineEdit.EchoMode.Password)
        if not ok or again != text:
            return None
    return text


def save_twin_as(window, state, path: str | Path | None = None, *,
                 passphrase: str | None = None, encrypt: bool = False) -> Path | None:
    """Save the open twin to a .twin file (asks for the file when ``path`` is None).

    Parameters
    ----------
    encrypt : bool
        Ask for a passphrase (twice) and encrypt the file.

    Returns
    -------
    Path or None
        The saved file, or None if nothing was saved (the reason is in a message).
    """
    twin = state.session.twin
    if twin is None:
        _message(state, "warning", "There is no twin to save.")
        return None
    ctx = context(state)
    if path is None:
        start = str(ctx.path) if ctx.path else _default_name(twin, SUFFIX)
        path, _ = QFileDialog.getSaveFileName(window, "Save twin", start, FILTER)
        if not path:
            return None
    path = Path(path)
    if path.suffix != SUFFIX:
        path = path.with_suffix(SUFFIX)
    if encrypt and passphrase is None:
        passphrase = _ask_passphrase(window, "Encrypt the twin file", confirm=True)
        if passphrase is None:
            _message(state, "warning", "Not saved: the passphrases were empty or differed.")
            return None
    if passphrase is None:
        passphrase = ctx.passphrase  # an encrypted twin is never re-saved in plaintext
    try:
        data = twin_bytes(twin, results=_results(state), parameters=_table(state, twin),
                          keep_identifiers=ctx.identifiable, passphrase=passphrase)
        atomic_write_bytes(path, data)
    except (TwinFileError, OSError) as exc:
        _message(state, "error", f"Could not save the twin: {exc}")
        return None
    ctx.path, ctx.passphrase = path, passphrase
    controller = getattr(state, "_autosave_controller", None)
    if controller is not None:
        controller.mark_saved(data)
    _message(state, "info", f"Twin saved to {path.name}" + (" (encrypted)" if passphrase else ""))
    return path


def _load(window, path: Path, passphrase: str | None,
          loader=load_twin) -> tuple[TwinDocument, str | None]:
    """Load ``path`` (asking for the passphrase if it is encrypted and none was given).

    Returns the document and the passphrase that opened it (None for a plaintext file).
    """
    try:
        return loader(path, passphrase=passphrase), passphrase
    except TwinFileError as exc:
        if passphrase is None and "is encrypted" in str(exc) and window is not None:
            pw = _ask_passphrase(window, f"Open {path.name}", confirm=False)
            if pw is not None:
                return loader(path, passphrase=pw), pw
        raise


def open_twin(window, state=None, path: str | Path | None = None, *,
              passphrase: str | None = None) -> TwinDocument | None:
    """Open a .twin file and make its twin the current one.

    ``open_twin(window, path)`` is accepted too (``state`` is then ``window.state``).

    Returns
    -------
    TwinDocument or None
        The loaded document; None if nothing was opened (the reason is in a message) — the
        current twin then stays as it was.
    """
    if isinstance(state, str | Path):
        state, path = None, state
    state = state if state is not None else window.state
    if path is None:
        path, _ = QFileDialog.getOpenFileName(window, "Open twin", "", FILTER)
        if not path:
            return None
    path = Path(path)
    try:
        doc, passphrase = _load(window, path, passphrase)
    except TwinFileError as exc:
        _message(state, "error", f"Could not open the twin: {exc}")
        return None
    _show(state, doc, path, passphrase)
    return doc


def _show(state, doc: TwinDocument, path: Path | None, passphrase: str | None) -> None:
    state.session.set_twin(doc.twin)
    ctx = context(state)
    ctx.path, ctx.parameters, ctx.identifiable = path, doc.parameters, doc.identifiable
    ctx.passphrase, ctx.results_cache = passphrase, dict(doc.results)
    name = path.name if path is not None else "the autosave"
    text = f"Opened {name}: {doc.chain.message}"
    if doc.schema_version < SCHEMA_VERSION:
        text += f" (file schema {doc.schema_version}, upgraded on the next save)"
    _message(state, "info", text)
    if doc.identifiable:
        _message(state, "warning", f"{name} CONTAINS PATIENT IDENTIFIERS (kept for a local "
                                   f"study); do not share it.")


def current_document(state) -> TwinDocument:
    """A :class:`TwinDocument` of the open twin (for reports and tests)."""
    twin = state.session.twin
    if twin is None:
        raise TwinFileError("there is no twin open")
    ctx = context(state)
    log_ = audit_log(twin)
    return TwinDocument(twin, log_, _table(state, twin), dict(ctx.results_cache),
                        ctx.identifiable, log_.verify_chain())


def export_report(window, state, path: str | Path | None = None) -> Path | None:
    """Export the PDF report of the open twin (asks for the file when ``path`` is None).

    The current baseline and scenario results are used; without results the twin is
    simulated first in the background. Rendering happens in the GUI thread (VTK's off-screen
    context must not share a thread with nothing else in Qt), with a wait cursor.
    """
    twin = state.session.twin
    if twin is None:
        _message(state, "warning", "There is no twin to report on.")
        return None
    if path is None:
        path, _ = QFileDialog.getSaveFileName(window, "Export report",
                                              _default_name(twin, ".pdf"), "PDF (*.pdf)")
        if not path:
            return None
    path = Path(path)
    try:
        doc = current_document(state)
    except TwinFileError as exc:
        _message(state, "error", f"Could not export the report: {exc}")
        return None
    scenarios = dict(state.session.scenario_results or {})  # as shown when asked

    def write(results) -> None:
        from twinviewer.io.report import write_report

        if state.session.twin is not twin:
            _message(state, "error", f"Report not written to {path.name}: another twin was "
                                     f"opened (or the twin changed) while it was simulated; "
                                     f"export it again.")
            return
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            info = write_report(doc, path, results=results, scenario_results=scenarios,
                                simulate=False)
        except (TwinFileError, OSError, ValueError) as exc:
            _message(state, "error", f"Could not export the report: {exc}")
            return
        finally:
            QApplication.restoreOverrideCursor()
        audit_log(twin).record(twin, "export", {"format": "pdf", "pages": info.pages})
        for note in info.notes:
            _message(state, "warning", f"Report: {note}")
        _message(state, "info", f"Report written to {path.name} ({info.pages} pages)")

    if state.session.results is not None:
        write(state.session.results)
    else:
        from twinviewer.twins import simulate_twin

        state.run_job("Simulating for the report",
                      lambda progress, cancelled: simulate_twin(
                          twin, progress=progress, cancel=cancelled), write)
    return path


class AutosaveController(QObject):
    """Autosaves the open twin every ``interval_s`` seconds when its content changed.

    Parameters
    ----------
    state : TwinState
    interval_s : float
        Seconds between autosave checks.
    autosaver : Autosaver, optional
        Default: autosaves under the platformdirs user data dir.
    """

    def __init__(self, state, interval_s: float = 120, autosaver: Autosaver | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent if parent is not None else state)
        self.state = state
        self.autosaver = autosaver or Autosaver()
        self._last_digest: dict[int, str] = {}
        self.timer = QTimer(self)
        self.timer.setInterval(int(interval_s * 1000))
        self.timer.timeout.connect(self.autosave_now)
        self.timer.start()
        state._autosave_controller = self

    def _digest(self, data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    def autosave_now(self) -> Path | None:
        """Autosave if the twin changed since the last autosave or save; returns the path."""
        twin = self.state.session.twin
        if twin is None:
            return None
        ctx = context(self.state)
        kw = {"results": _results(self.state), "parameters": _table(self.state, twin),
              "keep_identifiers": ctx.identifiable}
        try:
            # manifest carries a timestamp: digest the plaintext content, not the zip bytes
            # (an encrypted file is not a zip, and its salt changes on every write)
            plain = twin_bytes(twin, **kw)
            digest = _content_digest(plain)
            if self._last_digest.get(id(twin)) == digest:
                return None
            data = plain if ctx.passphrase is None else \
                twin_bytes(twin, **kw, passphrase=ctx.passphrase)
            self.autosaver.directory.mkdir(parents=True, exist_ok=True)
            path = self.autosaver.path_for(twin)
            atomic_write_bytes(path, data)
        except (TwinFileError, OSError, zipfile.BadZipFile) as exc:
            log.warning("autosave failed: %s", exc)
            _message(self.state, "warning", f"Autosave failed: {exc}")
            return None
        self._last_digest[id(twin)] = digest
        return path

    def mark_saved(self, data: bytes | None = None) -> None:
        """The user saved explicitly: the autosave is no longer needed."""
        twin = self.state.session.twin
        if twin is None:
            return
        self.autosaver.mark_saved(twin)
        self.autosaver.discard(twin)
        self._last_digest.pop(id(twin), None)

    def stop(self) -> None:
        self.timer.stop()


def _content_digest(data: bytes) -> str:
    """SHA-256 over the members (not the manifest, whose 'written' time always changes)."""
    h = hashlib.sha256()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in sorted(zf.namelist()):
            if name != "manifest.json":
                h.update(name.encode())
                h.update(zf.read(name))
    return h.hexdigest()


def offer_recovery(window, state, autosaver: Autosaver | None = None) -> bool:
    """At start: offer to restore autosaved work newer than its last explicit save.

    Returns
    -------
    bool
        True if a twin was restored.
    """
    controller = getattr(state, "_autosave_controller", None)
    autosaver = autosaver or (controller.autosaver if controller else Autosaver())
    pending = autosaver.pending_recovery()
    if not pending:
        return False
    rec = pending[0]
    answer = QMessageBox.question(
        window, "Recover unsaved work",
        f"TwinViewer found {rec.describe()}, newer than your last save. Restore it?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Discard,
        QMessageBox.StandardButton.Yes)
    if answer != QMessageBox.StandardButton.Yes:
        autosaver.discard(rec)
        _message(state, "info", "Autosaved work discarded.")
        return False
    try:
        doc, passphrase = _load(window, rec.path, None,
                                loader=lambda _p, passphrase: autosaver.recover(
                                    rec, passphrase=passphrase))
    except TwinFileError as exc:
        _message(state, "error", f"Could not recover the autosave: {exc}")
        return False
    _show(state, doc, None, passphrase)
    return True
