"""Measurements and calibration panels: entry with inline checks, calibrate, cancel."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from twinviewer.core.anatomy import Anatomy  # noqa: E402
from twinviewer.core.measurement import Measurement as M  # noqa: E402
from twinviewer.gui.calibration_panel import CalibrationPanel  # noqa: E402
from twinviewer.gui.measurements_panel import MeasurementsPanel  # noqa: E402
from twinviewer.gui.state import TwinState  # noqa: E402
from twinviewer.personalize import save_measurements  # noqa: E402
from twinviewer.twins import simulate_twin, twin_from_preset  # noqa: E402


@pytest.fixture
def state(qtbot):
    st = TwinState()
    twin = twin_from_preset("healthy", n=8, anatomy=Anatomy(
        "p", measurements=[M("LVEDV", 140, "mL", 6, "CT segmentation"),
                           M("LVESV", 60, "mL", 5, "CT segmentation")]))
    twin.measurements.extend([M("SBP", 128, "mmHg", 8, "cuff"), M("DBP", 82, "mmHg", 6, "cuff")])
    st.session.set_twin(twin)
    yield st
    st.close()


def set_cell(panel, row, col, text):
    panel.table.item(row, col).setText(text)


def test_table_shows_image_rows_read_only_and_clinical_rows(qtbot, state):
    panel = MeasurementsPanel(state)
    qtbot.addWidget(panel)
    assert panel.table.rowCount() == 4
    assert [panel.table.item(r, 0).text() for r in range(4)] == ["LVEDV", "LVESV", "SBP", "DBP"]
    assert not panel._editable(0) and panel._editable(2)
    assert "no problems" in panel.messages.text() and panel.apply_button.isEnabled()


def test_inline_validation_names_the_measurement_and_blocks_apply(qtbot, state):
    panel = MeasurementsPanel(state)
    qtbot.addWidget(panel)
    set_cell(panel, 2, 1, "70")  # SBP below DBP
    assert "SBP = 70 and DBP = 82" in panel.messages.text()
    assert not panel.apply_button.isEnabled()
    assert "SBP" in panel.table.item(3, 0).toolTip() or "DBP" in panel.table.item(3, 0).toolTip()
    set_cell(panel, 2, 1, "16")
    set_cell(panel, 2, 2, "mmHg")
    assert "kPa" in panel.messages.text()  # unit-mistake hint
    set_cell(panel, 2, 1, "abc")
    assert "not a number" in panel.messages.text()
    set_cell(panel, 2, 1, "130")
    assert panel.apply_button.isEnabled()


def test_zero_uncertainty_entered_blocks_apply(qtbot, state):
    """review10 #2: the GUI refuses an SD of 0 as the measurement file reader does."""
    panel = MeasurementsPanel(state)
    qtbot.addWidget(panel)
    set_cell(panel, 2, 3, "0")
    assert "SBP = 128 mmHg: uncertainty 0 is refused" in panel.messages.text()
    assert not panel.apply_button.isEnabled()
    set_cell(panel, 2, 3, "8")
    assert panel.apply_button.isEnabled()


def test_add_remove_and_apply_keep_results(qtbot, state):
    results = simulate_twin(state.twin)
    state.session.set_results(results)
    old = state.twin
    panel = MeasurementsPanel(state)
    qtbot.addWidget(panel)
    panel.add_row("HR")
    set_cell(panel, 4, 1, "66")
    panel.table.selectRow(3)
    panel.remove_selected()  # DBP
    assert panel.apply()
    assert state.twin is not old and [m.name for m in state.twin.measurements] == ["SBP", "HR"]
    assert [m.name for m in old.measurements] == ["SBP", "DBP"]  # old twin intact
    assert state.session.results is results


def test_import_json_and_bad_file(qtbot, state, tmp_path):
    panel = MeasurementsPanel(state)
    qtbot.addWidget(panel)
    good = tmp_path / "m.json"
    save_measurements([M("CO", 5.5, "L/min", 0.5, "thermodilution")], good)
    assert panel.import_file(good)
    assert [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())] == \
        ["LVEDV", "LVESV", "CO"]
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    with qtbot.waitSignal(state.message):
        assert not panel.import_file(bad)
    assert "bad.json" in panel.messages.text()
    assert panel.table.rowCount() == 3


def test_calibrate_updates_the_twin_and_shows_the_posterior(qtbot, state):
    old = state.twin
    old_ensemble = old.ensemble.copy()
    panel = CalibrationPanel(state)
    qtbot.addWidget(panel)
    panel.members.setValue(32)
    panel.start()
    qtbot.waitUntil(lambda: state.session.results is not None, timeout=60000)
    new = state.twin
    assert new is not old and new.ensemble_kind == "posterior" and len(new.visits) == 1
    assert old.ensemble_kind == "prior" and np.array_equal(old.ensemble, old_ensemble)
    assert state.session.results.n == 32
    assert panel.fit_table.rowCount() == 4  # LVEDV, LVESV (images), SBP, DBP
    assert "Calibrated" in panel.summary.text()
    assert "heart size ×" in panel.summary.text()  # the prior's size coordinate (fit8)
    panel.show()  # a hidden step draws its interval plot when it is shown
    qtbot.waitUntil(lambda: bool(panel.plot.getPlotItem().listDataItems()), timeout=5000)
    assert panel.calibrate_button.isEnabled() and not panel.cancel_button.isEnabled()
    state.session.set_twin(twin_from_preset("healthy", n=1))  # another twin: view cleared
    assert panel.result is None and panel.fit_table.rowCount() == 0


