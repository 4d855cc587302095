"""review13 #13: the report sends no clinician to docs/notes/*.md; numbers print a true minus."""

from __future__ import annotations

from twinviewer.interventions.failure_reasons import RECORD, WHY
from twinviewer.report.reader_text import notes_line, print_minus, without_notes


def test_every_failure_reason_reads_without_developer_notes():
    reasons = [*WHY.values(), *RECORD.values()]
    assert any("docs/notes/" in r for r in reasons)  # the data still cite them
    refs = []
    for r in reasons:
        text, found = without_notes(r)
        assert "docs/notes" not in text, text
        refs += found
    assert refs and "physio12.md" in notes_line(refs)


def test_minus_only_before_numbers():
    assert print_minus("got 1480 → 965 mmHg/s (-13 %)") == "got 1480 → 965 mmHg/s (−13 %)"
    assert print_minus("beta-blocker, 4-8 krpm") == "beta-blocker, 4-8 krpm"
