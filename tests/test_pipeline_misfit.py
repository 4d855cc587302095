"""`twin create` refuses a misfit calibration and points to an option it has: `--accept-misfit`
(review8 #14: the refusal said "accept the misfit explicitly" but `twin create` had no way to)."""

from __future__ import annotations

import json

import pytest

from tests.imaging.cine_factory import write_cine_study
from twinviewer.cli import main

pytestmark = pytest.mark.slow  # imports a small cine MR study and calibrates it twice

# severe MR (RF 60 %) with a hyperdynamic EF, against the study's normal volumes: the data
# contradict each other, so the calibration cannot reproduce all of them
MR = {"schema": "twinviewer.measurements/1", "measurements": [
    {"name": "HR", "value": 72, "unit": "bpm", "uncertainty": 2, "source": "ECG"},
    {"name": "MR_fraction", "value": 60, "unit": "%", "uncertainty": 8, "source": "echo PISA"},
    {"name": "LVEF", "value": 65, "unit": "%", "uncertainty": 5, "source": "echo"}]}


def test_misfit_refusal_names_an_option_that_exists(tmp_path, capsys):
    write_cine_study(tmp_path / "cine")
    (tmp_path / "m.json").write_text(json.dumps(MR))
    args = ["twin", "create", "--dicom", str(tmp_path / "cine"), "--measurements",
            str(tmp_path / "m.json"), "--members", "24", "-o", str(tmp_path / "p.twin")]
    assert main(args) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "cannot reproduce" in err and not (tmp_path / "p.twin").exists()
    assert "run the command again with --accept-misfit" in err
    # the option named exists and keeps the twin, with the misfit flagged
    assert main([*args, "--accept-misfit"]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "p.twin").exists()
    assert "poor fit: " in out
