"""File actions of the main window: save / open .twin files, export the PDF report, autosave.

The main window calls these functions from its menu; they do the dialogs and hand the work to
:mod:`twinviewer.io` (Qt-free). Every failure becomes a clear message through the state
(``state.session.message``), and the user's current twin is replaced only after a file loaded
completely.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as _dt
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, QTimer, Signal
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox

from twinviewer.core.twin import Twin
from twinviewer.document import FileContext
from twinviewer.gui import file_dialogs
from twinviewer.gui.state import JobCancelled
from twinviewer.io import (
    ParameterInfo,
    TwinDocument,
    TwinFileError,
    load_twin,
    parameter_table,
)
from twinviewer.io.autosave import Autosaver
from twinviewer.io.disk_stamp import UNKNOWN, ChangedOnDisk, DiskStamp, read_on_disk
from twinviewer.io.twinfile import SCHEMA_VERSION, SUFFIX

log = logging.getLogger("twinviewer.gui.files")
FILTER = "TwinViewer twin (*.twin)"


def context(state) -> FileContext:
    """The file context of ``state``'s open twin (owned by the document)."""
    return state.session.file


def _message(state, level: str, text: str) -> None:
    state.session.message(level, text)


def _table(state, twin: Twin) -> list[ParameterInfo]:
    ctx = context(state)
    return ctx.parameters if ctx.parameters is not None else parameter_table(twin)


def _results(state) -> dict[str, Any]:
    return state.session.results_to_save()


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
                 passphrase: str | None = None, encrypt: bool = False,
                 wait: bool = True, after_running: bool = False) -> Path | None:
    """Save the open twin to a .twin file (asks for the file when ``path`` is None).

    The document is taken as it stands (by reference) and written from a thread of its own:
    serialised, encrypted and written atomically in the file helper (:func:`write_file`),
    so the window keeps drawing; a busy dialog shows while it takes longer than
    :data:`SAVE_DIALOG_MS`. The document is marked saved only once the file is written,
    and only if the user changed nothing meanwhile. A failure (disk full, permission
    denied, a folder of that name) is said with the file's name and leaves the document
    as it was, unsaved, and any earlier file whole. While one save runs, another is refused
    with a message: never two writers of one document.

    Parameters
    ----------
    encrypt : bool
        Ask for a passphrase (twice) and encrypt the file.
    wait : bool, default True
        Return once the file is written (the window keeps running meanwhile); False:
        return as soon as the write is started (its outcome is said in a message).
    after_running : bool, default False
        If a save is being written, wait for it (busy dialog), then save what changed
        meanwhile, if anything (Quit → Save); default: refuse with a message.

    Returns
    -------
    Path or None
        The saved file (with ``wait=False``: the file being written), or None if nothing
        was saved (the reason is in a message).

    Examples
    --------
    >>> save_twin_as(window, window.state, "case.twin")  # doctest: +SKIP
    PosixPath('case.twin')
    """
    twin = state.session.twin
    if twin is None:
        _message(state, "warning", "There is no twin to save.")
        return None
    busy = getattr(state, "_saving", None)
    if busy is not None and after_running:
        # the user asked for this save (Quit → Save): the running write ends first, then
        # what is newer, if anything, is saved (review13b #8); never two writers
        _wait_for_save(window, busy, state._save_waiters)
        busy = getattr(state, "_saving", None)
        if busy is None and not state.session.dirty and state.session.twin is twin:
            return context(state).path
    if busy is not None:
        _message(state, "warning", f"Not saved again: {busy.name} is still being written; "
                                   f"save once it is done.")
        return None
    ctx = context(state)
    if path is None:
        start = str(ctx.path) if ctx.path else _default_name(twin, SUFFIX)
        path, _ = file_dialogs.get_save_file_name(window, "Save twin", start, FILTER)
        if not path:
            return None
    path = Path(path)
    if path.suffix != SUFFIX:
        path = path.with_suffix(SUFFIX)
    answer, confirmed, record = _check_disk(window, state, path)
    if answer == "cancel":
        return None
    if answer == "new":
        new = _new_file_name(window, path)
        if new is None:
            _message(state, "warning", f"Not saved: {path.name} changed on disk and no new "
                                       f"file was chosen.")
            return None
        return save_twin_as(window, state, new, passphrase=passphrase, encrypt=encrypt,
                            wait=wait, after_running=after_running)
    if encrypt and passphrase is None:
        passphrase = _ask_passphrase(window, "Encrypt the twin file", confirm=True)
        if passphrase is None:
            _message(state, "warning", "Not saved: the passphrases were empty or differed.")
            return None
    try:
        # the overwrite is recorded in the file written, and in the open trail only once
        # written: a Save that does not happen records nothing (final14 #1)
        request = state.session.save_request(path, passphrase=passphrase, record=record)
    except TwinFileError as exc:
        _message(state, "error", f"Could not save the twin to {path}: {exc}")
        return None
    state._saving = request.target
    outcome: dict[str, Any] = {}
    written: list[DiskStamp | None] = []
    loop: list[QEventLoop] = []
    state._save_waiters = loop  # a Quit → Save waits on it too
    controller = getattr(state, "_autosave_controller", None)
    # the changes not yet autosaved are autosaved first, and the autosave is dropped only
    # once this save has landed: a kill during the write leaves the new file, or the old
    # one and the recovery snapshot (review13b #4)
    autosaved = controller.before_save() if controller is not None else None

    def finish(error: BaseException | None) -> None:
        state._saving = None
        stamp = written[0] if written else None
        relay.deleteLater()
        outcome["error"] = error
        if isinstance(error, ChangedOnDisk):  # another writer came in meanwhile: not written
            _message(state, "warning", f"Not saved: {error}.")
            if controller is not None and state.session.dirty:
                controller.debounce.start()
        elif error is not None:
            _message(state, "error", f"Could not save the twin to {request.target}: "
                                     f"{save_problem(error, request.target)}. "
                                     "The twin is kept as it was"
                                     + (", with its unsaved changes." if state.session.dirty
                                        else "."))
            if controller is not None and state.session.dirty:
                controller.debounce.start()  # the autosave keeps the work meanwhile
        elif state.session.saved(request, stamp) and controller is not None:
            controller.mark_saved_soon()  # the autosave holds nothing newer: not needed
        if error is None:
            encrypted = request.options.get("passphrase") is not None
            _message(state, "info", f"Twin saved to {request.target.name}"
                     + (" (encrypted)" if encrypted else "")
                     + ("" if not state.session.dirty or state.session.twin is not
                        request.source else "; changes made meanwhile are not saved yet"))
        for lp in loop:
            lp.quit()

    def work() -> None:
        if controller is not None:
            controller.wait(future=autosaved, timeout=None)
        try:
            # refused if the file changed since the user's check (checked by the writer,
            # right before its rename); the stamp is of the new file itself (final14 #2)
            written.append(write_file("save", request.twin, {
                "path": request.target, "twin": request.twin, "options": request.options,
                "unchanged_since": confirmed}))
        except BaseException as exc:  # noqa: BLE001 - every failure is said, none lost
            relay.done.emit(exc)
            return
        relay.done.emit(None)

    # a thread of its own, not the jobs' pool: a Save never queues behind a calibration
    # or a what-if holding the pool's threads (not a daemon: an exit waits for the write);
    # named plainly: thread names reach the stall trace, and a file name may name the patient
    relay = _Relay(state)
    relay.done.connect(finish)
    threading.Thread(target=work, name="save").start()
    if not wait:
        return request.target
    if "error" not in outcome:
        _wait_for_save(window, request.target, loop)
    return request.target if outcome.get("error", True) is None else None


