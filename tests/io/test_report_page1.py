"""Report page 1 lists everything the file holds, wrapped, never cut with "…" (review8 #10),
and names command-line scenarios in words with their response mode (#6, #10)."""

from __future__ import annotations

from tests.io.test_report import _pages_text
from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions.scenario import scenario_label
from twinviewer.io import load_twin, save_twin
from twinviewer.report.pdf import write_report


def test_page_one_wraps_long_scenario_lists(twin, tmp_path):
    steps = [(InterventionStep("tavi_sapien3", {"size": s, "pvl": 1.0}),
              InterventionStep("beta_blocker", {"dose": 5.0})) for s in (20.0, 23.0, 26.0, 29.0)]
    twin.scenarios = [Scenario(scenario_label(st, "regulated"), st, "regulated")
                      for st in steps]  # as `twinviewer whatif` names them
    path = save_twin(tmp_path / "t.twin", twin)
    info = write_report(load_twin(path), tmp_path / "t.pdf", simulate=False)
    first = " ".join(_pages_text(info.path)[0].split())
    assert "…" not in first
    for size in (20, 23, 26, 29):
        want = (f"TAVI with SAPIEN 3 by size {size} mm, paravalvular leak grade 1 + "
                "Beta-blocker 5 mg [baroreflex regulated]")
        assert want in first, want
    assert "tavi_sapien3(" not in first
