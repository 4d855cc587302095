"""Cine controls: play/pause the cardiac cycle and a time slider.

Playback is driven by the wall clock: each tick shows the beat fraction that real time (times
the speed factor) has reached, so the cycle plays at its true duration however long a frame
takes to draw; slow renderers drop frames instead of slowing the heart down.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from twinviewer.gui import cycle
from twinviewer.gui.state import TwinState

STEPS = 1000
#: Playback tick (ms): at most 1000 / TICK_MS frames per second.
TICK_MS = 25
#: ms without a new frame after the ensemble's or a what-if's results change: the plots redraw
#: in the turns right after it, and a frame drawn among them made one long stall (a frame is
#: 10–20 ms of GUI-thread CPU; whatif13). The beat keeps its wall-clock time: a frame is
#: dropped, not delayed.
HOLD_AFTER_RESULTS_MS = 40


class CineBar(QWidget):
    """Play/pause, time slider, speed; follows and sets ``state`` time."""

    title = "Cine"
    frameShown = Signal(float)

    def __init__(self, state: TwinState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.play_button = QPushButton("▶ Play")
        self.play_button.setObjectName("cine_play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Play/pause the cardiac cycle (Space)")
        self.play_button.toggled.connect(self.set_playing)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("cine_slider")
        self.slider.setRange(0, STEPS - 1)
        self.slider.valueChanged.connect(self._on_slider)
        self.speed = QComboBox()
        for f in (0.25, 0.5, 1.0):
            self.speed.addItem(f"{f:g}×", f)
        self.speed.setCurrentIndex(1)
        self.speed.setToolTip("Playback speed relative to the model's heart rate")
        self.label = QLabel("t = –")
        self.label.setMinimumWidth(150)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 0, 4, 0)
        lay.addWidget(self.play_button)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.label)
        lay.addWidget(self.speed)
        self.timer = QTimer(self)
        # at most 40 frames/s, precise: a frame that fits in 25 ms waits for the next tick, so
        # 30 frames/s holds with a margin for the odd slow frame (a 30 ms tick capped the
        # rate at 33); a late tick shows the time reached (frames are dropped, the beat
        # keeps its duration)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self._t0 = 0.0
        self._f0 = 0.0
        self.frames = 0
        self._hold_until = 0.0
        state.timeChanged.connect(self._show_time)
        state.resultsChanged.connect(lambda _: self._show_time(state.time))
        state.resultsChanged.connect(lambda _: self.hold(HOLD_AFTER_RESULTS_MS))
        state.scenarioResultsChanged.connect(lambda _: self.hold(HOLD_AFTER_RESULTS_MS))

    def period_s(self) -> float:
        r = self.state.results
        return cycle.beat_period_s(r) if r is not None else 0.8

    def set_playing(self, on: bool) -> None:
        if self.play_button.isChecked() != on:
            self.play_button.setChecked(on)
            return
        # U+23F8 (⏸) is missing from the common fonts (DejaVu: a box, review12b #9); ‖ is not
        self.play_button.setText("‖ Pause" if on else "▶ Play")
        if on:
            self._t0, self._f0, self.frames = time.perf_counter(), self.state.time, 0
            self._hold_until = 0.0  # a hold asked for before Play holds nothing
            self.timer.start()
        else:
            self.timer.stop()

    def toggle(self) -> None:
        self.set_playing(not self.play_button.isChecked())

    def step(self, n: int = 1) -> None:
        """Step ``n`` hundredths of the beat."""
        self.state.session.set_time(self.state.time + n / 100.0)

    def hold(self, ms: float) -> None:
        """Draw no playback frame for the next ``ms`` milliseconds (the ticks in that time
        are dropped; playback then goes on at the beat's wall-clock time).

        Examples
        --------
        >>> bar.hold(40)  # doctest: +SKIP
        """
        self._hold_until = max(self._hold_until, time.perf_counter() + ms / 1000.0)

    def _tick(self) -> None:
        if time.perf_counter() < self._hold_until:
            return
        elapsed = time.perf_counter() - self._t0
        f = self._f0 + elapsed * float(self.speed.currentData()) / self.period_s()
        self.state.session.set_time(f % 1.0)
        self.frames += 1
        self.frameShown.emit(f % 1.0)

    def _on_slider(self, v: int) -> None:
        if not getattr(self, "_echo", False):
            self.state.session.set_time(v / STEPS)

    def _show_time(self, fraction: float) -> None:
        self._echo = True
        try:
            self.slider.setValue(int(round(fraction * STEPS)) % STEPS)
        finally:
            self._echo = False
        p = self.period_s()
        self.label.setText(f"t = {fraction * p:.2f} s of {p:.2f} s")
