"""The regulated/acute choice is shown next to every what-if result (issue 12 item 2,
review8 #6): the preset table, ``--json``, the goal ranking and the audit entries (which the
report prints)."""

from __future__ import annotations

import json

from twinviewer.cli import main
from twinviewer.io.audit_text import human_details

ARGS = ["whatif", "--preset", "severe_as", "--members", "4", "--metrics", "CO",
        "-i", "tavi_sapien3:size=26,pvl=3", "-s", "tavi_sapien3:size=26,pvl=3@acute",
        "--goal", "min LVEDP"]


def test_every_row_and_ranking_line_says_its_mode(capsys):
    assert main(ARGS) == 0
    out = capsys.readouterr().out
    rows = [ln for ln in out.splitlines()  # the ranking's cautions are indented too (fix12b)
            if ln.startswith("    ") and not ln.strip().startswith("! caution")]
    assert len(rows) == 2
    assert any(ln.strip().endswith("[acute, unregulated]:") or
               "[acute, unregulated]: " in ln for ln in rows)
    assert all("[acute, unregulated]: " in ln or "[baroreflex regulated]: " in ln
               for ln in rows)
    goal = out[out.index("goal: "):].splitlines()[1:]
    options = [ln for ln in goal if "best in" in ln and not ln.strip().startswith("baseline")]
    assert len(options) == 2
    assert all("[acute, unregulated]" in ln or "[baroreflex regulated]" in ln for ln in options)
    # auto-names in words, not code names (review8 #10)
    assert "tavi_sapien3(" not in out and "TAVI with SAPIEN 3 by size 26 mm" in out


def test_json_gives_every_scenario_its_regulation(capsys):
    assert main([*ARGS, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [s["regulation"] for s in doc["scenarios"]] == ["regulated", "acute"]
    assert doc["scenarios"][1]["shown"].endswith("[acute, unregulated]")


def test_audit_entries_say_the_mode():
    """An acute run is stored without a "regulation" key (files of acute scenarios stay as
    they were): the entry must still say 'acute'."""
    run = {"name": "tavi_sapien3(size=23,pvl=1)", "members": 200, "command": "whatif",
           "steps": [{"name": "tavi_sapien3", "settings": {"size": 23.0, "pvl": 1.0}}]}
    assert human_details(run).startswith("ran tavi_sapien3(size=23,pvl=1) [acute, unregulated]")
    reg = {**run, "regulation": "regulated"}
    assert "[baroreflex regulated]" in human_details(reg)
    assert "regulation" not in human_details(reg).replace("regulated", "")


def test_differences_carry_no_spurious_digits(capsys):
    """review8 #10: 'Δ +0.0041 (-0.027 to +0.016)'. A difference and its interval are written
    to one number of decimals, set by the interval's width (core/format's one formatter)."""
    import re

    # (MR_fraction gave a Δ here only through the closing volume of a competent mitral
    # valve, now not counted as regurgitation: fix16a; MAP takes its place)
    assert main([*ARGS[:-2], "--metrics", "CO,MV_mean_gradient,MAP,LVEF"]) == 0
    deltas = re.findall(r"Δ (\S+) \((\S+) to (\S+)\)", capsys.readouterr().out)
    assert len(deltas) == 8
    import math

    for triple in deltas:
        lo, hi = float(triple[1]), float(triple[2])
        finest = max(0, -math.floor(math.log10((hi - lo) / 10))) if hi > lo else 2
        for x in triple:  # rounded to a tenth of the interval's width, no finer
            assert (len(x.split(".")[1]) if "." in x else 0) <= finest, triple
