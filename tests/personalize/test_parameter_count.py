"""One count of the parameters by state, in the same words in the PDF, the Calibrate step and
the command line (review9b #4: the PDF said "34 calibrated" where the command line said 8
calibrated and 26 moved through the heart size)."""

from __future__ import annotations

import dataclasses
import re

import pytest

from twinviewer.core.measurement import Measurement
from twinviewer.io import audit_log, load_twin, save_twin
from twinviewer.personalize.calibrate import (
    calibrate,
    calibration_record,
    format_report,
    updated_twin,
)
from twinviewer.personalize.parameter_count import MOVED_WITH_SIZE, counts_text
from twinviewer.twins import twin_from_preset

MEASURED = (("LVEDV", 160.0, "mL", 8.0), ("LVESV", 70.0, "mL", 6.0),
            ("SBP", 118.0, "mmHg", 6.0), ("DBP", 76.0, "mmHg", 5.0))


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    """A healthy twin calibrated to volumes and cuff pressures, saved and reopened."""
    twin = twin_from_preset("healthy", n=32, seed=3, pseudonym="virtual-count")
    twin = dataclasses.replace(twin, measurements=[Measurement(n, v, u, sd, "echo")
                                                   for n, v, u, sd in MEASURED])
    result = calibrate(twin, None, n=32, seed=0)
    new = updated_twin(twin, result, day=0, accept_misfit=True, label="test")
    audit_log(new).record(new, "calibration", calibration_record(result, command="test"))
    path = save_twin(tmp_path_factory.mktemp("count") / "c.twin", new)
    return result, load_twin(path)


def _numbers(sentence: str) -> dict[str, int]:
    return {m.group(2): int(m.group(1)) for m in re.finditer(r"(\d+) ([a-z /]+?)(?: \(|,|$)",
                                                              sentence)}


def test_the_count_separates_calibrated_from_moved(calibrated):
    result, doc = calibrated
    sentence = counts_text(doc.twin.provenance, [p.name for p in doc.parameters])
    n = _numbers(sentence)
    assert n["calibrated"] == len(result.calibrated), sentence
    assert n.get(MOVED_WITH_SIZE, 0) + n.get("moved with correlated parameters", 0) \
        == len(result.moved_only()), sentence
    # review16 #8: reached and moved by the data, not narrowed: its own count
    assert n.get("moved by the data but not narrowed", 0) == \
        len(result.identifiability.leaned), sentence
    assert sum(n.values()) == len(doc.parameters)
    assert result.moved_only(), "the case of review9b #4: parameters moved by the size"


def test_pdf_cli_and_calibrate_step_say_the_same(calibrated, tmp_path, qtbot):
    from twinviewer.gui.calibration_panel import CalibrationPanel, _summary_html
    from twinviewer.gui.state import TwinState
    from twinviewer.report.pdf import write_report

    result, doc = calibrated
    sentence = counts_text(doc.twin.provenance, [p.name for p in doc.parameters])
    assert sentence == counts_text(result.provenance, result.parameter_names)
    cli = format_report(result)
    assert f"parameters: {sentence}" in cli
    info = write_report(doc, tmp_path / "c.pdf")
    pdf = " ".join(" ".join(info.text).split())
    assert f"Evidence behind the parameters: {sentence}." in pdf
    assert f"Parameters: {sentence}." in pdf  # the first page's calibration row
    # no other count ("34 calibrated"); a table's "0.62–0.91 calibrated" is a state
    assert not re.search(r"(?<![\d.–])\b\d+ calibrated\b", pdf.replace(sentence, "")), \
        "another count of calibrated parameters on the report"
    assert "moved with the heart size" in pdf.replace(sentence, "")  # the table's state
    assert f"Parameters</b>: {sentence}." in _summary_html(result)
    state = TwinState()
    try:  # a reopened twin: the step shows the saved calibration with the same count
        panel = CalibrationPanel(state)
        qtbot.addWidget(panel)
        state.session.set_twin(doc.twin)
        panel.show_stored(state.session.calibration)
        assert f"Parameters</b>: {sentence}." in panel.summary.text()
    finally:
        state.close()


def test_info_prints_the_same_count(calibrated, tmp_path, capsys):
    """review11 #8: the PDF's count could not be checked against the command line for a
    saved twin; `twinviewer info` now prints the one sentence (text and JSON)."""
    import json

    from twinviewer.cli import main

    _, doc = calibrated
    sentence = counts_text(doc.twin.provenance, [p.name for p in doc.parameters])
    path = save_twin(tmp_path / "i.twin", doc.twin)
    assert main(["info", str(path)]) == 0
    assert f"parameters by state: {sentence}" in capsys.readouterr().out
    assert main(["info", str(path), "--json"]) == 0
    states = json.loads(capsys.readouterr().out)["parameter_states"]
    assert states["text"] == sentence
    assert sum(states["counts"].values()) == len(doc.parameters)


def test_a_parameter_missing_from_the_provenance_counts_as_prior_everywhere():
    """The reopened Calibrate step counted the provenance's keys, the PDF the model's
    parameters: a twin whose provenance lacks one gave two different totals."""
    from twinviewer.core.provenance import Provenance, Source
    from twinviewer.personalize.parameter_count import twin_counts

    twin = twin_from_preset("healthy", n=2)
    prov = dict(twin.provenance)
    del prov["HR"]
    prov["LV.EA"] = Provenance(Source.CALIBRATED, "posterior 90 % width 40 % of prior")
    twin = dataclasses.replace(twin, provenance=prov)
    counts, sentence = twin_counts(twin)
    assert counts == {"calibrated": 1, "prior / assumed": len(twin.provenance)}
    assert sentence == f"1 calibrated, {len(twin.provenance)} prior / assumed"


@pytest.mark.parametrize("change", [{"model_name": "no-such-model"},
                                    {"equation_hash": "0" * 16}])
def test_info_on_a_twin_whose_model_cannot_be_loaded_still_counts(tmp_path, capsys, change):
    """review11b #2: `twinviewer info` (and the reopened Calibrate step) crashed with an
    internal error (exit 4) on a twin whose model is not installed or whose equations
    changed; the count falls back to the file's own parameter table and provenance."""
    from twinviewer.cli import main
    from twinviewer.core.provenance import Provenance, Source
    from twinviewer.io.twinfile import parameter_table
    from twinviewer.personalize.parameter_count import twin_counts

    twin = twin_from_preset("healthy", n=2)
    table = parameter_table(twin)  # as a file written by the version that had the model
    prov = dict(twin.provenance)
    prov["LV.EA"] = Provenance(Source.CALIBRATED, "posterior 90 % width 40 % of prior")
    twin = dataclasses.replace(twin, provenance=prov, **change)
    counts, sentence = twin_counts(twin)
    assert counts == {"calibrated": 1, "prior / assumed": twin.params.size - 1}
    assert sentence.startswith(f"1 calibrated, {twin.params.size - 1} prior / assumed")
    assert "model" in sentence  # says why it was counted from the file
    path = save_twin(tmp_path / "m.twin", twin, parameters=table)
    assert main(["info", str(path)]) == 0
    assert "parameters by state: 1 calibrated" in capsys.readouterr().out
