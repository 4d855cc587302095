"""The What-if panel warns by the failing evidence rows of the twin's own study population:
a healthy heart's β-blocker what-if showed metoprolol's failing post-infarct row (LVEF
< 50 %) in red beside "no evidence row for a heart like this" (flags17's note). The panel
now passes its baseline to ``scenario_evidence``. Fails before the fix (the metoprolol line
was in the red label)."""

from __future__ import annotations

import twinviewer.explain.evidence_flags as ef
from tests.gui.test_scenario_panel import _add, _run


def test_a_healthy_heart_is_not_warned_by_another_populations_failing_row(
        qtbot, make_scenario_panel, monkeypatch):
    judged = {r.id: {"id": r.id, "title": r.title, "passed": False,
                     "variables": [{"variable": "LVEF", "expected": "down", "got": "−1 %",
                                    "passed": False}]}
              for r in ef._rows() if r.intervention == "beta_blocker"}
    monkeypatch.setattr(ef, "_from_cache", lambda: judged)  # both β-blocker rows fail
    state, panel = make_scenario_panel("healthy")
    _add(panel, "beta_blocker", "BB", dose=12)
    _run(qtbot, panel, state, 1)
    warned, said = panel.flags_label.text(), panel.sources_label.text()
    assert "no evidence row for a heart like this" in warned + said
    assert "metoprolol-12mg" not in warned and "esmolol-16mg-min" not in warned, warned
    assert "UNSOURCED" in warned  # its CO fall is the model's alone, said as before
