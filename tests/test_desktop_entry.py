"""The desktop entry opens what it is given (review9 #3: ``Exec=twinviewer %f`` ran
``twinviewer FILE.twin``, which the command line refused, and no .twin file type existed)."""

from __future__ import annotations

import configparser
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from twinviewer import cli

PACKAGING = Path(__file__).resolve().parents[1] / "packaging"


def _entry() -> configparser.SectionProxy:
    ini = configparser.ConfigParser(interpolation=None)
    ini.optionxform = str
    ini.read(PACKAGING / "twinviewer.desktop")
    return ini["Desktop Entry"]


def test_what_the_launcher_runs_opens_a_twin_or_a_folder(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(cli, "_gui", lambda args: seen.append(args) or 0)
    twin = tmp_path / "j9.twin"
    exec_line = _entry()["Exec"].split()
    assert exec_line[0] == "twinviewer" and exec_line[-1] == "%f"
    assert cli.main([str(twin) if a == "%f" else a for a in exec_line[1:]]) == 0
    assert seen[-1].file == str(twin)
    assert cli.main([a for a in exec_line[1:] if a != "%f"]) == 0  # launched without a file
    assert not getattr(seen[-1], "file", None) and not seen[-1].dicom
    assert cli.main([str(tmp_path)]) == 0  # a folder dropped on the launcher: a study
    assert seen[-1].dicom == str(tmp_path)


def test_a_folder_named_like_a_command_runs_the_command(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "validate").mkdir()
    assert cli.desktop_argv(["validate"], frozenset({"validate"})) == ["validate"]


def test_the_twin_file_type_is_shipped_and_named_by_the_entry():
    mime = _entry()["MimeType"].rstrip(";")
    root = ET.parse(PACKAGING / "twinviewer-mime.xml").getroot()
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    kind = root.find("m:mime-type", ns)
    assert kind.get("type") == mime
    assert kind.find("m:glob", ns).get("pattern") == "*.twin"
    bundle = (PACKAGING / "build-bundle.sh").read_text()
    assert "twinviewer-mime.xml" in bundle and "update-mime-database" in bundle


@pytest.mark.parametrize("argv", [["--version"], ["info", "x.twin"], ["a.twin", "b.twin"]])
def test_other_command_lines_are_left_alone(argv):
    assert cli.desktop_argv(argv, frozenset({"info"})) == argv
