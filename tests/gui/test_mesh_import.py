"""File → Open meshes reads a mesh time series (all frames, moving), File → Add meshes to this
study puts one over the open study; bad input is named and the app keeps what it had.

The series is biv-me's real 25-frame biventricular geometry (``meshes/bivme_patient1``,
written back as legacy VTK in its original naming) and the repository's copy of two of its
original files (``tests/data/bivme_patient1``: frames 0 and 9 only).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import pyvista as pv
from PySide6.QtWidgets import QDialog

from tests.gui.conftest import wait_jobs
from twinviewer.gui import mesh_import
from twinviewer.gui.mesh_import import (
    MeshSeriesDialog,
    Remembered,
    add_meshes_to_study,
    files_in,
    open_mesh_paths,
)
from twinviewer.imaging.bivme import export_vtk, load_bivme
from twinviewer.imaging.mesh_series_import import is_mesh_folder

DATA = Path(__file__).resolve().parents[1] / "data" / "bivme_patient1"


@pytest.fixture(scope="module")
def bivme25(tmp_path_factory) -> Path:
    """biv-me's 25 frames × 3 surfaces as legacy VTK (``patient1_LV_ENDOCARDIAL_000.vtk``)."""
    folder = tmp_path_factory.mktemp("bivme25")
    export_vtk(folder)
    return folder


def _lv_rv(folder: Path) -> list[Path]:
    return [p for p in files_in(folder) if "_EPICARDIAL_" not in p.name]


def test_a_mesh_series_opens_as_a_moving_heart_with_its_measurements(make_twin_window,
                                                                     bivme25, qtbot):
    w = make_twin_window()
    open_mesh_paths(w, files_in(bivme25), None, 860.0)
    wait_jobs(qtbot, w.state)
    a = w.state.twin.anatomy
    assert a.pseudonym.startswith("TW-") and w.state.twin.pseudonym == a.pseudonym, \
        w.last_error  # a fresh pseudonym: the twin can be saved (review10b #1)
    assert {k: len(s.meshes) for k, s in a.structures.items()} == \
        {"lv_blood": 25, "rv_blood": 25, "epicardium": 25}
    assert {"lv_blood", "rv_blood", "epicardium"} <= set(w.view3d.live)  # moved point-wise
    by = {m.name: m for m in a.measurements}
    # against the packed biv-me geometry read on another path (imaging.bivme, no files)
    ref = [v.value for v in load_bivme().structures["lv_blood"].volumes.values()]
    assert by["LVEDV"].value == pytest.approx(max(ref), rel=1e-4)
    assert by["LVESV"].value == pytest.approx(min(ref), rel=1e-4)
    assert by["LVEDV"].uncertainty > 0 and by["LVEF"].unit == "%"
    assert by["LVEDV"].source == "imported mesh time series, 25-phase volume curve"
    assert {"LV_PER", "LV_PFR", "RVEF"} <= set(by)  # timed by the R-R given
    w.state.session.set_time(0.0)  # frame 0 (ED), then frame 9 (ES): the heart moves
    qtbot.wait(200)
    ed = w.view3d.screenshot().astype(float)
    w.state.session.set_time(9 / 25)
    qtbot.wait(200)
    es = w.view3d.screenshot().astype(float)
    assert ed.std() > 10 and np.abs(ed - es).mean() > 1.0


def test_files_without_frame_index_keep_the_one_structure_per_file_path(make_twin_window,
                                                                        qtbot, tmp_path):
    from twinviewer.gui.demo_heart import MESH_DIR

    w = make_twin_window()
    shutil.copy(MESH_DIR / "lv_blood_ED.vtp", tmp_path / "lv_blood.vtp")
    open_mesh_paths(w, [tmp_path / "lv_blood.vtp"])
    qtbot.waitUntil(lambda: set(w.view3d.actors) == {"lv_blood"}, timeout=60_000)
    assert len(w.state.twin.anatomy.structures["lv_blood"].meshes) == 1


