"""``twinviewer cohort run|report`` from the command line, and Dask staying out of the app."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from tests.cohort.conftest import write_spec
from twinviewer.cli import main

SPEC = """\
population: {preset: severe_as, n: 6, seed: 7}
members: 3
chunk: 2
scenarios:
  - name: tavi
    steps: ["tavi_sapien3:size=26"]
metrics: [AV_mean_gradient, LVEDP, CO]
"""


def test_run_and_report(tmp_path, capsys):
    spec = write_spec(tmp_path / "study.yaml", SPEC)
    out = tmp_path / "results.parquet"
    assert main(["cohort", "run", str(spec), "-o", str(out), "--in-process", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["rows"] == 6 and doc["patients"] == 6 and doc["chunks_reused"] == 0
    assert "not for clinical decisions" in doc["notice"]
    table = pd.read_parquet(out)
    assert list(table["scenario"].unique()) == ["tavi"] and len(table) == 6
    side = json.loads((tmp_path / "results.responders.json").read_text())
    assert side["associations"] and {"rho", "lo", "hi"} <= set(side["associations"][0])
    # text mode reuses every chunk of the same spec
    assert main(["cohort", "run", str(spec), "-o", str(out), "--in-process"]) == 0
    text = capsys.readouterr().out
    assert "3 reused" in text and "improves in a median" in text and "ρ =" in text
    assert main(["cohort", "report", str(out), "-o", str(tmp_path / "plots.pdf")]) == 0
    assert (tmp_path / "plots.pdf").read_bytes()[:5] == b"%PDF-"
    assert main(["cohort", "report", str(out), "-o", str(tmp_path / "p.png"), "--json"]) == 0
    files = json.loads(capsys.readouterr().out.splitlines()[-1])["files"]
    assert len(files) == 2 and all(open(f, "rb").read(4) == b"\x89PNG" for f in files)


def test_bad_input_exits_2_with_a_named_message(tmp_path, capsys):
    spec = write_spec(tmp_path / "s.yaml", SPEC.replace("CO]", "COO]"))
    assert main(["cohort", "run", str(spec), "-o", str(tmp_path / "r.parquet")]) == 2
    err = capsys.readouterr().err
    assert "s.yaml" in err and "unknown metric 'COO'" in err
    good = write_spec(tmp_path / "g.yaml", SPEC)
    assert main(["cohort", "run", str(good), "-o", str(tmp_path / "r.txt")]) == 2
    assert "must be a .parquet file" in capsys.readouterr().err
    assert main(["cohort", "run", str(good), "-o", str(tmp_path / "r.parquet"),
                 "--workers", "0"]) == 2
    assert "--workers 0" in capsys.readouterr().err
    assert main(["cohort", "report", str(tmp_path / "none.parquet"), "-o",
                 str(tmp_path / "p.pdf")]) == 2
    assert "none.parquet: file not found" in capsys.readouterr().err
    assert main(["cohort"]) == 2
    assert "choose 'run" in capsys.readouterr().err


def test_scheduler_that_does_not_answer_is_named(tmp_path, capsys):
    good = write_spec(tmp_path / "g.yaml", SPEC)
    code = main(["cohort", "run", str(good), "-o", str(tmp_path / "r.parquet"),
                 "--scheduler", "tcp://127.0.0.1:1", "--connect-timeout", "2", "--json"])
    assert code == 2
    assert "--scheduler tcp://127.0.0.1:1: cannot connect" in capsys.readouterr().err


def test_the_app_never_imports_dask():
    code = ("import sys, twinviewer.cli as c; c.build_parser(None); "
            "import twinviewer.gui.main_window, twinviewer.cohort.cli, twinviewer.explain.cli; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120, env={**__import__("os").environ, "QT_QPA_PLATFORM":
                                         "offscreen"})
    assert r.returncode == 0, r.stdout + r.stderr
