"""Messages of an import name files relative to the chosen folder without garbling the text,
print counts as numbers, say where the study was stored, and name planes by orientation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.imaging.cine_factory import write_cine_study
from twinviewer.imaging.assembly import pane_titles, plane_name
from twinviewer.imaging.cli_import import run_import, stored_at
from twinviewer.imaging.errors import shown
from twinviewer.imaging.study import _phase_note, _relative_to, import_study
from twinviewer.imaging.volume import ED_ES_ASSUMED

KEY = b"import-messages-test-key-0123456789ab"
SMALL = {"rows": 40, "cols": 36, "pixel_mm": 7.0, "n_phases": 10}
NAMES = ("cine", "empty", "MR", "data")


@pytest.mark.parametrize("name", NAMES)
def test_only_whole_path_components_are_rewritten(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for root in (Path(name), tmp_path / name):
        rewrite = _relative_to(root)
        text = (f"series '{name}_trufi_retro_sa_1 (+5 series)'; the chosen folder: folder is "
                f"{name}; {name} segmentation; meta{name}/x.dcm")
        assert rewrite(text) == text
        assert rewrite(f"{root}/S001/0001.dcm: truncated") == "S001/0001.dcm: truncated"
    absolute = tmp_path / name
    assert rewrite(f"cannot read {absolute}") == "cannot read the chosen folder"
    assert str(tmp_path) not in rewrite(f"{absolute}/S001/a.dcm and {absolute}")


@pytest.fixture(scope="module")
def cine_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp("named")
    write_cine_study(base / "cine", la_views=("4ch",), **SMALL)
    return base


def test_series_description_survives_a_folder_named_like_it(cine_dir, monkeypatch):
    monkeypatch.chdir(cine_dir)
    anatomy = import_study(Path("cine"), key=KEY)
    text = " ".join(anatomy.notes)
    assert "'cine_trufi_retro_sa_1 (+5 series)'" in text
    assert "<chosen folder>" not in text and "{n}" not in text and "N voxel" not in text
    assert pane_titles(anatomy.image.affine, anatomy.image.description)[0] == "short axis"


@pytest.mark.parametrize("name", NAMES)
def test_empty_folder_message_is_readable(name, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Path(name).mkdir()
    assert run_import(Path(name), tmp_path / "out", key=KEY) == 2
    err = capsys.readouterr().err
    assert "folder is empty" in err and "<chosen folder>" not in err


def test_meshing_note_gives_the_count():
    assert _phase_note("meshing: {n} voxel(s) relabelled", [(0, 3), (4, 12)]) == \
        "phases 0, 4: meshing: 3–12 voxel(s) relabelled"
    assert _phase_note("meshing: {n} voxel(s) relabelled", [(1, 7), (2, 7), (3, 7)]) == \
        "phases 1–3: meshing: 7 voxel(s) relabelled"


def test_import_without_out_says_where_it_stored(cine_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(cine_dir)
    assert run_import(Path("cine"), key=KEY) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("Stored de-identified"))
    assert "in <twinviewer data>/studies/TW-" in line
    assert str(tmp_path / "xdg" / "twinviewer") in line  # where <twinviewer data> is
    assert str(cine_dir) not in line and "cine" not in line  # never the input folder
    stored = line.split(" in ", 1)[1].split(":")[0].replace("<twinviewer data>",
                                                            str(tmp_path / "xdg/twinviewer"))
    assert (Path(stored) / "dicom").is_dir() and any((Path(stored) / "meshes").iterdir())


def test_stored_at_outside_the_data_folder_is_the_given_path(tmp_path):
    assert stored_at(Path("out/TW-1"), tmp_path / "data" / "studies") == "out/TW-1"


def test_planes_named_by_orientation():
    ct = np.eye(4)[[2, 1, 0, 3]]  # k along z: axial slices
    assert pane_titles(ct, "CTA heart") == ("axial", "coronal", "sagittal")
    tilt = np.eye(4)
    tilt[:3, :3] = np.array([[0.6, 0.0, 0.8], [0.0, 1.0, 0.0], [-0.8, 0.0, 0.6]])
    assert pane_titles(tilt, "")[0] == "oblique"
    assert pane_titles(tilt, "sax cine")[0] == "short axis"
    assert plane_name([0.0, 1.0, 0.05]) == "coronal"


def test_a_truncated_image_names_its_series_folder_phase_and_slice(tmp_path, capsys):
    """One bad file of a one-slice-per-series stack: the message says where in the folder and
    which phase and slice of the stack it would leave empty."""
    root = tmp_path / "study"
    write_cine_study(root, la_views=(), **SMALL)
    bad = sorted(root.rglob("*.dcm"))[13]
    bad.write_bytes(bad.read_bytes()[:-600])
    assert run_import(root, tmp_path / "out", key=KEY) == 2
    err = capsys.readouterr().err
    rel = shown(bad, root)  # a tag, no folder or file name (review13 #5)
    assert rel in err and "phase " in err and "slice " in err, err
    assert bad.name not in err and bad.parent.name not in err


def test_a_binary_mapping_file_is_named(cine_dir, tmp_path, capsys):
    mapping = tmp_path / "bin.json"
    mapping.write_bytes(b"\xff\xfe\x00binary")
    assert run_import(cine_dir / "cine", tmp_path / "out", key=KEY, mapping=mapping) == 2
    err = capsys.readouterr().err
    assert "bin.json" in err and "not UTF-8" in err, err


def test_ed_es_notes_agree_once_the_segmentation_sets_them(cine_dir, monkeypatch):
    """review9 #14: the timing note said "assumed; labels override" beside the note that the
    LV blood volume had set ED/ES: once the volume sets them, the timing note says so."""
    monkeypatch.chdir(cine_dir)
    anatomy = import_study(Path("cine"), key=KEY)
    timing = [n for n in anatomy.notes if "ED/ES from" in n]
    assert timing, anatomy.notes
    assert not anatomy.ed_es_assumed  # the segmented LV volume chose ED/ES
    assert not any(ED_ES_ASSUMED in n for n in anatomy.notes), timing
    assert any("by the LV blood volume" in n for n in timing), timing
