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
    # an old record naming the measurements only: io.measurement_use's words for it
    assert [(r.measurement.name, r.provenance, r.editable) for r in rows] == [
        ("LVEDV", "image; used: named in an older calibration record", False),
        ("LVEF", "image; used: named in an older calibration record", False),
        ("HR", "entered; used: named in an older calibration record", True),
        ("SBP", "entered; not used: not named in an older calibration record", True)]
    assert not [i for i in check_measurements([r.measurement for r in rows])
                if "more than once" in i.message]
    assert [m.name for m in image_copies(twin)] == ["LVEDV", "LVEF"]


def test_a_different_entered_value_is_still_shown_beside_the_image_one(tmp_path):
    twin = twin_from_preset("healthy", n=2, anatomy=_anatomy())
    echo = M("LVEDV", 150.0, "mL", 10.0, "echo")
    twin = dataclasses.replace(twin, measurements=[echo])
    rows = measurement_rows(twin)
    assert [(r.measurement, r.provenance) for r in rows][-1] == (echo,
                                                                "entered; no calibration")
    assert len(rows) == 3


def test_rows_info_and_report_say_the_same_words(tmp_path, capsys):
    """One source of truth (review 8, finding 3): the Measurements rows, `twinviewer info`
    and the report's notes give each measurement the same use text."""
    import shutil
    import subprocess

    import pytest

    from tests.io.test_measurement_use import SUMMARY
    from tests.io.test_measurement_use import _twin as review_twin
    from twinviewer.io import audit_log, load_twin
    from twinviewer.io.cli import run_info
    from twinviewer.io.twinfile import save_twin
    from twinviewer.report.pdf import write_report

    t = review_twin()
    audit_log(t).record(t, "calibration", {"summary": SUMMARY, "members": 2,
                                           "measurements": ["LVEDV", "LVESV"]})
    path = save_twin(tmp_path / "t.twin", t)
    doc = load_twin(path)
    rows = measurement_rows(doc.twin)
    said = {(r.measurement.name, r.measurement.value): r.provenance.split("; ", 1)[1]
            for r in rows}
    assert said[("LVEDV", 129.0)] == f"replaced by LVEDV 118 mL ({SUMMARY['fit'][0]['source']})"
    assert said[("HR", 72.0)] == "used: set the parameter directly"
    assert not [r for r in rows if "used in the last calibration" in r.provenance]
    assert run_info(path) == 0
    info = capsys.readouterr().out
    for r in rows:
        words = said[(r.measurement.name, r.measurement.value)]
        assert f"{r.measurement.source}, {r.use.origin}): {words}" in info, r
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    write_report(doc, tmp_path / "t.pdf", simulate=False)
    text = " ".join(subprocess.run(["pdftotext", str(tmp_path / "t.pdf"), "-"], check=True,
                                   capture_output=True, text=True).stdout.split())
    for r in rows:
        words = said[(r.measurement.name, r.measurement.value)]
        assert r.use.status in text
        if r.use.detail:  # the report gives the words in a numbered note
            assert f"({r.use.origin}): {words}" in text, words