def test_cancel_leaves_the_twin_unchanged(qtbot, state):
    old = state.twin
    panel = CalibrationPanel(state)
    qtbot.addWidget(panel)
    panel.members.setValue(400)
    job = panel.start()
    panel.cancel()
    qtbot.waitUntil(lambda: job.finished, timeout=60000)
    assert state.twin is old
    assert "cancelled" in panel.status.text()
    assert panel.calibrate_button.isEnabled()


def test_calibration_error_is_shown_in_the_panel(qtbot, state):
    state.session.set_twin(twin_from_preset("healthy", n=1))  # no measurements at all
    panel = CalibrationPanel(state)
    qtbot.addWidget(panel)
    job = panel.start()
    qtbot.waitUntil(lambda: job.finished, timeout=30000)
    qtbot.waitUntil(lambda: "failed" in panel.status.text(), timeout=5000)
    assert "no measurements" in panel.status.text()


def test_unreproducible_measurements_keep_the_twin_and_say_by_how_much(qtbot, state):
    """Bad input: the twin cannot reproduce SBP 230 / DBP 40 / CO 2.0 together."""
    twin = twin_from_preset("healthy", n=1)
    twin.measurements.extend([M("SBP", 230, "mmHg", 5, "cuff"), M("DBP", 40, "mmHg", 5, "cuff"),
                              M("CO", 2.0, "L/min", 0.2, "thermodilution")])
    state.session.set_twin(twin)
    panel = CalibrationPanel(state)
    qtbot.addWidget(panel)
    panel.members.setValue(32)
    job = panel.start()
    qtbot.waitUntil(lambda: job.finished, timeout=60000)
    qtbot.waitUntil(lambda: "not applied" in panel.status.text(), timeout=5000)
    text = panel.status.text()
    assert state.twin is twin and twin.ensemble_kind == "prior"
    assert "SBP measured 230" in text and "mmHg low" in text and "z = " in text
    assert panel.apply_button.isVisible() or not panel.isVisible()
    assert "Missed by the posterior predictive" in panel.summary.text()
    panel.apply_anyway()
    qtbot.waitUntil(lambda: state.twin is not twin, timeout=10000)
    assert state.twin.ensemble_kind == "posterior"


def _as_patient():
    twin = twin_from_preset("healthy", n=1)
    twin.measurements.extend([M("AVA", 0.7, "cm^2", 0.1, "echo"),
                              M("SBP", 130, "mmHg", 8, "cuff")])
    return twin


def test_prior_is_chosen_from_the_measurements_and_can_be_overridden(qtbot, state):
    state.session.set_twin(_as_patient())
    panel = CalibrationPanel(state)
    qtbot.addWidget(panel)
    assert panel.prior.itemText(0) == "auto (Severe aortic stenosis prior)"
    panel.members.setValue(32)
    job = panel.start()
    qtbot.waitUntil(lambda: job.finished, timeout=60000)
    qtbot.waitUntil(lambda: panel.result is not None, timeout=5000)
    assert panel.result.prior_choice.preset == "severe_as"
    assert "Severe aortic stenosis prior (chosen: aortic stenosis: AVA 0.7" in panel.summary.text()
    units = [panel.fit_table.item(r, 3).text() for r in range(panel.fit_table.rowCount())]
    assert "cm²" in units and "cm^2" not in units  # the fit table shows units as people write them
    state.session.set_twin(_as_patient())  # the same patient, calibrated afresh
    panel.prior.setCurrentIndex(panel.prior.findData("healthy"))
    job = panel.start()
    qtbot.waitUntil(lambda: job.finished, timeout=60000)
    qtbot.waitUntil(lambda: panel.result.prior_choice.overridden, timeout=5000)
    assert "Healthy adult prior (chosen by the user)" in panel.summary.text()


def test_measurements_panel_names_the_prior_they_choose(qtbot, state):
    panel = MeasurementsPanel(state)
    qtbot.addWidget(panel)
    text = panel.messages.text()
    assert "Calibration prior (auto)" in text and "Healthy adult prior" in text, text
    set_cell(panel, 2, 0, "AVA")
    set_cell(panel, 2, 1, "0.7")
    set_cell(panel, 2, 2, "cm^2")
    set_cell(panel, 2, 3, "0.1")
    said = "Severe aortic stenosis prior (chosen: aortic stenosis: AVA 0.7"
    assert said in panel.messages.text()


