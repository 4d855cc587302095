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
    heading = [t for t in p.text  # the scenario list line is the whole name: not the heading
               if t.endswith("baseline") or (words.startswith(t) and t != words)]
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


def test_the_scenario_list_gives_steps_in_words_and_never_repeats_an_auto_name(tmp_path):
    auto = Scenario("beta_blocker(dose=5)", (InterventionStep("beta_blocker", {"dose": 5.0}),))
    mine = Scenario("my plan", (InterventionStep("tavi_sapien3", {"size": 26.0}),), "regulated")
    with PdfPages(tmp_path / "s.pdf") as doc:
        p = pdf._Pages(doc, "test", identifiable=False)
        pdf._scenario_page(p, {}, {}, [auto, mine])  # defined, not computed
        pdf._scenario_page(p, {"LVEF": np.full(4, 55.0)},
                           {auto.name: {"LVEF": np.full(4, 50.0)},
                            mine.name: {"LVEF": np.full(4, 60.0)}}, [auto, mine])
        p.finish()
    text = " ".join(p.text)
    assert "=" not in text and "beta_blocker" not in text and "tavi_sapien3" not in text
    assert "Beta-blocker 5 mg [acute, unregulated]" in p.text  # the name says it all
    assert ("my plan [baroreflex regulated]: TAVI with SAPIEN 3 by size 26 mm" in p.text)
