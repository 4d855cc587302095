"""review16 #9: the report's key values showed LV ejection fraction as not measured ("—") on
a twin whose images hold LVEF, once LVEDV/LVESV were entered from another source (they
replace the images' volumes, so the images' EF computed from them is not in force). The
row now shows the images' value and says why it is set aside."""

from __future__ import annotations

from dataclasses import replace

from twinviewer.core.measurement import Measurement as M
from twinviewer.io import load_twin, save_twin
from twinviewer.report.pdf import write_report
from twinviewer.twins import simulate_twin

from .test_report import _pages_text


def test_the_images_lvef_is_shown_and_said_set_aside(anatomy_twin, tmp_path):
    lvef = next(m for m in anatomy_twin.anatomy.measurements if m.name == "LVEF")
    twin = replace(anatomy_twin, measurements=[
        *anatomy_twin.measurements, M("LVEDV", 118, "mL", 8, "CT segmentation"),
        M("LVESV", 45, "mL", 5, "CT segmentation")])
    results = simulate_twin(twin)
    doc = load_twin(save_twin(tmp_path / "a.twin", twin, results={"baseline": results}))
    info = write_report(doc, tmp_path / "a.pdf", results=results)
    first = " ".join(_pages_text(info.path)[0].split())
    row = first.split("LV ejection fraction", 1)[1].split("RV ejection", 1)[0]
    assert row.split()[:3] == ["%", f"{lvef.value:.0f}", "±"], row  # was "% — …"
    # the cell wraps, interleaved with the next column's text in pdftotext's layout
    assert "images; set aside (not" in row
    assert "fitted): the entered LVEDV and LVESV replace the volumes it is computed" in row
