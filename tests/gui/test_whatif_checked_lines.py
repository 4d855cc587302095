"""The What-if panel says what ``twinviewer whatif`` says beside a result: whether this
heart's change is within its evidence row's tolerance ("checked against …"), the CAUTION
when not, and an UNSOURCED large change (session-16 note: the CLI and the text summary did,
the panel did not). The lines are the CLI's own, for the same twin: the panel projects them,
it does not compute its own."""

from __future__ import annotations

import json

from tests.gui.test_scenario_panel import _add, _run


def _cli_lines(capsys) -> dict[str, list[str]]:
    """``whatif --json`` on the fixture's twin (hfref, 8 members, seed 2): scenario → lines."""
    from twinviewer.cli import main

    assert main(["whatif", "--preset", "hfref", "--members", "8", "--seed", "2", "-i",
                       "ace_inhibitor:dose=25", "-s", "lvad:speed=5000", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    names = [s["name"] for s in doc["scenarios"]]
    key = {n: "ACE" if n.startswith("ace") else "LVAD" for n in names}
    out: dict[str, list[str]] = {}
    for part in ("unsourced_changes", "checked_changes"):
        for n, lines in doc[part].items():
            out.setdefault(key[n], []).extend(lines)
    return out


def test_the_panel_shows_the_cli_checked_and_caution_lines(qtbot, make_scenario_panel, capsys):
    cli = _cli_lines(capsys)
    caution = [x for x in cli["ACE"] if "CAUTION" in x]
    within = [x for x in cli["LVAD"] if "CAUTION" not in x and "checked against" in x]
    unsourced = [x for x in cli["ACE"] if x.startswith("UNSOURCED")]
    assert caution and within and unsourced  # the case shows all three kinds
    assert "captopril-25" in caution[0] and "evidence row" in within[0]
    state, panel = make_scenario_panel()  # hfref, 8 members, seed 2: the CLI's twin
    _add(panel, "ace_inhibitor", "ACE", dose=25)
    _add(panel, "lvad", "LVAD", speed=5000)
    _run(qtbot, panel, state, 2)
    warned = panel.flags_label.text()
    said = panel.sources_label.text()
    for line in caution + unsourced:  # warnings: with the flags, in red
        assert f"ACE [baroreflex regulated]: {line}" in warned
        assert line not in said
    for line in within:  # checked and within the tolerance: said, not a warning
        assert f"LVAD [baroreflex regulated]: {line}" in said
        assert line not in warned
    # and on the scenario's own rows of the table, when the pointer rests on them
    tab = panel.result_table
    row = panel._rows[("CO", "ACE")]
    for c in range(2):
        assert all(line in tab.item(row, c).toolTip() for line in caution + unsourced)
    assert within[0] in tab.item(panel._rows[("CO", "LVAD")], 1).toolTip()
    assert not tab.item(panel._rows[("CO", "baseline")], 0).toolTip()
