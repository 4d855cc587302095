"""Each measurement once in the Measurements step, with where it is from."""

from __future__ import annotations

import dataclasses

from twinviewer.core.anatomy import Anatomy
from twinviewer.core.measurement import Measurement as M
from twinviewer.document import Document, image_copies, measurement_rows
from twinviewer.personalize import check_measurements
from twinviewer.twins import twin_from_preset

IMAGE = [M("LVEDV", 179.0, "mL", 8.5, "biv-me fitted mesh"),
         M("LVEF", 59.76, "%", 3.4, "biv-me fitted mesh")]


def _anatomy() -> Anatomy:
    return Anatomy("virtual-demo", measurements=list(IMAGE))


def _calibrated_like(tmp_path):
    """A twin whose measurements hold a calibration's copies of its image measurements
    (as ``personalize.updated_twin`` makes them), saved and reopened."""
    twin = twin_from_preset("healthy", n=3, anatomy=_anatomy())
    twin = dataclasses.replace(twin, measurements=[
        *IMAGE, M("HR", 69.8, "bpm", 3.0, "R-R of the volume curve"),
        M("SBP", 120.0, "mmHg", 5.0, "cuff")])
    doc = Document()
    doc.open_twin(twin)
    doc.record("calibration", {"measurements": ["LVEDV", "LVEF", "HR"]})
    doc.save(tmp_path / "c.twin")
    doc = Document()
    doc.open_file(tmp_path / "c.twin")
    return doc.twin


def test_image_measurements_are_listed_once_with_provenance(tmp_path):
    twin = _calibrated_like(tmp_path)
    rows = measurement_rows(twin)
    assert [(r.measurement.name, r.provenance, r.editable) for r in rows] == [
        ("LVEDV", "image; used in the last calibration", False),
        ("LVEF", "image; used in the last calibration", False),
        ("HR", "entered; used in the last calibration", True),
        ("SBP", "entered", True)]
    assert not [i for i in check_measurements([r.measurement for r in rows])
                if "more than once" in i.message]
    assert [m.name for m in image_copies(twin)] == ["LVEDV", "LVEF"]


def test_a_different_entered_value_is_still_shown_beside_the_image_one(tmp_path):
    twin = twin_from_preset("healthy", n=2, anatomy=_anatomy())
    echo = M("LVEDV", 150.0, "mL", 10.0, "echo")
    twin = dataclasses.replace(twin, measurements=[echo])
    rows = measurement_rows(twin)
    assert [(r.measurement, r.provenance) for r in rows][-1] == (echo, "entered")
    assert len(rows) == 3