def test_the_dialog_says_what_was_chosen_and_remembers_the_mapping(make_twin_window, qtbot,
                                                                   tmp_path, monkeypatch):
    """File → Open meshes: a folder with a user's own names, mapped by a JSON chosen once and
    remembered for the session (a later drop uses it); a changed topology is said, naming
    the file, and shown by cross-fading."""
    pts, faces = load_bivme_surface()
    folder = tmp_path / "cavity"
    folder.mkdir()
    for i in range(4):
        mesh = pv.PolyData.from_regular_faces(pts[i], faces)
        if i == 2:
            mesh = mesh.subdivide(1)
        mesh.save(folder / f"cavity_{i:03d}.vtk", binary=False)
    (folder / "README.txt").write_text("frames of one beat")
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"cavity": "lv_blood"}))

    w = make_twin_window()
    dlg = MeshSeriesDialog(w, Remembered())
    assert not dlg.ok.isEnabled() and dlg.rr.isVisibleTo(dlg)
    monkeypatch.setattr(mesh_import.file_dialogs, "get_existing_directory",
                        lambda *a, **k: str(folder))
    monkeypatch.setattr(mesh_import.file_dialogs, "get_open_file_name",
                        lambda *a, **k: (str(mapping), ""))
    dlg.folder_button.click()
    assert dlg.summary.text() == "1 time series (cavity: frames 0–3)" and dlg.ok.isEnabled()
    dlg._choose_mapping()
    assert dlg.mapping_label.text() == "map.json"
    assert not MeshSeriesDialog(w, Remembered(), study=True).rr.isVisibleTo(dlg)

    def accepted(self):  # the user pressed OK on what the test chose above
        self.set_paths(files_in(folder))
        self.set_mapping(mapping)
        self.rr.setValue(900)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(MeshSeriesDialog, "exec", accepted)
    w.choose_meshes()  # the slot of File → Open meshes
    wait_jobs(qtbot, w.state)
    lv = w.state.twin.anatomy.structures["lv_blood"]
    assert len(lv.meshes) == 4, w.last_error
    assert any("topology changes at frame(s) [2, 3]" in t and
               "cross-fades" in t for lvl, t in w.log_panel.entries if lvl == "warning")
    assert mesh_import.remembered(w).mapping == mapping
    assert mesh_import.remembered(w).rr_ms == 900
    # dropped on the window: the folder is a mesh series (no DICOM file in it), mapped by the
    # remembered JSON; without it 'cavity' would name no structure
    shown = w.state.twin.anatomy
    assert is_mesh_folder(folder)
    w.open_paths([folder])
    wait_jobs(qtbot, w.state)
    assert w.state.twin.anatomy is not shown and w.last_error is None
    assert len(w.state.twin.anatomy.structures["lv_blood"].meshes) == 4


def load_bivme_surface() -> tuple[np.ndarray, np.ndarray]:
    from twinviewer.imaging.bivme import surfaces

    return surfaces()["LV_ENDOCARDIAL"]


def test_a_folder_with_dicom_files_is_a_study_not_meshes(bivme25, tmp_path):
    shutil.copytree(bivme25, tmp_path / "s")
    (tmp_path / "s" / "IM0001").write_bytes(b"\0" * 128 + b"DICM" + b"\0" * 20)
    assert is_mesh_folder(bivme25) and not is_mesh_folder(tmp_path / "s")


# -- bad input: the message names the file and the problem; the app keeps what it had ------
def _audit(w) -> list:
    from twinviewer.io import audit_log

    return list(audit_log(w.state.twin).entries)


@pytest.mark.parametrize("case", ["missing frame", "unknown structure", "not JSON",
                                  "frames differ from phases", "no frame index"])
def test_bad_mesh_input_is_named_and_the_heart_kept(demo_window, qtbot, bivme25, tmp_path,
                                                   case):
    w = demo_window
    before, audit = w.state.twin.anatomy, _audit(w)
    files, mapping = files_in(bivme25), None
    if case == "missing frame":  # the repository's copy of biv-me: frames 0 and 9 only
        open_mesh_paths(w, files_in(DATA))
        expect = ("patient1_EPICARDIAL_000.vtk", "frame(s) [1, 2, 3, 4, 5, 6, 7, 8] missing")
    elif case == "unknown structure":
        mapping = tmp_path / "my_map.json"
        mapping.write_text(json.dumps({"LV_ENDOCARDIAL": "left_ventricle_thing"}))
        open_mesh_paths(w, files, mapping)
        expect = ("my_map.json", "unknown vocabulary keys ['left_ventricle_thing']")
    elif case == "not JSON":
        mapping = tmp_path / "my_map.json"
        mapping.write_text("LV_ENDOCARDIAL = lv_blood")
        add_meshes_to_study(w, files, mapping)
        expect = ("my_map.json", "not JSON")
    elif case == "frames differ from phases":
        add_meshes_to_study(w, [p for p in files if int(p.stem[-3:]) < 8])
        expect = ("patient1_EPICARDIAL_000.vtk … (24 files)", "8 frames, the image 25 phases",
                  "frames must match phases")
    else:
        add_meshes_to_study(w, [DATA / "README.md", DATA.parent / "x.vtp"])
        expect = ("README.md", "no frame index in the file names")
    wait_jobs(qtbot, w.state)
    assert w.last_error is not None and all(e in w.last_error for e in expect), w.last_error
    assert str(tmp_path) not in w.last_error and str(DATA.parent) not in w.last_error
    assert w.state.twin.anatomy is before and w.view3d.anatomy is before
    assert _audit(w) == audit
    assert any("still showing the previous heart" in t for _, t in w.log_panel.entries[-3:])


