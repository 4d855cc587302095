"""Shared fixtures of the cohort tests: a tiny spec and its in-process reference table."""

from __future__ import annotations

from pathlib import Path

import pytest

from twinviewer.cohort.spec import parse_spec

#: The issue's minimal spec, scaled down (patients, members) so the gate stays fast.
TINY = {
    "population": {"preset": "severe_as", "n": 6, "seed": 7},
    "members": 4,
    "chunk": 2,
    "scenarios": [{"name": "tavi", "steps": ["tavi_sapien3:size=26"]},
                  {"name": "savr", "steps": ["savr_perimount:size=23"]}],
    "metrics": ["AV_mean_gradient", "LVEDP", "CO"],
}


@pytest.fixture
def tiny_spec():
    return parse_spec(TINY)


@pytest.fixture(scope="session")
def reference_table(tmp_path_factory):
    """The tiny cohort run in-process (no Dask): the reference every Dask path must equal."""
    from twinviewer.cohort.runner import run_cohort

    out = Path(tmp_path_factory.mktemp("ref")) / "ref.parquet"
    return run_cohort(parse_spec(TINY), out, in_process=True).table


def write_spec(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
