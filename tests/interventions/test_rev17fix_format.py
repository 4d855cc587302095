"""review17 F9 and the lead's look at the What-if table: the comparison's numbers never print
a signed zero median ("Δ -0.0 (-0.5 to +0.3)") nor a negative interval as "-5.8--1.8" /
"-1.8–-0.8". Both tests fail before the fix."""

from __future__ import annotations

from twinviewer.interventions.compare import Comparison, Interval, change_text, interval_text


def _cmp(diff: Interval, unit: str = "mmHg") -> Comparison:
    i = Interval(25.0, 20.0, 30.0)
    return Comparison("mPAP", unit, "mPAP", i, i, diff, 0.02, 0.0, 40, 40, moved=0.05)


def test_a_median_change_that_rounds_to_zero_has_no_sign():
    assert change_text(_cmp(Interval(-0.03, -0.5, 0.3))) == "0.0 (-0.5 to +0.3)"
    assert change_text(_cmp(Interval(0.04, -0.5, 0.3))) == "0.0 (-0.5 to +0.3)"
    # a bound of an interval that excludes 0 keeps its side, as core.format.change does
    assert change_text(_cmp(Interval(-0.2, -0.5, -0.03))) == "-0.2 (-0.5 to -0.0)"
    assert change_text(_cmp(Interval(-0.2, -0.5, 0.03))) == "-0.2 (-0.5 to 0.0)"
    assert "-0.0 (" not in change_text(_cmp(Interval(-0.001, -0.9, 0.9)))


def test_a_negative_interval_is_written_with_to():
    assert Interval(-1.4, -1.8, -0.8).format() == "-1.4 (-1.8 to -0.8)"
    assert Interval(-3.9, -5.8, -1.8).format() == "-3.9 (-5.8 to -1.8)"
    assert interval_text(-3.9, -5.8, -1.8) == "-3.9 (-5.8 to -1.8)"
    assert interval_text(0.2, -0.4, 0.9) == "0.2 (-0.4 to 0.9)"
    # positive intervals keep the en dash; differences keep their signed form
    assert Interval(58.2, 52.1, 63.4).format() == "58 (52–63)"
    assert Interval(-1.0, -1.4, -0.6).format(signed=True) == "-1.0 (-1.4 to -0.6)"
    assert "--" not in interval_text(-3.9, -5.8, -1.8)


def test_the_what_if_panel_cell_writes_a_negative_interval_with_to():
    """The GUI cell (gui/scenario_panel.format_interval) reads the same rule as the CLI: it
    printed '-3.7 (-5.2--0.5)' after rev17fix, whose rule lived in the comparison layer only."""
    from twinviewer.gui.scenario_panel import format_interval

    assert format_interval(-3.7, -5.2, -0.5) == "-3.7 (-5.2 to -0.5)"
