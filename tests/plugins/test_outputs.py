"""Overlays, writers and sample twins: the core's are registry contributions like a plugin's,
and the contract checks of twinviewer.testing catch each bad one."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.plugins.helpers import contribution_folder as _folder
from twinviewer.plugins.outputs import Overlay, OverlayContext, overlay_values, sample_twin
from twinviewer.plugins.registry import CORE, PluginError, Registry
from twinviewer.testing import check_overlay, check_sample, check_writer, sphere_contexts

IDENTIFYING = ("Doe^Jane", "PAT-12345")


def _doc(tmp_path, **changes):
    """A saved and loaded virtual patient, with identifiers planted in a measurement."""
    from twinviewer.core.measurement import Measurement
    from twinviewer.io.twinfile import load_twin, save_twin
    from twinviewer.twins import twin_from_preset

    twin = twin_from_preset("healthy", n=4)
    twin = replace(twin, measurements=[Measurement("SBP", 121.0, "mmHg", 5.0,
                                                   "letter of Doe^Jane, PAT-12345")], **changes)
    save_twin(tmp_path / "t.twin", twin)
    return load_twin(tmp_path / "t.twin")


def test_core_overlays_writers_and_samples_are_registry_contributions(plugin_config):
    from twinviewer.gui.demo_heart import demo_sample
    from twinviewer.living_cli import write_fhir_bundle
    from twinviewer.report.pdf import write_report

    reg = Registry(entry_points=[])
    assert reg.names("overlays") == ["none", "pressure", "volume", "stress", "uncertainty"]
    assert {c.plugin for k in ("overlays", "writers", "samples")
            for c in reg.contributions(k)} == {CORE}
    assert reg.load("writers", "pdf_report") is write_report
    assert reg.load("writers", "fhir_bundle") is write_fhir_bundle
    assert reg.load("samples", "demo_heart") is demo_sample
    assert reg.find("writers", "fhir_bundle").extra["suffixes"] == [".json"]


@pytest.mark.slow
def test_core_fhir_writer_writes_nothing_identifying(tmp_path):
    """A calibrated visit whose measurements' source names the patient: the bundle keeps
    the pseudonym only."""
    from twinviewer.core.measurement import Measurement as M
    from twinviewer.io.twinfile import load_twin, save_twin
    from twinviewer.living import add_measurements
    from twinviewer.living_cli import write_fhir_bundle
    from twinviewer.twins import twin_from_preset

    src = "letter of Doe^Jane, PAT-12345"
    ms = [M("SBP", 124, "mmHg", 6, src), M("DBP", 78, "mmHg", 5, src),
          M("HR", 66, "bpm", 2, src)]
    twin = add_measurements(twin_from_preset("healthy", n=1, pseudonym="TW-ABCDEF1234"), ms,
                            source="manual", consent="treatment", day=0, n=16).twin
    save_twin(tmp_path / "t.twin", twin)
    doc = load_twin(tmp_path / "t.twin")
    assert check_writer(write_fhir_bundle, doc, tmp_path / "b.json", IDENTIFYING) == []
    assert json.loads((tmp_path / "b.json").read_text())["resourceType"] == "Bundle"


def test_overlay_values_are_checked():
    ctx = OverlayContext("lv_blood", np.zeros((5, 3)))
    good = Overlay("Height", "mm", lambda c: c.points[:, 2])
    assert overlay_values(good, ctx).shape == (5,)
    with pytest.raises(ValueError, match=r"returned shape \(4,\) for lv_blood \(5 points\)"):
        overlay_values(replace(good, values=lambda c: np.zeros(4)), ctx)
    with pytest.raises(ValueError, match="1 NaN or infinite value"):
        overlay_values(replace(good, values=lambda c: np.r_[np.zeros(4), np.nan]), ctx)
    assert overlay_values(replace(good, values=lambda c: None), ctx) is None


@pytest.mark.parametrize("overlay, problem", [
    (Overlay("Height", "", lambda c: c.points[:, 2]), "unit '' is not understood"),
    (Overlay("Height", "furlongs per blink", lambda c: c.points[:, 2]), "is not understood"),
    (Overlay("Height", "mm", lambda c: np.ones(7)), "returned shape (7,)"),
    (Overlay("Height", "mm", lambda c: c.points[:, 2] * np.nan), "NaN or infinite"),
    (Overlay("Height", "mm", lambda c: None), "colours none of the test surfaces"),
    (Overlay("Height", "mm", lambda c: c.points[:, 2], limits=(5.0, 1.0)), "not a finite range"),
    (lambda c: c.points[:, 2], "must be a twinviewer.plugins.outputs.Overlay"),
])
def test_check_overlay_catches(overlay, problem):
    problems = check_overlay(overlay)
    assert any(problem in p for p in problems), problems
    assert check_overlay(Overlay("Height", "mm", lambda c: c.points[:, 2])) == []


def test_check_writer_catches(tmp_path):
    doc = _doc(tmp_path)

    def leaky(d, path):  # upper case, UTF-16: still found
        Path(path).write_bytes("letter of DOE^JANE, PAT-12345".encode("utf-16-le"))

    def raising(d, path):
        raise OSError("disk full")

    assert check_writer(leaky, doc, tmp_path / "a", IDENTIFYING) == [
        "the writer wrote identifying text 'Doe^Jane' to a",
        "the writer wrote identifying text 'PAT-12345' to a"]
    assert check_writer(raising, doc, tmp_path / "b", IDENTIFYING) == [
        "the writer raised OSError: disk full"]
    assert check_writer(lambda d, p: None, doc, tmp_path / "c", IDENTIFYING) == [
        "the writer wrote nothing to c"]


def test_check_sample_catches(tmp_path):
    from twinviewer.twins import twin_from_preset

    assert check_sample(lambda: twin_from_preset("healthy", n=3), tmp_path) == []
    assert "must return a Twin, got dict" in check_sample(lambda: {}, tmp_path)[0]
    twin = twin_from_preset("healthy", n=3)
    nan = replace(twin, ensemble=np.full_like(twin.ensemble, np.nan))
    assert "not a finite (members, parameters) matrix" in check_sample(lambda: nan, tmp_path)[0]
    alien = replace(twin, model_name="no_such_model")
    assert "which is not installed" in check_sample(lambda: alien, tmp_path)[0]
    named = replace(twin, pseudonym="Doe^Jane")
    assert "does not save and load" in check_sample(lambda: named, tmp_path)[0]
    with pytest.raises(ValueError, match="must return a Twin"):
        sample_twin(lambda: None)


def test_bad_plugin_overlay_writer_and_sample_are_disabled_naming_them(plugin_registry,
                                                                       tmp_path):
    """Loading checks the declaration (an overlay without a unit); a writer or sample that
    raises when called disables its plugin, naming plugin, contribution and problem."""
    code = """
        from twinviewer.plugins.outputs import Overlay

        NO_UNIT = Overlay("Anything", "", lambda c: None)

        def write(doc, path):
            raise RuntimeError("cannot write")

        def make():
            raise RuntimeError("no twin today")
        """
    overlay = _folder(tmp_path, "tv-bad-overlay", code, """
        [[contributions.overlays]]
        name = "no_unit"
        ref = "tv_bad_overlay:NO_UNIT"
        """)
    writer = _folder(tmp_path, "tv-bad-writer", code, """
        [[contributions.writers]]
        name = "bad_writer"
        ref = "tv_bad_writer:write"
        suffixes = [".txt"]
        """)
    sample = _folder(tmp_path, "tv-bad-sample", code, """
        [[contributions.samples]]
        name = "bad_sample"
        ref = "tv_bad_sample:make"
        """)
    reg = plugin_registry(overlay, writer, sample, entry_points=[])
    with pytest.raises(PluginError, match="plugin 'tv-bad-overlay': overlay 'no_unit'.*unit ''"):
        reg.load("overlays", "no_unit")
    with pytest.raises(PluginError, match="plugin 'tv-bad-writer': writer 'bad_writer'.*"
                                          "cannot write"):
        reg.guarded("writers", "bad_writer")(None, tmp_path / "x.txt")
    with pytest.raises(PluginError, match="plugin 'tv-bad-sample': sample 'bad_sample'.*"
                                          "no twin today"):
        sample_twin(reg.guarded("samples", "bad_sample"))
    assert {reg.plugins[n].status for n in ("tv-bad-overlay", "tv-bad-writer",
                                            "tv-bad-sample")} == {"disabled"}
    assert reg.names("overlays") == ["none", "pressure", "volume", "stress", "uncertainty"]


def test_sphere_contexts_are_what_they_say():
    rest, moved, still = sphere_contexts(n=100, radius_mm=20.0)
    r = np.linalg.norm(rest.points - [10.0, -20.0, 30.0], axis=1)
    assert np.allclose(r, 20.0) and len(still.points) == 33 and still.reference_points is None
    assert np.allclose(np.linalg.norm(moved.points - moved.reference_points, axis=1), 4.0)
