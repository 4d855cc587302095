"""A twin of model 3.0 is validated on 3.0's equations, not on the default 3.1 that shares its
name (review9b #2: its PDF model card showed 3.1's evidence count under 3.0's hash)."""

from __future__ import annotations

from twinviewer.explain import validation
from twinviewer.interventions import evidence_table
from twinviewer.physiology import four_chamber


def test_the_evidence_rows_run_on_the_twins_own_version(monkeypatch):
    seen = []

    def run_row(row, regulation=None):
        preset, _ = evidence_table.patient_values(row.patient)
        seen.append(preset.model.equation_hash)
        return evidence_table.RowResult(row, "pass")

    monkeypatch.setattr(evidence_table, "run_row", run_row)
    monkeypatch.setattr(validation, "row_check", lambda res: res.status)
    old, new = four_chamber.MODEL_V3_0, four_chamber.MODEL
    assert old.name == new.name and old.equation_hash != new.equation_hash
    n_old = len(validation.evidence_checks(old))
    assert n_old > 20 and set(seen) == {old.equation_hash}
    seen.clear()
    assert len(validation.evidence_checks(new)) == n_old and set(seen) == {new.equation_hash}
