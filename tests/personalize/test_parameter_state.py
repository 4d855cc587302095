"""One state per parameter, following the information (issue 12 item 7).

A parameter the data reach (the calibration localised them to it) but leave as wide as its
prior (posterior/prior 90 % width ≥ ``AT_PRIOR``) is "prior (not informed by the data)" —
in the result, the provenance, the explanation's basis, the text report, the calibration
panel's chart and summary, and the audit record — never "calibrated" in one place and
"weakly informed" in another.
"""

from __future__ import annotations

import pytest

from twinviewer.core.measurement import Measurement as M
from twinviewer.core.provenance import Source
from twinviewer.explain.basis import parameter_basis
from twinviewer.personalize import calibrate, updated_twin
from twinviewer.personalize.calibrate import (
    AT_PRIOR,
    NOT_INFORMED,
    calibration_record,
    format_report,
)
from twinviewer.twins import model_of, twin_from_preset


@pytest.fixture(scope="module")
def calibrated():
    twin = twin_from_preset("healthy", n=1)
    ms = [M("HR", 70, "bpm", 2, "ECG"), M("SBP", 126, "mmHg", 8, "cuff"),
          M("DBP", 78, "mmHg", 6, "cuff"), M("LVEDV", 142, "mL", 8, "echo"),
          M("LVESV", 60, "mL", 6, "echo")]
    r = calibrate(twin, ms, n=32, seed=3, point_estimate=False)
    return twin, r


def test_state_follows_the_width_ratio(calibrated):
    _, r = calibrated
    ident = r.identifiability
    assert ident.uninformed, "this twin has no reached-but-not-narrowed parameter to test"
    for p in r.calibrated:
        assert ident.width_ratio[p] < AT_PRIOR, p
        assert r.provenance[p].source in (Source.CALIBRATED, Source.IMAGE_DERIVED), p
    for p in ident.uninformed:
        assert ident.width_ratio[p] >= AT_PRIOR, p
        assert p not in r.calibrated and p in ident.at_prior, p
        prov = r.provenance[p]
        assert prov.source is Source.PRIOR and prov.detail.startswith(NOT_INFORMED), p
    states = {p: r.provenance[p].source for p in r.parameter_names}
    assert not set(r.calibrated) & set(ident.at_prior)
    assert all(states[p] is Source.PRIOR for p in ident.at_prior)
    assert calibration_record(r)["calibrated"] == list(r.calibrated)


def test_explanation_and_report_say_the_same(calibrated):
    twin, r = calibrated
    new = updated_twin(twin, r)
    basis = {b.name: b for b in parameter_basis(new, model_of(new))}
    for p in r.identifiability.uninformed:
        assert basis[p].state == "prior", p
        assert "calibrated" not in basis[p].label, p
    for p in r.calibrated:
        assert basis[p].state in ("calibrated", "derived from images"), p
    text = format_report(r)
    block = text.split("calibrated parameters (posterior/prior 90 % width):")[1]
    listed = block.split("left at the prior")[0]
    for p in r.identifiability.uninformed:
        assert f"  {p} " not in listed, p  # not among the calibrated rows
    assert "reached by the data but not narrowed" in text


def test_calibration_panel_shows_one_state(calibrated, qtbot):
    from twinviewer.gui.calibration_panel import _state, _summary_html

    _, r = calibrated
    html = _summary_html(r)
    calibrated_line = next(x for x in html.split("<br>") if x.startswith("<b>Calibrated</b>"))
    p = r.identifiability.uninformed[0]
    assert f"{p} " not in calibrated_line and "not narrowed" in html
    assert _state(r, p) == NOT_INFORMED
    assert {_state(r, q) for q in r.calibrated} <= {"calibrated", "derived from images"}
