import json

from twinviewer.cli import main


def test_simulate_prints_metrics_with_units(capsys):
    assert main(["simulate", "--preset", "healthy"]) == 0
    out = capsys.readouterr().out
    assert "Mean arterial pressure (MAP)" in out and "mmHg" in out and "L/min" in out
    assert "Research use — not for clinical decisions" in out


def test_simulate_json_ensemble_has_intervals(capsys):
    assert main(["simulate", "--ensemble", "16", "--seed", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    row = next(r for r in data["metrics"] if r["metric"] == "LVEF")
    assert row["unit"] == "%" and row["p05"] < row["median"] < row["p95"]
    assert data["members"] == 16


def test_unknown_parameter_and_bad_unit_are_clear(capsys):
    assert main(["simulate", "--param", "LV.EAA=3"]) == 2
    assert "did you mean LV.EA" in capsys.readouterr().err
    assert main(["simulate", "--param", "LV.EA=3 mmHg"]) == 2
    assert "expected a value in mmHg/mL" in capsys.readouterr().err


def test_override_changes_result(capsys):
    assert main(["simulate", "--param", "HR=90 bpm", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    hr = next(r for r in data["metrics"] if r["metric"] == "HR")
    assert hr["median"] == 90.0


def test_json_output_is_strict_json(capsys):
    # strict JSON: no NaN tokens (a value no member could give is written as null)
    assert main(["simulate", "--preset", "regazzoni2022", "--json"]) == 0
    text = capsys.readouterr().out
    assert "NaN" not in text
    json.loads(text)


def test_python_dash_m_runs_the_cli() -> None:
    """``python -m twinviewer --version`` is the ``twinviewer`` command (a new user's first try)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "twinviewer", "--version"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "twinviewer" in (out.stdout + out.stderr).lower()
