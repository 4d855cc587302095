"""final16 #3: the report's page-1 Warnings called a fitted datum's residual band
"predictive 90 %" (review16b #6's wording, removed from the appendix by fix16d) and left out
the twin's own interval. Both now come from one helper (``measurement_use.fit_interval``)."""

from __future__ import annotations

from twinviewer.core.measurement import Measurement
from twinviewer.io import AuditLog
from twinviewer.io.measurement_use import _misfit_detail
from twinviewer.io.twinfile import TwinDocument
from twinviewer.report.summary import misfit_warnings
from twinviewer.twins import twin_from_preset


def _doc(band):
    twin = twin_from_preset("healthy", n=4)
    twin.measurements[:] = [Measurement("SBP", 165, "mmHg", 7, "cuff")]
    # /tmp/final16/misfit_label.py on review16b's cal_miss.twin: SBP 165 fitted as 112
    row = {"name": "SBP", "measured": 165, "source": "cuff", "unit": "mmHg", "used": True,
           "z": 4.8, "median": 112.0, "lo": 91.0, "hi": 138.0, "pred_lo": 94.0,
           "pred_hi": 131.0, "flag": True, **({"band": band} if band else {})}
    audit = AuditLog()
    audit.append("calibration", {"method": "EKI", "members": 4, "calibrated": [],
                                 "measurements": ["SBP"], "summary": {"fit": [row]}})
    return TwinDocument(twin, audit, [], results={}), row


def test_page_one_names_the_residual_band_and_gives_the_twins_interval():
    doc, row = _doc("residual")
    (line,) = misfit_warnings(doc)
    assert "predictive" not in line, line
    assert ("the twin gives 112 mmHg (90 % 91–138 mmHg; residual band 90 % 94–131 mmHg), "
            "z = +4.8") in line, line
    # the appendix says the same, in the same words
    assert "(90 % 91–138; residual band 90 % 94–131)" in _misfit_detail(row)


def test_a_row_stored_without_the_band_name_is_not_called_predictive():
    (line,) = misfit_warnings(_doc(None)[0])
    assert "predictive" not in line and "z band 90 % 94–131 mmHg" in line, line
