"""review16b #2: on the library's HFrEF heart captopril raised CO by +12 % and milrinone by
+22 % against their sources' +25 % / +38 %, with no word of it: their evidence rows pass on
the study's own virtual patient. Beside a what-if's "checked against evidence row" line, the
result now says whether THIS heart's change lies within the row's tolerance of the source,
and a CAUTION naming the variable, the source change and this heart's (with its interval)
when it does not."""

from __future__ import annotations

import json

import numpy as np

from twinviewer.cli import main
from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.explain.evidence_flags import checked_changes

RNG = np.random.default_rng(0)
BASE = {"CO": RNG.uniform(3.0, 3.6, 40), "LAP": RNG.uniform(18.0, 26.0, 40),
        "MAP": RNG.uniform(72.0, 82.0, 40)}


def _after(co: float, lap: float, mean_ap: float) -> dict:
    return {"CO": BASE["CO"] * co, "LAP": BASE["LAP"] * lap, "MAP": BASE["MAP"] * mean_ap}


def _lines(after: dict, regulation: str = "regulated") -> list[str]:
    sc = Scenario("s", (InterventionStep("ace_inhibitor", {"dose": 25.0}),), regulation)
    return checked_changes([sc], BASE, {"s": after}).get("s", [])


def test_a_heart_responding_half_as_much_as_the_source_is_a_caution():
    (line,) = _lines(_after(1.12, 0.74, 0.75))  # review16b summ.txt: +12 %, −26 %, −25 %
    assert "checked against evidence row 'Captopril 25 mg" in line
    head, caution = line.split("CAUTION")
    assert "within the row's ±35 % of the source: PCWP −26 % (source −29 %)" in head
    # named as the ensemble's: it sits beside changes with model error (final16 #2)
    assert ("Cardiac output +12 % (90 % of the ensemble +12 % to +12 %) against the source's "
            "+25 %") in caution
    assert "Mean arterial pressure −25 %" in caution and "the source's −16 %" in caution
    assert "not this heart" in caution


def test_a_heart_within_the_rows_tolerance_says_so_without_caution():
    (line,) = _lines(_after(1.24, 0.72, 0.85))
    assert "CAUTION" not in line
    assert "on this heart within the row's ±35 % of the source: Cardiac output +24 %" in line


def test_an_acute_what_if_is_not_compared_with_a_regulated_row():
    (line,) = _lines(_after(1.12, 0.74, 0.75), "acute")
    assert "CAUTION" not in line and "not compared with it in size" in line


def test_the_whatif_command_prints_the_caution(capsys):
    args = ["whatif", "--preset", "hfref", "--members", "6", "--metrics", "CO",
            "-i", "ace_inhibitor:dose=25"]
    assert main(args) == 0
    out = capsys.readouterr().out
    said = [ln for ln in out.splitlines() if "(captopril-25)" in ln]
    assert said and "on this heart" in said[0], out
    assert main([*args, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (lines,) = doc["checked_changes"].values()
    assert any("(captopril-25)" in x and "on this heart" in x for x in lines)


def _nitroprusside(context=None) -> str:
    sc = Scenario("n", (InterventionStep("nitroprusside", {}),), "regulated")
    after = {"CO": BASE["CO"] * 1.1, "LAP": BASE["LAP"] * 0.85,
             "MAP": BASE["MAP"] - 22.3 + RNG.uniform(-3.0, 3.0, 40)}
    (line,) = checked_changes([sc], BASE, {"n": after}, context)["n"]
    return line


def test_an_ensemble_only_change_already_on_the_line_is_not_said_again():
    """last16 #6: MAP's change was given twice, at two precisions ("−22 mmHg (90 %: −26 to
    −19)" and "−22.3 mmHg (90 % of the ensemble −25.6 mmHg to −18.7 mmHg)"), the same
    interval labelled once as the ensemble's and once not."""
    line = _nitroprusside()
    head, caution = line.split("CAUTION")
    assert "Mean arterial pressure −22 mmHg (90 %: " in head
    assert caution.count("Mean arterial pressure") == 1
    assert "Mean arterial pressure −22 mmHg (its interval above) against the source's −15 mmHg" \
        in caution
    assert "−22.3" not in line


class _WithModelError:
    """A context whose MAP row carries model error: its interval on the line is wider than
    the members' own (the numbers are the test's, not a model's)."""

    def widened(self, name: str) -> bool:
        return name == "MAP"

    def paired(self, name, x0, x1, keep):
        d = np.asarray(x1)[keep] - np.asarray(x0)[keep]
        med = float(np.median(d))
        return (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), (med, med - 12.0, med + 12.0)


def test_a_change_with_model_error_on_the_line_keeps_the_ensembles_own_interval():
    line = _nitroprusside(_WithModelError())
    head, caution = line.split("CAUTION")
    assert "Mean arterial pressure −22 mmHg (90 %: −34 to −10)" in head
    # the members' own interval is another one: named as the ensemble's, in the tables' digits
    assert "Mean arterial pressure −22 mmHg (90 % of the ensemble −" in caution
    assert "against the source's −15 mmHg" in caution
