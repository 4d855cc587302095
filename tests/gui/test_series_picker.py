"""The series picker: asked only for several patients or studies; rows, thumbnails, choice."""

from __future__ import annotations

import pytest

from tests.imaging.cine_factory import write_cine_study
from twinviewer.gui.series_picker import SeriesPickerDialog, needs_choice, scan_for_picker

KEY = b"series-picker-test-key-0123456789ab"
SMALL = {"rows": 40, "cols": 36, "pixel_mm": 7.0, "n_phases": 4}


@pytest.fixture(scope="module")
def two_patients(tmp_path_factory):
    root = tmp_path_factory.mktemp("two")
    write_cine_study(root / "a", la_views=("4ch",), **SMALL)
    write_cine_study(root / "b", la_views=(), patient="ROE", **SMALL)
    return root


def _scan(path):
    return scan_for_picker(path, KEY, lambda f, t: None, lambda: False)


def test_one_study_needs_no_choice(tmp_path):
    write_cine_study(tmp_path, la_views=("2ch",), **SMALL)
    rows, thumbs = _scan(tmp_path)
    assert len(rows) == 7 and not needs_choice(rows) and len(thumbs) == 7


def test_two_patients_are_offered_and_one_is_chosen(qtbot, two_patients):
    rows, thumbs = _scan(two_patients)
    assert needs_choice(rows)
    dlg = SeriesPickerDialog(rows, thumbs)
    qtbot.addWidget(dlg)
    assert dlg.table.rowCount() == 13 and not dlg.ok.isEnabled()
    assert not dlg.table.item(0, 0).icon().isNull()  # thumbnail shown
    patients = {dlg.table.item(i, 1).text() for i in range(13)}
    assert len(patients) == 2 and not any("ROE" in p or "DOE" in p for p in patients)
    dlg.table.selectRow(12)
    assert dlg.ok.isEnabled()
    assert dlg.selected_uid() == [r for r in rows if r.n_phases][12].series_uid
