"""A twin made with version 3.0 of the default model, before 3.1 became the default, opens
and re-runs on its own equations (tests/data/model_3.0/severe_as_model_3.0.twin was written
by session 8's code, main @ ed7b21a: ``twin_from_preset("severe_as", n=8, seed=3)`` simulated
and saved with its results)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twinviewer.io.twinfile import load_twin, parameter_table
from twinviewer.physiology import MODELS, ModelError, model_for, simulate
from twinviewer.physiology import four_chamber as fc
from twinviewer.twins import model_of, simulate_twin, twin_from_preset

OLD = Path(__file__).parents[1] / "data" / "model_3.0" / "severe_as_model_3.0.twin"


def test_a_twin_made_with_3_0_reruns_on_3_0_and_reproduces_its_saved_results():
    doc = load_twin(OLD)
    twin = doc.twin
    assert (twin.model_name, twin.model_version, twin.equation_hash) == \
        ("four_chamber_eoa", "3.0", "008ba7941785539b")
    assert MODELS["four_chamber_eoa"].version == "3.1"  # the installed default moved on
    model = model_of(twin)
    assert model is fc.MODEL_V3_0
    assert [p.name for p in parameter_table(twin)] == list(model.parameter_names)
    saved = doc.results["baseline"]
    again = simulate_twin(twin)
    assert again.ok.all()
    # volumes and pressures as saved (same equations; the mean gradient's convention
    # changed since, docs/notes/default9.md, so it is not compared)
    for name in ("LVEF", "LVSP", "SBP", "LVEDV", "CO"):
        np.testing.assert_allclose(again.metrics[name], saved[name], rtol=1e-6, atol=1e-6,
                                   err_msg=name)
    # the same members on 3.1 differ: the lock matters
    new = simulate(fc.MODEL, twin.ensemble)
    assert np.all(np.abs(new.metrics["LVSP"] - saved["LVSP"]) > 1.0)


def test_a_twin_whose_equations_are_neither_installed_nor_kept_is_refused():
    twin = load_twin(OLD).twin
    from dataclasses import replace

    changed = replace(twin, equation_hash="0123456789abcdef")
    assert model_for(changed.model_name, changed.model_version, changed.equation_hash) is None
    with pytest.raises(ModelError, match="will not be re-run with different equations"):
        model_of(changed)


def test_new_twins_use_3_1():
    twin = twin_from_preset("healthy", n=2)
    assert (twin.model_version, twin.equation_hash) == ("3.1", fc.MODEL.equation_hash)
    assert model_of(twin) is fc.MODEL


def test_validate_offers_every_valve_model_and_defaults_to_the_default():
    import argparse

    from twinviewer.explain.validate_cli import add_arguments
    from twinviewer.physiology.presets import DEFAULT_VALVES, VALVE_MODELS

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    action = next(a for a in parser._actions if a.dest == "valves")
    assert set(action.choices) == set(VALVE_MODELS) and action.default == DEFAULT_VALVES
    assert VALVE_MODELS[DEFAULT_VALVES] is fc.MODEL


def test_a_cohort_refuses_a_twin_of_an_earlier_version_naming_the_file(tmp_path):
    """The cohort runner runs the installed model: a 3.0 twin's ensemble must not be re-run
    on 3.1 silently."""
    import shutil

    from twinviewer.cohort.spec import SpecError, parse_spec
    from twinviewer.cohort.twins_folder import load_twin_population

    shutil.copy(OLD, tmp_path / "old.twin")
    spec = parse_spec({"population": {"twins": str(tmp_path)}, "members": 4,
                       "scenarios": [{"name": "tavi", "steps": ["tavi_sapien3:size=26"]}],
                       "metrics": ["CO"], "chunk": 2})
    with pytest.raises(SpecError, match=r"old.twin was made with four_chamber_eoa v3.0, not "
                                        r"the installed v3.1"):
        load_twin_population(spec)


def test_the_app_opens_a_3_0_twin_and_its_report_shows_3_0s_model_card(tmp_path):
    from twinviewer.document import Document
    from twinviewer.io.twinfile import load_twin as load
    from twinviewer.report.pdf import write_report

    doc = Document()
    said = []
    doc.subscribe("message", said.append)
    doc.open_file(OLD)
    assert doc.twin.model_version == "3.0"
    assert not [t for level, t in said if level == "warning"], said
    info = write_report(load(OLD), tmp_path / "old.pdf", simulate=False)
    text = "\n".join(info.text)
    assert "Model four_chamber_eoa, version 3.0, equation hash 008ba7941785539b" in text
    assert "does not carry this model version" not in text
    assert fc.MODEL_V3_0.title in " ".join(text.split())  # the title may wrap
