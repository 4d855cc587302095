"""A dimensionless output (Qp:Qs of a patient with a shunt) shows "–" in a Unit column, not a
blank cell that reads as missing (fix13e: the unit "1" was shown as ""): the app's table, the
report and ``twinviewer simulate`` use the one formatter, ``core.format.unit_cell``."""

from __future__ import annotations

import argparse
import io

from twinviewer.cli_simulate import add_arguments, run
from twinviewer.core.format import unit, unit_cell
from twinviewer.document import Document
from twinviewer.gui.metrics_panel import MetricsPanel
from twinviewer.gui.state import TwinState
from twinviewer.twins import simulate_twin, twin_from_preset


def test_qp_qs_of_a_shunt_shows_a_dimensionless_unit(qtbot):
    twin = twin_from_preset("asd", n=1)
    session = Document()
    session.open_twin(twin, results=simulate_twin(twin))
    panel = MetricsPanel(TwinState(session))
    qtbot.addWidget(panel)
    row = [m.name for m in panel.metrics].index("QpQs")
    assert float(panel.text_of("QpQs")[0].split()[0]) > 1.2  # a left-to-right shunt
    assert panel.table.item(row, 2).text() == "–"
    assert panel.table.item([m.name for m in panel.metrics].index("CO"), 2).text() == "L/min"


def test_simulate_table_and_the_one_formatter():
    p = argparse.ArgumentParser()
    add_arguments(p)
    out = io.StringIO()
    assert run(p.parse_args(["--preset", "asd"]), out) == 0
    line = next(x for x in out.getvalue().splitlines() if "(QpQs)" in x)
    assert line.rstrip().endswith("  –"), line
    assert (unit_cell("1"), unit("1")) == ("–", "")  # in running text no unit is written
