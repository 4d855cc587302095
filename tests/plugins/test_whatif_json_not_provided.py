"""fix16i left: ``whatif --json`` on a plug-in model had no list of the default metrics the
model does not provide, while the text output says "Not provided by this model (n): …".
Both JSON paths (a preset and a saved twin) now carry ``"not_provided"``, the same list in
the same order as the text; a built-in model's is ``[]`` (the key is always there)."""

from __future__ import annotations

import json

import pytest

from twinviewer.interventions.cli import run_whatif

ARGV = ["-i", "vasodilator", "--regulation", "acute", "--json"]


def _text_list(out: str) -> list[str]:
    line = next(x for x in out.splitlines() if x.startswith("Not provided by this model"))
    return line.split(": ", 1)[1].split(", ")


def _rows(doc: dict) -> list[str]:
    return [row["metric"] for row in doc["table"]["metrics"]]


def test_a_builtin_model_provides_every_metric(capsys):
    assert run_whatif(["--preset", "severe_as", "--members", "1", *ARGV]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["not_provided"] == []
    assert "LVEDP" in _rows(doc)


def test_a_plugin_preset_names_what_its_model_does_not_provide(plugin_registry, capsys):
    pytest.importorskip("tv_single_ventricle")
    plugin_registry()
    argv = ["--preset", "teaching_single_ventricle", "--members", "8", *ARGV]
    assert run_whatif(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert run_whatif(argv[:-1]) == 0  # the text output of the same run
    assert doc["not_provided"] == _text_list(capsys.readouterr().out)
    assert len(doc["not_provided"]) == 6 and "LVEDP" in doc["not_provided"]
    assert not set(doc["not_provided"]) & set(_rows(doc))


def test_a_plugin_twin_file_names_what_its_model_does_not_provide(plugin_registry, capsys,
                                                                  tmp_path):
    pytest.importorskip("tv_single_ventricle")
    from twinviewer.cli import main
    from twinviewer.io.twinfile import save_twin
    from twinviewer.twins import twin_from_preset

    plugin_registry()
    path = tmp_path / "sv.twin"
    save_twin(path, twin_from_preset("teaching_single_ventricle", n=8, seed=1))
    assert main(["whatif", str(path), *ARGV]) == 0, capsys.readouterr().err
    doc = json.loads(capsys.readouterr().out)
    assert main(["whatif", str(path), *ARGV[:-1]]) == 0
    assert doc["not_provided"] == _text_list(capsys.readouterr().out)
    assert len(doc["not_provided"]) == 6 and "LVEDP" in doc["not_provided"]
    assert not set(doc["not_provided"]) & set(_rows(doc))
