"""Rows typed in the Measurements step and not applied (``Document.measurement_draft``) are not
the twin's: the Calibrate step says so before a calibration, ``twinviewer info`` and the
report's page 1 name them (count, not used), and typing them back to the saved rows leaves
nothing unsaved (fix13d's loose ends)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from twinviewer.document import Document
from twinviewer.gui.calibration_panel import CalibrationPanel
from twinviewer.gui.measurements_panel import MeasurementsPanel
from twinviewer.twins import twin_from_preset

ROWS = [("CO", "4.2", "L/min", "0.4", ""), ("SBP", "13O", "mmHg", "8", "")]


@pytest.fixture
def window(saved_healthy_window):
    return saved_healthy_window


def _panel(w, kind):
    return next(p for p in w.panels.values() if isinstance(p, kind))


def test_calibrate_step_says_typed_rows_are_not_used_and_revert_is_saved(window):
    w, doc = window, window.state.session
    w.show_step("Calibrate")
    cal = _panel(w, CalibrationPanel)
    w.show_step("Measurements")
    meas = _panel(w, MeasurementsPanel)
    assert not doc.dirty and not cal.draft_note.text()
    meas.add_row("CO")  # what the user does: Add, type (not Apply)
    r = meas.table.rowCount() - 1
    meas.table.item(r, 1).setText("4.2")
    assert doc.dirty and len(doc.measurement_draft) == 1
    w.show_step("Calibrate")
    assert cal.draft_note.isVisibleTo(w)
    assert cal.draft_note.text() == ("1 typed row in Measurements is not applied: Apply it "
                                     "to use it in a calibration.")
    w.show_step("Measurements")
    meas.table.selectRow(r)
    meas.remove_selected()  # the table holds the twin's rows again
    assert doc.measurement_draft is None
    assert not doc.dirty  # only the draft had changed: nothing is unsaved
    assert not cal.draft_note.text() and not cal.draft_note.isVisibleTo(w)


def test_a_draft_reverted_after_another_change_stays_unsaved():
    doc = Document()
    doc.open_twin(twin_from_preset("healthy", n=1))
    doc.set_measurement_draft(ROWS[:1])
    doc.set_goal("min LVEDP")  # another change: the revert must not hide it
    doc.set_measurement_draft(None)
    assert doc.dirty


def test_a_saved_draft_cleared_is_a_change(tmp_path):
    doc = Document()
    doc.open_twin(twin_from_preset("healthy", n=1))
    doc.set_measurement_draft(ROWS)
    doc.save(tmp_path / "d.twin")
    assert not doc.dirty
    doc.set_measurement_draft(None)  # the file still holds the rows: unsaved
    assert doc.dirty
    doc.set_measurement_draft(ROWS)  # typed back to what the file holds
    assert not doc.dirty
    again = Document()
    again.open_file(tmp_path / "d.twin")
    again.set_measurement_draft(None)
    assert again.dirty
    again.set_measurement_draft(ROWS)
    assert not again.dirty


def test_info_and_report_name_a_kept_draft(tmp_path, capsys):
    from twinviewer.io import load_twin
    from twinviewer.io.cli import info_dict, run_info
    from twinviewer.report.pdf import write_report

    doc = Document()
    doc.open_twin(twin_from_preset("healthy", n=2))
    doc.set_measurement_draft(ROWS)
    path = tmp_path / "d.twin"
    doc.save(path)
    assert run_info(path) == 0
    out = capsys.readouterr().out
    assert "draft       2 measurement rows typed and not applied: kept as typed, not used" in out
    assert info_dict(load_twin(path), path.name)["measurement_draft"] == {"rows": 2,
                                                                         "used": False}
    plain = tmp_path / "p.twin"
    doc.set_measurement_draft(None)
    doc.save(plain)
    assert run_info(plain) == 0 and "draft  " not in capsys.readouterr().out
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    write_report(load_twin(path), tmp_path / "d.pdf", simulate=False)
    text = " ".join(subprocess.run(["pdftotext", "-l", "1", str(tmp_path / "d.pdf"), "-"],
                                   check=True, capture_output=True, text=True).stdout.split())
    assert "2 measurement rows typed and not applied: kept as typed, not used" in text
