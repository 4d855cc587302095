"""`twin create`: MR-derived SV/EF leave the fit, with a message, when CT volumes replace the
MR ones."""

from __future__ import annotations

import json

import pytest

from tests.imaging.cine_factory import write_cine_study
from twinviewer.pipeline import create_twin

pytestmark = pytest.mark.slow  # imports a small cine MR study and calibrates it (~10 s)

CT = {"schema": "twinviewer.measurements/1", "measurements": [
    {"name": "SBP", "value": 128, "unit": "mmHg", "uncertainty": 7, "source": "cuff"},
    {"name": "LVEDV", "value": 118, "unit": "mL", "uncertainty": 8, "source": "CT segmentation"},
    {"name": "LVESV", "value": 50, "unit": "mL", "uncertainty": 6, "source": "CT segmentation"}]}


def test_mr_sv_and_ef_are_dropped_with_a_message(tmp_path):
    write_cine_study(tmp_path / "cine")
    (tmp_path / "m.json").write_text(json.dumps(CT))
    step = create_twin(tmp_path / "cine", tmp_path / "p.twin", measurements=tmp_path / "m.json",
                       members=32)
    used = step.summary["calibration"]["measurements"]
    assert "LVSV" not in used and "LVEF" not in used and "LVEDV" in used
    said = "\n".join(step.text)
    for q in ("LVSV", "LVEF"):
        assert f"warning: {q} (" in said and "were replaced by the given measurements" in said
    # the chosen prior and how much the data narrowed each unmeasured prediction (F15, F21)
    assert "prior: Healthy adult prior (chosen: no valve disease or reduced EF" in said
    assert "how much the data narrowed each unmeasured prediction" in said
    assert "× the prior predictive" in said
    # misfit is never silent (issue 12 item 5): the fit's status line is printed, and a
    # flagged measurement gets its own "poor fit" line
    assert said.count("\nfit: ") == 1 and step.summary["calibration"]["status"] in said
    flagged = step.summary["calibration"]["flagged"]
    assert said.count("\npoor fit: ") == len(flagged)
    assert all(f"poor fit: {m}" in said for m in step.summary["calibration"]["misfits"])
