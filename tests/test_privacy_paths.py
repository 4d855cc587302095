"""A folder named after the patient (as PACS exports often are) never reaches what we write."""

from __future__ import annotations

import pytest

from twinviewer.imaging.errors import ImagingError
from twinviewer.imaging.study import import_study

FOLDER = "DOE_JANE_MRN-998877"


@pytest.fixture(scope="module")
def identified_folder(tmp_path_factory):
    from twinviewer.imaging.demo import write_demo_study

    root = tmp_path_factory.mktemp("export") / FOLDER
    study = write_demo_study(root, shape=(40, 64, 64), spacing=(4.0, 2.5, 2.5))
    (root / "readme.txt").write_text("exported from PACS")  # a file import must skip
    return study.folder


def test_notes_name_skipped_files_by_tag_not_by_name(identified_folder):
    """review13 #5: not even the path below the chosen folder (sub-folders and file names
    are often named after the patient too)."""
    anatomy = import_study(identified_folder, key=b"k" * 32)
    assert any(n.startswith("skipped file #") and "(.txt)" in n and "not a DICOM file" in n
               for n in anatomy.notes), anatomy.notes
    for note in anatomy.notes:
        assert FOLDER not in note and str(identified_folder.parent) not in note
        assert "readme" not in note


def test_twin_file_holds_no_folder_or_patient_identifier(identified_folder, tmp_path):
    from twinviewer.imaging.demo import DEMO_IDENTIFIERS
    from twinviewer.io import save_twin
    from twinviewer.twins import twin_from_preset

    anatomy = import_study(identified_folder, key=b"k" * 32)
    twin = twin_from_preset("healthy", n=4, pseudonym=anatomy.pseudonym, anatomy=anatomy)
    data = save_twin(tmp_path / "t.twin", twin).read_bytes()
    import zipfile

    with zipfile.ZipFile(tmp_path / "t.twin") as zf:
        text = b"".join(zf.read(n) for n in zf.namelist() if n.endswith(".json"))
    for blob in (data, text):
        for value in ("DOE_JANE", "998877", *[v for v in DEMO_IDENTIFIERS.values()
                                              if len(v) >= 5]):
            assert value.encode() not in blob, value


def test_errors_name_the_file_but_not_the_folder(tmp_path):
    folder = tmp_path / FOLDER
    folder.mkdir()
    (folder / "scan.dcm").write_bytes(b"not dicom at all")
    with pytest.raises(ImagingError) as info:
        import_study(folder, key=b"k" * 32)
    assert FOLDER not in str(info.value)


def test_settings_files_keep_no_trace_of_the_chosen_folder(identified_folder, qtbot,
                                                           monkeypatch, _private_user_folders):
    """File → Open DICOM folder through Qt's own dialog, import, close: the app's settings
    file, Qt's file-dialog settings (which record browsed folders) and every other file in
    the user's config, data and state folders hold no trace of the patient-named folder."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

    from twinviewer.gui.file_dialogs import qt_dialog_settings
    from twinviewer.gui.main_window import MainWindow

    root = _private_user_folders
    window = MainWindow(load_demo=False)  # the user's own settings file (made private here)
    qtbot.addWidget(window)
    assert window.qsettings.fileName().startswith(str(root))
    assert qt_dialog_settings().fileName().startswith(str(root))
    chosen = []

    def pick() -> None:
        dialogs = [w for w in QApplication.topLevelWidgets()
                   if isinstance(w, QFileDialog) and w.isVisible()]
        if not dialogs:
            QTimer.singleShot(50, pick)
            return
        dialogs[0].setDirectory(str(identified_folder))
        chosen.append(dialogs[0].directory().absolutePath())
        dialogs[0].accept()

    QTimer.singleShot(50, pick)
    before = window.state.twin
    window.choose_dicom_folder()
    assert chosen == [str(identified_folder)]
    qtbot.waitUntil(lambda: window.state.twin is not before or window.last_error is not None,
                    timeout=120_000)
    assert window.last_error is None and window.recent() == [str(identified_folder)]
    window.state.cancel_all()  # its simulation is not what this test is about
    window.state.wait_for_jobs(120_000)
    monkeypatch.setattr(QMessageBox, "question",  # the imported twin is not saved
                        lambda *a, **k: QMessageBox.StandardButton.Discard)
    window.close()  # writes the window geometry and layout to the settings file

    written = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    names = {p.name for p in written}
    assert {"TwinViewer.conf", "QtProject.conf"} <= names, names  # both were searched
    assert b"window" in written[next(p for p in written if p.name == "TwinViewer.conf")]
    for path, data in written.items():
        for value in (FOLDER, "DOE_JANE", "998877", str(identified_folder.parent)):
            assert value.encode() not in data, (path.name, value)


def test_a_name_in_the_twin_path_reaches_no_file_the_app_writes(tmp_path, capsys):
    """polish8: the autosave index kept the full .twin path, and a path can hold a patient's
    name. Save, reopen, edit, autosave, recover, export (PDF report, FHIR bundle) and run the
    headless commands on a twin kept in a patient-named folder: no file written (the app's
    autosave folder and log, the twin, the exports) nor anything printed names the folder."""
    import json

    from twinviewer.core.measurement import Measurement
    from twinviewer.io.autosave import Autosaver
    from twinviewer.io.cli import run_info
    from twinviewer.io.logs import configure_logging
    from twinviewer.living import add_measurements
    from twinviewer.plugins.registry import get_registry
    from twinviewer.report.cli import run_report
    from twinviewer.session import Session
    from twinviewer.twins import twin_from_preset

    folder = tmp_path / "patients" / "Smith_John_MRN-445566"
    folder.mkdir(parents=True)
    app = tmp_path / "app"
    configure_logging(app / "logs")
    ms = [Measurement("SBP", 124, "mmHg", 6), Measurement("DBP", 78, "mmHg", 5),
          Measurement("HR", 66, "bpm", 2)]
    twin = add_measurements(twin_from_preset("healthy", n=1), ms, source="manual",
                            consent="treatment", day=0, n=16).twin  # a visit to export
    session = Session()
    session.open_twin(twin)
    target = session.save(folder / "case.twin")
    session.open_file(target)
    session.add_note("rechecked the volumes")  # unsaved work
    saver = Autosaver(app / "autosave", secret=b"s" * 32)
    saver.autosave(session.twin)
    saver.note_origin(session.twin, session.file.path)
    (rec,) = saver.pending_recovery()  # the user who made it still sees twin and file
    assert rec.file == target and rec.label == session.twin.pseudonym
    assert saver.recover(rec).twin.pseudonym == session.twin.pseudonym
    session.save()
    saver.mark_saved(session.twin)
    get_registry().guarded("writers", "fhir_bundle")(session.twin_document(),
                                                      folder / "case.json")
    assert run_report(target) == 0 and run_info(target) == 0
    (folder / "broken.twin").write_bytes(b"PK not a twin")
    assert run_info(folder / "broken.twin") != 0  # an error message, naming the file only
    printed = capsys.readouterr()

    written = {p: p.read_bytes() for p in [*app.rglob("*"), *folder.iterdir()] if p.is_file()}
    assert {"index.json", "twinviewer.log", "case.pdf", "case.json", "case.twin"} <= \
        {p.name for p in written}, sorted(p.name for p in written)
    assert json.loads(written[app / "autosave" / "index.json"])  # the index was written
    for value in ("Smith_John", "445566", str(folder.parent)):
        for path, data in written.items():
            assert value.encode() not in data, (path.name, value)
        assert value not in printed.out + printed.err, value
