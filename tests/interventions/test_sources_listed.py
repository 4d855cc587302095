"""Every evidence row's source is reachable from the repository: its first author (or its
PMID, or its title's opening words) is in docs/references.md (issue 15 item 2; review9 found
Sakamoto 1977 and PMID 14643273 cited by rows and missing there)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from twinviewer.interventions.evidence_table import load_rows

REFERENCES = (Path(__file__).resolve().parents[2] / "docs" / "references.md").read_text()


def _keys(source: str) -> list[str]:
    """What must appear in references.md for ``source``: its PMIDs, else its first author,
    else the opening words of its title."""
    pmids = re.findall(r"PMID (\d+)", source)
    if pmids:
        return pmids
    quoted = re.match(r'\s*"([^"]+)"', source)
    if quoted:
        return [quoted.group(1)]
    return [re.match(r"\s*([A-Za-z'\-]+)", source).group(1)]


@pytest.mark.parametrize("row", load_rows(), ids=lambda r: r.id)
def test_the_rows_source_is_in_the_references(row):
    if not row.source or row.source.upper().startswith("UNSOURCED"):
        pytest.skip("an unsourced row says so and counts as not validated")
    missing = [k for k in _keys(row.source) if k.lower() not in REFERENCES.lower()]
    assert not missing, f"{row.id}: {missing} not in docs/references.md ({row.source[:80]})"
