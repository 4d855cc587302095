"""review13 #11/#12: a warning never says "SBP in 0 %"; one member is not "15.5 (15.5–15.5)"."""

from __future__ import annotations

from twinviewer.core.format import interval, percent, share
from twinviewer.interventions.compare import ScenarioFlags


def test_a_share_that_is_not_nothing_is_never_zero_percent():
    flags = ScenarioFlags(0.003, 0.0, 0, (), outside_share={"SBP": 0.004, "LVEF": 0.25})
    text = " ".join(flags.lines())
    assert "0 %" not in text.replace("< 1 %", "").replace("25 %", "")
    assert "SBP in < 1 %" in text and "LVEF in 25 %" in text
    assert "LV suction in < 1 % of plausible twins" in text
    assert percent(0.999) == "> 99 %" and share(1, 200) == "1 of 200 twins"


def test_one_member_has_no_interval_to_show():
    assert interval(15.5, 15.5, 15.5) == "15.5 (no spread)"
    assert interval(-2.0, -2.0, -2.0, signed=True) == "-2.0 (no spread)"
