"""Every row of a calibrated twin's prediction tables says which interval it shows (review15b
#5): † with the learned model error (LVEDP, LAP, PASP, SW not measured), ‡ the ensemble's
alone (mPAP, CVP, RV volumes, and the measured outputs), in the app's metrics table, the
report, ``whatif`` and the ``calibrate`` text, with a legend that names both kinds."""

from __future__ import annotations

import io

import pytest

from tests.gui.conftest import reopened_metrics_panel
from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.personalize.shown import (
    ENSEMBLE_ONLY,
    MARK,
    MARK_ENSEMBLE,
    MARK_LEGEND,
    WITH_MODEL_ERROR,
)

WIDENED = ("LVEDP", "PASP")
BARE = ("mPAP", "CVP", "RVEDV", "SBP")  # SBP was measured


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    from twinviewer.io.twinfile import save_twin
    from twinviewer.personalize.calibrate import calibrate, updated_twin
    from twinviewer.personalize.measurements import load_measurements
    from twinviewer.twins import twin_from_preset

    ms = load_measurements("assets/examples/severe_as_measurements.json")
    twin = twin_from_preset("severe_as", n=24, seed=0)
    result = calibrate(twin, ms, n=24, seed=0)
    path = tmp_path_factory.mktemp("marks") / "m.twin"
    save_twin(path, updated_twin(twin, result, accept_misfit=True),
              results={"baseline": result.results})
    return result, path


def test_the_legend_names_both_kinds():
    assert MARK in MARK_LEGEND and WITH_MODEL_ERROR in MARK_LEGEND
    assert MARK_ENSEMBLE in MARK_LEGEND and ENSEMBLE_ONLY in MARK_LEGEND


def test_every_row_is_marked(calibrated, qtbot, tmp_path):
    from twinviewer.personalize.cli import print_result
    from twinviewer.physiology import METRIC_BY_NAME
    from twinviewer.pipeline import whatif_file
    from twinviewer.report.pdf import write_report

    result, path = calibrated
    doc, panel = reopened_metrics_panel(qtbot, path)
    for k in WIDENED:
        assert MARK in panel.text_of(k)[0], k
    for k in BARE:
        assert MARK_ENSEMBLE in panel.text_of(k)[0] and MARK not in panel.text_of(k)[0], k
    assert MARK_LEGEND in panel.sources.text()

    text = [t.replace("−", "-") for t in write_report(doc, tmp_path / "r.pdf").text]
    for k in WIDENED:
        assert f"{METRIC_BY_NAME[k].label} {MARK}" in text, k
    for k in BARE:
        assert f"{METRIC_BY_NAME[k].label} {MARK_ENSEMBLE}" in text, k
        assert METRIC_BY_NAME[k].label not in text, k  # no row without its mark
    joined = " ".join(" ".join(text).split())  # paragraphs are wrapped into lines
    assert f"{MARK_ENSEMBLE} {ENSEMBLE_ONLY}, without model error" in joined
    assert f"{MARK} {WITH_MODEL_ERROR}" in joined

    _, table, _, _ = whatif_file(path, [Scenario("beta", (InterventionStep(
        "beta_blocker", {"dose": 5.0}),))], [*WIDENED, *BARE])
    lines = table.format_text().splitlines()
    for k in (*WIDENED, *BARE):
        mark = MARK if k in WIDENED else MARK_ENSEMBLE
        assert any(line.startswith(f"{METRIC_BY_NAME[k].title} {mark}  baseline")
                   for line in lines), (k, lines)

    out = io.StringIO()
    print_result(result, False, out)
    note = next(line for line in out.getvalue().splitlines() if line.startswith("intervals:"))
    assert ENSEMBLE_ONLY in note and WITH_MODEL_ERROR in note
    assert "mPAP" in note and "CVP" in note and "LVEDP" not in note
