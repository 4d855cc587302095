"""g17a: the What-if table prints no impossible LVEF under an LVAD at 9000 rpm (newuser17b
G1: "78 (46–414) %"): the twins whose LV volume went below 0 are left out of the value and
said in its cell, as `twinviewer whatif` says it; the § rule names the validated range (G2)."""

from __future__ import annotations

import re

from tests.gui.test_scenario_panel import _add, _run


def test_lvef_cell_leaves_out_and_names_twins_with_an_lv_volume_below_zero(
        qtbot, make_scenario_panel):
    state, panel = make_scenario_panel(n=10)
    _add(panel, "lvad", "L", speed=9000.0)
    _run(qtbot, panel, state, 1)
    cell = panel.table.cells["LVEF"]["L"]
    assert cell.not_physical > 0  # this ensemble has twins whose LV volume went below 0
    value, _delta, better = panel.result_cells("LVEF", "L")
    assert f"left out: {cell.not_physical} twin" in value and "not physical" in value, value
    numbers = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", value.split(";")[0])]
    assert numbers and max(numbers) <= 100 and min(numbers) > 0, value
    rule = [s for s in panel.flags_label.text().splitlines() if s.startswith("§ ")]
    assert len(rule) == 1 and "validated range" in rule[0], rule
