"""The coverage harness's command line and its count of refused patients (review9b #9)."""

from __future__ import annotations

import pickle

import pytest

from twinviewer.personalize import coverage
from twinviewer.personalize.calibrate import CalibrationError
from twinviewer.personalize.coverage import (
    Refused,
    _main,
    coverage_table,
    format_table,
    load_records,
    load_refused,
    run_setting,
)


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exc:
        _main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in ("run", "learn", "table"):
        assert command in out
    with pytest.raises(SystemExit):
        _main(["learn", "--help"])
    assert "--from-records" in capsys.readouterr().out


def test_no_command_still_means_run(capsys):
    with pytest.raises(SystemExit):  # run's own options, --out required
        _main(["--seed", "5"])
    assert "--out" in capsys.readouterr().err


def test_a_refused_patient_is_counted_in_the_table(monkeypatch, tmp_path):
    """The calibrator refuses the second patient: it is not scored, but the table says so."""
    real = coverage.calibrate

    def refuse_second(twin, ms, *, seed, **kw):
        if seed % 1000 == 1:
            raise CalibrationError("LVEDV 400 mL cannot be reproduced (synthetic refusal)")
        return real(twin, ms, seed=seed, **kw)

    monkeypatch.setattr(coverage, "calibrate", refuse_second)
    refused: list[Refused] = []
    records = run_setting("own", 2, seed=5, members=16, refused=refused)
    assert len(records) == 1
    assert [(r.setting, r.patient) for r in refused] == [("own", 1)]
    assert "cannot be reproduced" in refused[0].reason
    rows = coverage_table(records, refused=refused)
    assert {r.refused for r in rows} == {1} and {r.patients for r in rows} == {1}
    table = format_table(rows)
    assert "n refused" in table.splitlines()[0]
    assert "| own | 1 | 1 |" in table
    # kept with the records in a record file, told apart on loading
    path = tmp_path / "r.pkl"
    path.write_bytes(pickle.dumps([*records, *refused]))
    assert len(load_records([str(path)])) == 1 and load_refused([str(path)]) == refused


def test_the_table_command_reads_kept_records_when_run_as_a_module(tmp_path):
    """Under ``python -m`` the module is ``__main__``: the kept records (pickled from the
    importable module) and their refused patients must still be recognised."""
    import subprocess
    import sys

    import numpy as np

    from twinviewer.personalize.coverage import Record
    from twinviewer.personalize.synthetic import UNMEASURED

    rng = np.random.default_rng(1)
    recs = [Record("own", "own", {o: 10.0 for o in UNMEASURED},
                   {o: 10.0 * np.exp(rng.normal(0, 0.2, 16)) for o in UNMEASURED},
                   {o: 10.0 * np.exp(rng.normal(0, 0.4, 16)) for o in UNMEASURED}, 0, seed=23)
            for _ in range(3)]
    path = tmp_path / "own.pkl"
    path.write_bytes(pickle.dumps([*recs, Refused("own", 3, "refused: synthetic", seed=23)]))
    out = subprocess.run([sys.executable, "-m", "twinviewer.personalize.coverage", "table",
                          "--from-records", str(path)], capture_output=True, text=True,
                         check=True).stdout
    assert "| own | 3 | 1 |" in out, out
