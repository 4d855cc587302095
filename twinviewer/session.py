"""The application's state, owned outside Qt.

A :class:`Session` holds the open twin and what has been computed from it. Anything can
subscribe to its events; the GUI's thin adapter (``gui/state.py``) turns them into Qt signals.
Events fire only on a real change, with the new value as payload.

Events: ``twin``, ``results`` (baseline Results), ``scenario_results`` (dict name →
Results), ``time`` (fraction of the beat, 0–1), ``message`` ((level, text)).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from twinviewer.core.twin import Twin
from twinviewer.physiology import Results

EVENTS = ("twin", "results", "scenario_results", "time", "message")


class Session:
    """Observable application state (no Qt)."""

    def __init__(self) -> None:
        self.twin: Twin | None = None
        self.results: Results | None = None
        self.scenario_results: dict[str, Results] = {}
        self.time: float = 0.0
        self._subscribers: dict[str, list[Callable[[Any], None]]] = defaultdict(list)

    def subscribe(self, event: str, callback: Callable[[Any], None]) -> Callable[[], None]:
        """Call ``callback(payload)`` on ``event``; returns a function that unsubscribes."""
        if event not in EVENTS:
            raise ValueError(f"unknown event {event!r}; events are {', '.join(EVENTS)}")
        self._subscribers[event].append(callback)
        return lambda: self._subscribers[event].remove(callback)

    def emit(self, event: str, payload: Any) -> None:
        for cb in list(self._subscribers[event]):
            cb(payload)

    def set_twin(self, twin: Twin | None) -> None:
        """Open a twin; its results are cleared until recomputed."""
        if twin is self.twin:
            return
        self.twin = twin
        self.results = None
        self.scenario_results = {}
        self.emit("twin", twin)
        self.emit("results", None)
        self.emit("scenario_results", {})

    def set_results(self, results: Results | None) -> None:
        if results is self.results:
            return
        self.results = results
        self.emit("results", results)

    def set_scenario_results(self, results: dict[str, Results]) -> None:
        self.scenario_results = dict(results)
        self.emit("scenario_results", self.scenario_results)

    def set_time(self, fraction: float) -> None:
        fraction = float(fraction) % 1.0
        if fraction == self.time:
            return
        self.time = fraction
        self.emit("time", fraction)

    def message(self, level: str, text: str) -> None:
        """Report something to the user (``level``: info, warning, error)."""
        self.emit("message", (level, text))
