"""A re-done visit (a correction of the current visit, the default since session 17) keeps what
the visit held besides the fit — provenance items (FHIR resource, consent), context values
(weight) and wearable series — in the GUI's path and the command line's (last17 #1: all three
were dropped)."""

from __future__ import annotations

import pytest

from twinviewer.core.measurement import Measurement as M
from twinviewer.io.twinfile import load_twin, save_twin
from twinviewer.personalize.revisit import calibrate_visit, visited_twin
from twinviewer.personalize.timeline import add_visit
from twinviewer.twins import twin_from_preset

ITEMS = [{"name": "SBP", "resource": "Observation/abc", "consent": "research"}]


def _two_visits():
    t = add_visit(twin_from_preset("healthy", n=1), [M("SBP", 128, "mmHg", 6)], day=0,
                  n=32).twin
    return add_visit(t, [M("SBP", 140, "mmHg", 6)], day=30, n=32, items=ITEMS,
                     context=[M("weight", 80, "kg", 1)], series={"hr": [60, 61, 62]}).twin


def _kept(v) -> None:
    assert v.day == 30
    assert v.items == ITEMS
    assert [(m.name, m.value) for m in v.context] == [("weight", 80)]
    assert v.series == {"hr": [60, 61, 62]}


@pytest.mark.slow
def test_the_gui_path_keeps_the_visits_records():
    t = _two_visits()
    new = visited_twin(t, calibrate_visit(t, None, day=30, n=32))
    assert [v.day for v in new.visits] == [0, 30]
    _kept(new.visits[-1])


@pytest.mark.slow
def test_the_command_line_path_keeps_the_visits_records(tmp_path):
    from twinviewer.pipeline import calibrate_file

    path = save_twin(tmp_path / "t.twin", _two_visits())
    calibrate_file(path, None, n=32, day=30, accept_misfit=True)
    t = load_twin(path).twin
    assert [v.day for v in t.visits] == [0, 30]
    _kept(t.visits[-1])
