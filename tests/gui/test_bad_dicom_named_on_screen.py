"""review16 #6: a bad file in a DICOM folder was named only "file #5e710c (.dcm)", a per-run
tag nothing maps back to a file; a JPEG named .dcm was advised as a segmentation unread.

The tag stays in the log file (a file name may identify the patient); the message on the
user's screen names the file by its path below the chosen folder, beside the tag. A lone
non-DICOM .dcm is read and refused as "not a DICOM file".
"""

from __future__ import annotations

import logging

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200)


def test_a_bad_file_is_named_on_screen_and_only_tagged_in_the_log(make_twin_window, qtbot,
                                                                  tmp_path, caplog):
    from tests.gui.conftest import wait_jobs

    study = tmp_path / "DOE_JANE_19480713"
    (study / "S001").mkdir(parents=True)
    (study / "S001" / "IM0001.dcm").write_bytes(JPEG)
    w = make_twin_window(load_demo=False)
    shown_log: list[str] = []
    w.state.message.connect(lambda _level, text: shown_log.append(text))
    with caplog.at_level(logging.INFO, logger="twinviewer"):
        w.open_dicom_folder(study)
        wait_jobs(qtbot, w.state)
    on_screen = [t for t in shown_log if "not a DICOM file" in t]
    assert on_screen and "S001/IM0001.dcm (file #" in on_screen[0], shown_log
    assert "S001/IM0001.dcm" in w.last_error
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "not a DICOM file" in logged and "file #" in logged
    assert "IM0001" not in logged and "DOE_JANE" not in logged  # the log keeps the tag only
    assert "DOE_JANE" not in "\n".join(shown_log)  # the chosen folder itself is not repeated


def test_a_jpeg_named_dcm_is_not_taken_for_a_segmentation(make_twin_window, tmp_path):
    f = tmp_path / "scan.dcm"
    f.write_bytes(JPEG)
    w = make_twin_window(load_demo=False)
    w.open_segmentation(f)
    assert "not a DICOM file" in w.last_error and "scan.dcm" in w.last_error
    assert "segmentation belongs to" not in w.last_error
    w.last_error = None
    w.open_paths([f])  # dropped on the window: the same
    assert "not a DICOM file" in w.last_error and "scan.dcm" in w.last_error