#: Another writer changed the file: the question's title.
CHANGED_TITLE = "File changed on disk"


def _check_disk(window, state, path: Path) -> tuple[str, DiskStamp | None,
                                                    tuple[str, dict] | None]:
    """Before a Save to ``path``: ``(answer, confirmed, record)``.

    ``answer`` is ``'overwrite'`` when nobody else wrote the open twin's file since it was
    opened or last saved here (one ``stat``, nothing read), else the user's answer to
    :func:`ask_changed_on_disk` (``'new'``, ``'overwrite'``, ``'cancel'``). ``confirmed``:
    what the file must still be when the save replaces it (the stamp the user saw; None:
    another file, not checked). ``record``: the audit entry an overwrite adds once written
    — when, and how many entries of which kinds and hashes it replaced, never their text;
    for a file that now holds another twin, none of that twin's record (final14 #1)."""
    ctx = context(state)
    if ctx.path is None or ctx.disk is None or not _same_file(path, ctx.path):
        return "overwrite", None, None  # a new file: the file dialog asked about it
    now = DiskStamp.of(path)
    if now is None:
        return "overwrite", None, None  # removed meanwhile: nobody's work is lost
    if now == ctx.disk:
        return "overwrite", ctx.disk, None
    twin = state.session.twin
    known = [e.hash for e in twin.audit] if twin is not None else []
    seen = read_on_disk(path, known, twin.pseudonym if twin is not None else None)
    since = ("the recovered work began (not known: the autosave did not record it)"
             if ctx.disk.unknown else "last saved it here" if ctx.saved_here
             else "opened it")
    record: tuple[str, dict]
    if seen is not None and seen.other_twin:
        who = f" ({seen.pseudonym})" if seen.pseudonym else ""
        text = (f"The file {path.name} now holds another twin{who}, not the one open here: "
                f"another TwinViewer or the command line wrote it at {now.time}, since you "
                f"{since}.\n\nSave as a new file (recommended: both kept), Overwrite (that "
                f"twin is lost from this file), or Cancel?")
        record = ("save", {"overwrote_changes_on_disk_at": now.time,
                           "replaced": "another twin (its record is not copied here)"})
    else:
        text = (f"The file {path.name} changed on disk at {now.time} since you {since} (by "
                f"another TwinViewer or the command line).")
        if seen is not None and seen.added:
            added = [words for _a, _h, words in seen.added]
            shown = added[:6]
            text += (f"\n\nIt now holds {len(added)} audit "
                     f"entr{'y' if len(added) == 1 else 'ies'} this window does not have:\n"
                     + "\n".join(f"• {a[:160]}" for a in shown)
                     + (f"\n… and {len(added) - len(shown)} more" if len(added) > len(shown)
                        else ""))
        elif seen is None:
            text += "\n\nWhat changed cannot be said here (the file is encrypted or unreadable)."
        text += ("\n\nSave as a new file (both kept), Overwrite (what the other writer added "
                 "is lost from this file), or Cancel?")
        record = ("save", {"overwrote_changes_on_disk_at": now.time, **(
            {"replaced": "not readable (encrypted)"} if seen is None else
            {"replaced_entries": len(seen.added),
             "replaced": [action for action, _h, _w in seen.added],
             "replaced_hashes": [h[:16] for _a, h, _w in seen.added]})})
    answer = ask_changed_on_disk(window, text)
    if answer == "cancel":
        _message(state, "warning", f"Not saved: {path.name} changed on disk at {now.time}; "
                                   f"nothing was written.")
    if answer != "overwrite" or twin is None:
        return answer, None, None
    return answer, now, record


