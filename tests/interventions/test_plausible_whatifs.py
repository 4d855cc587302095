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
    monkeypatch.setattr(drugs, "NTP_VOLUME_ML", 700.0)
    found = problems(["nitroprusside"], ["hfref"])
    assert found and all(p.startswith("nitroprusside (default setting) on hfref") for p in found)
    assert any("outside the validated range" in p for p in found)
