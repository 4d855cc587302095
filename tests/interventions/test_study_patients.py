"""Virtual patients matched to their study's reported baseline
(interventions/study_patients.py, evidence/patients.json)."""

from __future__ import annotations

import json

import pytest

from twinviewer.interventions import evidence_table as ev
from twinviewer.interventions import study_patients as sp


@pytest.mark.parametrize("name", sp.matched_patients())
def test_each_matched_patient_reproduces_its_reported_baseline(name):
    checks = sp.check(name)
    assert checks
    missed = [(c.said, c.reported, round(c.got, 3)) for c in checks if not c.ok]
    assert not missed, missed


@pytest.mark.parametrize("name", sp.matched_patients())
def test_each_matched_patient_is_used_by_a_row_and_says_what_was_fitted(name):
    d = ev.virtual_patients()[name]
    assert d["fitted"] and set(d["fitted"]) <= set(d["overrides"])
    assert all(b.get("reported") for b in d["baseline"].values())  # what the study said
    assert "python -m twinviewer.interventions.study_patients --fit " + name in d["description"]
    assert any(r.patient == name for r in ev.load_rows())


@pytest.mark.parametrize("name", ["cusick_severe_hf", "dellitalia_q_wave_ami"])
def test_the_fit_finds_the_stored_patient_again(name):
    """dellitalia_q_wave_ami fits LV.KB, which its base patient leaves at the model default:
    the fit starts there."""
    stored = ev.virtual_patients()[name]["overrides"]
    again = sp.fit(name)
    assert set(again) == set(stored)
    for k, v in stored.items():
        assert again[k] == pytest.approx(v, rel=0.02), k


def _folder(tmp_path, patients):
    (tmp_path / ev.PATIENTS_FILE).write_text(json.dumps({"patients": patients}),
                                             encoding="utf-8")
    return tmp_path


def test_a_patient_based_on_itself_or_an_unknown_one_is_refused(tmp_path):
    folder = _folder(tmp_path, {"a": {"based_on": "a"}, "b": {"based_on": "nobody"}})
    for name in ("a", "b"):
        with pytest.raises(ev.EvidenceError, match=f"patient '{name}' is based on"):
            ev.patient_values(name, folder)


def test_a_baseline_without_a_tolerance_is_named(tmp_path):
    folder = _folder(tmp_path, {"p": {"preset": "hfref", "fitted": ["HR"],
                                      "baseline": {"CO": {"value": 3.0}}}})
    with pytest.raises(ev.EvidenceError, match="'p' baseline 'CO' needs 'value' and "
                                               "'tolerance'"):
        sp.check("p", folder)


def test_a_based_on_patient_keeps_its_base_and_adds_its_own():
    _, base = ev.patient_values("hfref_decompensated")
    _, mine = ev.patient_values("cusick_severe_hf")
    assert mine["LA.EA"] == base["LA.EA"]  # from the base patient
    assert mine["LV.EA"] != base["LV.EA"]  # fitted to the study's baseline
