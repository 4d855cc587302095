"""The PDF model card names a failed evidence row's variables from the structured result,
not by splitting its text (review8b #4: the Sakamoto source holds "; medifind 28299574)",
and the card read "dobutamine-5: medifind 28299574), INTERVENTIONS.md §4): CI: …")."""

from __future__ import annotations

from twinviewer.explain.validation import Check, ValidationReport, row_check
from twinviewer.interventions.evidence_table import load_rows, run_row
from twinviewer.report.pdf import _failure_text


def test_a_source_with_semicolons_does_not_garble_the_failure_line():
    # dobutamine-8-postop: the same source, still failing (dobutamine-5 passes since physio13)
    row = next(r for r in load_rows() if r.id == "dobutamine-8-postop")
    assert "; medifind" in row.source  # the text that garbled the old line
    check = row_check(run_row(row))
    # a cached report (JSON) keeps the variables
    (check,) = ValidationReport.from_dict(ValidationReport("m", "h", [check]).to_dict()).checks
    text = _failure_text(check)
    failed = [v for v in check.variables if not v["passed"]]
    assert check.passed is False and failed  # the row fails on the default model
    assert text.startswith(f"{failed[0]['variable']}: expected {failed[0]['expected']}, got ")
    assert "medifind" not in text and "Sakamoto" not in text and "✗" not in text


def test_a_source_with_a_closing_bracket_and_colon_is_not_taken_for_the_title():
    judged = [{"variable": "CI", "expected": "+26 %", "got": "+15 %", "passed": False},
              {"variable": "HR", "expected": "+12 %", "got": "+13 %", "passed": True}]
    check = Check("evidence", "x", False, "Title (A (1977): b; c): CI: …", judged)
    assert _failure_text(check) == "CI: expected +26 %, got +15 %"
    plain = Check("presets", "healthy graded as healthy", False, "LVEF 40 % below 50 %")
    assert _failure_text(plain) == "LVEF 40 % below 50 %"
