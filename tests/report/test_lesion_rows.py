"""The report and ``whatif`` leave out a lesion's rows the twin does not have, by the rule the
simulate CLI and the GUI's table use (review15b #7: "Mitral regurgitant fraction 2.0 (0.8–4.1)
%" for a twin whose MV.EROA is 0 in every member: the inertial valve's closing backflow)."""

from __future__ import annotations

import numpy as np

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions.cli import run_whatif
from twinviewer.io import load_twin
from twinviewer.io.twinfile import save_twin
from twinviewer.physiology import simulate
from twinviewer.report.pdf import hidden_rows, write_report
from twinviewer.twins import model_of, twin_from_preset


def _doc(tmp_path, preset, eroa=None):
    t = twin_from_preset(preset, n=4, seed=3)
    if eroa is not None:
        t.ensemble[:, model_of(t).parameter_names.index("MV.EROA")] = eroa
    return load_twin(save_twin(tmp_path / f"{preset}.twin", t))


def test_report_leaves_out_a_competent_valves_regurgitation(tmp_path):
    doc = _doc(tmp_path, "severe_as", eroa=0.0)
    results = simulate(model_of(doc.twin), doc.twin.ensemble)
    mr = np.asarray(results.metrics["MR_fraction"])
    closing = (np.maximum(-results.series["Q_MV"], 0.0)).sum(1)
    assert np.all(closing > 0) and np.all(mr == 0)  # closing backflow is not MR (fix16a)
    assert {"MR_fraction", "MR_volume"} <= hidden_rows(doc, results)
    info = write_report(doc, tmp_path / "as.pdf", results=results, scenario_results={})
    text = " ".join(info.text)
    assert "Mitral regurgitant" not in text, [s for s in info.text if "regurgitant" in s]
    assert "Aortic valve mean gradient" in text


def test_a_what_if_that_adds_the_lesion_keeps_its_rows(tmp_path):
    doc = _doc(tmp_path, "severe_as", eroa=0.0)
    sc = Scenario("leak", (InterventionStep("tavi_sapien3", {"size": 26.0, "pvl": 2.0}),),
                  "acute")
    hidden = hidden_rows(doc, None, {"leak": {}}, [sc])  # stored without its parameters
    assert "AR_volume" not in hidden and "MR_fraction" in hidden
    mr = _doc(tmp_path, "severe_mr")
    assert "MR_fraction" not in hidden_rows(mr, None)


def test_whatif_default_table_leaves_out_mr_when_no_member_has_it(capsys):
    args = ["--preset", "severe_as", "--members", "3", "-i", "beta_blocker:dose=10"]
    assert run_whatif(args) == 0
    out = capsys.readouterr().out
    assert "Mitral regurgitant" not in out and "Aortic valve mean gradient" in out
    assert run_whatif([*args, "--metrics", "MR_fraction,CO"]) == 0  # asked for: shown
    assert "Mitral regurgitant fraction" in capsys.readouterr().out
