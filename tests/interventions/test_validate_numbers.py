"""``validate`` for a script and for a reader (review9 #14): numbers as numbers in ``--json``,
a change-only source read as a change, every got with a unit, interpolations said."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

import pytest

from twinviewer.cli import main


@pytest.fixture(scope="module")
def rows():
    """nitroprusside (MAP given as a change only), dobutamine-5 (interpolated between the
    study's steps), metoprolol-12mg (dP/dtmax, a quantity only the evidence table derives)."""
    args = ["validate", "--no-reference", "--allow-failures", "--row", "nitroprusside",
            "--row", "dobutamine-5", "--row", "metoprolol-12mg"]
    text, js = io.StringIO(), io.StringIO()
    with redirect_stdout(text):
        assert main(args) == 0
    with redirect_stdout(js):
        assert main([*args, "--json"]) == 0
    return text.getvalue(), {r["id"]: r for r in json.loads(js.getvalue())["evidence"]}


def _var(row: dict, name: str) -> dict:
    return next(v for v in row["variables"] if v["reported_as"] == name)


def test_json_gives_expected_and_got_as_numbers_with_units(rows):
    _, by_id = rows
    ci = _var(by_id["dobutamine-5"], "CI")
    assert ci["change_kind"] == "relative" and ci["unit"] == "L/min/m²"
    assert ci["expected_values"] == pytest.approx({"before": 2.54, "after": 3.21,
                                                   "change": 3.21 / 2.54 - 1})
    got = ci["got_values"]
    assert ci["got_unit"] == "L/min" and got["after"] > got["before"] > 0
    assert got["change"] == pytest.approx(got["after"] / got["before"] - 1)
    assert by_id["dobutamine-5"]["interpolated"].startswith("linearly between the study's 4 "
                                                            "and 8 µg/kg/min steps")
    assert by_id["nitroprusside"]["interpolated"] is None


def test_a_change_only_source_reads_as_a_change(rows):
    text, by_id = rows
    m = _var(by_id["nitroprusside"], "MAP")
    assert m["expected"] == "change −15 mmHg"  # never "0 → -15 mmHg", a MAP of 0
    assert m["expected_values"] == {"before": None, "after": None, "change": -15.0}
    assert m["got_values"]["change"] == pytest.approx(
        m["got_values"]["after"] - m["got_values"]["before"])
    assert "MAP: expected change −15 mmHg; got " in text and "0 → -15" not in text


def test_every_got_has_a_unit_and_interpolation_is_said(rows):
    text, by_id = rows
    dp = _var(by_id["metoprolol-12mg"], "dP/dtmax")
    assert dp["got"].split("(")[0].rstrip().endswith("mmHg/s") and dp["got_unit"] == "mmHg/s"
    block = text[text.index("dobutamine-5:"):text.index("nitroprusside:")]
    assert "expectations interpolated linearly between the study's 4 and 8 µg/kg/min" in block
