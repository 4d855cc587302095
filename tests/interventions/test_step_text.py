"""A step's shown text never fails: an intervention that is not installed, or whose plug-in
was disabled during the session, is shown as the file holds it (the live preview of a
disabled plug-in raised in the Qt event loop before, found at the session-12 merge)."""

from twinviewer.core.twin import InterventionStep
from twinviewer.interventions.scenario import scenario_title, step_text


def test_an_unknown_intervention_is_shown_as_the_file_holds_it():
    step = InterventionStep("no_such_drug", {"dose": 5.0})
    assert step_text(step) == "no_such_drug dose 5"
    assert scenario_title([InterventionStep("beta_blocker", {"dose": 10.0}), step]) == \
        "Beta-blocker 10 mg + no_such_drug dose 5"
