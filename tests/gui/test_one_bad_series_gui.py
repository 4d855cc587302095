"""The window imports a cine study whose first short-axis series has no TriggerTime (left
out, the volumes marked 'one end slice missing') and refuses one whose third series has
none, naming it; the app keeps running either way (imaging14)."""

from __future__ import annotations

import pydicom

from tests.imaging.cine_factory import write_cine_study

SMALL = {"n_phases": 6, "la_views": ("4ch", "2ch")}


def _study(root, folder):
    lay = write_cine_study(root, **SMALL)
    for p in (p for p in lay.files if p.parent.name == folder):
        ds = pydicom.dcmread(p)
        del ds.TriggerTime
        ds.save_as(p)
    return root


def test_a_bad_end_series_imports_and_an_interior_one_is_refused(make_twin_window, qtbot,
                                                                   tmp_path):
    w = make_twin_window(load_demo=False)
    before = w.state.twin
    w.open_dicom_folder(_study(tmp_path / "inside", "S003"))
    qtbot.waitUntil(lambda: w.last_error is not None, timeout=120_000)
    assert "series 'cine_trufi_retro_sa_3' (#3) (slice 3 of 6 of the stack) cannot be used: " \
        "TriggerTime missing" in w.last_error and "gap inside the stack" in w.last_error
    assert w.state.twin is before
    w.last_error = None
    w.open_dicom_folder(_study(tmp_path / "end", "S001"))
    qtbot.waitUntil(lambda: w.state.twin is not before or w.last_error is not None,
                    timeout=180_000)
    assert w.last_error is None
    anatomy = w.state.twin.anatomy
    assert any(n.startswith("series 'cine_trufi_retro_sa_1' (#1) (slice 1 of 6, the first of "
                            "the stack) left out: TriggerTime missing") for n in anatomy.notes)
    rvedv = next(m for m in anatomy.measurements if m.name == "RVEDV")
    assert "one end slice missing" in rvedv.source
    w.state.cancel_all()
    w.state.wait_for_jobs(60_000)
