"""Defects from the new-user review: out-of-range what-ifs flagged, --regulation, the
minimal meaningful difference (−0.0 is not a win), PCWP accepted as LAP."""

from __future__ import annotations

import json

import numpy as np
import pytest

from twinviewer.interventions.cli import run_whatif
from twinviewer.interventions.compare import (
    improvement,
    min_difference,
    out_of_range,
    resolve_metric,
)
from twinviewer.interventions.ranking import Goal


def test_hfref_drugs_acute_are_flagged_outside_the_validated_range(capsys):
    rc = run_whatif(["--preset", "hfref", "--members", "1", "-i", "milrinone",
                     "--metrics", "CO,MAP", "--json", "--regulation", "acute"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    flags = doc["table"]["flags"]["milrinone"]
    assert flags["do_not_trust"] is True and "MAP" in flags["outside_validated_range"]
    assert doc["regulation"] == "acute"
    assert doc["scenarios"][0].get("regulation", "acute") == "acute"


def test_text_output_says_do_not_trust_and_the_regulation(capsys):
    assert run_whatif(["--preset", "hfref", "--members", "1", "-i", "nitroprusside:dose=5",
                       "--metrics", "MAP", "--regulation", "acute"]) == 0
    out = capsys.readouterr().out
    assert "regulation acute" in out and "not the mode the evidence table validates" in out
    assert "outside the validated range" in out and "do not trust" in out


def test_hfref_drugs_by_default_are_regulated_and_plausible(capsys):
    """Milrinone, nitroprusside and captopril on the hfref preset raise CO and lower MAP by
    about the reported amounts (CI +38 %; CO 3.0 → 5.2, MAP −15; CO 3.24 → 4.05, MAP
    90 → 76), and no result leaves the validated range (before the fix: MAP 35–48 mmHg and
    CO falling)."""
    assert run_whatif(["--preset", "hfref", "--members", "1", "-i", "milrinone",
                       "-s", "nitroprusside", "-s", "ace_inhibitor", "--metrics", "CO,MAP",
                       "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["regulation"] == "regulated"
    co, map_ = doc["table"]["metrics"]
    for name, cell in co["scenarios"].items():
        assert cell["difference"]["median"] > 0.1, name  # CO rises
        dmap = map_["scenarios"][name]["difference"]["median"]
        assert -30 < dmap < -5, (name, dmap)
        assert doc["table"]["flags"][name]["do_not_trust"] is False, name


def test_a_plausible_what_if_is_not_flagged(capsys):
    assert run_whatif(["--preset", "severe_as", "--members", "1", "-i", "tavi:eoa=1.8",
                       "--metrics", "CO", "--json"]) == 0
    flags = json.loads(capsys.readouterr().out)["table"]["flags"]
    assert not any(f["do_not_trust"] for f in flags.values())


def test_out_of_range_uses_the_median():
    class R:
        ok = np.ones(3, bool)
        metrics = {"MAP": np.array([40.0, 45.0, 90.0]), "CO": np.array([4.0, 4.0, 4.0])}

    assert out_of_range(R()) == {"MAP": 45.0}


def test_unknown_regulation_is_rejected():
    with pytest.raises(SystemExit):
        run_whatif(["--preset", "hfref", "-i", "milrinone", "--regulation", "chronic"])


@pytest.mark.parametrize("d", [-0.0, -0.05, 0.05, -0.32, 0.9])
def test_tiny_changes_are_no_change(d):
    assert improvement("LVEDP", np.array([d, d])) == (0.0, 0.0)


def test_min_difference_documented_for_every_unit():
    assert min_difference("LVEDP") == 1.0 and min_difference("MAP") == 1.0
    assert min_difference("CO") == 0.1 and min_difference("LVEF") == 1.0
    assert min_difference("HR") == 1.0


def test_ranking_unchanged_metric_is_a_tie():
    from twinviewer.interventions.ranking import rank

    class R:
        def __init__(self, x):
            self.ok = np.ones(x.size, bool)
            self.metrics = {"MAP": x}
            self.model = None

    rng = np.random.default_rng(0)
    base = 80 + rng.normal(0, 5, 100)
    r = rank(R(base), {"tavi": R(base - 0.05)}, Goal.parse("min MAP"))
    assert r.best["tavi"] == pytest.approx(0.5) and r.best["baseline"] == pytest.approx(0.5)


def test_pcwp_is_accepted_as_lap(capsys):
    assert resolve_metric("PCWP") == "LAP"
    assert Goal.parse("min PCWP; CO>=2").metric == "LAP"
    assert run_whatif(["--preset", "hfref", "--members", "1", "-i", "milrinone",
                       "--metrics", "PCWP,LAP", "--goal", "min PCWP"]) == 0
    out = capsys.readouterr().out
    assert "Mean left atrial pressure (mmHg)  baseline" in out and "goal: min LAP" in out
    assert "LAP [mmHg]" not in out  # metrics in words with units, as the GUI heads them


def test_unknown_metric_still_a_clear_error(capsys):
    assert run_whatif(["--preset", "hfref", "-i", "milrinone", "--metrics", "PCWX"]) == 2
    err = capsys.readouterr().err
    assert "unknown metric 'PCWX'" in err and "PCWP" in err
