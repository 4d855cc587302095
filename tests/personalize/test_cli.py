"""``twinviewer calibrate`` as a function: report, JSON output, bad files."""

from __future__ import annotations

import argparse
import io
import json

from twinviewer import RESEARCH_USE
from twinviewer.core.measurement import Measurement as M
from twinviewer.personalize import save_measurements
from twinviewer.personalize.cli import add_arguments, run_calibrate


def parse(argv):
    p = argparse.ArgumentParser()
    add_arguments(p)
    return p.parse_args(argv)


def test_calibrate_prints_the_fit_table(tmp_path):
    path = tmp_path / "m.json"
    save_measurements([M("SBP", 135, "mmHg", 8, "cuff"), M("DBP", 85, "mmHg", 6, "cuff"),
                       M("HR", 66, "bpm", 2, "ECG")], path)
    out = io.StringIO()
    assert run_calibrate(parse(["--measurements", str(path), "-n", "32"]), out=out) == 0
    text = out.getvalue()
    assert RESEARCH_USE in text and "SBP" in text and "set from HR" in text


def test_calibrate_json(tmp_path):
    path = tmp_path / "m.json"
    save_measurements([M("SBP", 135, "mmHg", 8, "cuff")], path)
    out = io.StringIO()
    args = parse(["--measurements", str(path), "-n", "32", "--json", "--seed", "3"])
    assert run_calibrate(args, out=out) == 0
    data = json.loads(out.getvalue())
    assert data["notice"] == RESEARCH_USE and data["n_members"] == 32
    assert data["fit"][0]["name"] == "SBP"


def test_bad_file_exits_2_with_its_name(tmp_path, capsys):
    path = tmp_path / "wrong.json"
    path.write_text('[{"name": "SBP", "value": 80, "unit": "mmHg"},'
                    ' {"name": "DBP", "value": 95, "unit": "mmHg"}]')
    assert run_calibrate(parse(["--measurements", str(path)])) == 2
    err = capsys.readouterr().err
    assert "wrong.json" in err and "SBP" in err


def test_unknown_preset_exits_2(tmp_path, capsys):
    path = tmp_path / "m.json"
    save_measurements([M("SBP", 135, "mmHg", 8)], path)
    assert run_calibrate(parse(["--measurements", str(path), "--preset", "nope"])) == 2
    assert "nope" in capsys.readouterr().err


def test_calibrate_json_maps_non_finite_numbers_to_null(tmp_path, monkeypatch):
    """A fit row without a finite prediction (median NaN) must still give valid JSON."""
    import math

    import numpy as np

    import twinviewer.personalize.cli as cli

    class Result:
        prior_results = None  # the width ratios of unmeasured predictions: unknown (NaN)

        def unmeasured_predictions(self):
            return {"LVEDP": (10.0, 5.0, math.nan, "mmHg")}

        def to_dict(self):
            return {"fit": [{"name": "SBP", "median": float("nan"), "z": np.float64(np.inf)}],
                    "point": {"HR": np.float32(70.0)}, "correlations": [("a", "b", -math.inf)],
                    "n_members": np.int64(32)}

    monkeypatch.setattr(cli, "calibrate", lambda *a, **k: Result())
    path = tmp_path / "m.json"
    save_measurements([M("SBP", 135, "mmHg", 8, "cuff")], path)
    out = io.StringIO()
    assert run_calibrate(parse(["--measurements", str(path), "--json"]), out=out) == 0
    text = out.getvalue()
    assert "NaN" not in text and "Infinity" not in text
    data = json.loads(text)
    assert data["fit"][0]["median"] is None and data["fit"][0]["z"] is None
    assert data["point"]["HR"] == 70.0 and data["correlations"] == [["a", "b", None]]
    assert data["n_members"] == 32
    assert data["unmeasured_informed"]["LVEDP"]["width_ratio"] is None
    assert data["unmeasured_informed"]["LVEDP"]["hi"] is None


def test_calibrate_chooses_the_disease_prior_and_accepts_an_override(tmp_path, capsys):
    path = tmp_path / "as.json"
    save_measurements([M("AVA", 0.7, "cm^2", 0.1, "echo"), M("SBP", 135, "mmHg", 8, "cuff")],
                      path)
    out = io.StringIO()
    assert run_calibrate(parse(["--measurements", str(path), "-n", "32", "--json"]),
                         out=out) == 0
    data = json.loads(out.getvalue())
    assert data["prior"]["preset"] == "severe_as" and not data["prior"]["overridden"]
    assert data["status"].startswith(("all ", "1 of", "2 of"))
    out = io.StringIO()
    assert run_calibrate(parse(["--measurements", str(path), "-n", "32", "--prior",
                                "healthy"]), out=out) == 0
    assert "prior: Healthy adult prior (chosen by the user)" in out.getvalue()
    assert run_calibrate(parse(["--measurements", str(path), "--prior", "nope"])) == 2
    assert "unknown prior 'nope'" in capsys.readouterr().err


def test_calibrate_reports_the_heart_size_and_heart_size_is_a_deprecated_no_op(
        tmp_path, capsys):
    path = tmp_path / "big.json"
    save_measurements([M("LVEDV", 185, "mL", 9, "CMR"), M("LVESV", 75, "mL", 6, "CMR")], path)
    out = io.StringIO()
    assert run_calibrate(parse(["--measurements", str(path), "-n", "32", "--json"]),
                         out=out) == 0
    prior = json.loads(out.getvalue())["prior"]
    assert prior["size_factor"][0] > 1.1 and prior["size_log_sd"] > 0
    out = io.StringIO()
    assert run_calibrate(parse(["--measurements", str(path), "-n", "32", "--json",
                                "--heart-size"]), out=out) == 0
    assert json.loads(out.getvalue())["prior"] == prior  # same seed, same calibration
    assert "--heart-size is deprecated and has no effect" in capsys.readouterr().err
