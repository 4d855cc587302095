"""``twinviewer whatif`` (run_whatif): text and JSON output, exit codes on bad input."""

from __future__ import annotations

import json

import pytest

from twinviewer import RESEARCH_USE
from twinviewer.interventions.cli import run_whatif


def test_json_output_holds_the_table_and_the_ranking(capsys):
    code = run_whatif(["--preset", "severe_as", "--members", "8", "-i", "tavi:eoa=1.8",
                       "-s", "tavi_sapien3:size=23+beta_blocker:dose=5",
                       "--metrics", "AV_mean_gradient,CO", "--goal", "min LVSP", "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["notice"] == RESEARCH_USE
    reg = ""  # the mode is data beside the name, and in the shown name (review9 #5)
    assert [s["name"] for s in doc["scenarios"]] == [
        f"tavi(eoa=1.8){reg}", f"tavi_sapien3(size=23) + beta_blocker(dose=5){reg}"]
    assert all(s["shown"].endswith("[baroreflex regulated]") for s in doc["scenarios"])
    assert doc["regulation"] == "regulated"
    assert all(s["regulation"] == "regulated" for s in doc["scenarios"])
    mg = doc["table"]["metrics"][0]
    assert mg["metric"] == "AV_mean_gradient"
    assert mg["baseline"]["median"] > 30
    assert mg["scenarios"][f"tavi(eoa=1.8){reg}"]["scenario"]["median"] < 20
    assert doc["ranking"]["goal"] == "min LVSP"


def test_text_output_and_list(capsys):
    assert run_whatif(["--preset", "hfref", "--members", "4", "-i", "lvad:speed=6 krpm",
                       "--metrics", "CO"]) == 0
    out = capsys.readouterr().out
    # the auto-name in words, with its response mode (review8 #6, #10)
    assert RESEARCH_USE in out and "Left ventricular assist device 6000 rpm [baroreflex " \
        "regulated]" in out and "lvad(speed=6000)" not in out
    assert run_whatif(["--list"]) == 0
    assert "mitral_teer" in capsys.readouterr().out


@pytest.mark.parametrize("argv, pattern", [
    (["-i", "tavi:eoa=5"], "'eoa' = 5 cm^2 is above"),
    (["-i", "lvad:speed=12000"], "'speed' = 12000 rpm is above"),
    ([], "no intervention given"),
    (["--preset", "nobody", "-i", "tavi"], "unknown preset 'nobody'"),
    (["-i", "tavi", "--metrics", "CO,XYZ"], "unknown metric 'XYZ'"),
    (["-i", "tavi", "--goal", "best CO"], "start with 'min METRIC'"),
    (["-i", "tavi", "--members", "0"], "need at least 1 member"),
    (["-i", "tavi", "--level", "1.5"], "must be between 0 and 1"),
])
def test_bad_input_exits_2_with_a_message(argv, pattern, capsys):
    assert run_whatif(["--members", "2", *argv]) == 2
    err = capsys.readouterr().err
    assert pattern in err and err.startswith("twinviewer whatif: error:")
