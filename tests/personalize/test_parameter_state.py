"""One state per parameter, following the information (issue 12 item 7).

A parameter the data reach (the calibration localised them to it) but leave as wide as its
prior (posterior/prior 90 % width ≥ ``AT_PRIOR``) is "left at the prior (not informed by these
data)" if its median stayed put, and "moved by the data but not narrowed" if it moved
(review16 #8; review13 #8: "calibrated" means narrowed, so neither is among the calibrated) —
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
    MOVED_NOT_NARROWED,
    NOT_INFORMED,
    _states,
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
    # seed 5 (model 3.1): one parameter reached but not narrowed (LA.TR) and one not narrowed
    # that moved (PUL.C_VEN); on 3.0 seed 4 gave AV.EOA and V_total
    r = calibrate(twin, ms, n=32, seed=5, point_estimate=False)
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


def test_a_posterior_that_moved_without_narrowing_is_not_said_to_be_at_the_prior(calibrated):
    """Review13 #8 (replacing review9 #8's rule): LV unstressed volume, moved but 1.37× as
    wide as its prior, was listed "calibrated". Review16 #8: the same parameter, shifted and
    1.57× wide, was then "left at the prior (not informed by these data)". A parameter the
    data reached and moved without narrowing it is "moved by the data but not narrowed"
    (provenance calibrated, its detail says so; not among the narrowed calibrated ones).
    One no datum reached keeps the rule: at the prior, its provenance saying how it moved.
    Widths compare with the prior the update started from (the robust prior's)."""
    import numpy as np

    from twinviewer.personalize.parameter_count import parameter_state

    twin, r = calibrated
    ident = r.identifiability
    for p in ident.moved:
        prov = r.provenance[p]
        if ident.width_ratio[p] >= AT_PRIOR:
            assert p not in r.calibrated, p
            if p in ident.leaned:
                assert p not in ident.at_prior and p not in ident.uninformed, p
                assert prov.source is Source.CALIBRATED, p
                assert prov.detail.startswith(MOVED_NOT_NARROWED), p
                assert parameter_state(prov) == MOVED_NOT_NARROWED, p
            else:
                assert p in ident.at_prior, p
                assert prov.source is Source.PRIOR and prov.detail.startswith(NOT_INFORMED), p
            assert "moved" in prov.detail or "median" in prov.detail, p
        else:
            assert prov.source is Source.CALIBRATED and p not in ident.at_prior, p
    for p in r.calibrated:
        assert ident.width_ratio[p] < AT_PRIOR, p
    # no parameter is called calibrated with a posterior wider than its prior
    assert all(ident.width_ratio[p] < 1.0 for p in r.calibrated)
    assert np.isfinite(list(ident.width_ratio.values())).all()


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


def test_the_interval_plot_comes_back_from_the_saved_summary(calibrated, qtbot):
    """Review 7 #3: a reopened twin's Calibrate step drew an empty parameter plot. The
    summary kept in the audit trail now holds the intervals the plot draws, and the panel
    labels them in words (review 7 #4: no 'SYS.R_AR', 'LV.EA' in the step)."""
    import json

    import numpy as np

    from twinviewer.gui.calibration_panel import CalibrationPanel
    from twinviewer.gui.state import TwinState
    from twinviewer.twins import parameter_label

    twin, r = calibrated
    rows = r.parameter_intervals()
    names = [x["name"] for x in rows]
    assert set(r.calibrated) <= set(names) and set(r.identifiability.uninformed) <= set(names)
    j = r.parameter_names.index(names[0])
    ref = np.median(r.prior_ensemble[:, j])
    assert rows[0]["posterior"][1] == pytest.approx(np.median(r.ensemble[:, j]) / ref)
    assert rows[0]["prior"][0] < rows[0]["prior"][1]
    summary = json.loads(json.dumps(r.to_dict()))  # as the audit trail keeps it
    assert summary["parameter_intervals"] == rows
    state = TwinState()
    state.session.open_twin(twin)
    panel = CalibrationPanel(state)
    qtbot.addWidget(panel)
    panel.show_stored(summary)
    import pyqtgraph as pg

    # each parameter's label is written above its bars (review 8 #4), the first at the top
    labels = sorted((i for i in panel.plot.getPlotItem().items if isinstance(i, pg.TextItem)),
                    key=lambda t: -t.pos().y())
    assert len(labels) == len(rows)
    assert labels[0].toPlainText().startswith(parameter_label(twin, names[0]))
    text = panel.summary.text()
    assert "Calibrate again to see the parameter interval plot" not in text
    assert not any(f"{p} " in text for p in ("SYS.R_AR", "LV.EA", "V_total") if
                   parameter_label(twin, p) != p)


def test_the_reviewers_unstressed_volume_is_moved_not_at_the_prior():
    """review16 #8's numbers: LV unstressed volume reached by the data, its median moved to
    the prior's upper end, 1.57× as wide; arterial compliances 1.12 and 1.10, not moved."""
    ratio = {"LV.V0": 1.57, "SYS.C_AR": 1.12, "PUL.C_AR": 1.10, "LV.EA": 0.57, "RA.V0": 1.0}
    moved = {"LV.V0": "median ×1.6 of the prior's, outside the prior's central 50 %"}
    at_prior, uninformed, leaned = _states(ratio, moved, ["LV.V0", "SYS.C_AR", "PUL.C_AR",
                                                          "LV.EA"], set())
    assert leaned == ("LV.V0",)
    assert uninformed == ("SYS.C_AR", "PUL.C_AR")
    assert "LV.V0" not in at_prior and set(at_prior) == {"SYS.C_AR", "PUL.C_AR", "RA.V0"}


def test_the_panel_says_moved_not_narrowed(calibrated, qtbot):
    from dataclasses import replace

    from twinviewer.gui.calibration_panel import _state, _summary_html

    _, r = calibrated
    ident = r.identifiability
    p = ident.uninformed[0]
    leaned = replace(r, identifiability=replace(
        ident, uninformed=tuple(q for q in ident.uninformed if q != p),
        at_prior=tuple(q for q in ident.at_prior if q != p), leaned=(p,),
        moved={**ident.moved, p: "median ×1.6 of the prior's"}))
    assert _state(leaned, p) == MOVED_NOT_NARROWED
    html = _summary_html(leaned)
    line = next(x for x in html.split("<br>") if x.startswith("<b>Moved by the data"))
    assert p in line and "the fit leans on these" in line
    left = next(x for x in html.split("<br>") if x.startswith("<b>Left at the prior"))
    assert p not in left
    assert any(row["name"] == p and row["state"] == MOVED_NOT_NARROWED
               for row in leaned.parameter_intervals())
