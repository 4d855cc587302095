import json
import re

import pytest

from twinviewer.explain import validation as val
from twinviewer.explain.modelcard import model_card
from twinviewer.physiology import MODELS


def test_regazzoni_table_reproduced():
    rep = val.run_validation(MODELS["regazzoni2022"])
    groups = rep.groups()
    assert groups["regazzoni2022"] == (19, 0, 0)
    assert groups["presets"] == (1, 0, 0)
    assert rep.n_failed == 0


def test_presets_graded_and_svzerod_cases():
    rep = val.run_validation(MODELS["four_chamber_eoa"])
    names = [c.name for c in rep.checks if c.group == "presets"]
    # Every virtual heart of the library is graded (13 four-chamber presets).
    assert len(names) == 13 and any(n.startswith("severe_as") for n in names)
    assert any(n.startswith("asd graded") for n in names)
    assert rep.groups()["svzerod import"] == (5, 0, 0)
    assert rep.n_failed == 0


def test_a_wrong_reference_is_a_failed_check(monkeypatch):
    monkeypatch.setattr(val, "REGAZZONI_TABLE", (("MAP", 90.0, 0.2, "mmHg"),))
    monkeypatch.setattr(val, "PRESET_CRITERIA", {"regazzoni2022": (("LVEF", 60, None),)})
    monkeypatch.setattr(val, "svzerod_checks", lambda: [])
    rep = val.run_validation(MODELS["regazzoni2022"])
    assert [c.name for c in rep.failures()] == ["MAP", "regazzoni2022 graded as regazzoni "
                                                       "2022 reference loop"]
    assert re.match(r"99\.\d\d vs published 90\.0 mmHg", rep.failures()[0].detail)
    text = model_card(MODELS["regazzoni2022"], rep).to_text()
    assert "2 failed" in text and "FAILED regazzoni2022: MAP" in text


def test_results_are_cached_by_equation_hash(tmp_path, monkeypatch):
    model = MODELS["regazzoni2022"]
    first = val.validation_report(model, directory=tmp_path)
    path = val.cache_path(model, tmp_path)
    assert path.is_file() and model.equation_hash in path.name and not first.from_cache
    runs = []
    monkeypatch.setattr(val, "run_validation", lambda m, p=None: runs.append(1))
    again = val.validation_report(model, directory=tmp_path)
    assert again.from_cache and runs == [] and again.n_passed == first.n_passed
    # a corrupt cache file is ignored and rewritten
    path.write_text("{not json")
    monkeypatch.undo()
    monkeypatch.setenv("TWINVIEWER_CACHE_DIR", str(tmp_path / "env"))
    rep = val.validation_report(model, directory=tmp_path)
    assert not rep.from_cache and json.loads(path.read_text())["model_name"] == model.name


def test_cache_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TWINVIEWER_CACHE_DIR", str(tmp_path))
    assert val.cache_dir() == tmp_path / "validation"


def test_missing_reference_data_is_skipped_not_passed(tmp_path, monkeypatch):
    monkeypatch.setenv("TWINVIEWER_SVZEROD_DATA", str(tmp_path / "nowhere"))
    checks = val.svzerod_checks()
    assert len(checks) == 1 and checks[0].passed is None


def test_model_card_refuses_other_equations():
    rep = val.ValidationReport("regazzoni2022", "0000", [])
    with pytest.raises(ValueError, match="equations 0000"):
        model_card(MODELS["regazzoni2022"], rep)


def test_cache_write_failure_leaves_no_temp_file(tmp_path, monkeypatch):
    """The cache is written with the project's atomic writer: a refused write costs a
    re-run next time and leaves nothing behind."""
    model = MODELS["regazzoni2022"]
    report = val.ValidationReport(model.name, model.equation_hash, [], "2026-01-01T00:00:00Z",
                                  0.0)
    monkeypatch.setattr(val, "run_validation", lambda m, p=None: report)
    path = val.cache_path(model, tmp_path)
    (path / "blocker").mkdir(parents=True)  # a directory where the cache file should go
    assert val.validation_report(model, directory=tmp_path) is report
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
