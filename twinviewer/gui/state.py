"""The single Qt adapter over the :class:`twinviewer.document.Document`, plus background jobs.

Panels connect to the signals of :class:`TwinState` and keep no state of their own; they
change the document through ``state.session`` (``set_twin``, ``add_scenario``, ``add_note``,
``set_time``...) and the signals follow. Each document event has one signal.
Long work goes through :meth:`TwinState.run_job`, which runs a plain function
``fn(progress, is_cancelled)`` on a worker thread, shows a progress bar with a Cancel button in
the main window's status bar, and delivers the result (or the error) back on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from twinviewer.document import Document

log = logging.getLogger("twinviewer.gui")
#: The messages shown to the user (``state.info/warn/error``), for the log file.
messages_log = logging.getLogger("twinviewer.gui.messages")
_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}

Progress = Callable[[float, str], None]
IsCancelled = Callable[[], bool]
JobFn = Callable[[Progress, IsCancelled], Any]


#: A log record with this attribute set was already shown to the user as a message: the
#: Log panel's handler (:class:`~twinviewer.gui.log_panel.StateLogHandler`) skips it.
TOLD = "told_the_user"


class JobCancelled(Exception):
    """Raised inside a job function to stop it at the user's request (any exception works)."""


@dataclass(eq=False)
class Job:
    """One running background job (a handle for the status bar and tests)."""

    title: str
    cancel_event: threading.Event = field(default_factory=threading.Event)
    fraction: float = 0.0
    text: str = ""
    finished: bool = False
    cancelled: bool = False
    background: bool = False  # nobody waits for it (readying the model after the first paint)
    quiet: bool = False  # superseded by the app itself: no "…: cancelled" in the status bar

    def cancel(self) -> None:
        """Ask the job to stop at its next ``is_cancelled()`` check."""
        self.cancel_event.set()

    def supersede(self) -> None:
        """Cancel a job the app replaces by a newer one (the user did not ask to stop it, so
        the status bar does not say "cancelled": review12 #11 saw "Explaining MAP:
        cancelled" while in the What-if step)."""
        self.quiet = True
        self.cancel()

    def is_cancelled(self) -> bool:
        return self.cancel_event.is_set()


class _Relay(QObject):
    """Lives in the GUI thread; queued signals carry worker events into it."""

    progressed = Signal(object, float, str)
    succeeded = Signal(object, object)
    failed = Signal(object, object, str)


class _Runnable(QRunnable):
    """A job on a worker thread. A job that ends after its window closed does nothing:
    its outcome reaches no callback (the panels' widgets are deleted; the live preview's
    label raised, and its error was counted by the next window's badge, session 13), and a
    failure goes to the log file only. ``closed()`` says whether the window closed (its
    :attr:`TwinState.closed`); :meth:`TwinState._on_success` and ``_on_failure`` check it
    again in the GUI thread, for an outcome already on its way when the window closed."""

    def __init__(self, job: Job, fn: JobFn, relay: _Relay,
                 closed: Callable[[], bool] = lambda: False) -> None:
        super().__init__()
        self.job, self.fn, self.relay, self.closed = job, fn, relay, closed
        self.setAutoDelete(True)

    def run(self) -> None:  # worker thread
        job = self.job

        def progress(fraction: float, text: str = "") -> None:
            if not self._emit("progressed", job, float(fraction), str(text)):
                job.cancel()  # the state is gone (its window closed): stop working
                raise JobCancelled(f"{job.title}: its window was closed")

        # Nothing may escape run(): Qt would print "Qt Concurrent has caught an exception
        # thrown from a worker thread" and the error would reach nobody (fix13d saw it).
        try:
            try:
                result = self.fn(progress, job.is_cancelled)
            except BaseException as exc:  # noqa: BLE001 - every failure goes back to the GUI
                tb = traceback.format_exc()
                if not self._emit("failed", job, exc, tb) and not job.is_cancelled() \
                        and not _is_cancellation(exc):
                    _log_orphan(job, tb)
            else:
                self._emit("succeeded", job, result)
        except BaseException:  # noqa: BLE001 - reporting itself failed: log, never to Qt
            try:
                log.exception("%s: its outcome could not be reported", job.title)
            except BaseException:  # noqa: BLE001, S110 - the interpreter is shutting down
                pass

    def _emit(self, name: str, *args) -> bool:
        # A job outliving its TwinState (a window closed while it ran) finds the state
        # closed, or the relay's C++ object deleted (emitting raises RuntimeError). Nobody is
        # left to tell.
        if self.closed():
            return False
        try:
            getattr(self.relay, name).emit(*args)
        except RuntimeError:
            return False
        return True


