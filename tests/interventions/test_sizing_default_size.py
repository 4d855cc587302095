"""final16 #8: a valve step giving only the annulus was never warned, its label size (the
setting's default: SAPIEN 3 26 mm, Evolut R 29 mm, Perimount 23 mm) being read as 0."""

from __future__ import annotations

import pytest

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions.indication import sizing_notes


@pytest.mark.parametrize("name, size", [("tavi_sapien3", 26), ("tavi_evolut_r", 29),
                                        ("savr_perimount", 23)])
def test_an_oversized_default_valve_is_warned(name, size):
    given = sizing_notes(Scenario("t", (InterventionStep(name, {"annulus": 18.0}),)))
    explicit = sizing_notes(Scenario("t", (InterventionStep(
        name, {"size": float(size), "annulus": 18.0}),)))
    assert given == explicit and len(given) == 1
    assert f"by size {size} mm, annulus diameter 18 mm" in given[0]
    assert "oversized" in given[0]


def test_a_default_valve_made_for_the_annulus_and_no_annulus_are_not_warned():
    assert sizing_notes(Scenario("t", (InterventionStep("tavi_sapien3",
                                                        {"annulus": 25.0}),))) == []
    assert sizing_notes(Scenario("t", (InterventionStep("tavi_sapien3", {}),))) == []