def _same_file(a: Path, b: Path) -> bool:
    with contextlib.suppress(OSError):
        return a.resolve() == b.resolve()
    return a == b


def ask_changed_on_disk(window, text: str) -> str:
    """Ask what to do with a file another writer changed: ``'new'`` (Save as a new file…),
    ``'overwrite'`` or ``'cancel'`` (also when the window is closed)."""
    from PySide6.QtWidgets import QWidget

    box = QMessageBox(QMessageBox.Icon.Warning, CHANGED_TITLE, text,
                      parent=window if isinstance(window, QWidget) else None)
    new = box.addButton("Save as a new file…", QMessageBox.ButtonRole.AcceptRole)
    over = box.addButton("Overwrite", QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(new)
    box.setEscapeButton(cancel)
    box.exec()
    clicked = box.clickedButton()
    box.deleteLater()
    return "new" if clicked is new else "overwrite" if clicked is over else "cancel"


def _new_file_name(window, path: Path) -> Path | None:
    """Ask for the new file (suggested: ``name-2.twin``, the first not taken)."""
    n = 2
    while (suggested := path.with_name(f"{path.stem}-{n}{SUFFIX}")).exists():
        n += 1
    chosen, _ = file_dialogs.get_save_file_name(window, "Save as a new file", str(suggested),
                                                FILTER)
    return Path(chosen) if chosen else None


class _Relay(QObject):
    """Brings a save's outcome (None, or the error) from its thread to the GUI thread."""

    done = Signal(object)


#: A save that takes longer than this (ms) shows a progress dialog while the window waits.
SAVE_DIALOG_MS = 400


def _wait_for_save(window, target: Path, loop: list[QEventLoop]) -> None:
    """Run the event loop until the save finishes (``loop`` holds the loop it quits):
    the window keeps drawing, and after :data:`SAVE_DIALOG_MS` a window-modal busy dialog
    says what is being written (and keeps other actions from starting meanwhile)."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QProgressDialog, QWidget

    shown: list[QProgressDialog] = []

    def show() -> None:
        if not loop or not isinstance(window, QWidget):
            return
        dialog = QProgressDialog(f"Saving {target.name}…", "", 0, 0, window)
        dialog.setCancelButton(None)  # an atomic write is not stopped halfway
        dialog.setWindowTitle("Saving")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.show()
        shown.append(dialog)

    lp = QEventLoop()
    loop.append(lp)
    QTimer.singleShot(SAVE_DIALOG_MS, show)
    try:
        lp.exec()
    finally:
        loop.clear()
        for dialog in shown:
            dialog.close()
            dialog.deleteLater()


def save_problem(exc: BaseException, target: Path | str | None = None) -> str:
    """What went wrong in a save of ``target``, in words (the file is named by the caller).

    Examples
    --------
    >>> import errno
    >>> save_problem(OSError(errno.ENOSPC, "No space left on device"))
    'the disk is full (no space left on device)'
    >>> save_problem(IsADirectoryError(errno.EISDIR, "Is a directory"))
    'that name is a folder, not a file'
    >>> save_problem(OSError(errno.ENOENT, "No such file or directory"), "/proc/a.twin")
    'cannot create a file in /proc (this folder cannot hold files)'
    """
    import errno

    from twinviewer.gui.model_jobs import file_errno

    said = {errno.ENOSPC: "the disk is full (no space left on device)",
            errno.EDQUOT: "the disk quota is used up",
            errno.EACCES: "permission denied (this folder or file is not writable)",
            errno.EPERM: "permission denied (this folder or file is not writable)",
            errno.EISDIR: "that name is a folder, not a file",
            errno.ENOENT: "the folder does not exist",
            errno.ENOTDIR: "a part of the path is a file, not a folder",
            errno.EROFS: "the disk is read-only"}
    code = file_errno(exc)
    folder = Path(target).parent if target is not None else None
    if code == errno.ENOENT and folder is not None and folder.is_dir():
        # the folder is there and still refuses a file (/proc, a vanished mount point)
        return f"cannot create a file in {folder} (this folder cannot hold files)"
    if code in said:
        return said[code]
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


def write_file(job: str, twin: Twin, kwargs: dict[str, Any]) -> Any:
    """Run a file job (:func:`~twinviewer.gui.model_jobs.file_written`: ``"save"`` or
    ``"autosave"``) from a job's thread: in the file helper when one can run, else — or if
    it cannot take the job — here; the same file either way."""
    from twinviewer.gui import model_jobs
    from twinviewer.gui.process_worker import available

    if available():
        try:
            return model_jobs.file_written(job, kwargs, worker=model_jobs.file_helper())
        except model_jobs.HelperUnavailable as exc:
            log.warning("%s; writing the file here", exc)
    return model_jobs.file_written(job, kwargs)


def save_twin(window, state, *, after_running: bool = False) -> Path | None:
    """Save the open twin to its own file (encrypted as it was); ask for one if it has none.

    ``after_running``: a save being written is waited for first (see :func:`save_twin_as`).
    """
    busy = getattr(state, "_saving", None)
    if busy is not None and after_running:  # its file is then the one to save to
        _wait_for_save(window, busy, state._save_waiters)
        if not state.session.dirty:
            return context(state).path if getattr(state, "_saving", None) is None else None
    ctx = context(state)
    if state.session.twin is not None and ctx.path is not None:
        return save_twin_as(window, state, ctx.path, after_running=after_running)
    return save_twin_as(window, state, after_running=after_running)


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
        path, _ = file_dialogs.get_open_file_name(window, "Open twin", "", FILTER)
        if not path:
            return None
    path = Path(path)
    disk = DiskStamp.of(path)  # before the read: a write meanwhile counts as a change
    try:
        doc, passphrase = _load(window, path, passphrase)
    except TwinFileError as exc:
        _message(state, "error", f"Could not open the twin: {exc}")
        return None
    if not _show(window, state, doc, path, passphrase, disk=disk):
        return None
    return doc


def _show(window, state, doc: TwinDocument, path: Path | None, passphrase: str | None, *,
          dirty: bool = False, disk: DiskStamp | None = None,
          recovered_at: float | None = None) -> bool:
    """Make ``doc`` the open twin; False (with the reason said) when education mode refuses
    it — every path that opens a file (Open, recent files, recovery) comes through here.
    ``recovered_at``: the autosave's time, when ``doc`` is an autosave being recovered (its
    audit trail is the autosave's, not the file's: said so, review16 #11a)."""
    from twinviewer.gui.education import refuse_in_education_mode

    if window is not None and refuse_in_education_mode(window, doc.twin):
        return False
    state.session.open_loaded(doc, path, passphrase, dirty=dirty, disk=disk)
    name = path.name if path is not None else "the autosave"
    if recovered_at is not None:
        import time

        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(recovered_at))
        of = f" of {path.name}" if path is not None else " (never saved to a file)"
        text = f"Opened the autosave{of} from {when}: {doc.chain.message}"
    else:
        text = f"Opened {name}: {doc.chain.message}"
    if doc.schema_version < SCHEMA_VERSION:
        text += f" (file schema {doc.schema_version}, upgraded on the next save)"
    _message(state, "info", text)
    from twinviewer.io.measurement_use import last_calibration

    misfits = (last_calibration(doc.audit.entries) or {}).get("misfits") or []
    if misfits:  # misfit is never silent, also when a file is reopened
        _message(state, "warning", f"{name}: the last calibration does not reproduce "
                                   f"{len(misfits)} measurement{'s' * (len(misfits) > 1)} "
                                   f"(|z| > 2): " + "; ".join(misfits))
    if doc.identifiable:
        _message(state, "warning", f"{name} CONTAINS PATIENT IDENTIFIERS (kept for a local "
                                   f"study); do not share it.")
    return True


