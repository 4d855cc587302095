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
    pages = [" ".join(t.split()) for t in _pages_text(info.path)]
    # the file's listing (the old page 1) is Appendix A since fix12b's summary page
    listing = next(t for t in pages if "Appendix A — What the file holds" in t)
    for page in (pages[0], listing):
        assert "…" not in page and "tavi_sapien3(" not in page
    for size in (20, 23, 26, 29):
        want = (f"TAVI with SAPIEN 3 by size {size} mm, paravalvular leak grade 1 + "
                "Beta-blocker 5 mg [baroreflex regulated]")
        assert want in listing, want
