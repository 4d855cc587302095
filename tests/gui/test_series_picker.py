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
    assert not needs_choice(rows) and len(thumbs) == 7
    # the six one-slice short-axis series are one row: the stack they assemble into
    assert [r.role for r in rows] == ["stack", "plane"]
    stack = rows[0]
    assert (stack.n_slices, stack.n_phases) == (6, 4) and "stack of 6 series" in stack.description
    assert stack.n_files == 6 * 4 and stack.series_uid in thumbs


def test_two_patients_are_offered_and_one_is_chosen(qtbot, two_patients):
    rows, thumbs = _scan(two_patients)
    assert needs_choice(rows)
    dlg = SeriesPickerDialog(rows, thumbs)
    qtbot.addWidget(dlg)
    # per patient: one row for the assembled short-axis stack (+ the 4CH plane of patient a)
    assert dlg.table.rowCount() == 3 and not dlg.ok.isEnabled()
    assert not dlg.table.item(0, 0).icon().isNull()  # thumbnail shown
    patients = {dlg.table.item(i, 1).text() for i in range(3)}
    assert len(patients) == 2 and not any("ROE" in p or "DOE" in p for p in patients)
    assert sorted(dlg.table.item(i, 7).text() for i in range(3)) == ["1", "6", "6"]
    assert sorted(dlg.table.item(i, 4).text() for i in range(3)) == [
        "long-axis 4CH", "short-axis stack of 6 series", "short-axis stack of 6 series"]
    dlg.table.selectRow(2)
    assert dlg.ok.isEnabled()
    assert dlg.selected_uid() == [r for r in rows if r.n_phases][2].series_uid


def test_a_repeated_slice_is_offered_with_the_later_one_selected(qtbot, tmp_path):
    """Slice 2 acquired again: the picker opens with the stack (later acquisition) selected;
    choosing the left-out earlier series imports the stack with it."""
    from twinviewer.imaging.deid import new_uid

    lay = write_cine_study(tmp_path, la_views=("4ch",), repeats=(2,), **SMALL)
    rows, thumbs = _scan(tmp_path)
    assert needs_choice(rows)  # one study, but a choice to offer
    dlg = SeriesPickerDialog(rows, thumbs)
    qtbot.addWidget(dlg)
    roles = [dlg.table.item(i, 4).text() for i in range(dlg.table.rowCount())]
    assert roles == ["short-axis stack of 6 series",
                     "repeat of slice 2 (from 0), earlier, left out", "long-axis 4CH"]
    assert dlg.table.item(1, 3).text() == "cine_trufi_retro_sa_3 (#3)"  # which acquisition
    assert "(#8) is used" in dlg.table.item(1, 4).toolTip()
    assert dlg.ok.isEnabled() and dlg.selected_uid() == rows[0].series_uid  # the default
    dlg.table.selectRow(1)
    assert dlg.selected_uid() == new_uid(lay.sa_series[2], KEY)


@pytest.fixture(scope="module")
def burned_in_study(tmp_path_factory):
    """One cine study whose every image is marked BurnedInAnnotation = YES."""
    import pydicom

    root = tmp_path_factory.mktemp("burned")
    write_cine_study(root, la_views=("4ch",), **SMALL)
    for p in sorted(root.rglob("*.dcm")):
        ds = pydicom.dcmread(p)
        ds.BurnedInAnnotation = "YES"
        ds.save_as(p, enforce_file_format=True)
    return root


def test_burned_in_series_offer_the_switch_off_and_show_no_preview(qtbot, burned_in_study):
    from twinviewer.gui.series_picker import has_burned_in

    rows, thumbs = _scan(burned_in_study)
    images = [r for r in rows if r.n_phases]
    assert images and all(r.burned_in for r in images) and has_burned_in(rows)
    assert thumbs == {}  # their pixels may show patient text
    assert not needs_choice(rows)
    dlg = SeriesPickerDialog(rows, thumbs, choose=False)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.keep_burned.isVisible() and not dlg.keep_burned.isChecked()
    assert dlg.ok.isEnabled() and dlg.selected_uid() is None  # the study as a whole
    assert "BURNED-IN" in dlg.table.item(0, 3).text()
    assert not dlg.keep_burned_in()
    dlg.keep_burned.setChecked(True)
    assert dlg.keep_burned_in()


def test_series_without_burned_in_text_hide_the_switch(qtbot, two_patients):
    from twinviewer.gui.series_picker import has_burned_in

    rows, thumbs = _scan(two_patients)
    assert not has_burned_in(rows)
    dlg = SeriesPickerDialog(rows, thumbs)
    qtbot.addWidget(dlg)
    dlg.show()
    assert not dlg.keep_burned.isVisible()
    dlg.keep_burned.setChecked(True)  # hidden, and nothing to keep: no effect
    assert not dlg.keep_burned_in()


def test_the_gui_import_keeps_burned_in_images_only_when_switched_on(
        make_twin_window, burned_in_study, qtbot, monkeypatch):
    from PySide6.QtWidgets import QDialog

    from twinviewer.gui import series_picker

    asked = []

    def answer(dlg):  # the switch is shown, off; the user sets it
        assert dlg.keep_burned.isVisibleTo(dlg) and not dlg.keep_burned.isChecked()
        dlg.keep_burned.setChecked(asked[-1])
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(series_picker.SeriesPickerDialog, "exec", answer)
    w = make_twin_window(load_demo=False)
    before = w.state.twin
    asked.append(False)  # left off: every image is refused, and the message names the switch
    series_picker.open_folder(w, burned_in_study)
    qtbot.waitUntil(lambda: w.last_error is not None, timeout=120_000)
    assert "keep images with burned-in annotation" in w.last_error
    assert w.state.twin is before and not w.study_keeps_burned_in
    asked.append(True)
    w.last_error = None
    series_picker.open_folder(w, burned_in_study)
    qtbot.waitUntil(lambda: w.state.twin is not before or w.last_error is not None,
                    timeout=120_000)
    assert w.last_error is None and w.state.twin.origin == "import"
    assert "BurnedInAnnotation is YES and kept on request" in " ".join(
        w.state.twin.anatomy.notes)
    assert w.study_keeps_burned_in  # a segmentation added later is imported the same way
    w.state.wait_for_jobs(60_000)
