"""The default what-ifs of every drug stay plausible (interventions/plausibility.py): the
check the refit runs before it keeps a fit."""

from __future__ import annotations

from twinviewer.interventions import drugs
from twinviewer.interventions.library import LIBRARY
from twinviewer.interventions.plausibility import DRUGS, problems


def test_every_drug_is_in_the_library():
    assert set(DRUGS) <= set(LIBRARY)


def test_the_shipped_magnitudes_give_plausible_default_what_ifs():
    assert problems() == []


def test_an_implausible_magnitude_is_named(monkeypatch):
    # 1000 mL (the shipped 390): at 700 mL the normotensive hfref heart (fix15d; MAP 95, was
    # 79) fails the unloading checks (MAP −32 mmHg, CO +0.02) but stays inside the range
    monkeypatch.setattr(drugs, "NTP_VOLUME_ML", 1000.0)
    found = problems(["nitroprusside"], ["hfref"])
    assert found and all(p.startswith("nitroprusside (default setting) on hfref") for p in found)
    assert any("outside the validated range" in p for p in found)
