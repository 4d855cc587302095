"""The calibrated demo twin (fixcal items 2 and 3): its pressures stay normal with no
pressure data of its own (was MAP 119 (96–156) mmHg, BP 145/92), the assumed cuff BP says it
is assumed, and the LV/RV stroke-volume disagreement of the measured curves is stated."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.measurement import Measurement as M
from twinviewer.personalize.calibrate import _stroke_volume_conflict


def test_stroke_volume_conflict_is_stated_with_its_z():
    note = _stroke_volume_conflict([M("LVEDV", 179, "mL", 8.5), M("LVESV", 72, "mL", 5.1),
                                    M("RVEDV", 170.1, "mL", 10.8), M("RVESV", 76.7, "mL", 6.7)])
    assert "LV stroke volume 107 ± 9.9 mL" in note and "RV stroke volume 93.4" in note
    assert "z +0.8" in note and "equal LV and RV stroke volumes" in note
    assert _stroke_volume_conflict([M("LVEDV", 179, "mL", 8.5), M("LVESV", 72, "mL", 5)]) == ""


@pytest.mark.slow
def test_demo_twin_keeps_normal_pressures_and_names_the_assumed_bp(tmp_path):
    from twinviewer.gui.demo_heart import DEMO_BP_SOURCE, calibrate_demo_twin, load_demo_twin

    twin, results = calibrate_demo_twin(cache=tmp_path)
    lo, mapp, hi = np.nanpercentile(results.metrics["MAP"], [5, 50, 95])
    sbp = np.nanmedian(results.metrics["SBP"])
    # without the assumed BP: MAP 119.4 (95.8–156.1), SBP 144.8 mmHg; published normal adult
    # MAP 90–100, the healthy preset 99.8
    assert 90.0 < mapp < 110.0 and hi < 125.0 and sbp < 140.0
    bp = [m for m in twin.measurements if m.name in ("SBP", "DBP")]
    assert len(bp) == 2 and all(m.source == DEMO_BP_SOURCE for m in bp)
    assert "not measured" in DEMO_BP_SOURCE
    assert load_demo_twin(tmp_path) is not None
