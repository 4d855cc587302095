"""The cohort spec: the issue's minimal YAML works as written; bad specs are named."""

from __future__ import annotations

import pytest

from tests.cohort.conftest import write_spec
from twinviewer.cohort.spec import DEFAULT_VARY, SpecError, load_spec, parse_spec

MINIMAL = """\
population: {preset: severe_as, n: 40, seed: 7}
members: 20
scenarios:
  - name: tavi
    steps: ["tavi_sapien3:size=26"]
metrics: [AV_mean_gradient, LVEDP, CO]
"""


def test_minimal_spec_from_the_issue_parses_as_written(tmp_path):
    spec = load_spec(write_spec(tmp_path / "s.yaml", MINIMAL))
    assert (spec.preset, spec.n, spec.seed, spec.members) == ("severe_as", 40, 7, 20)
    assert [s.name for s in spec.scenarios] == ["tavi"]
    assert spec.scenarios[0].steps[0].settings["size"] == 26.0
    assert spec.metrics == ("AV_mean_gradient", "LVEDP", "CO")
    assert tuple(spec.vary) == DEFAULT_VARY


def test_digest_changes_with_the_spec(tmp_path):
    a = load_spec(write_spec(tmp_path / "a.yaml", MINIMAL))
    b = load_spec(write_spec(tmp_path / "b.yaml", MINIMAL.replace("seed: 7", "seed: 8")))
    assert a.digest() != b.digest()
    assert a.digest() == load_spec(tmp_path / "a.yaml").digest()


def test_rich_spec_with_distributions_and_correlations():
    spec = parse_spec({
        "population": {"preset": "severe_as", "n": 10, "seed": 1,
                       "vary": {"AV.EOA": {"dist": "lognormal", "median": 0.7, "sd_log": 0.2},
                                "HR": {"dist": "normal", "mean": 70, "sd": 8},
                                "LV.EB": {"dist": "uniform", "low": 0.08, "high": 0.14}},
                       "correlations": [["AV.EOA", "LV.EB", -0.4]]},
        "scenarios": [{"name": "tavi", "steps": ["tavi_sapien3:size=26"]}],
        "metrics": ["CO"], "member_spread": 0.5, "level": 0.8, "chunk": 3})
    assert spec.vary["HR"].dist == "normal" and spec.correlations[0][2] == -0.4
    assert (spec.member_spread, spec.level, spec.chunk) == (0.5, 0.8, 3)


@pytest.mark.parametrize(("text", "expected"), [
    (MINIMAL.replace("CO]", "CARDIAC_OUTPUT]"), "unknown metric 'CARDIAC_OUTPUT'"),
    (MINIMAL.replace("tavi_sapien3:size=26", "tavi_sapien3:size=99"), "scenarios[0].steps"),
    (MINIMAL.replace("tavi_sapien3", "teleport"), "scenarios[0].steps"),
    (MINIMAL.replace("severe_as", "sever_as"), "population.preset"),
    (MINIMAL.replace("n: 40", "n: -3"), "population.n"),
    (MINIMAL.replace("members: 20", "members: 2.5"), "spec.members"),
    (MINIMAL + "colour: red\n", "unknown field(s) colour"),
    (MINIMAL.replace("name: tavi", "name: baseline"), "reserved"),
    ("population: [1, 2\n", "not valid YAML at line"),
    ("- 1\n- 2\n", "spec: must be a mapping"),
    (MINIMAL.replace("{preset: severe_as, n: 40, seed: 7}", "{twins: no_such_folder}"),
     "the folder given does not exist"),
])
def test_bad_specs_are_named(tmp_path, text, expected):
    with pytest.raises(SpecError) as err:
        load_spec(write_spec(tmp_path / "bad.yaml", text))
    assert "bad.yaml" in str(err.value) and expected in str(err.value)


def test_bad_correlations_are_named():
    base = {"scenarios": [{"name": "t", "steps": ["tavi_sapien3:size=26"]}], "metrics": ["CO"]}
    with pytest.raises(SpecError, match="must be between -1 and 1"):
        parse_spec({**base, "population": {"preset": "severe_as", "n": 3, "vary": ["HR", "LV.EA"],
                                           "correlations": [["HR", "LV.EA", 1.5]]}})
    with pytest.raises(SpecError, match="two different parameters of population.vary"):
        parse_spec({**base, "population": {"preset": "severe_as", "n": 3, "vary": ["HR"],
                                           "correlations": [["HR", "LV.EB", 0.2]]}})


def test_missing_spec_file(tmp_path):
    with pytest.raises(SpecError, match="nothere.yaml: spec file not found"):
        load_spec(tmp_path / "nothere.yaml")
