"""final16 #1: page 1 says "(which it fails: Warnings)" after "checked against evidence row …"
for a row that fails, also when the line goes on with this heart's comparison ("… (source
−29 %)", "… not this heart)"): the row's id was parsed from the line's last parenthesis."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.explain.evidence_flags import failing_text
from twinviewer.interventions import run_scenarios
from twinviewer.physiology import simulate
from twinviewer.report.summary import whatifs
from twinviewer.twins import model_of, twin_from_preset


class _Page:  # the calls whatifs makes on the PDF page, text kept
    def __init__(self):
        self.text: list[str] = []

    def subheading(self, text, *a, **k):
        self.text.append(text)

    def para(self, text, *a, **k):
        self.text.append(text)

    def table(self, *a, **k):
        pass


def test_a_failing_row_is_said_to_fail_after_this_heart_s_comparison():
    sc = Scenario("np", (InterventionStep("nitroprusside", {}),), "regulated")
    twin = replace(twin_from_preset("hfref", n=6, seed=1), scenarios=[sc])
    model = model_of(twin)
    base = simulate(model, twin.ensemble)
    res = run_scenarios(model, base, [sc])
    # the Warnings line of the failing row, as failing_rows writes it (finding 1's PDF, l. 85)
    fails = failing_text({"id": "nitroprusside", "title": "Nitroprusside", "variables": [
        {"variable": "PCWP", "expected": "−47 %", "got": "−26 %", "passed": False}]})
    page = _Page()
    whatifs(page, SimpleNamespace(twin=twin, parameters=None), base, res, {}, {"np": [fails]})
    (line,) = [t for t in page.text if "checked against evidence row" in t]
    assert "(nitroprusside)" in line and "on this heart" in line, line
    assert "(nitroprusside) (which it fails: Warnings); on this heart" in line, line
    # a row that passes is not said to fail
    page = _Page()
    whatifs(page, SimpleNamespace(twin=twin, parameters=None), base, res, {}, {})
    (line,) = [t for t in page.text if "checked against evidence row" in t]
    assert "which it fails" not in line, line
