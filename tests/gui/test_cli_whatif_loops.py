"""Results written by ``twinviewer whatif`` come back in the GUI with their loops
(review13 #4: they opened as "Saved without loops (run them again…)")."""

from __future__ import annotations

from twinviewer.cli import main
from twinviewer.gui.scenario_panel import ScenarioPanel
from twinviewer.gui.state import TwinState
from twinviewer.io import load_twin, save_twin
from twinviewer.io.result_series import LOOP_ROLES
from twinviewer.twins import simulate_twin, twin_from_preset


def test_cli_whatif_results_open_with_their_loops(qtbot, tmp_path, capsys):
    path = save_twin(tmp_path / "w.twin", twin_from_preset("severe_as", n=6,
                                                           pseudonym="virtual-w"))
    assert main(["whatif", str(path), "-i", "tavi_sapien3:size=26",
                 "--regulation", "acute"]) == 0
    capsys.readouterr()
    doc = load_twin(path)
    (name,) = [s.name for s in doc.twin.scenarios]
    kept = doc.series[name]  # the file holds the loops, every member, as the GUI writes
    assert {"time", "p_LV", "V_LV", "p_AO"} <= set(kept) <= set(LOOP_ROLES)
    assert kept["p_LV"].shape[0] == 6 and kept["p_LV"].shape == kept["time"].shape

    state = TwinState()
    whatif = ScenarioPanel(state)
    qtbot.addWidget(whatif)
    state.session.open_file(path)
    state.session.set_results(simulate_twin(state.twin))  # as the window does on open
    read = state.session.scenario_results[name]
    assert read.stored and set(read.series) >= {"p_LV", "V_LV"}
    note = whatif.stored_label.text()
    assert "read from the file" in note and "Saved without loops" not in note
    qtbot.waitUntil(whatif.curves_drawn, timeout=5000)
    assert len(whatif.pv_plot.listDataItems()) == 1 + 2  # live + baseline + its stored loop
    state.close()
