"""The "Measured" column holds only the values in force (review10 #3, #5) and `info` counts
what the Measurements step lists (review10 #4)."""

from __future__ import annotations

import pytest

from twinviewer.core.anatomy import Anatomy
from twinviewer.core.measurement import Measurement as M
from twinviewer.io import save_twin
from twinviewer.io.measurement_use import in_force
from twinviewer.io.twinfile import describe, load_twin
from twinviewer.twins import twin_from_preset

CT = "CT segmentation"
ASSUMED = "assumed, not measured: normal adult cuff BP"


@pytest.fixture(scope="module")
def twin():
    t = twin_from_preset("healthy", n=8, pseudonym="virtual-p", anatomy=Anatomy(
        "virtual-p", measurements=[
        M("LVEDV", 129, "mL", 6, CT), M("LVESV", 48, "mL", 4, CT), M("LVSV", 81, "mL", 7.5, CT),
        M("LVEF", 63, "%", 3.4, CT), M("RVEDV", 140, "mL", 7, CT)]))
    t.measurements.extend([M("LVEDV", 118, "mL", 8, "echo"), M("LVESV", 45, "mL", 5, "echo"),
                           M("SBP", 120, "mmHg", 10, ASSUMED), M("HR", 70, "bpm", 3, "ecg")])
    return t


def test_in_force_keeps_sv_equal_to_edv_minus_esv(twin):
    held = in_force(twin)
    assert held["LVEDV"].value == 118 and held["LVESV"].value == 45
    assert "LVSV" not in held and "LVEF" not in held  # the images' 129 − 48, replaced
    assert held["RVEDV"].source == CT  # nothing replaced it


def test_pdf_measured_column(twin, tmp_path):
    from twinviewer.report.pdf import write_report

    path = tmp_path / "t.twin"
    save_twin(path, twin)
    text = write_report(load_twin(path), tmp_path / "r.pdf", simulate=True).text
    start = text.index("Metrics: predicted median (90 % interval) and measured")
    cells = text[start:start + 120]
    row = {cells[i]: cells[i + 3] for i in range(len(cells) - 3)}
    assert row["LV end-diastolic volume"] == "118 ± 8.0 mL"
    assert row["LV stroke volume"] == "—" and row["LV ejection fraction"] == "—"
    assert row["Systolic blood pressure"].startswith("assumed 120 ± 10")


def test_info_counts_as_the_measurements_step(twin, tmp_path):
    from twinviewer.document import measurement_rows

    path = tmp_path / "t.twin"
    save_twin(path, twin)
    lines = describe(load_twin(path))
    measured = next(x for x in lines if x.startswith("measured"))
    assumed = next(x for x in lines if x.startswith("assumed"))
    assert measured.startswith("measured    8 measurements (5 from the images, 3 entered)")
    assert assumed.startswith("assumed     SBP 120 mmHg (not measured")
    rows = measurement_rows(twin)
    assert len(rows) == 8 + 1 and rows[-2].provenance.startswith("assumed (not measured)")
