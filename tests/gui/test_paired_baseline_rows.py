"""review16b #7 in the GUI's what-if table: a scenario row over fewer twins than the
baseline row shows its own paired baseline (the CLI's and JSON's rule)."""

from __future__ import annotations

from twinviewer.gui.scenario_panel import table_rows
from twinviewer.interventions.compare import Comparison, Interval, ScenarioFlags, ScenarioTable


def test_a_row_over_fewer_twins_shows_its_own_baseline():
    part = Comparison("CO", "L/min", "CO", Interval(5.1, 4.1, 6.7), Interval(6.6, 5.2, 8.6),
                      Interval(1.6, 0.8, 2.2), 1.0, 0.0, 36, 40)
    whole = Comparison("CO", "L/min", "CO", Interval(5.3, 4.1, 6.6), Interval(6.3, 4.9, 7.9),
                       Interval(1.0, 0.6, 1.4), 1.0, 0.0, 40, 40)
    flags = {"d20": ScenarioFlags(0, 0, 0, (), excluded=4, paired=40, covered=tuple(range(36))),
             "d5": ScenarioFlags(0, 0, 0, (), paired=40, covered=tuple(range(40)))}
    t = ScenarioTable(("CO",), ("d20", "d5"), {"CO": Interval(5.3, 4.1, 6.6)},
                      {"CO": {"d20": part, "d5": whole}}, flags, units={"CO": "L/min"},
                      n_members=40)
    (_, _, rows), = table_rows(t, [], None)
    cells = {sc: value for sc, _, (value, _, _) in rows}
    assert "baseline of these 36 twins 5.1 (4.1–6.7)" in cells["d20"]
    assert "baseline of these" not in cells["d5"]  # it covers the baseline's 40
