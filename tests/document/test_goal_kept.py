"""review12b #7: the goal (and its constraints) the user ranks the what-ifs by is a user
action: kept in the document, saved in the .twin, back on reopen, audited, and the report
prints the ranking with its cautions. A file without a goal opens (and saves) as before."""

from __future__ import annotations

import json
import zipfile

import pytest

from tests.document.test_reopen import BETA, _saved_with_results
from twinviewer.document import Document
from twinviewer.interventions import InterventionError


def _tree(path) -> dict:
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.endswith("twin.json"))
        return json.loads(z.read(name))


def test_the_goal_is_saved_audited_and_back_on_reopen(tmp_path):
    path, _run = _saved_with_results(tmp_path)
    doc, seen = Document(), []
    doc.open_file(path)
    assert doc.goal == ""
    doc.subscribe("goal", seen.append)
    n = len(doc.twin.audit)
    assert doc.set_goal("max CO;  MAP>=65") == "max CO; MAP >= 65"
    assert seen == ["max CO; MAP >= 65"] and doc.dirty
    assert len(doc.twin.audit) == n + 1
    assert doc.twin.audit[-1].details == {"goal": "max CO; MAP >= 65"}
    doc.set_goal("max CO; MAP >= 65")  # the same again records nothing
    assert len(doc.twin.audit) == n + 1
    with pytest.raises(InterventionError, match="METRIC>=VALUE"):
        doc.set_goal("max CO; MAP>>65")
    doc.save(tmp_path / "goal.twin")
    again = Document()
    again.open_file(tmp_path / "goal.twin")
    assert again.goal == "max CO; MAP >= 65"
    assert any(e.details.get("goal") == "max CO; MAP >= 65" for e in again.twin.audit)


def test_a_file_without_a_goal_opens_unchanged(tmp_path):
    path, _run = _saved_with_results(tmp_path)
    assert "\"goal\"" not in json.dumps(_tree(path))
    doc = Document()
    doc.open_file(path)
    assert doc.goal == "" and [s.name for s in doc.scenarios] == [BETA.name]
    doc.save(tmp_path / "same.twin")
    assert "\"goal\"" not in json.dumps(_tree(tmp_path / "same.twin"))


def test_the_report_ranks_by_the_kept_goal_with_display_names(tmp_path):
    from twinviewer.io import load_twin
    from twinviewer.report.pdf import ranking_lines

    path, run = _saved_with_results(tmp_path)
    doc = Document()
    doc.open_file(path)
    doc.set_goal("max CO")
    doc.save(tmp_path / "g.twin")
    file = load_twin(tmp_path / "g.twin")
    assert file.twin.goal == "max CO"
    res = {k: v for k, v in file.results.items() if k != "baseline"}
    lines = ranking_lines(file.twin.goal, file.results["baseline"], res, file.twin.scenarios)
    text = "\n".join(lines)
    assert text.startswith("goal: max CO") and "best in" in text
    assert "[baroreflex regulated]" in text or "[acute, unregulated]" in text
    assert "beta_blocker(" not in text
    # a goal the results cannot rank says so instead of failing the report
    bad = ranking_lines("max CO; NOPE>=1", file.results["baseline"], res, file.twin.scenarios)
    assert len(bad) == 1 and "cannot rank" in bad[0] and "NOPE" in bad[0]


def test_setting_the_goal_keeps_the_open_twin_so_jobs_in_flight_still_land():
    """final12 #1: Rank replaced the open twin by a copy, so a calibration or a what-if
    running at that moment finished for "a twin that is no longer open" and was dropped."""
    from twinviewer.twins import twin_from_preset

    doc = Document()
    twin = twin_from_preset("healthy", n=2)
    doc.open_twin(twin)
    doc.set_goal("max CO")
    assert doc.twin is twin and twin.goal == "max CO" and doc.dirty
