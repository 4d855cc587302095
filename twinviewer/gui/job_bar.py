"""Status-bar widget showing running background jobs with a progress bar and Cancel."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from twinviewer.gui.state import Job, TwinState


class JobBar(QWidget):
    """Shows the most recent running job the user started; Cancel cancels it.

    Background work nobody waits for (readying the model after start-up) is not shown:
    a "0 %" bar with a Cancel button read as the user's own job, and appeared in every
    screenshot (review10 #3).
    """

    def __init__(self, state: TwinState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.label = QLabel("")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setMaximumWidth(220)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("job_cancel")
        self.cancel_button.clicked.connect(self.cancel_current)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.label)
        lay.addWidget(self.bar)
        lay.addWidget(self.cancel_button)
        state.jobStarted.connect(self._update)
        state.jobProgress.connect(lambda job, f, t: self._update())
        state.jobFinished.connect(self._update)
        self._update()

    def shown(self) -> list[Job]:
        """The running jobs the user started (background jobs left out)."""
        return [j for j in self.state.jobs if not j.background]

    def current(self) -> Job | None:
        jobs = self.shown()
        return jobs[-1] if jobs else None

    def cancel_current(self) -> None:
        job = self.current()
        if job is not None:
            job.cancel()
            self.label.setText(f"{job.title}: cancelling…")

    def _update(self, *_) -> None:
        job = self.current()
        self.setVisible(job is not None)
        if job is None:
            return
        n = len(self.shown())
        more = f" (+{n - 1} more)" if n > 1 else ""
        self.label.setText(f"{job.title}{more}: {job.text}" if job.text else job.title + more)
        self.bar.setValue(int(job.fraction * 1000))
