"""`twinviewer calibrate --day N` on a calibrated twin is a later visit: it is prediction-checked
and keeps its predictions as `visit add` and the GUI do (g17b's finding: the CLI's calibrate
path stored neither, so the Timeline said nothing of a check that never ran)."""

from __future__ import annotations

import json

import pytest

from twinviewer.core.measurement import Measurement as M
from twinviewer.io.twinfile import load_twin, save_twin
from twinviewer.pipeline import calibrate_file
from twinviewer.twins import twin_from_preset


@pytest.mark.slow
def test_a_later_day_by_the_command_line_is_prediction_checked(tmp_path):
    path = tmp_path / "p.twin"
    twin = twin_from_preset("healthy", n=1)
    twin.measurements += [M("SBP", 120.0, "mmHg", 6, "cuff"), M("DBP", 78.0, "mmHg", 5, "cuff"),
                          M("HR", 70.0, "bpm", 3, "ECG")]
    save_twin(path, twin)
    calibrate_file(path, None, n=32, accept_misfit=True)
    later = tmp_path / "day30.json"
    later.write_text(json.dumps({"measurements": [
        {"name": "SBP", "value": 150, "unit": "mmHg", "uncertainty": 6, "source": "cuff"},
        {"name": "DBP", "value": 92, "unit": "mmHg", "uncertainty": 5, "source": "cuff"}]}))
    calibrate_file(path, later, n=32, day=30, accept_misfit=True)
    visit = load_twin(path).twin.visits[-1]
    assert visit.day == 30
    assert visit.predicted, "the later visit keeps the twin's predictions at that visit"
    assert any(f["name"] == "SBP" for f in visit.flags), visit.flags  # 150 against ~120