def _log_orphan(job: Job, tb: str) -> None:
    """Log ``job``'s failure after its window closed: its window is gone, so the log file is
    the one place left to say it. Marked told: another window's log handler must not show
    (and count) a closed window's error."""
    log.error("%s failed after its window closed:\n%s", job.title, tb, extra={TOLD: True})


def _is_cancellation(exc: BaseException) -> bool:
    if isinstance(exc, JobCancelled):
        return True
    try:
        from twinviewer.physiology import Cancelled
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, Cancelled)


class TwinState(QObject):
    """Qt signals over a :class:`~twinviewer.session.Session`.

    Signals
    -------
    twinChanged(object)
        The open :class:`~twinviewer.core.twin.Twin` or None.
    resultsChanged(object)
        Baseline ensemble :class:`~twinviewer.physiology.Results` or None.
    scenarioResultsChanged(object)
        ``dict[str, Results]``.
    timeChanged(float)
        Fraction of the beat, 0..1.
    message(str, str)
        ``(level, text)`` with level ``'info'``, ``'warning'`` or ``'error'``.
    scenariosChanged(object), calibrationChanged(object), fileChanged(object),
    selectionChanged(str, object), auditChanged(object), dirtyChanged(bool)
        The other document events (see :mod:`twinviewer.document`).
    jobStarted(object), jobProgress(object, float, str), jobFinished(object)
        A :class:`Job` handle; the status bar shows them.
    studiesChanged(str, object)
        ``('cohort', outcome)`` or ``('sensitivity', study)`` (see the document).
    """

    twinChanged = Signal(object)
    resultsChanged = Signal(object)
    scenarioResultsChanged = Signal(object)
    timeChanged = Signal(float)
    message = Signal(str, str)
    scenariosChanged = Signal(object)
    calibrationChanged = Signal(object)
    fileChanged = Signal(object)
    selectionChanged = Signal(str, object)
    auditChanged = Signal(object)
    dirtyChanged = Signal(bool)
    jobStarted = Signal(object)
    jobProgress = Signal(object, float, str)
    jobFinished = Signal(object)
    studiesChanged = Signal(str, object)
    draftChanged = Signal(object)

    def __init__(self, session: Document | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session if session is not None else Document()
        self.closed = False  # set by close(): no new work after it
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        # background jobs (readying the model, which waits while the cine plays) on a thread
        # of their own: waiting, they would hold one of the user's two
        self._background_pool = QThreadPool(self)
        self._background_pool.setMaxThreadCount(1)
        self._relay = _Relay(self)
        self._relay.progressed.connect(self._on_progress)
        self._relay.succeeded.connect(self._on_success)
        self._relay.failed.connect(self._on_failure)
        self._callbacks: dict[Job, tuple[Callable, Callable | None]] = {}
        self.jobs: list[Job] = []
        #: Background studies on Dask (``run_cohort_job``, ``run_sobol_job``: the module
        #: ``twinviewer.cohort.jobs``), injected by the ``twinviewer`` command, which sits
        #: above the cohort layer; None: cohort runs and distributed Sobol are unavailable.
        self.distributed: Any = None
        self._unsubscribe = [
            self.session.subscribe("twin", self.twinChanged.emit),
            self.session.subscribe("results", self.resultsChanged.emit),
            self.session.subscribe("scenario_results", self.scenarioResultsChanged.emit),
            self.session.subscribe("time", self.timeChanged.emit),
            self.session.subscribe("message", self._on_message),
            self.session.subscribe("scenarios", self.scenariosChanged.emit),
            self.session.subscribe("calibration", self.calibrationChanged.emit),
            self.session.subscribe("file", self.fileChanged.emit),
            self.session.subscribe("selection", lambda kv: self.selectionChanged.emit(*kv)),
            self.session.subscribe("audit", self.auditChanged.emit),
            self.session.subscribe("dirty", self.dirtyChanged.emit),
            self.session.subscribe("studies", lambda kv: self.studiesChanged.emit(*kv)),
            self.session.subscribe("draft", self.draftChanged.emit),
        ]

    def _on_message(self, level_text: tuple[str, str]) -> None:
        level, text = level_text
        # the log file keeps what the user was told (review14b #4: it stayed empty through
        # a plug-in failure and a refused Save); the Log panel's handler skips these records
        messages_log.log(_LEVELS.get(level, logging.INFO), "%s", text, extra={TOLD: True})
        # on screen, a study's file is named by its path below the chosen folder (the
        # user's own); the log file above keeps only its per-run tag (review16 #6)
        from twinviewer.imaging.errors import on_screen

        self.message.emit(level, on_screen(text))

    # -- convenience accessors -------------------------------------------------------------
    @property
    def document(self) -> Document:
        """The document this adapter projects (also ``self.session``)."""
        return self.session

    @property
    def twin(self):
        return self.session.twin

    @property
    def results(self):
        return self.session.results

    @property
    def time(self) -> float:
        return self.session.time

    def info(self, text: str) -> None:
        self.session.message("info", text)

    def warn(self, text: str) -> None:
        self.session.message("warning", text)

    def error(self, text: str) -> None:
        self.session.message("error", text)

    # -- jobs ------------------------------------------------------------------------------
    def run_job(self, title: str, fn: JobFn, on_done: Callable[[Any], None],
                on_error: Callable[[BaseException], None] | None = None, *,
                background: bool = False) -> Job:
        """Run ``fn(progress, is_cancelled)`` on a worker thread.

        Parameters
        ----------
        title : str
            Shown in the status bar and in messages.
        fn : callable
            ``fn(progress(fraction, text), is_cancelled() -> bool) -> result``. It should poll
            ``is_cancelled`` and raise (any exception, e.g. :class:`JobCancelled`) to stop.
        on_done : callable
            ``on_done(result)``, called in the GUI thread unless the job was cancelled.
        on_error : callable, optional
            ``on_error(exc)`` in the GUI thread; the error is also logged and emitted as a
            message. Exceptions raised by the callbacks themselves are caught and reported.
        background : bool, default: False
            Work nobody waits for (:func:`twinviewer.gui.app.wait_for_predictions` skips it);
            set before ``jobStarted`` so every listener sees it.

        Returns
        -------
        Job
            Handle with :meth:`Job.cancel`.
        """
        job = Job(title, background=background)
        self.jobs.append(job)
        self._callbacks[job] = (on_done, on_error)
        self.jobStarted.emit(job)
        pool = self._background_pool if background else self._pool
        pool.start(_Runnable(job, fn, self._relay, lambda: self.closed))
        return job

    def cancel_all(self) -> None:
        for job in list(self.jobs):
            job.cancel()

    def wait_for_jobs(self, msecs: int = -1) -> bool:
        """Block until worker threads (the background one too) are idle (used on close and
        in tests)."""
        if not self._pool.waitForDone(msecs):
            return False
        return self._background_pool.waitForDone(msecs)

    @Slot(object, float, str)
    def _on_progress(self, job: Job, fraction: float, text: str) -> None:
        job.fraction, job.text = fraction, text
        self.jobProgress.emit(job, fraction, text)

    def _finish(self, job: Job) -> tuple[Callable, Callable | None]:
        job.finished = True
        if job in self.jobs:
            self.jobs.remove(job)
        cbs = self._callbacks.pop(job, (lambda r: None, None))
        self.jobFinished.emit(job)
        return cbs

    @Slot(object, object)
    def _on_success(self, job: Job, result: Any) -> None:
        on_done, on_error = self._finish(job)
        if self.closed:  # ended after its window closed: nobody is left for it
            return
        if job.is_cancelled():
            job.cancelled = True
            if not job.quiet:
                self.info(f"{job.title}: cancelled")
            return
        try:
            on_done(result)
        except Exception as exc:  # noqa: BLE001 - a panel bug must not take the app down
            log.exception("%s: handling the result failed", job.title)
            self.error(f"{job.title}: showing the result failed: {exc}")
            if on_error is not None:
                self._safe(on_error, exc, job)

    @Slot(object, object, str)
    def _on_failure(self, job: Job, exc: BaseException, tb: str) -> None:
        _, on_error = self._finish(job)
        if self.closed:  # ended after its window closed: nobody is left for it
            if not (job.is_cancelled() or _is_cancellation(exc)):
                _log_orphan(job, tb)
            return
        if job.is_cancelled() or _is_cancellation(exc):
            job.cancelled = True
            if not job.quiet:
                self.info(f"{job.title}: cancelled")
        else:
            # the traceback for the log file; the user is told below, once (review11 #5: the
            # Log panel showed this record's first line, a blank "… failed:", then the message)
            log.error("%s failed:\n%s", job.title, tb, extra={TOLD: True})
            self.error(f"{job.title} failed: {exc}")
        if on_error is not None:
            self._safe(on_error, exc, job)

    def _safe(self, cb: Callable, exc: BaseException, job: Job) -> None:
        try:
            cb(exc)
        except Exception as exc2:  # noqa: BLE001
            log.exception("%s: error handler failed", job.title)
            self.error(f"{job.title}: error handler failed: {exc2}")

    def close(self) -> None:
        """Cancel jobs, wait for workers, detach from the session."""
        self.closed = True  # a timer still pending (the model readying) must not start work
        self.cancel_all()
        self._pool.waitForDone(5000)
        self._background_pool.waitForDone(5000)
        for unsub in self._unsubscribe:
            try:
                unsub()
            except ValueError:
                pass
        self._unsubscribe = []
