"""One way to read a user's file: FHIR bundles and wearable CSVs name the file, never its folder."""

from __future__ import annotations

import os

import pytest

from twinviewer.core.input_bytes import read_input_bytes
from twinviewer.fhir.codes import FhirError
from twinviewer.fhir.fhir_in import load_bundle
from twinviewer.personalize.wearables import WearableError, read_wearable

FOLDER = "DOE_JANE_MRN-998877"


@pytest.mark.parametrize(("reader", "error"), [(load_bundle, FhirError),
                                               (read_wearable, WearableError)])
def test_unreadable_files_are_named_without_their_folder(reader, error, tmp_path):
    folder = tmp_path / FOLDER
    folder.mkdir()
    with pytest.raises(error, match=r"^gone\.json: cannot read \(No such file") as info:
        reader(folder / "gone.json")
    assert FOLDER not in str(info.value)
    with pytest.raises(error, match=r"^sub: cannot read \(Is a directory\)"):
        (folder / "sub").mkdir()
        reader(folder / "sub")
    if os.geteuid() != 0:  # root reads anything
        locked = folder / "locked.csv"
        locked.write_bytes(b"x")
        locked.chmod(0)
        with pytest.raises(error, match=r"^locked\.csv: cannot read \(Permission denied\)"):
            reader(locked)


def test_bytes_and_paths_give_the_same_content_and_names(tmp_path):
    f = tmp_path / "watch.csv"
    f.write_bytes(b"time,heart_rate\n")
    assert read_input_bytes(f, ValueError) == (b"time,heart_rate\n", "watch.csv")
    assert read_input_bytes(str(f), ValueError, name="mine") == (b"time,heart_rate\n", "mine")
    assert read_input_bytes(bytearray(b"{}"), ValueError, default_name="bundle") == (b"{}",
                                                                                     "bundle")
    with pytest.raises(FhirError, match=r"^bundle: not JSON"):
        load_bundle(b"\xff")
    with pytest.raises(WearableError, match=r"^wearable\.csv: not a UTF-8"):
        read_wearable(b"\xff\xfe\x00")
