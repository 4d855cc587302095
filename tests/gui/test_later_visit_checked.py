"""newuser17b G5: a later visit made in the GUI (Calibrate, visit day 30) stored no
pre-visit prediction, so no prediction check ran, while `twinviewer visit add` with the same
data did; the Timeline then said "0 prediction-check flag(s)" (a check not run read as
passed) and its Quantity box was empty. Both paths now record the check through one function
(`timeline.record_check`); the Timeline says when no check could run."""

from __future__ import annotations

from dataclasses import replace

import pytest

from twinviewer.core.measurement import Measurement as M
from twinviewer.gui.calibration_job import calibrated_with_results
from twinviewer.personalize import calibrate, updated_twin
from twinviewer.personalize.disease import AUTO
from twinviewer.personalize.timeline import prediction_check
from twinviewer.twins import twin_from_preset

N = 32
FOLLOW_UP = [M("SBP", 130, "mmHg", 10, "cuff, follow-up"),
             M("DBP", 85, "mmHg", 7, "cuff, follow-up")]


def _quiet(f, t=""):
    return None


@pytest.fixture(scope="module")
def day0():
    twin = twin_from_preset("healthy", n=1)
    twin.measurements.extend([
        M("LVEDV", 150, "mL", 8, "MR"), M("HR", 70, "bpm", 3, "ECG"),
        M("SBP", 150, "mmHg", 10, "cuff, clinic"), M("DBP", 95, "mmHg", 7, "cuff, clinic")])
    return updated_twin(twin, calibrate(twin, None, n=N, seed=0), day=0)


@pytest.fixture(scope="module")
def day30(day0):
    twin = replace(day0, measurements=[m for m in day0.measurements
                                       if m.name not in ("SBP", "DBP")] + FOLLOW_UP)
    return calibrated_with_results(twin, n=N, seed=0, prior=AUTO, day=30,
                                   progress=_quiet, cancel=lambda: False)


def test_a_later_gui_visit_is_checked_against_the_prediction_made_before_it(day30):
    result, _, new = day30
    day30_prior = replace(new, visits=new.visits[:1], ensemble=new.visits[0].ensemble)
    assert [v.day for v in new.visits] == [0, 30]
    v = new.visits[-1]
    flags = {f["name"]: f for f in v.flags}  # before: [] (no check)
    assert {"SBP", "DBP"} <= set(flags)
    assert flags["SBP"]["measured"] == pytest.approx(130)
    # the check `visit add` makes: the new data against the day-0 posterior with drift
    assert result.from_previous
    assert v.flags == [f.to_dict() for f in prediction_check(day30_prior, result)]
    assert "SBP" in v.predicted and "LVEF" in v.predicted  # before: {} (Quantity box empty)


def test_the_first_visit_made_in_the_gui_keeps_its_predictions_without_a_check(day0):
    twin = replace(day0, measurements=[m for m in day0.measurements
                                       if m.name not in ("SBP", "DBP")] + FOLLOW_UP)
    _, _, new = calibrated_with_results(twin, n=N, seed=0, prior=AUTO,
                                        progress=_quiet, cancel=lambda: False)
    assert [v.day for v in new.visits] == [0]
    assert new.visits[0].flags == []  # a re-done first visit has nothing to check against
    assert "SBP" in new.visits[0].predicted


def test_the_timeline_says_no_check_ran_on_a_single_visit_and_offers_a_quantity(qtbot, day0):
    from twinviewer.gui.state import TwinState
    from twinviewer.gui.timeline_panel import TimelinePanel

    state = TwinState()
    state.session.set_twin(day0)  # made by `updated_twin` alone: no predictions kept
    p = TimelinePanel(state)
    qtbot.addWidget(p)
    text = p.summary.text()
    assert "No prediction check (single visit)" in text and "0 prediction" not in text
    assert p.quantity.count() > 0 and p.quantity.currentText() == "LVEDV"  # before: 0 items
    assert "Nothing to plot" not in p.metric_plot.getPlotItem().titleLabel.text
    state.close()


def test_the_timeline_counts_flags_where_the_check_ran(qtbot, day30):
    from twinviewer.gui.state import TwinState
    from twinviewer.gui.timeline_panel import TimelinePanel

    state = TwinState()
    state.session.set_twin(day30[2])
    p = TimelinePanel(state)
    qtbot.addWidget(p)
    assert "Prediction check at 1 later visit(s)" in p.summary.text()
    assert p.flags.rowCount() >= 2  # before: 0 rows
    state.close()
