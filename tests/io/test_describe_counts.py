"""`twinviewer info` counts: singular/plural, and a list cut short says so."""

from __future__ import annotations

from twinviewer.core.measurement import Measurement as M
from twinviewer.io import save_twin
from twinviewer.io.twinfile import describe, load_twin
from twinviewer.twins import twin_from_preset


def _lines(tmp_path, n_members, n_meas):
    twin = twin_from_preset("healthy", n=n_members)
    twin.measurements = [M("SBP", 120 + i, "mmHg", 5, "cuff") for i in range(n_meas)]
    save_twin(tmp_path / "t.twin", twin)
    return describe(load_twin(tmp_path / "t.twin"))


def test_one_member_one_measurement(tmp_path):
    text = "\n".join(_lines(tmp_path, 1, 1))
    assert "ensemble 1 member (prior)" in text and "1 members" not in text
    assert "1 measurement: SBP" in text and "…" not in text


def test_a_long_measurement_list_is_marked_as_cut(tmp_path):
    line = next(x for x in _lines(tmp_path, 3, 14) if x.startswith("measured"))
    assert line.startswith("measured    14 measurements: ")
    assert line.count("SBP") == 6 and line.endswith("… (+8 more)")


def test_the_origin_is_said_as_made_beside_what_the_calibration_now_used(tmp_path):
    """newuser17 F9: `info` and the Report's file summary described a demo heart re-calibrated
    to a measured cuff BP as "calibrated to its volume curves and an assumed normal cuff BP"
    (the origin, never updated): the origin is now said to be how the twin was made, and the
    current calibration's data are named beside it, an assumed value said so."""
    from dataclasses import replace

    from twinviewer.core.twin import Visit

    said = "assumed, not measured: normal adult cuff BP ≈ 120/80 mmHg"
    twin = replace(twin_from_preset("healthy", n=2),
                   origin="preset:healthy; calibrated to an assumed normal cuff BP")
    shipped = [M("LVEDV", 179, "mL", 8.5, "MR segmentation"), M("SBP", 120, "mmHg", 10, said)]
    twin.visits = [Visit(0, shipped, ensemble=twin.ensemble, label="calibration 1")]
    save_twin(tmp_path / "a.twin", twin)
    lines = describe(load_twin(tmp_path / "a.twin"))
    assert lines[1].startswith("twin        virtual-healthy  (origin, as made: preset:healthy")
    assert lines[2] == ("calibrated  now at visit day 0 (calibration 1) to: LVEDV 179 mL; "
                        "assumed, not measured: SBP 120 mmHg")
    measured = [shipped[0], M("SBP", 150, "mmHg", 10, "cuff, clinic")]
    twin.visits = [Visit(0, measured, ensemble=twin.ensemble, label="re-calibration of day 0")]
    save_twin(tmp_path / "b.twin", twin)
    now = next(x for x in describe(load_twin(tmp_path / "b.twin"))
               if x.startswith("calibrated  "))
    assert now == ("calibrated  now at visit day 0 (re-calibration of day 0) to: LVEDV 179 mL, "
                   "SBP 150 mmHg; no assumed value")
