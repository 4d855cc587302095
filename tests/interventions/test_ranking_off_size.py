"""A goal ranking never recommends a TAVI/SAVR valve whose label size is not made for the
annulus entered with it (session-16 closing note: "a goal ranking can choose an off-size
valve", it was only flagged beside it). The off-size option is left out of the ranking, listed
after every ranked option with the reason, in the text and the JSON."""

from __future__ import annotations

import json

import pytest

from twinviewer.interventions import run_scenarios
from twinviewer.interventions.intervention import InterventionError
from twinviewer.interventions.ranking import Goal, rank

from .conftest import one_step

#: a 29 mm SAPIEN 3 is made for a 26.2–29.5 mm annulus, a 20 mm one for 18.6–21.0 mm
BIG = one_step("tavi_sapien3", "s3 29", size=29.0, annulus=20.0)
FITS = one_step("tavi_sapien3", "s3 20", size=20.0, annulus=20.0)


@pytest.fixture(scope="module")
def runs(ensemble_baseline):
    model, base = ensemble_baseline("severe_as", 12)
    return base, run_scenarios(model, base, [BIG, FITS])


def test_the_off_size_valve_would_win_on_its_tabulated_orifice(runs):
    """The premise: with nothing said of sizing, the 29 mm valve's larger EOA wins."""
    base, res = runs
    r = rank(base, res, Goal.parse("min AV_mean_gradient"))
    assert r.median_best == "s3 29" and r.ordered()[0][0] == "s3 29"


def test_an_off_size_valve_is_never_the_recommended_option(runs):
    base, res = runs
    r = rank(base, res, Goal.parse("min AV_mean_gradient"), scenarios=[BIG, FITS])
    assert r.best["s3 29"] == 0.0
    assert r.median_best == "s3 20"
    order = [name for name, _ in r.ordered()]
    assert order[0] == "s3 20" and order[-1] == "s3 29"  # after every ranked option
    assert sum(r.best.values()) + r.none_feasible == pytest.approx(1.0)
    assert r.feasible["s3 29"] > 0  # still said how often it meets the constraints
    text = r.format_text()
    line = next(s for s in text.splitlines() if s.strip().startswith("s3 29:"))
    assert "not ranked" in line and "best in" not in line
    assert "26.2–29.5 mm, not 20 mm" in text  # the reason, with the sizing range
    assert "best on medians alone: s3 20" in text
    d = json.loads(json.dumps(r.to_dict()))
    assert set(d["not_ranked"]) == {"s3 29"}
    assert "outside the maker's sizing range" in d["not_ranked"]["s3 29"]


def test_in_size_options_rank_as_before(runs):
    """Leaving the off-size option out does not change the others' shares among themselves."""
    base, res = runs
    alone = rank(base, {"s3 20": res["s3 20"]}, Goal.parse("min AV_mean_gradient"))
    both = rank(base, res, Goal.parse("min AV_mean_gradient"), scenarios=[BIG, FITS])
    for k in ("baseline", "s3 20"):
        assert both.best[k] == pytest.approx(alone.best[k])


def test_nothing_to_rank_when_every_option_is_off_size(runs):
    base, res = runs
    with pytest.raises(InterventionError, match="sized outside"):
        rank(base, {"s3 29": res["s3 29"]}, Goal.parse("min AV_mean_gradient"),
             include_baseline=False, scenarios=[BIG])


def test_the_whatif_command_says_the_off_size_valve_is_not_ranked(capsys):
    from twinviewer.interventions.cli import run_whatif

    args = ["--preset", "severe_as", "--members", "6", "-s", "tavi_sapien3:size=29,annulus=20",
            "-s", "tavi_sapien3:size=20,annulus=20", "--metrics", "AV_mean_gradient",
            "--goal", "min AV_mean_gradient"]
    assert run_whatif([*args, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)["ranking"]
    big = next(k for k in doc["options"] if "size=29" in k)
    assert doc["best"][big] == 0.0 and big in doc["not_ranked"]
    assert "size=20" in doc["median_best"]
    assert run_whatif(args) == 0
    out = capsys.readouterr().out
    ranking = out[out.index("goal: min AV_mean_gradient"):].splitlines()
    line = next(s for s in ranking if s.strip().startswith("TAVI with SAPIEN 3 by size 29"))
    assert "not ranked (a valve sized outside the annulus entered with it)" in line


def test_a_saved_twins_whatif_does_not_rank_the_off_size_valve(tmp_path, capsys):
    """The same on a saved twin (the pipeline's path, ``twinviewer whatif PATIENT.twin``)."""
    from twinviewer.cli import main
    from twinviewer.io.twinfile import save_twin
    from twinviewer.twins import twin_from_preset

    path = save_twin(tmp_path / "as.twin", twin_from_preset("severe_as", n=6, seed=1))
    assert main(["whatif", str(path), "-s", "tavi_sapien3:size=29,annulus=20", "-s",
                 "tavi_sapien3:size=20,annulus=20", "--metrics", "AV_mean_gradient",
                 "--goal", "min AV_mean_gradient", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)["ranking"]
    big = next(k for k in doc["options"] if "size=29" in k)
    assert doc["best"][big] == 0.0 and set(doc["not_ranked"]) == {big}
    assert "size=20" in doc["median_best"]
