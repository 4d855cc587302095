"""The Calibrate step says when the cuff pressures could not update the arterial compliance
(fewer than ``PULSE_PRESSURE_MIN_MEMBERS`` members), with the reason and the remedy, beside
the fit table."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from twinviewer.core.measurement import Measurement as M  # noqa: E402
from twinviewer.personalize.calibrate import PULSE_PRESSURE_MIN_MEMBERS, calibrate  # noqa: E402
from twinviewer.twins import twin_from_preset  # noqa: E402


def test_the_summary_beside_the_fit_says_the_compliance_was_not_opened(qtbot):
    from twinviewer.gui.calibration_panel import _summary_html

    ms = [M("SBP", 138, "mmHg", 8, "cuff"), M("DBP", 82, "mmHg", 6, "cuff")]
    r = calibrate(twin_from_preset("healthy", n=1), ms, n=24, seed=2, point_estimate=False)
    text = _summary_html(r)
    assert "⚠ Systemic arterial compliance (SYS.C_AR) was not updated by SBP, DBP" in text
    assert f"calibrate with {PULSE_PRESSURE_MIN_MEMBERS} or more members" in text
