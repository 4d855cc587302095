"""The evidence lines (UNSOURCED / checked against) pair a volume metric's members as the tables
do: a member whose LV is drawn to 0 mL or below is not physical and is left out (g17a's rule;
the UNSOURCED line still printed "LV ejection fraction +125 %-points (90 %: +17 to +309)" at an
LVAD of 9000 rpm after the tables had stopped)."""

from __future__ import annotations

import numpy as np

from twinviewer.explain.evidence_flags import _both


def test_a_member_with_lv_volume_below_zero_is_not_paired_for_volume_metrics():
    b = {"LVEF": np.array([25.0, 24.0, 23.0]), "LVESV": np.array([150.0, 160.0, 170.0]),
         "MAP": np.array([80.0, 82.0, 84.0])}
    m = {"LVEF": np.array([60.0, 310.0, 140.0]), "LVESV": np.array([40.0, -24.0, 0.0]),
         "MAP": np.array([85.0, 90.0, 88.0])}
    _, _, keep = _both(b, None, m, None, "LVEF")
    assert keep.tolist() == [True, False, False]
    _, _, keep = _both(b, None, m, None, "MAP")  # a pressure is still read in every member
    assert keep.tolist() == [True, True, True]
