"""review14 #4: dobutamine 15 µg/kg/min on the AS twin left out 38 of 200 twins (the most
contractile), 10 µg/kg/min 3; the table set their intervals one above the other as a dose
response without saying they describe different groups. The table now says so: each row's
count, who each scenario left out and why, and how many twins are common."""

from __future__ import annotations

import numpy as np

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions import run_scenarios, scenario_table
from twinviewer.interventions.compare import (
    Comparison,
    Interval,
    ScenarioFlags,
    ScenarioTable,
    scenario_flags,
)
from twinviewer.physiology import simulate
from twinviewer.twins import model_of, twin_from_preset

WHY = "LV.EA would be up to 29.8 mmHg/mL, beyond its plausible range 0.1–15 mmHg/mL"


def _table(covered_b: tuple[int, ...], excluded_b: int) -> ScenarioTable:
    def cell(n: int) -> Comparison:  # each cell over its own paired members (review16b #7)
        return Comparison("CO", "L/min", "Cardiac output", Interval(6.1, 5.3, 7.0),
                          Interval(8.5, 7.5, 9.5), Interval(2.4, 1.7, 3.0), 1.0, 0.0, n, 6)

    flags = {"d10": ScenarioFlags(0, 0, 0, (), paired=6, covered=(0, 1, 2, 3, 4, 5)),
             "d15": ScenarioFlags(0, 0, 0, (), excluded=excluded_b, paired=6,
                                  excluded_why=WHY, covered=covered_b)}
    return ScenarioTable(("CO",), ("d10", "d15"), {"CO": Interval(6.1, 5.3, 7.0)},
                         {"CO": {"d10": cell(6), "d15": cell(len(covered_b))}}, flags,
                         units={"CO": "L/min"})


def test_different_member_sets_are_said_at_the_table():
    t = _table((0, 1, 2, 3), 2)
    text = t.format_text({"d15": "Inotrope 15"})
    assert "    d10 (6 twins): 8.5" in text
    # the row over 4 twins gives those 4's baseline first (review16b #7)
    assert "    Inotrope 15 (4 twins): baseline of these 4 twins 6.1 (5.3–7.0) → 8.5" in text
    note = next(x for x in text.splitlines() if "cover different twins" in x)
    assert "Inotrope 15 4 of 6 twins (2 left out, those with the highest LV.EA: " + WHY in note
    assert "4 twins are common to all" in note
    assert t.to_dict()["flags"]["d15"]["members"] == 4


def test_same_member_sets_say_nothing_more():
    t = _table((0, 1, 2, 3, 4, 5), 0)
    text = t.format_text()
    assert "cover different twins" not in text and "twins)" not in text


def test_gui_rows_name_their_count():
    from twinviewer.gui.scenario_panel import table_rows

    rows = table_rows(_table((0, 1, 2), 3), [], None)
    shown = [r[1] for _title, _d, rs in rows for r in rs]
    assert "d10 · 6 twins" in shown and "d15 · 3 twins" in shown
    rows = table_rows(_table((0, 1, 2, 3, 4, 5), 0), [], None)
    assert all("twins" not in r[1] for _t, _d, rs in rows for r in rs)


def test_flags_record_the_members_a_real_run_covers():
    twin = twin_from_preset("severe_as", n=6, seed=3)
    model = model_of(twin)
    base = simulate(model, twin.ensemble)
    scs = [Scenario("a", (InterventionStep("inotrope", {"dose": 5.0}),), "acute"),
           Scenario("b", (InterventionStep("inotrope", {"dose": 10.0}),), "acute")]
    res = run_scenarios(model, base, scs)
    for name, r in res.items():
        f = scenario_flags(base, r)
        assert f.covered == tuple(np.flatnonzero(base.ok & r.ok)), name
        assert len(f.covered) == f.paired - f.excluded - f.failed
    t = scenario_table(base, res, ("CO",))
    same = len({frozenset(f.covered) for f in t.flags.values()}) == 1
    assert t.differing_members() is not same
    assert ("cover different twins" in t.format_text()) is not same


def test_cli_results_with_excluded_members_reopen_and_say_why(tmp_path, capsys):
    """The stored results of a what-if that excluded members were dropped on reopening
    (the scenario was re-applied without the run's tolerance): the GUI showed none of
    `whatif`'s dobutamine results. They reopen, and the excluded members are named as such."""
    from twinviewer.cli import main
    from twinviewer.document import Document
    from twinviewer.io import save_twin

    twin = twin_from_preset("severe_as", n=6, seed=3, pseudonym="virtual-x")
    model = model_of(twin)
    j = model.index("LV.EA")
    twin.ensemble[0, j] = 0.98 * model.parameters[j].plausible[1]  # one twin near the top
    path = save_twin(tmp_path / "x.twin", twin)
    assert main(["whatif", str(path), "-i", "inotrope:dose=5", "--regulation", "acute"]) == 0
    assert "1 of 6 twins excluded" in capsys.readouterr().out
    doc = Document()
    doc.open_file(path)
    (name,) = [s.name for s in doc.scenarios]
    r = doc.scenario_results[name]  # was dropped: not reopened at all
    f = scenario_flags(simulate(model, twin.ensemble), r)
    assert f.excluded == 1 and f.failed == 0 and "LV.EA" in f.excluded_why


def test_the_form_check_refuses_only_what_the_run_refuses():
    """The GUI's pre-run check refused dobutamine 15 µg/kg/min on the AS twin ("1 of 200
    members would leave the plausible range") while `whatif` ran it with 38 excluded."""
    import pytest

    from twinviewer.interventions import InterventionError, check_scenario

    twin = twin_from_preset("severe_as", n=6, seed=3)
    model = model_of(twin)
    j = model.index("LV.EA")
    P = np.array(twin.ensemble, dtype=float)
    top = model.parameters[j].plausible[1]
    P[0, j] = 0.98 * top  # one twin near the top: excluded by the run, not a refusal
    sc = Scenario("d", (InterventionStep("inotrope", {"dose": 5.0}),), "acute")
    check_scenario(model, P, sc)
    P[:4, j] = 0.98 * top  # fewer than half would stay: the run refuses, so does the check
    with pytest.raises(InterventionError, match="at least half"):
        check_scenario(model, P, sc)
