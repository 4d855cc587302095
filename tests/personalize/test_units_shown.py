"""Units as people write them, and one precision a line, in the messages the user reads
(review12 #11: "stored AVA 0.7 cm^2", "LVEDP 15.8 (6.82–36.7)" beside "14 (9–22)")."""

from __future__ import annotations

from twinviewer.core.measurement import Measurement as M
from twinviewer.personalize import check_measurements
from twinviewer.personalize.predictive_width import PredictiveWidth
from twinviewer.personalize.timeline import Flag


def test_a_measurement_message_writes_cm2():
    issues = check_measurements([M("AVA", 30.0, "cm^2", 0.2)])
    msg = " ".join(i.message for i in issues)
    assert "30 cm² is outside the physiological range" in msg
    assert "cm^2" not in msg.replace("'mm^2'", "")  # only the unit to type stays as typed


def test_predictive_width_line_uses_the_apps_number_format():
    text = PredictiveWidth("LVEDP", "mmHg", 15.8, 6.82, 36.7, 5.0, 40.0).text()
    assert text.startswith("LVEDP 16 (7–37) mmHg — width")
    assert "cm²" in PredictiveWidth("AVA", "cm^2", 0.7, 0.6, 0.8, 0.3, 1.5).text()


def test_a_visit_flag_line_uses_the_apps_number_format():
    f = Flag("LVEDP", "mmHg", 21.3, 15.84, 6.821, 36.71, 1.2, 5.46, False)
    assert f.text() == ("LVEDP: measured 21 mmHg, predicted 16 (7–37) mmHg; surprise "
                        "+5.5 mmHg, z = +1.2")