def test_calibration_copies_of_image_measurements_are_shown_once(qtbot, state):
    """A calibrated twin keeps copies of the image measurements in ``twin.measurements``:
    each is listed once (as the image row, with provenance), and Apply keeps the copies."""
    from dataclasses import replace

    twin = state.twin
    copies = [M("LVEDV", 140, "mL", 6, "CT segmentation"), M("LVESV", 60, "mL", 5,
                                                              "CT segmentation")]
    state.session.set_twin(replace(twin, measurements=[*copies, *twin.measurements]))
    state.session.record("calibration", {"measurements": ["LVEDV", "LVESV", "SBP", "DBP"]})
    panel = MeasurementsPanel(state)
    qtbot.addWidget(panel)
    names = [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())]
    assert names == ["LVEDV", "LVESV", "SBP", "DBP"]
    assert "more than once" not in panel.messages.text()
    # as `twinviewer info` says it (io.measurement_use) for a record that keeps names only
    assert panel.use_text(0) == "image; used: named in an older calibration record"
    assert panel.use_text(2) == "entered; used: named in an older calibration record"
    assert panel.table.item(0, 5).text() == "image; used"  # one line; the rest: tooltip
    assert panel.apply()
    assert [m.name for m in state.twin.measurements] == ["LVEDV", "LVESV", "SBP", "DBP"]


@pytest.mark.slow
def test_reopened_calibrated_twin_shows_its_calibration(qtbot, tmp_path):
    """Calibrated on the command line, opened in the GUI: fit table with misfit flags and
    the volume-curve fit are on show without a re-run."""
    from tests.document.test_reopen_calibration import _curve_twin
    from twinviewer.io import save_twin
    from twinviewer.pipeline import calibrate_file

    path = tmp_path / "p.twin"
    save_twin(path, _curve_twin())
    _, result = calibrate_file(path, None, n=16, accept_misfit=True)  # misfits kept, flagged
    st = TwinState()
    panel = CalibrationPanel(st)
    qtbot.addWidget(panel)
    st.session.open_file(path)
    # the curve points the twin misses come first (calib4), then the measurements
    gaps = [g for c in result.curve_fit for g in c.gaps()]
    assert panel.fit_table.rowCount() == len(result.fit) + len(gaps) and result.fit
    assert [panel.fit_table.item(i, 0).text().split(" at ")[0] for i in range(len(gaps))] \
        == [f"{g.chamber} volume curve" for g in gaps]
    flagged = [len(gaps) + i for i, f in enumerate(result.fit) if f.flag]
    assert flagged and panel.fit_table.item(flagged[0], 0).background().color().name() == \
        "#f6c6c6"
    items = panel.plot.getPlotItem().listDataItems()
    assert len(items) == 2  # LV median and measured points (with error bars)
    np.testing.assert_allclose(items[0].getData()[1], result.curve_fit[0].median)
    assert "Saved calibration" in panel.summary.text()
    assert "LV volume curve: 25 phases" in panel.summary.text()
    assert "heart size ×" in panel.summary.text()
    st.session.open_twin(twin_from_preset("healthy", n=1))  # an uncalibrated twin: cleared
    assert panel.fit_table.rowCount() == 0 and not panel.plot.getPlotItem().listDataItems()
    st.close()


def test_calibration_entry_without_summary_is_shown_not_blank(qtbot, state):
    from twinviewer.io import audit_log

    twin = state.twin
    audit_log(twin).record(twin, "calibration", {
        "method": "EKI", "members": 200, "measurements": ["LVEDV", "HR"],
        "calibrated": ["LV.EA"], "command": "twin create",
        "volume_curves": [{"chamber": "LV", "phases": 25, "rms_z": 0.45,
                           "chi2_per_phase": 0.2, "missed_phases": 0}]})
    state.session.open_twin(twin)
    panel = CalibrationPanel(state)
    qtbot.addWidget(panel)
    text = panel.summary.text()
    assert "Saved calibration" in text and "LV volume curve: 25 phases, RMS z 0.45" in text
    assert "twin create" in text and "Calibrate again" in text


@pytest.mark.parametrize("answer, kept", [("Yes", [140.0]), ("No", [128.0, 140.0]),
                                          ("Cancel", None)])
def test_a_second_value_of_a_quantity_is_asked_about(qtbot, state, monkeypatch, answer,
                                                     kept):
    """Review 7 #6: HR 66 beside HR 72 was stored silently. Now: replace, keep both or
    cancel, asked with both values named."""
    from PySide6.QtWidgets import QMessageBox

    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: (
        asked.append(a[2]), getattr(QMessageBox.StandardButton, answer))[1])
    panel = MeasurementsPanel(state)
    qtbot.addWidget(panel)
    old = state.twin
    panel.add_row("SBP")
    set_cell(panel, 4, 1, "140")
    ok = panel.apply()
    assert "SBP: 128 mmHg (cuff), 140 mmHg" in asked[0]
    if kept is None:
        assert not ok and state.twin is old
        return
    assert ok
    assert sorted(m.value for m in state.twin.measurements if m.name == "SBP") == kept
