"""``twinviewer lessons list|check``."""

from __future__ import annotations

from twinviewer.cli import main


def test_list(capsys):
    assert main(["lessons", "list"]) == 0
    out = capsys.readouterr().out
    assert "PV loop basics" in out and "questions" in out


def test_check_one_and_a_wrong_key(tmp_path, capsys):
    assert main(["lessons", "check", "01_pv_loop_basics"]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: B\nsteps:\n  - load_heart: healthy\n  - set: {control: preload, "
                   "percent: 120}\n  - question: {prompt: x, kind: direction, metric: LVEDV, "
                   "answer: decreases}\n")
    assert main(["lessons", "check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "WRONG" in out and "line 5" in out and "'increases'" in out


def test_check_malformed_and_unknown(tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text("title: B\nsteps: [\n")
    assert main(["lessons", "check", "--all", "--folder", str(tmp_path)]) == 1
    assert "broken.yaml, line" in capsys.readouterr().out
    assert main(["lessons", "check", "nope"]) == 2
    assert main(["lessons", "check"]) == 2


def test_unknown_metric_is_named_with_its_line(tmp_path, capsys):
    """A question on a metric the simulation does not report: file, line and the metric."""
    bad = tmp_path / "b4.yaml"
    bad.write_text("title: B\nsteps:\n  - load_heart: healthy\n  - set: {control: preload, "
                   "percent: 120}\n  - question: {prompt: x, kind: direction, "
                   "metric: LA_pressure, answer: increases}\n")
    assert main(["lessons", "check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "b4.yaml, line 5" in out and "unknown metric 'LA_pressure'" in out
