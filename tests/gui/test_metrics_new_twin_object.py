"""review16 #7: "Apply anyway" on a refused calibration ended in "Error: uncaught ValueError".

The Patient & images table compared the (twin, results) it shows with ``!=``; for a new twin
object of the same document the tuple comparison fell through to the dataclass ``__eq__``,
which compares numpy arrays field by field and raises. The table compares by identity now.
"""

from __future__ import annotations

import dataclasses

import pytest


def test_a_new_twin_object_with_new_arrays_refreshes_without_error(qtbot):
    from twinviewer.gui.metrics_panel import MetricsPanel
    from twinviewer.gui.state import TwinState
    from twinviewer.twins import twin_from_preset

    state = TwinState()
    try:
        twin = twin_from_preset("healthy", n=8, seed=2)
        state.session.set_twin(twin)
        panel = MetricsPanel(state)
        qtbot.addWidget(panel)
        # what an applied calibration hands over: the same document, new arrays
        new = dataclasses.replace(twin, ensemble=twin.ensemble * 1.01)
        with pytest.raises(ValueError):  # the comparison the table used to make
            bool((twin, None) != (new, None))
        panel._shown = (new, None)  # the table shows a twin equal in all but its arrays
        panel._on_results(None)  # raised "truth value of an array … is ambiguous"
        assert panel._shown[0] is state.twin
        refreshed = []
        panel.refresh = lambda: refreshed.append(1)  # type: ignore[method-assign]
        panel._on_results(None)  # the same objects: no second refresh
        assert refreshed == []
    finally:
        state.close()