# -- over the open study ---------------------------------------------------------------------
def test_meshes_added_to_the_study_replace_its_structures_and_are_saved(make_twin_window,
                                                                       qtbot, bivme25,
                                                                       tmp_path):
    from twinviewer.gui import twin_file_actions
    from twinviewer.io import audit_log

    w = make_twin_window()
    assert w.add_meshes_action.isEnabled()  # the demo is a study: image and segmentation
    study = w.state.twin.anatomy
    results = w.state.results
    add_meshes_to_study(w, _lv_rv(bivme25))
    wait_jobs(qtbot, w.state)
    a = w.state.twin.anatomy
    assert a is not study and w.last_error is None
    assert {v.source for v in a.structures["lv_blood"].volumes.values()} == \
        {"imported mesh time series"}
    assert a.structures["la"] is study.structures["la"]  # not named: the study's own
    assert a.structures["epicardium"] is study.structures["epicardium"]
    assert "lv_blood: from the imported mesh time series (25 frames), chosen over the " \
           "study's segmentation (its lv_blood meshes and volumes are not used)" in a.notes
    said = next(n for n in a.notes if n.startswith("structures: "))
    assert said.startswith("structures: lv_blood, rv_blood from the imported mesh time series")
    by = {m.name: m for m in a.measurements}
    assert [m.name for m in a.measurements].count("LVEDV") == 1
    assert by["LVEDV"].source.startswith("imported mesh time series")
    assert by["RVEF"].source.startswith("imported mesh time series")
    # the study is untouched (the edit is a new anatomy), the predictions still hold
    assert {v.source for v in study.structures["lv_blood"].volumes.values()} != \
        {"imported mesh time series"}
    assert w.state.results is results and w.state.session.dirty
    assert w.view3d.anatomy is a and "lv_blood" in w.view3d.live
    entry = audit_log(w.state.twin).entries[-1]
    assert entry.action == "import" and entry.details["step"] == \
        "mesh time series added to the study"
    assert entry.details["frames"] == 25 and entry.details["structures"] == \
        ["lv_blood", "rv_blood"]
    assert entry.details["replaced"] == {"lv_blood": "the study's segmentation",
                                         "rv_blood": "the study's segmentation"}
    assert str(bivme25) not in json.dumps(entry.details)  # no path in the audit trail
    # saved and reopened: the anatomy and the audit entry come back
    path = twin_file_actions.save_twin_as(w, w.state, tmp_path / "with_meshes.twin")
    assert path is not None and path.exists(), w.last_error
    w.close_twin()
    assert not w.add_meshes_action.isEnabled()  # no study open
    twin_file_actions.open_twin(w, w.state, path)
    wait_jobs(qtbot, w.state)
    b = w.state.twin.anatomy
    assert {v.source for v in b.structures["lv_blood"].volumes.values()} == \
        {"imported mesh time series"}
    assert len(b.structures["rv_blood"].meshes) == 25
    assert [m.name for m in b.measurements] == [m.name for m in a.measurements]
    assert [e.details.get("step") for e in audit_log(w.state.twin).entries].count(
        "mesh time series added to the study") == 1
    assert w.add_meshes_action.isEnabled()


