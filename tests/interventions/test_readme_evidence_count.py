"""numbers17 F8: README's "23 of 31 sourced rows pass" counted four Perimount rows as four
checks, but the source table (INTERVENTIONS.md §2: Perimount 19/21/23/25 mm EOA 1.3/1.3/1.6/
1.6 cm²) gives each pair one EOA, so the model's gradients are the same within a pair and the
four rows are two independent checks. The README says so where it explains the count, with
the pair's gradients as the model gives them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from twinviewer.interventions.evidence_table import load_rows, row_metrics


def test_the_readme_says_the_perimount_pairs_are_two_checks():
    rows = {r.id: r for r in load_rows()}
    got = {}
    for size in (19, 21, 23, 25):
        _, after, _ = row_metrics(rows[f"savr_perimount-{size}"])
        got[size] = after["AV_mean_gradient"]
    # one EOA per pair: the model cannot tell the sizes apart
    assert got[19] == pytest.approx(got[21], rel=1e-6)
    assert got[23] == pytest.approx(got[25], rel=1e-6)
    assert got[19] > got[23]
    text = " ".join((Path(__file__).parents[2] / "README.md").read_text("utf-8").split())
    m = re.search(r"Four of the passing Perimount rows are two independent checks.*?"
                  r"\(mean ([\d.]+) and ([\d.]+) mmHg\)", text)
    assert m, "README does not say the four Perimount rows are two checks"
    assert float(m.group(1)) == pytest.approx(got[19], abs=0.05)
    assert float(m.group(2)) == pytest.approx(got[23], abs=0.05)
