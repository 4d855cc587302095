"""review16 #6 (CLI): `twinviewer import` named a bad file only by a per-run tag. On a
terminal (the user's screen) the file's path below the chosen folder is shown beside the tag;
redirected output (a log) keeps the tag only."""

from __future__ import annotations

import io
import sys

from twinviewer.imaging.cli_import import run_import

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _study(tmp_path):
    study = tmp_path / "DOE_JANE"
    (study / "S001").mkdir(parents=True)
    (study / "S001" / "IM0001.dcm").write_bytes(JPEG)
    return study


def test_on_a_terminal_the_bad_file_is_named(tmp_path, monkeypatch):
    err = _Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    assert run_import(_study(tmp_path), tmp_path / "out") == 2
    text = err.getvalue()
    assert "S001/IM0001.dcm (file #" in text and "not a DICOM file" in text
    assert "DOE_JANE" not in text


def test_redirected_the_tag_only(tmp_path, monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    assert run_import(_study(tmp_path), tmp_path / "out") == 2
    text = err.getvalue()
    assert "file #" in text and "not a DICOM file" in text and "IM0001" not in text
