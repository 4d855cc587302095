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
