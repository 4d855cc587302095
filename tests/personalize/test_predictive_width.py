"""Unmeasured predictions carry the width ratio of their interval to the prior predictive and
say "not informed by these data" at ≥ 0.9 — in the calibrate text, its --json and the
calibration record (review F21)."""

from __future__ import annotations

import argparse
import io
import json

import numpy as np
import pytest

from twinviewer.core.measurement import Measurement as M
from twinviewer.personalize import save_measurements
from twinviewer.personalize.calibrate import calibrate
from twinviewer.personalize.cli import add_arguments, run_calibrate
from twinviewer.personalize.predictive_width import (
    NOT_INFORMED,
    UNINFORMED,
    PredictiveWidth,
    format_widths,
    unmeasured_widths,
    widths_dict,
)
from twinviewer.twins import twin_from_preset

MS = [M("HR", 70, "bpm", 2, "ECG"), M("SBP", 125, "mmHg", 7, "cuff"),
      M("DBP", 78, "mmHg", 6, "cuff"), M("LVEDV", 130, "mL", 8, "CT"),
      M("LVESV", 55, "mL", 6, "CT")]


@pytest.fixture(scope="module")
def result():
    return calibrate(twin_from_preset("healthy", n=1), MS, n=32, seed=1)


def test_ratio_and_flag():
    wide = PredictiveWidth("LVEDP", "mmHg", 14.8, 5.8, 38.7, 5.0, 40.0)
    assert wide.ratio == pytest.approx(32.9 / 35.0) and not wide.informed
    assert wide.text().endswith(f"0.94 × the prior predictive: {NOT_INFORMED}")
    narrow = PredictiveWidth("SW", "J", 1.0, 0.8, 1.2, 0.5, 1.7)
    assert narrow.informed and narrow.flag() == "" and NOT_INFORMED not in narrow.text()
    edge = PredictiveWidth("LAP", "mmHg", 10, 0, UNINFORMED, 0, 1)
    assert not edge.informed  # the threshold itself is "not informed"
    unknown = PredictiveWidth("CO", "L/min", 5, 4, 6, np.nan, np.nan)
    assert np.isnan(unknown.ratio) and not unknown.informed
    assert "width ratio unknown" in unknown.text()
    assert format_widths([]) == ""


def test_a_real_calibration_informs_some_outputs_and_not_others(result):
    rows = {w.name: w for w in unmeasured_widths(result)}
    assert set(rows) == set(result.unmeasured_predictions())
    for w in rows.values():  # the posterior side is exactly what the report prints
        assert (w.median, w.lo, w.hi) == pytest.approx(result.predictive(w.name))
        assert np.isfinite(w.ratio) and w.prior_lo < w.prior_hi
    # LV volumes and pressures measured: stroke work narrows, filling pressures hardly (LVEDP
    # by ~10 %: within the ±13 % sampling scatter of a 32-member ensemble's width)
    assert rows["SW"].informed and rows["SW"].ratio < 0.8
    assert not rows["LAP"].informed and rows["LAP"].ratio >= UNINFORMED
    assert rows["LVEDP"].ratio > 0.85
    data = widths_dict(list(rows.values()))
    assert data["LAP"]["flag"] == NOT_INFORMED and data["SW"]["flag"] == ""


def test_without_a_prior_ensemble_the_ratio_is_unknown(result):
    from dataclasses import replace

    rows = unmeasured_widths(replace(result, prior_results=None))
    assert rows and all(np.isnan(w.ratio) and not w.informed for w in rows)


def test_calibrate_cli_prints_and_writes_the_ratio(tmp_path):
    path = tmp_path / "m.json"
    save_measurements(MS, path)
    p = argparse.ArgumentParser()
    add_arguments(p)
    out = io.StringIO()
    assert run_calibrate(p.parse_args(["--measurements", str(path), "-n", "32", "--seed",
                                       "1"]), out=out) == 0
    text = out.getvalue()
    assert "how much the data narrowed each unmeasured prediction" in text
    assert "LAP " in text and f"× the prior predictive: {NOT_INFORMED}" in text
    out = io.StringIO()
    assert run_calibrate(p.parse_args(["--measurements", str(path), "-n", "32", "--seed",
                                       "1", "--json"]), out=out) == 0
    data = json.loads(out.getvalue())
    lap = data["unmeasured_informed"]["LAP"]
    assert lap["informed"] is False and lap["width_ratio"] >= UNINFORMED
    assert set(data["unmeasured_informed"]) == set(data["unmeasured_predictions"])
    assert data["prior"]["preset"] == "healthy" and data["prior"]["reason"]  # F15
