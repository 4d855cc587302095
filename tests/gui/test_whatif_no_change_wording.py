"""review16b #9: a What-if Δ read "no change" beside "better in 5 %": its 5–95 % interval lay
within the display resolution while some members improved by more than it. A Δ beside a
share of members that improve gives its median and interval, never "no change"."""

from __future__ import annotations

from tests.gui.test_scenario_panel import _add, _run


def test_no_change_is_never_said_beside_members_that_improve(qtbot, make_scenario_panel):
    # hfref, 40 members, seed 2: metoprolol 5 mg moves mPAP by −0.08 (−0.99 to +0.88) mmHg
    # and 2 of the 40 members improve it by more than 1 mmHg
    state, panel = make_scenario_panel(n=40)
    _add(panel, "beta_blocker", "BB", dose=5.0)
    _run(qtbot, panel, state, 1)
    checked = 0
    for (metric, scenario), (_value, delta, better) in panel._cells.items():
        if scenario == "baseline" or "%" not in better:  # "5 %", "2 % §"
            continue
        if better.split()[0] != "0":  # some members improve: "no change" would deny them
            assert delta != "no change", (metric, delta, better)
            checked += 1
    value, delta, better = panel.result_cells("mPAP", "BB")
    # 2 % §, not 5 %, since g17a: a twin whose result leaves the validated range (SBP < 70
    # mmHg, "do not trust") is not credited
    assert better == "2 % §" and delta == "-0.1 (-1.0 to +0.9)", better
    assert checked
