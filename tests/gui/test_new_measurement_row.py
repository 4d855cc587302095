"""Measurements → Add: a new row stores nothing the user did not type (newuser17 F4: it held
the middle of the quantity's range, SBP 160 mmHg, which Apply stored as "entered"), and the
step's count and Apply's status message count the same measurements (F5: 15 against 10)."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from twinviewer.core.anatomy import Anatomy  # noqa: E402
from twinviewer.core.measurement import Measurement as M  # noqa: E402
from twinviewer.gui.measurements_panel import MeasurementsPanel  # noqa: E402
from twinviewer.gui.state import TwinState  # noqa: E402
from twinviewer.personalize import QUANTITY_BY_NAME  # noqa: E402
from twinviewer.twins import twin_from_preset  # noqa: E402

ASSUMED = "assumed, not measured: normal adult"


@pytest.fixture
def state(qtbot):
    """A twin with two image measurements, a calibration's copy of one of them, a cuff SBP
    and an assumed DBP: 2 + 1 + 1 + 1 values in the file, 4 of them in twin.measurements."""
    st = TwinState()
    lvedv = M("LVEDV", 140, "mL", 6, "CT segmentation")
    twin = twin_from_preset("healthy", n=4, anatomy=Anatomy(
        "p", measurements=[lvedv, M("LVESV", 60, "mL", 5, "CT segmentation")]))
    twin.measurements.extend([lvedv, M("SBP", 128, "mmHg", 8, "cuff"),
                              M("DBP", 80, "mmHg", 7, ASSUMED)])
    st.session.set_twin(twin)
    yield st
    st.close()


def _panel(qtbot, state) -> MeasurementsPanel:
    panel = MeasurementsPanel(state)
    qtbot.addWidget(panel)
    return panel


def test_add_then_apply_without_typing_stores_nothing(qtbot, state):
    panel = _panel(qtbot, state)
    before = state.twin
    panel.add_row("CO")
    r = panel.table.rowCount() - 1
    cells = [panel.table.item(r, c).text() for c in range(4)]
    assert cells == ["CO", "", "L/min", "0.5"]  # unit and typical SD given, no value
    assert QUANTITY_BY_NAME["CO"].typical_sd == 0.5
    assert not panel.apply_button.isEnabled()
    said = "CO (row 5): no value typed yet: type the measured value, or remove the row"
    assert said in panel.messages.text()
    assert said in panel.table.item(r, 1).toolTip()  # the red row says why
    panel.table.setCurrentCell(r, 0)
    assert panel.detail.text().startswith("CO (no value typed yet) L/min ± 0.5")
    assert not panel.apply()
    assert state.twin is before and "CO" not in {m.name for m in state.twin.measurements}


def test_add_then_type_stores_the_typed_value(qtbot, state):
    panel = _panel(qtbot, state)
    panel.add_row("CO")
    r = panel.table.rowCount() - 1
    panel.table.item(r, 1).setText("4.2")
    assert panel.apply_button.isEnabled()
    assert panel.apply()
    co = [m for m in state.twin.measurements if m.name == "CO"]
    assert [(m.value, m.unit, m.uncertainty) for m in co] == [(4.2, "L/min", 0.5)]


def test_a_new_row_of_a_worded_quantity_is_named_in_words(qtbot, state):
    panel = _panel(qtbot, state)
    panel.add_row("AV_mean_gradient")
    r = panel.table.rowCount() - 1
    assert panel.table.item(r, 0).text() == "AV mean gradient"
    assert panel.table.item(r, 1).text() == "" and not panel.apply_button.isEnabled()
    assert "AV mean gradient (row 5): no value typed yet" in panel.messages.text()
    panel.table.item(r, 1).setText("4")
    assert panel.apply()
    assert any(m.name == "AV_mean_gradient" and m.value == 4
               for m in state.twin.measurements)


def test_the_step_and_the_status_bar_count_the_same_measurements(qtbot, state):
    panel = _panel(qtbot, state)
    said: list[str] = []
    state.message.connect(lambda _level, text: said.append(text))
    panel.add_row("CO")
    panel.table.item(panel.table.rowCount() - 1, 1).setText("4.2")
    assert panel.apply()
    # by hand: LVEDV, LVESV from the images; SBP, CO entered; DBP assumed
    count = "4 measurements (2 from the images, 2 entered) and 1 assumed value (not measured)"
    assert said[-1] == f"Stored in the twin: {count}"
    assert len(state.twin.measurements) == 4  # the LVEDV copy, SBP, DBP, CO: not the count
    assert f"{count}, no problems found" in panel.messages.text()


def test_the_count_is_shown_beside_a_warning(qtbot, state, monkeypatch):
    """The demo's case (F5's screenshot): a second SBP is a warning; the step still says
    what it holds, as the status bar does."""
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    panel = _panel(qtbot, state)
    said: list[str] = []
    state.message.connect(lambda _level, text: said.append(text))
    panel.add_row("SBP")
    panel.table.item(panel.table.rowCount() - 1, 1).setText("142")
    assert panel.apply()  # No: both SBP values are kept
    count = "4 measurements (2 from the images, 2 entered) and 1 assumed value (not measured)"
    assert said[-1] == f"Stored in the twin: {count}"
    text = panel.messages.text()
    assert "SBP is given more than once" in text and f"<br>{count}<br>" in text