def current_document(state) -> TwinDocument:
    """A :class:`TwinDocument` of the open twin (for reports and tests)."""
    if state.session.twin is None:
        raise TwinFileError("there is no twin open")
    return state.session.twin_document()


def report_command(twin_file: Path, output: Path, left_out: Sequence[str] = ()) -> list[str]:
    """The command line that writes the report of ``twin_file`` (installed or bundled);
    ``left_out``: scenarios it must not simulate (their plug-in is off here)."""
    extra = [a for name in left_out for a in ("--leave-out", name)]
    if getattr(sys, "frozen", False):  # PyInstaller bundle: the executable is the CLI
        return [sys.executable, "report", str(twin_file), "-o", str(output), *extra]
    return [sys.executable, "-m", "twinviewer.cli", "report", str(twin_file), "-o",
            str(output), *extra]


#: How much lower the report process's scheduling priority is than the window's (``nice``).
REPORT_NICE = 5


def write_snapshot(path: Path, twin: Twin, options: dict[str, Any]) -> None:
    """Write the report's .twin snapshot of ``twin`` at ``path`` (``options``: the keyword
    arguments of :func:`~twinviewer.io.twinfile.twin_bytes`), from a job's thread.

    It is written in the file helper (:func:`~twinviewer.gui.model_jobs.twin_file_written`
    in :func:`~twinviewer.gui.model_jobs.file_helper`) when one can run and the twin's model
    is an installed one, so the serialisation's long copies do not hold this process's
    interpreter lock (118 ms once, stall12); otherwise, or if the helper dies or fails
    meanwhile, here. Both give the same file, bit for bit. An export pressed while a Save
    or an autosave is being written waits for it (not for a calibration: save13).
    """
    from twinviewer.gui import model_jobs
    from twinviewer.gui.process_worker import HelperDied

    if model_jobs.use_helper(twin):
        try:
            model_jobs.twin_file_written(path, twin, options,
                                         worker=model_jobs.file_helper())
            return
        # the helper died, its pipe broke or its write failed: written here (an error that
        # is the file's own is raised again here and reported)
        except (HelperDied, EOFError, OSError) as exc:
            log.warning("the model helper could not write the report's twin (%s); "
                        "writing it here", exc)
    model_jobs.twin_file_written(path, twin, options)


