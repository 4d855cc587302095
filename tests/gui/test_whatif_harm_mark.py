"""compare17: the What-if table says what `twinviewer whatif` says of an LVAD at 9000 rpm —
its "better in N %" leaves out the twins in LV suction, marked on the row with the rule under
the table (newuser17 F7), and its negative mean LAP is flagged with why (report17)."""

from __future__ import annotations

from tests.gui.test_scenario_panel import _add, _run


def test_suction_share_is_marked_and_negative_lap_flagged(qtbot, make_scenario_panel):
    state, panel = make_scenario_panel(n=8)
    _add(panel, "lvad", "L", speed=9000.0)
    _run(qtbot, panel, state, 1)
    _value, _delta, better = panel.result_cells("CO", "L")
    assert better.endswith("% §"), better  # "12 % §"
    flags = panel.flags_label.text()
    rule = [s for s in flags.splitlines() if s.startswith("§ ")]
    assert len(rule) == 1 and "LV suction" in rule[0] and "CO in" in rule[0], flags
    lap = [s for s in flags.splitlines() if "mean left atrial pressure below 0 mmHg" in s]
    assert len(lap) == 1 and "collapses" in lap[0], flags
