"""`twin create --preset`: the help says the prior is chosen from the measurements, and a
preset that is not a disease prior is refused with a message naming it (review F15)."""

from __future__ import annotations

import pytest

from twinviewer.cli import main
from twinviewer.personalize.disease import DISEASE_PRIORS


def test_help_says_the_prior_is_chosen_from_the_measurements(capsys):
    with pytest.raises(SystemExit):
        main(["twin", "create", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default healthy)" not in text
    assert "default: chosen from the measurements, healthy if none points to a disease" in text
    for name in DISEASE_PRIORS:  # the help names every prior the command accepts
        assert name in text


def test_a_preset_that_is_no_disease_prior_is_refused(tmp_path, capsys):
    (tmp_path / "study").mkdir()
    code = main(["twin", "create", "--dicom", str(tmp_path / "study"), "--preset", "hfpef",
                 "-o", str(tmp_path / "p.twin")])
    assert code == 2
    err = capsys.readouterr().err
    assert "--preset hfpef: the prior of an imported twin is one of healthy" in err
    assert "leave --preset out to choose it from the measurements" in err
    assert not (tmp_path / "p.twin").exists()


def test_stale_scenario_results_are_named():
    """`calibrate` says which stored scenario results it recomputed or removed (F20)."""
    from pathlib import Path

    from twinviewer.pipeline import _scenario_lines

    assert _scenario_lines(Path("p.twin"), {}, {}) == []
    rerun = {"tavi": object(), "savr": object()}
    assert _scenario_lines(Path("p.twin"), rerun, {}) == [
        "2 scenario results computed on the previous calibration were recomputed on the new "
        "posterior: savr, tavi"]
    (line,) = _scenario_lines(Path("p.twin"), {}, {"tavi": "ModelError: no periodic state"})
    assert line.startswith("1 scenario result computed on the previous calibration could not "
                           "be recomputed and was removed (the scenarios are kept): tavi "
                           "(ModelError: no periodic state)")
    assert line.endswith("run `twinviewer whatif p.twin -i …` to recompute them")