def test_meshes_over_an_automatically_segmented_cine_study(make_twin_window, qtbot,
                                                          tmp_path):
    """The CLI's ``--meshes`` case in the GUI: a cine study imported and segmented by the
    app, then the user's 10-frame LV series over it (the same words as the CLI's)."""
    from tests.imaging.cine_factory import write_cine_study

    cine = write_cine_study(tmp_path / "cine", la_views=(), rows=40, cols=36, pixel_mm=7.0,
                            n_phases=10)
    export_vtk(tmp_path / "m", frames=range(10))
    w = make_twin_window(load_demo=False)
    w.open_dicom_folder(cine.root)
    qtbot.waitUntil(lambda: w.state.twin is not None, timeout=180_000)
    w.state.cancel_all()  # the new twin's simulation is not needed here
    wait_jobs(qtbot, w.state)
    study = w.state.twin.anatomy
    assert "lv_myocardium" in study.structures and w.add_meshes_action.isEnabled()
    add_meshes_to_study(w, [p for p in files_in(tmp_path / "m") if "_LV_" in p.name])
    wait_jobs(qtbot, w.state)
    a = w.state.twin.anatomy
    assert a is not study, w.last_error
    assert "lv_blood: from the imported mesh time series (10 frames), chosen over the " \
           "automatic segmentation (its lv_blood meshes and volumes are not used)" in a.notes
    assert a.structures["lv_myocardium"] is study.structures["lv_myocardium"]
    by = {m.name: m for m in a.measurements}
    assert by["LVEDV"].source.startswith("imported mesh time series")
    assert by["LVmass"].source == {m.name: m for m in study.measurements}["LVmass"].source
    assert not [n for n in a.notes if n.startswith(("LV base not covered",
                                                    "LV apex not covered"))]


def test_opened_meshes_are_a_new_patient_never_the_open_twins_numbers(make_twin_window,
                                                                      bivme25, qtbot,
                                                                      monkeypatch):
    """meshui9's note: meshes opened onto a twin kept that twin's measurements (the demo's
    LVEDV "measured by biv-me fitted mesh" stayed in the table over other meshes). Opened
    meshes are now a new twin whose only measurements are their own; unsaved work is asked
    about first, and Cancel keeps everything."""
    from PySide6.QtWidgets import QMessageBox

    from twinviewer.core.measurement import Measurement

    w = make_twin_window()
    old = w.state.twin
    w.state.session.add_measurement(Measurement("SBP", 141.0, "mmHg", 5.0, "cuff"))
    asked = []

    def cancel(*a, **k):
        asked.append(a[2] if len(a) > 2 else "")
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", cancel)
    open_mesh_paths(w, files_in(bivme25), None, 860.0)
    wait_jobs(qtbot, w.state)
    assert asked and w.state.twin.pseudonym == old.pseudonym  # cancelled: nothing changed
    assert any(m.name == "SBP" for m in w.state.twin.measurements)
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Discard)
    open_mesh_paths(w, files_in(bivme25), None, 860.0)
    wait_jobs(qtbot, w.state)
    t = w.state.twin
    assert t is not old and t.pseudonym.startswith("TW-"), w.last_error
    from twinviewer.io.twinfile import twin_bytes

    assert twin_bytes(t)  # savable: a real pseudonym (review10b #1)
    assert t.measurements == []  # the old twin's are gone; the meshes' own are the anatomy's
    assert {m.source for m in t.anatomy.measurements} == {
        "imported mesh time series, 25-phase volume curve"}
    assert w.state.session.dirty  # an import is the user's work: offered for saving


def test_open_meshes_with_a_series_files_reads_them_as_their_folder(make_twin_window,
                                                                    bivme25, qtbot, tmp_path):
    """review11 #7: ``open_meshes`` (File → Open meshes' slot, and the drop path's) given the
    75 biv-me files failed "file name does not name a structure of the vocabulary", naming
    the absolute path, while their folder opened as a moving heart. The files now open as
    the folder does; a file that names no structure is named by its name only."""
    w = make_twin_window()
    w.open_meshes(files_in(bivme25))
    wait_jobs(qtbot, w.state)
    a = w.state.twin.anatomy
    assert {k: len(s.meshes) for k, s in a.structures.items()} == \
        {"lv_blood": 25, "rv_blood": 25, "epicardium": 25}, w.last_error
    ref = [v.value for v in load_bivme().structures["lv_blood"].volumes.values()]
    assert {m.name: m for m in a.measurements}["LVEDV"].value == pytest.approx(max(ref),
                                                                              rel=1e-4)
    odd = tmp_path / "DOE_JANE" / "cavity.vtp"
    odd.parent.mkdir()
    shutil.copy(DATA.parent.parent.parent / "meshes" / "demo_heart" / "lv_blood_ED.vtp", odd)
    w.open_meshes([odd])
    wait_jobs(qtbot, w.state)
    assert w.last_error and "cavity.vtp: file name does not name a structure" in w.last_error
    assert "DOE_JANE" not in w.last_error and str(tmp_path) not in w.last_error
    assert w.state.twin.anatomy is a  # the heart on show is kept
