"""Every consumer reads the registry: the command table, the step sidebar, the open/import path.

The core's readers, panels and commands are contributions of the built-in plugin (its
manifest ``twinviewer/twinviewer.toml``); a plugin's are found the same way, and a failing one
is disabled with a message naming it while the app keeps going.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.plugins.helpers import contribution_folder as _folder
from twinviewer import cli
from twinviewer.imaging.errors import shown
from twinviewer.plugins.registry import CORE, Registry, get_registry

EXAMPLES = Path(__file__).resolve().parents[2] / "plugins"


def test_core_readers_panels_and_commands_are_registry_contributions(plugin_config):
    from twinviewer.imaging.segmentation import MESH_SUFFIXES, NIFTI_SUFFIXES
    from twinviewer.imaging.series import SEG_SOP_CLASS

    reg = Registry(entry_points=[])
    assert {c.plugin for k in ("readers", "panels", "commands")
            for c in reg.contributions(k)} == {CORE}
    # the manifest says what the core's readers read: the same as the readers themselves
    assert reg.suffixes("meshes") == MESH_SUFFIXES
    assert set(NIFTI_SUFFIXES) <= set(reg.suffixes("labels"))
    assert [c.name for c in reg.readers_for_sop_class(SEG_SOP_CLASS)] == ["dicom_seg"]
    assert [c.name for c in reg.readers_for("Heart.NII.GZ")] == ["nifti_labels"]
    assert reg.readers_for("notes.txt") == []
    # every core command and panel resolves to what its manifest entry names
    for name in reg.names("commands"):
        add_arguments, run = reg.command(name)
        assert callable(add_arguments) and callable(run)
    assert "calibrate" in cli.build_parser(["--help"])._subparsers._group_actions[0].choices


def test_a_plugin_command_joins_the_command_table_and_fails_safely(plugin_registry, tmp_path,
                                                                   capsys):
    code = """
        def add_arguments(p):
            p.add_argument("--n", type=int, default=1)

        def run(args):
            print("hello" * args.n)
            return 0

        def boom(args):
            raise RuntimeError("bad state")
        """
    good = _folder(tmp_path, "tv-hello", code, """
        [[contributions.commands]]
        name = "hello"
        ref = "tv_hello:run"
        help = "say hello"
        """)
    bad = _folder(tmp_path, "tv-boom", code.replace("tv_hello", "tv_boom"), """
        [[contributions.commands]]
        name = "boom"
        ref = "tv_boom:boom"
        arguments = "tv_boom:add_arguments"
        """)
    reg = plugin_registry(good, bad, entry_points=[])
    assert cli.main(["hello", "--n", "2"]) == 0
    assert "hellohello" in capsys.readouterr().out
    assert cli.main(["boom"]) == 1  # the command raised: reported, plugin disabled
    err = capsys.readouterr().err
    assert "plugin 'tv-boom'" in err and "bad state" in err and "disabled" in err
    assert reg.plugins["tv-boom"].status == "disabled"
    assert "boom" not in reg.names("commands")


def _nrrd(path: Path, labels_zyx: np.ndarray, affine_zyx: np.ndarray, segments: dict) -> None:
    """A Slicer-style label map (what 3D Slicer exports), written by hand from the spec."""
    a = affine_zyx[:, [2, 1, 0, 3]]  # index (i, j, k) = (x, y, z) → LPS mm
    data = np.ascontiguousarray(labels_zyx.transpose(2, 1, 0)).astype(np.uint8)
    dirs = " ".join("(" + ",".join(f"{v:.9g}" for v in a[:3, n]) + ")" for n in range(3))
    header = ("NRRD0004\ntype: uint8\ndimension: 3\nspace: left-posterior-superior\n"
              f"sizes: {' '.join(str(s) for s in data.shape)}\nspace directions: {dirs}\n"
              "kinds: domain domain domain\nencoding: raw\n"
              f"space origin: ({','.join(f'{v:.9g}' for v in a[:3, 3])})\n")
    for n, (name, value) in enumerate(segments.items()):
        header += f"Segment{n}_Name:={name}\nSegment{n}_LabelValue:={value}\n"
    path.write_bytes(header.encode() + b"\n" + data.tobytes(order="F"))


@pytest.fixture
def nrrd_study(tmp_path):
    from twinviewer.imaging.demo import write_demo_study

    demo = write_demo_study(tmp_path / "demo", shape=(40, 80, 80), spacing=(3.0, 1.8, 1.8),
                            seed=0)
    folder = tmp_path / "study"
    shutil.copytree(demo.folder / "ct", folder / "ct")
    names = {"LV blood pool": 1, "Left ventricle myocardium": 2, "Right ventricle": 3}
    _nrrd(folder / "heart.seg.nrrd", np.where(demo.labels["ED"] <= 3, demo.labels["ED"], 0),
          demo.affine, names)
    return demo, folder


@pytest.mark.slow
def test_import_cli_reads_a_plugin_label_map(plugin_registry, nrrd_study, tmp_path, capsys):
    """``twinviewer import`` of a CT beside a Slicer NRRD label map, read by the example
    plugin: the LV volume equals the phantom's ground truth (as the built-in NIfTI reader's
    does in tests/imaging/test_study.py)."""
    demo, folder = nrrd_study
    plugin_registry(EXAMPLES / "tv-nrrd-reader", entry_points=[])
    assert cli.main(["import", str(folder), "--out", str(tmp_path / "out"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    lvedv = next(m for m in doc["measurements"] if m["name"] == "LVEDV")
    assert lvedv["value"] == pytest.approx(demo.volumes_ml("ED")["lv_blood"])
    nrrd = shown(folder / "heart.seg.nrrd", folder)  # files named by tag (review13 #5)
    assert not any(nrrd in n for n in doc["notes"])


@pytest.mark.slow
def test_a_failing_plugin_reader_is_disabled_and_the_import_goes_on(plugin_registry,
                                                                    nrrd_study):
    from twinviewer.imaging.study import import_study

    _, folder = nrrd_study
    bad = _folder(folder.parent, "tv-bad-reader", """
        def read(path):
            raise ValueError("cannot parse header")
        """, """
        [[contributions.readers]]
        name = "bad_nrrd"
        ref = "tv_bad_reader:read"
        suffixes = [".nrrd"]
        opens = "labels"
        """)
    reg = plugin_registry(bad, entry_points=[])
    a = import_study(folder, key=b"k" * 32, label_readers=reg.label_readers())
    assert a.image is not None  # the study is there, without the unreadable labels
    note = next(n for n in a.notes if shown(folder / "heart.seg.nrrd", folder) in n)
    assert "heart.seg" not in note
    assert "plugin 'tv-bad-reader'" in note and "cannot parse header" in note
    assert reg.plugins["tv-bad-reader"].status == "disabled"
    assert get_registry().label_readers() == {}



def _rtstruct_helpers():
    """The example plugin's RT Structure Set writer (its tests' helper module)."""
    import importlib.util

    path = EXAMPLES / "tv-nrrd-reader" / "tests" / "rtstruct_files.py"
    spec = importlib.util.spec_from_file_location("tv_rtstruct_files", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_folder_import_dispatches_a_sop_class_to_the_plugin_reader(plugin_registry, tmp_path):
    """An RT Structure Set in a study folder is an object no core reader reads: without the
    plugin it is a skipped file; with the example plugin claiming its SOP class it is read,
    and the LV contours (traced from the phantom by scikit-image's marching squares) give
    the phantom's LVEDV."""
    from twinviewer.imaging.demo import write_demo_study
    from twinviewer.imaging.study import import_study

    demo = write_demo_study(tmp_path / "demo", shape=(40, 80, 80), spacing=(3.0, 1.8, 1.8),
                            seed=0)
    folder = tmp_path / "study"
    shutil.copytree(demo.folder / "ct", folder / "ct")
    rt = _rtstruct_helpers()
    ed = demo.labels["ED"]
    rt.write_rtstruct(folder / "rs.dcm", {
        "LV blood pool": rt.contours_of(ed == demo.label_values["lv_blood"], demo.affine),
        "Right ventricle": rt.contours_of(ed == demo.label_values["rv_blood"], demo.affine)})
    key = b"k" * 32

    reg = plugin_registry(entry_points=[])  # the core only
    plain = import_study(folder, key=key, label_readers=reg.label_readers())
    rs = shown(folder / "rs.dcm", folder)  # files named by tag (review13 #5)
    assert any(rs in n and "skipped" in n for n in plain.notes)
    assert "LVEDV" not in [m.name for m in plain.measurements]

    reg = plugin_registry(EXAMPLES / "tv-nrrd-reader", entry_points=[])
    readers = reg.label_readers()
    assert "1.2.840.10008.5.1.4.1.1.481.3" in readers
    a = import_study(folder, key=key, label_readers=readers)
    assert not any(rs in n and "skipped" in n for n in a.notes)
    lvedv = next(m for m in a.measurements if m.name == "LVEDV")
    truth = demo.volumes_ml("ED")["lv_blood"]
    assert lvedv.value == pytest.approx(truth, rel=1e-3)  # 0.5-level contours: same voxels
    assert a.pseudonym and "Doe" not in repr(a.notes)


def test_reader_manifest_fields_are_checked(tmp_path):
    from twinviewer.plugins.manifest import ManifestError, parse_manifest

    def reader(**fields):
        return {"name": "r", "version": "1", "api_version": 1, "contributions": {
            "readers": [{"name": "x", "ref": "m:f", **fields}]}}

    for fields, words in [({}, "'suffixes', 'sop_classes' or 'folders"),
                          ({"suffixes": ["nrrd"]}, "start with '.'"),
                          ({"suffixes": [".x"], "opens": "volumes"}, "'opens' must be one of"),
                          ({"suffixes": ".x"}, "must be a list")]:
        with pytest.raises(ManifestError, match=words):
            parse_manifest(reader(**fields), "t.toml")
    assert parse_manifest(reader(suffixes=[".x"])).contributions[0].extra["opens"] == "labels"


@pytest.mark.slow
def test_explainer_plugins_add_to_the_explanation(plugin_registry, tmp_path, capsys):
    """``twinviewer explain`` carries a plugin explainer's paragraph; a failing explainer is
    reported in its place and its plugin disabled, the explanation itself unaffected."""
    good = _folder(tmp_path, "tv-ea", """
        import numpy as np

        def arterial_elastance(twin, metric, results):
            # effective arterial elastance Ea ≈ 0.9·SBP / SV (Kelly et al., Circulation 1992)
            ea = 0.9 * results.metrics["SBP"] / results.metrics["LVSV"]
            return f"effective arterial elastance Ea {np.nanmedian(ea):.2f} mmHg/mL"
        """, """
        [[contributions.explainers]]
        name = "arterial_elastance"
        ref = "tv_ea:arterial_elastance"
        """)
    bad = _folder(tmp_path, "tv-bad-explainer", """
        def explain(twin, metric, results):
            return 1 / 0
        """, """
        [[contributions.explainers]]
        name = "broken"
        ref = "tv_bad_explainer:explain"
        """)
    reg = plugin_registry(good, bad, entry_points=[])
    assert cli.main(["explain", "--preset", "healthy", "--metric", "MAP", "--n", "8",
                     "--parameters", "3", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    by = {c["explainer"]: c["text"] for c in doc["contributed"]}
    ea = float(by["arterial_elastance"].split("Ea ")[1].split()[0])
    assert 0.8 < ea < 3.0  # a resting adult's Ea is ~1–2 mmHg/mL
    assert "not available" in by["broken"] and "tv-bad-explainer" in by["broken"]
    assert reg.plugins["tv-bad-explainer"].status == "disabled"
    assert doc["prediction"]["median"] > 0