def export_report(window, state, path: str | Path | None = None) -> Path | None:
    """Export the PDF report of the open twin (asks for the file when ``path`` is None).

    The document as it stands is written to a private temporary .twin and the headless
    ``twinviewer report`` runs on it in a separate process (VTK's off-screen rendering and
    matplotlib stay out of the GUI process), from a worker thread with progress and Cancel,
    so the interface never waits. The report therefore shows exactly what a saved file
    would hold. Returns the PDF path the job will write (None if not started).
    """
    session = state.session
    twin = session.twin
    if twin is None:
        _message(state, "warning", "There is no twin to report on.")
        return None
    if path is None:
        path, _ = file_dialogs.get_save_file_name(window, "Export report",
                                              _default_name(twin, ".pdf"), "PDF (*.pdf)")
        if not path:
            return None
    path = Path(path)
    ctx = context(state)
    passphrase = ctx.passphrase
    # what the file would hold, by reference (as the autosave does): serialising it took
    # 0.35–0.46 s of the GUI thread's CPU (a 115 MB demo twin), now the job's
    # a scenario whose plug-in is off in this session (a hang disables it here only) is
    # not simulated again by the report process (review12b #1: it ran the hang for 10 s)
    from twinviewer.interventions.library import why_unavailable

    left_out = [sc.name for sc in twin.scenarios
                if any(why_unavailable(st.name) for st in sc.steps)]
    snap = copy.copy(twin)
    snap.audit = list(twin.audit)  # a note recorded meanwhile is not half in the report
    kw = {"results": _results(state), "parameters": _table(state, twin),
          "keep_identifiers": ctx.identifiable, "series": session.series_to_save(),
          "passphrase": passphrase,
          "written": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}

    def work(progress, is_cancelled) -> tuple[int, str]:
        progress(0.0, "writing the twin for the report")
        env = dict(os.environ)
        if passphrase is not None:
            env["TWINVIEWER_PASSPHRASE"] = passphrase
        with tempfile.TemporaryDirectory(prefix="twinviewer-report-") as tmp:
            snapshot = Path(tmp) / "report.twin"
            try:
                write_snapshot(snapshot, snap, kw)
            except (TwinFileError, OSError) as exc:
                return 1, f"error: {exc}"
            if is_cancelled():
                raise JobCancelled("report cancelled")
            progress(0.1, "simulating and writing the pages")
            proc = subprocess.Popen(report_command(snapshot, path, left_out), env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)
            with contextlib.suppress(OSError, AttributeError):  # POSIX; may not be allowed
                # below this process: on a busy machine the window's frames get a CPU first
                os.setpriority(os.PRIO_PROCESS, proc.pid,
                               os.getpriority(os.PRIO_PROCESS, 0) + REPORT_NICE)
            while proc.poll() is None:
                if is_cancelled():
                    proc.kill()
                    proc.wait()
                    raise JobCancelled("report cancelled")
                time.sleep(0.1)
            out, err = proc.communicate()
        progress(1.0, "report written")
        return proc.returncode, (out + err).strip()

    def done(outcome: tuple[int, str]) -> None:
        code, text = outcome
        notes = [ln[len("note: "):] for ln in text.splitlines() if ln.startswith("note: ")]
        if code != 0 or not path.exists():
            errors = [ln for ln in text.splitlines() if ln.startswith("error:")]
            _message(state, "error", f"Could not export the report to {path.name}: "
                     + (errors[-1][len("error: "):] if errors else text[-300:]))
            return
        pages = next((int(w) for ln in text.splitlines() if ln.startswith("wrote ")
                      for w in ln.replace("(", " ").split() if w.isdigit()), 0)
        if session.twin is twin:
            session.record("export", {"format": "pdf", "pages": pages})
        for note in notes:
            _message(state, "warning", f"Report: {note}")
        _message(state, "info", f"Report written to {path.name} ({pages} pages)")

    state.run_job(f"Writing the report {path.name}", work, done)
    return path


#: Quiet time after an edit before its autosave starts (s), and the longest an edit waits
#: for that quiet (s): a kill then loses at most the last ~1 s of work plus the write's own
#: time (fix15c; it was 0.5 s of quiet, restarted by every edit, with no bound).
DEBOUNCE_S = 0.2
MAX_WAIT_S = 1.0
#: How long after a twin is opened the file helper starts and warms up (ms).
WRITER_READY_DELAY_MS = 3000


