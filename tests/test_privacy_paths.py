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
