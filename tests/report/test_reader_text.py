"""review13 #13: the report sends no clinician to docs/notes/*.md; numbers print a true minus."""

from __future__ import annotations

from twinviewer.interventions.failure_reasons import RECORD, WHY
from twinviewer.report.reader_text import print_minus, without_notes


def test_every_failure_reason_reads_without_developer_notes():
    reasons = [*WHY.values(), *RECORD.values()]
    assert any("docs/notes/" in r for r in reasons)  # the data still cite them
    refs = []
    for r in reasons:
        text, found = without_notes(r)
        assert "docs/notes" not in text, text
        refs += found
    assert refs and any("physio12.md" in r for r in refs)


def test_minus_only_before_numbers():
    assert print_minus("got 1480 → 965 mmHg/s (-13 %)") == "got 1480 → 965 mmHg/s (−13 %)"
    assert print_minus("beta-blocker, 4-8 krpm") == "beta-blocker, 4-8 krpm"


def test_model_card_names_no_source_tree_file(monkeypatch):
    """review14 #7: the model card's failed evidence rows printed "For developers: … notes
    (docs/notes/): physio12.md, …". The report's text carries no docs/notes pointer at all;
    each failure's reason is the evidence table's own (which does cite them)."""
    from types import SimpleNamespace

    import twinviewer.explain.modelcard as modelcard
    import twinviewer.explain.validation as validation
    from twinviewer.explain.validation import Check
    from twinviewer.report import pdf

    whys = [r for r in [*WHY.values(), *RECORD.values()] if "docs/notes/" in r]
    failed = [Check("evidence", f"row-{i}", False, "detail", title=f"Row {i}", why=w)
              for i, w in enumerate(whys)]
    card = SimpleNamespace(validation=SimpleNamespace(failures=lambda: failed),
                           validation_line=lambda: "all pass",
                           evidence_line=lambda: f"{len(failed)} fail")
    monkeypatch.setattr(validation, "validation_report", lambda model: None)
    monkeypatch.setattr(modelcard, "model_card", lambda model, report: card)

    class Pages:
        def __init__(self) -> None:
            self.text: list[str] = []

        def para(self, s: str, *args, **kw) -> None:
            self.text.append(s)

        def subheading(self, s: str) -> None:
            self.text.append(s)

    p = Pages()
    pdf._validation_section(p, model=None)
    text = "\n".join(p.text)
    assert len(failed) > 3 and all(f"Row {i}" in text for i in range(len(failed)))
    assert "docs/notes" not in text and ".md" not in text, text
    assert "For developers" not in text