class AutosaveController(QObject):
    """Autosaves the open twin about ``debounce_s`` after each change the user makes.

    Every document change the user makes (the twin, a note or other audit entry, scenarios and
    their results) restarts a short single-shot timer; when it fires, the GUI thread only takes
    a snapshot of what a save writes (references, no serialising) and a worker thread sends
    it to the file helper, which serialises, digests and writes it atomically
    (:func:`write_file`; here where no helper runs), so a large 4D twin does not stall the
    GUI. While the cine plays (``busy``) the worker waits, at most ``max_defer_s``, so an
    autosave never competes with playback. A slow timer (``interval_s``) is a second net.

    Parameters
    ----------
    state : TwinState
    interval_s : float
        Seconds between periodic autosave checks (the net under the per-edit autosave).
    autosaver : Autosaver, optional
        Default: autosaves under the platformdirs user data dir.
    debounce_s : float
        Quiet time after the last change before the autosave is written.
    max_wait_s : float
        Longest time a change waits for that quiet: edits in a steady stream (typing a
        note, dragging a slider) are autosaved at least this often (with the debounce
        alone nothing was written until the user paused).
    busy : callable, optional
        True while the GUI must not be disturbed (playback); default the parent window's
        ``_playing`` flag when it has one.
    max_defer_s : float
        Longest wait for ``busy`` to clear before writing anyway (from the worker thread).
    """

    #: (digest key, digest, path or None, error text or None), from the worker thread
    written = Signal(object, object, object, object)

    def __init__(self, state, interval_s: float = 120, autosaver: Autosaver | None = None,
                 parent: QObject | None = None, *, debounce_s: float = DEBOUNCE_S,
                 busy: Callable[[], bool] | None = None, max_defer_s: float = 10.0,
                 max_wait_s: float = MAX_WAIT_S) -> None:
        super().__init__(parent if parent is not None else state)
        self.state = state
        self.autosaver = autosaver or Autosaver()
        self._last_digest: dict[int, str] = {}
        self._lock = threading.Lock()  # one write at a time (worker or autosave_now)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autosave")
        self._pending: Future | None = None
        self._again = False  # edits arrived while a write ran: another write when it ends
        playing = getattr(parent, "_playing", None)
        self._busy = busy if busy is not None else (
            playing.is_set if playing is not None else (lambda: False))
        self._max_defer_s = max_defer_s
        # set while the GUI thread waits for the worker (save, discard): a write deferred
        # for playback goes now, or the window would freeze up to max_defer_s (review10b #5)
        self._hurry = threading.Event()
        self.timer = QTimer(self)
        self.timer.setInterval(int(interval_s * 1000))
        self.timer.timeout.connect(lambda: self.autosave_soon(changed=False))
        self.timer.start()
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self._debounce_ms = int(debounce_s * 1000)
        self._max_wait_s = max(max_wait_s, debounce_s)
        self.debounce.setInterval(self._debounce_ms)
        self.debounce.timeout.connect(self.autosave_soon)
        self._unsaved_since: float | None = None  # the first change not yet autosaved
        self.written.connect(self._on_written)
        doc = state.session
        self._unsubscribe = [doc.subscribe(e, self._changed) for e in
                             ("twin", "audit", "scenarios", "scenario_results", "dirty",
                              "draft")]
        self._unsubscribe.append(doc.subscribe("twin", self._twin_opened))
        state._autosave_controller = self
        self._helper_started = False
        # the file-name key (and pydicom, which loads it) ready before the first edit
        self._pool.submit(self._warm)

    def _warm(self) -> None:
        with contextlib.suppress(Exception):
            self.autosaver.key("warm-up")

    def _changed(self, _payload: Any = None) -> None:
        try:
            if self.state.session.dirty:
                # restarts: written once the user pauses, but never later than max_wait_s
                # after the first change it holds (a kill then loses at most that much)
                now = time.monotonic()
                if self._unsaved_since is None or not self.debounce.isActive():
                    self._unsaved_since = now
                left = self._max_wait_s - (now - self._unsaved_since)
                self.debounce.start(max(0, min(self._debounce_ms, int(left * 1000))))
                self._get_writer_ready()
        except RuntimeError:  # the window (and this controller's timer) is gone
            self._drop_subscriptions()

    def _twin_opened(self, twin: Any = None) -> None:
        """A twin is open: the writer gets ready a moment later (not competing with the
        opening), so the first edit's autosave does not wait for the file helper to start
        and import (6.3 s at load 16 for a 34 MB CT twin, fix15c)."""
        if twin is not None and not self._helper_started:
            with contextlib.suppress(RuntimeError):
                QTimer.singleShot(WRITER_READY_DELAY_MS, self,
                                  lambda: self._get_writer_ready(warm=True))

    def _get_writer_ready(self, warm: bool = False) -> None:
        """Start the file helper, once (its start is not a Save's wait); ``warm``: and let
        it write a small twin, on a thread of its own (an autosave is never queued behind
        that; the first edit's own write pays the imports if it comes first)."""
        if not self._helper_started:
            self._helper_started = True
            if warm:
                threading.Thread(target=_start_file_helper, args=(True,), daemon=True,
                                 name="file-helper-warm").start()
            else:
                self._pool.submit(_start_file_helper)

    def _drop_subscriptions(self) -> None:
        for unsubscribe in self._unsubscribe:
            with contextlib.suppress(ValueError):
                unsubscribe()
        self._unsubscribe = []

    def _snapshot(self) -> tuple[Twin, dict[str, Any], str | None, Path | None,
                                 DiskStamp | None] | None:
        twin = self.state.session.twin
        if twin is None or not self.state.session.dirty:
            return None
        ctx = context(self.state)
        # the results by reference; their intervention digests (a walk of the intervention
        # code: 0.1–0.7 s for five what-ifs at load) are taken in _write, off the GUI thread
        kw = {"results": self.state.session.results_to_save(digested=False),
              "_scenarios": tuple(self.state.session.scenarios),
              "parameters": _table(self.state, twin),
              "keep_identifiers": ctx.identifiable,
              "series": self.state.session.series_to_save(),
              "measurement_draft": self.state.session.measurement_draft}
        return twin, kw, ctx.passphrase, ctx.path, ctx.disk

    def _write(self, twin: Twin, kw: dict[str, Any], passphrase: str | None,
               origin: Path | None, disk: DiskStamp | None = None, *,
               changed: bool = False) -> tuple[str, Path | None]:
        """Serialise and write (any thread; the work itself in the file helper: see
        :func:`write_file`); returns the content digest and the path written
        (None: unchanged since the last autosave). ``changed``: the user just edited, so
        write first and digest after (a 35 MB 4D twin takes ~1 s to digest).

        Only the autosave's own recovery file is written (:meth:`Autosaver.path_for`, in
        the user data folder), never the twin's .twin file: the user's file is written by
        an explicit Save alone, which checks it first (review14 #1)."""
        from twinviewer.interventions.constants_digest import with_digests

        kw = dict(kw)
        scenarios = kw.pop("_scenarios", None)
        if scenarios is not None:
            kw["results"] = with_digests(kw["results"], scenarios)
        with self._lock:
            # serialised, digested and written in the file helper: here the twin is only
            # walked by pickle (the serialising's copies held the interpreter lock 60–350
            # ms, stall12b). The digest is of the plaintext content (an encrypted file's
            # salt changes on every write, and the manifest carries a timestamp).
            self.autosaver.directory.mkdir(parents=True, exist_ok=True)
            path = self.autosaver.path_for(twin)
            digest, written = write_file("autosave", twin, {
                "path": path, "twin": twin, "options": kw, "passphrase": passphrase,
                "last_digest": self._last_digest.get(id(twin)), "changed": changed})
            if not written:
                return digest, None
            self.autosaver.note_origin(twin, origin, disk)
            self._last_digest[id(twin)] = digest
            return digest, path

    def autosave_soon(self, changed: bool = True) -> Future | None:
        """Autosave the user's changes in the worker thread (what both timers call).

        ``changed``: an edit just happened (write, then digest); False: the periodic net
        (digest first, write only if the content changed). Returns the worker's future
        (None: nothing of the user's to write).
        """
        self._unsaved_since = None
        self.debounce.setInterval(self._debounce_ms)  # a bare start() elsewhere: the quiet
        if changed and self._pending is not None and not self._pending.done():
            # one write at a time: the next takes the newest snapshot when this one ends
            # (a write over 1 s queued one per max-wait for as long as the user edited, the
            # newest last: final15 #3)
            self._again = True
            return self._pending
        return self._submit(changed)

    def _submit(self, changed: bool) -> Future | None:
        """The worker writes a snapshot taken now (None: nothing of the user's to write)."""
        snap = self._snapshot()
        if snap is None:
            return None
        key = id(snap[0])

        def work() -> None:
            deadline = time.monotonic() + self._max_defer_s
            while self._busy() and not self._hurry.is_set() and time.monotonic() < deadline:
                time.sleep(0.1)  # playback: wait for it to stop (bounded)
            try:
                digest, path = self._write(*snap, changed=changed)
            except (TwinFileError, OSError, zipfile.BadZipFile, ValueError) as exc:
                self.written.emit(key, None, None, str(exc))
                return
            self.written.emit(key, digest, path, None)

        self._pending = self._pool.submit(work)
        return self._pending

    def _on_written(self, _key, _digest, _path, error) -> None:
        if error is not None:
            log.warning("autosave failed: %s", error)
            _message(self.state, "warning", f"Autosave failed: {error}")
        if self._again:  # edits made while it wrote: their snapshot now, queued in the
            self._again = False  # one-thread pool (not through autosave_soon: this signal
            self._submit(changed=True)  # comes before the future is marked done, last15 #1)

    def before_save(self) -> Future | None:
        """On a Save: the changes not yet autosaved (the debounce pending) are autosaved
        now; returns the autosave to wait for before the save writes (None: none), so that
        the snapshot of the unsaved work is on disk until the save has succeeded."""
        if self.debounce.isActive() or self._again:
            self.debounce.stop()
            self._again = False
            return self._submit(changed=True)  # queued after a write running now
        pending = self._pending
        return pending if pending is not None and not pending.done() else None

    def wait(self, timeout: float | None = 30.0, *, future: Future | None = None) -> None:
        """Wait for an autosave the worker is writing (before a save or discard);
        ``future``: that one (any thread)."""
        pending = future if future is not None else self._pending
        if pending is not None:
            self._hurry.set()
            try:
                with contextlib.suppress(Exception):
                    pending.result(timeout=timeout)
            finally:
                self._hurry.clear()

    def autosave_now(self, force: bool = False) -> Path | None:
        """Autosave now, on this thread, if the user changed the twin since the last autosave.

        A twin nobody edited (the demo, a file just opened) is never autosaved, so recovery
        is only ever offered for the user's own work. Returns the path written, or None.
        ``force``: write even during playback (the plugin watchdog's thread, while the GUI
        thread is stuck); from another thread no timer is touched.
        """
        snap = self._snapshot()
        if snap is None:
            return None
        if self._busy() and not force:
            if threading.current_thread() is threading.main_thread():
                self.debounce.start()  # never on the GUI thread during playback: retry soon
            return None
        self.wait()
        try:
            return self._write(*snap)[1]
        except (TwinFileError, OSError, zipfile.BadZipFile) as exc:
            log.warning("autosave failed: %s", exc)
            _message(self.state, "warning", f"Autosave failed: {exc}")
            return None

    def mark_saved(self, data: bytes | None = None) -> None:
        """The user saved explicitly: the autosave is no longer needed."""
        twin = self.state.session.twin
        if twin is None:
            return
        self.debounce.stop()
        self.wait()
        self.autosaver.mark_saved(twin)
        self.discard()

    def mark_saved_soon(self) -> None:
        """:meth:`mark_saved` once an autosave being written has ended (polled on the GUI
        thread, which never waits for it), if the twin is still saved then."""
        pending = self._pending
        if pending is not None and not pending.done():
            # the debounce is left running: an edit made meanwhile is autosaved as usual,
            # not 120 s later by the periodic one (final13 F3)
            QTimer.singleShot(50, self.mark_saved_soon)
            return
        if self.state.session.twin is not None and not self.state.session.dirty:
            self.mark_saved()

    def discard(self) -> None:
        """The user chose to discard the open twin's unsaved work: its autosave goes too, so
        the next start does not offer to restore what the user threw away."""
        twin = self.state.session.twin
        self._again = False  # held-back edits are discarded too (last15 #3)
        if twin is None:
            return
        self.debounce.stop()
        self.wait()
        self._again = False
        self.autosaver.discard(twin)
        self._last_digest.pop(id(twin), None)

    def stop(self) -> None:
        self.timer.stop()
        self.debounce.stop()
        self._drop_subscriptions()
        self.wait()
        self._pool.shutdown(wait=False)


