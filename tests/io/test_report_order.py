"""The report in a clinician's order (review12 #7): page 1 summarises (who, what the file
holds, key measured and predicted values, the what-ifs, the warnings); the loops and the
what-if comparison come next; the detailed tables (the file's listing, per-phase volumes, the
audit trail) are the appendix, and nothing the report showed before is lost."""

from __future__ import annotations

import numpy as np

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.io import load_twin, save_twin
from twinviewer.report.pdf import write_report
from twinviewer.twins import simulate_twin

from .test_report import _pages_text


def _page_of(pages: list[str], words: str) -> int:
    return next(i for i, p in enumerate(pages) if words in " ".join(p.split()))


def test_page_one_summarises_and_the_tables_are_the_appendix(anatomy_twin, tmp_path):
    results = simulate_twin(anatomy_twin)
    anatomy_twin.scenarios.append(
        Scenario("pace", (InterventionStep("pacing", {"rate": 90.0}),), "regulated"))
    doc = load_twin(save_twin(tmp_path / "o.twin", anatomy_twin, results={"baseline": results}))
    info = write_report(doc, tmp_path / "o.pdf", results=results)
    pages = _pages_text(info.path)
    first = " ".join(pages[0].split())
    assert first.startswith("TwinViewer — twin") and "Twin report — summary" in first
    assert anatomy_twin.pseudonym in first and "The file holds" in first
    # key values: a measured value beside its prediction with its interval
    assert "Key values: measured beside predicted" in first
    lvef = next(m for m in anatomy_twin.measurements if m.name == "LVEF")
    assert "LV ejection fraction" in first and f"{lvef.value:.0f} ±" in first
    assert "What-ifs compared with the baseline" in first and "Δ Cardiac" in first
    assert "Warnings" in first or "Warnings" in " ".join(pages[1].split())
    # the DDD pacing row fails: the warning names it near the top, not only on page 5
    top = " ".join(" ".join(p.split()) for p in pages[:2])
    assert "pacing" in top and "fails" in top
    loops = _page_of(pages, "LV PV loop")
    scen = _page_of(pages, "Scenarios compared")
    appendix = _page_of(pages, "Appendix A — What the file holds")
    assert loops <= 2 and scen <= loops + 1 < appendix
    assert _page_of(pages, "Explanation and provenance") < appendix
    assert _page_of(pages, "Appendix C — Audit trail") > appendix
    # the file's full listing is still there, and every phase's volume (in the appendix)
    flat = " ".join(" ".join(p.split()) for p in pages[appendix:])
    assert "Stored results" in flat and "Parameter ensemble" in flat
    a = anatomy_twin.anatomy
    if any(len(s.volumes) > 2 for s in a.structures.values()):
        vol = _page_of(pages, "Appendix B — Structure volumes at every phase")
        assert vol > appendix
        s = next(s for s in a.structures.values() if len(s.volumes) > 2)
        assert sum(f"{s.name} " in p for p in pages[vol:]) >= 1
    assert np.isfinite(results.metrics["LVEF"]).any()
