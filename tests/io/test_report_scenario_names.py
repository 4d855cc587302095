"""The PDF's scenario comparison names a scenario in words in its heading and its column, and
wraps both instead of running off the page (review8b #5: page 6 showed the column
"tavi_sapien3 (size=26)…" and a heading that lost "baseline" at the right edge)."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from matplotlib.backends.backend_pdf import PdfPages

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions.scenario import shown_name
from twinviewer.report import pdf


def test_comparison_heading_and_column_use_the_name_in_words_wrapped(tmp_path):
    code = "tavi_sapien3(size=23,pvl=1)"
    sc = Scenario(code, (InterventionStep("tavi_sapien3", {"size": 23.0, "pvl": 1.0}),))
    words = shown_name(sc)
    assert len(f"{words} versus baseline") > pdf.SUBHEADING_CHARS  # needs a second line
    rng = np.random.default_rng(1)
    base = {"LVEF": 55 + rng.standard_normal(12), "MAP": 90 + rng.standard_normal(12),
            "AV_mean_gradient": 40 + rng.standard_normal(12)}
    after = {k: v * 0.9 for k, v in base.items()}
    out = tmp_path / "s.pdf"
    with PdfPages(out) as doc:
        p = pdf._Pages(doc, "test", identifiable=False)
        pdf._scenario_page(p, base, {code: after}, [sc])
        p.finish()
    heading = [t for t in p.text if t.endswith("baseline") or words.startswith(t)]
    assert " ".join(heading[:2]) == f"{words} versus baseline"
    assert all(len(t) <= pdf.SUBHEADING_CHARS for t in heading)
    column = next(t for t in p.text if t.startswith("TAVI with") and "\n" in t)
    assert " ".join(column.split("\n")) == words and "…" not in column
    assert not any(t.startswith("tavi_sapien3") for t in p.text)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "versus baseline" in text