def _start_file_helper(warm: bool = False) -> None:
    """Start the file helper (:func:`~twinviewer.gui.model_jobs.file_helper`) where one can
    run; ``warm``: and have it write a small twin once
    (:func:`~twinviewer.gui.model_jobs.warm_writer`: the writer's first file costs ~1 s
    more, in imports and the model's equation hash). From a worker thread (starting a
    process takes a moment)."""
    from twinviewer.gui import model_jobs
    from twinviewer.gui.process_worker import available

    if available():
        with contextlib.suppress(Exception):  # a later job says what is wrong
            helper = model_jobs.file_helper()
            helper.start()
            if warm:
                # at the helper's own priority: at the lowest, an autosave sent meanwhile
                # waited behind it (10 s at load 16: the starved warm-up held the helper)
                helper.call(f"{model_jobs.__name__}:warm_writer", {}, with_progress=False)


def _content_digest(data: bytes) -> str:
    """SHA-256 over the members (not the manifest, whose 'written' time always changes)."""
    from twinviewer.gui.model_jobs import content_digest

    return content_digest(data)


def discard_unsaved(state) -> None:
    """Drop the autosave of the open twin after the user chose Discard (a no-op without an
    autosave controller).

    Examples
    --------
    >>> discard_unsaved(window.state)  # doctest: +SKIP
    """
    controller = getattr(state, "_autosave_controller", None)
    if controller is not None:
        controller.discard()


