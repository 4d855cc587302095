"""Where a preset's ensemble is shown before any calibration, it is said to be the
parameter-uncertainty prior, not a population of such patients (review15b #10: the "Healthy
adult" prior's 90 % range reaches 154/109 mmHg and an mPAP of 22 mmHg, beside REFERENCE.md's
120/80 and 15–30/4–12 mmHg). The prior itself is not changed."""

from __future__ import annotations

import json

from twinviewer.cli import main
from twinviewer.core.interval_marks import prior_note

NOTE = "parameter-uncertainty prior around 'Healthy adult at rest'"


def test_simulate_with_an_ensemble_says_what_its_intervals_are(capsys):
    assert main(["simulate", "--preset", "healthy", "--ensemble", "6"]) in (0, 1)
    out = capsys.readouterr().out
    assert NOTE in out and "not the spread of a population" in out
    assert main(["simulate", "--preset", "healthy", "--ensemble", "6", "--json"]) in (0, 1)
    doc = json.loads(capsys.readouterr().out)
    assert doc["ensemble"] == prior_note("Healthy adult at rest", 6)


def test_a_single_member_has_no_prior_note(capsys):
    assert main(["simulate", "--preset", "healthy"]) == 0
    assert "parameter-uncertainty prior" not in capsys.readouterr().out


def test_whatif_on_a_preset_says_it(capsys):
    argv = ["whatif", "--preset", "healthy", "--members", "4", "-s", "inotrope:dose=5"]
    assert main(argv) in (0, 1)
    assert NOTE in capsys.readouterr().out


def test_the_app_s_table_says_it_for_a_preset_twin_only():
    from twinviewer.gui.metrics_panel import preset_prior_note
    from twinviewer.twins import twin_from_preset

    twin = twin_from_preset("healthy", n=8, seed=0)
    assert NOTE in preset_prior_note(twin)
    twin.ensemble_kind = "posterior"  # calibrated: its intervals are the posterior's
    assert preset_prior_note(twin) == ""
