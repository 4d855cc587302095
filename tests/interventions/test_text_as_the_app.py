"""The CLI's what-if and simulate text write numbers as the app does (review12 #11,
polish12): a Δ at the quantity's display resolution (the GUI's ``change``), and an interval
of LVEDP, LAP or PASP beyond its plausible range marked ⚠ with the note saying what it means."""

from __future__ import annotations

from twinviewer.core.format import change
from twinviewer.interventions.compare import Comparison, Interval, ScenarioTable, change_text
from twinviewer.physiology.plausible import BEYOND, MEANING


def _table() -> ScenarioTable:
    rows = {"LVEDP": ("mmHg", Interval(16.0, 7.0, 58.0), Interval(15.9, 6.8, 36.7),
                      Interval(-0.10, -0.91, 0.05)),
            "CO": ("L/min", Interval(5.0, 4.1, 6.2), Interval(5.6, 4.6, 6.8),
                   Interval(0.61, 0.43, 0.82))}
    cells = {m: {"s": Comparison(m, u, m, b, s, d, 0.5, 0.1, 50, 50)}
             for m, (u, b, s, d) in rows.items()}
    return ScenarioTable(metrics=tuple(rows), scenarios=("s",),
                         baseline={m: r[1] for m, r in rows.items()}, cells=cells, flags={},
                         units={m: r[0] for m, r in rows.items()})


def test_whatif_text_writes_the_delta_and_marks_as_the_app():
    text = _table().format_text()
    lvedp, co = text.split("Cardiac")[0], text.split("Cardiac")[1]
    # "Δ -0.10 (-0.91 to +0.05)" where the what-if table writes the mmHg change to 1 mmHg
    assert "-0.10" not in text and "-0.91" not in text
    # beside "improves in 50 %" never "no change" (compare17: the app's one Δ rule)
    assert f"Δ {change_text(_table().cells['LVEDP']['s'])}" in lvedp
    assert "no change" not in lvedp and change(-0.10, -0.91, 0.05, "mmHg") == "no change"
    assert "Δ +0.6 (+0.4 to +0.8)" in co  # L/min: to 0.1 (the GUI's resolution)
    # the baseline's upper bound 58 mmHg is beyond LVEDP's plausible 50: marked, explained
    baseline_line = next(line for line in text.splitlines() if "baseline 16" in line)
    assert baseline_line.endswith(BEYOND)
    scenario_line = next(line for line in text.splitlines() if line.strip().startswith("s: 16"))
    assert BEYOND not in scenario_line  # 36.7 is inside the range: not marked
    assert MEANING in text and "> 50 mmHg" in text
    assert [line for line in text.splitlines() if BEYOND in line] == \
        [baseline_line, text.splitlines()[-1]]  # CO is never marked; the note comes last


def test_simulate_text_marks_an_interval_beyond_plausible(monkeypatch, capsys):
    """`simulate --ensemble` prints the marker after an LVEDP interval reaching past 50 mmHg
    (here forced by a lower plausible ceiling) and the note once."""
    from twinviewer.cli import main
    from twinviewer.physiology import plausible

    assert main(["simulate", "--preset", "healthy", "--ensemble", "8"]) == 0
    plain = capsys.readouterr().out
    assert BEYOND not in plain  # a healthy heart: nothing marked
    monkeypatch.setitem(plausible.PLAUSIBLE_MAX, "LVEDP", 1.0)
    assert main(["simulate", "--preset", "healthy", "--ensemble", "8"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "(LVEDP)" in line)
    assert BEYOND in row, row
    assert sum(BEYOND in line for line in out.splitlines()) == 2  # the row and the note
    assert MEANING in out
