"""Education mode opens virtual hearts, and patients' twins only when de-identified and
marked for teaching; the mark survives the .twin file."""

from __future__ import annotations

import dataclasses

import pytest

from twinviewer.teaching.education import (
    EducationModeError,
    check_for_education,
    is_virtual,
    mark_for_teaching,
)
from twinviewer.twins import twin_from_preset


def _patient(pseudonym="TW-0123456789"):
    t = twin_from_preset("healthy", n=1, pseudonym=pseudonym)
    return dataclasses.replace(t, origin="import")


def test_virtual_hearts_open():
    t = twin_from_preset("severe_as", n=1)
    assert is_virtual(t)
    check_for_education(t)


def test_patient_twin_refused_until_marked():
    t = _patient()
    with pytest.raises(EducationModeError, match="not marked for teaching"):
        check_for_education(t)
    check_for_education(mark_for_teaching(t))


def test_only_deidentified_twins_can_be_marked():
    t = _patient("Jane Doe")
    with pytest.raises(EducationModeError, match="de-identified"):
        mark_for_teaching(t)
    sneaky = dataclasses.replace(t, teaching=True)
    with pytest.raises(EducationModeError, match="not a de-identified") as err:
        check_for_education(sneaky)
    assert "Jane" not in str(err.value)


def test_teaching_mark_round_trips_through_the_twin_file(tmp_path):
    from twinviewer.io import load_twin, save_twin

    t = mark_for_teaching(_patient())
    path = tmp_path / "t.twin"
    save_twin(path, t)
    back = load_twin(path).twin
    assert back.teaching is True
    check_for_education(back)
    save_twin(path, _patient())
    assert load_twin(path).twin.teaching is False