def offer_recovery(window, state, autosaver: Autosaver | None = None) -> bool:
    """At start: offer to restore autosaved work newer than its last explicit save.

    Returns
    -------
    bool
        True if a twin was restored.
    """
    controller = getattr(state, "_autosave_controller", None)
    autosaver = autosaver or (controller.autosaver if controller else Autosaver())
    try:
        pending = autosaver.pending_recovery()
    except Exception as exc:  # noqa: BLE001 - the start goes on; the user learns where it is
        _message(state, "error", f"Could not look for unsaved work in {autosaver.directory}: "
                 f"{exc}. The autosaves there are kept; restart TwinViewer to be asked again.")
        return False
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
    # recovered work is not saved yet, but belongs to its file: Save writes it back there.
    # Refused in education mode (the autosave is kept).
    own = rec.file if rec.file is not None and rec.file.is_file() else None
    # what the file was when the recovered work began: a Save asks if it changed since;
    # an index written before it kept that: not known, so the first Save asks (final14 #7a)
    if not _show(window, state, doc, own, passphrase, dirty=True,
                 disk=(rec.disk or UNKNOWN) if own is not None else None,
                 recovered_at=rec.autosaved_at):
        return False
    _message(state, "info", f"Recovered {rec.describe()}; " + (
        f"Save writes it back to {own.name}." if own is not None else
        "it has no file yet: Save asks for one" + (
            f" ({rec.file.name} is no longer there)." if rec.file is not None else ".")))
    return True
