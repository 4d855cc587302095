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


def test_notes_name_files_relative_to_the_chosen_folder(identified_folder):
    anatomy = import_study(identified_folder, key=b"k" * 32)
    assert any("readme.txt" in n for n in anatomy.notes)
    for note in anatomy.notes:
        assert FOLDER not in note and str(identified_folder.parent) not in note


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
