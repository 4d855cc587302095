"""g17a: a what-if never prints an impossible number as a result, nor credits a twin it
distrusts (newuser17b G1, G2).

G1: under an LVAD at 9000 rpm the model's LV volume goes below 0 in suction; the table
printed LVEF "78 (46–414) %" and LVESV "12 (−24–21) mL" as results. A member whose LV volume
reaches 0 or below is left out of the LV-volume metrics' values and Δ, counted and said.
G2: nitroprusside "improves LVEDP in 100 %" beside MAP 45 mmHg "do not trust": a member whose
result is outside the validated range is not credited as improved (§, the rule says so).
"""

from __future__ import annotations

import numpy as np

from twinviewer.cli import main
from twinviewer.interventions.compare import (
    HARM_MARK,
    compare,
    harm_rule,
    scenario_table,
)
from twinviewer.physiology import Results, get_preset
from twinviewer.physiology.integrator import PERIODIC

N = 20


def _run(**metrics: list[float] | np.ndarray) -> Results:
    """A run of N periodic members of the healthy preset's model with these metric arrays
    (no series: the comparison reads metrics only)."""
    model = get_preset("healthy").model
    return Results(model, np.tile(model.vector(), (N, 1)), np.zeros(1), {},
                   {k: np.asarray(v, float) for k, v in metrics.items()},
                   np.zeros((N, 1)), np.full(N, PERIODIC), np.ones(N))


def _lvad_like() -> tuple[Results, Results]:
    """Baseline EDV 150 / ESV 60 mL (EF 60 %); under the 'pump' a quarter of the twins have
    their LV volume drawn below 0 (ESV −24 mL, EDV 10 mL: EF 340 %)."""
    edv, esv = np.full(N, 150.0), np.full(N, 60.0)
    base = _run(LVEDV=edv, LVESV=esv, LVSV=edv - esv, LVEF=100 * (edv - esv) / edv,
                MAP=np.full(N, 90.0), LAP=np.full(N, 10.0))
    e1, s1 = np.linspace(60.0, 80.0, N), np.linspace(20.0, 30.0, N)
    e1[: N // 4], s1[: N // 4] = 10.0, -24.0
    scen = _run(LVEDV=e1, LVESV=s1, LVSV=e1 - s1, LVEF=100 * (e1 - s1) / e1,
                MAP=np.full(N, 95.0), LAP=np.full(N, 5.0))
    return base, scen


def test_an_lv_volume_below_zero_is_left_out_of_the_volume_metrics_and_said():
    """Failed before: LVEF's interval reached 340 %, LVESV's −24 mL (no `not_physical`)."""
    base, scen = _lvad_like()
    ef = compare(base, scen, "LVEF")
    assert ef.not_physical == N // 4
    assert ef.scenario.hi <= 100.0 and ef.scenario.lo > 0.0
    assert ef.n_paired == N - N // 4  # the values and Δ cover the other twins
    esv = compare(base, scen, "LVESV")
    assert esv.scenario.lo > 0.0
    assert compare(base, scen, "MAP").not_physical == 0  # not a volume metric
    text = scenario_table(base, {"pump": scen}, ["LVEF", "LVESV"]).format_text()
    rows = [s for s in text.splitlines() if s.strip().startswith("pump")]
    assert len(rows) == 2 and all(f"left out: {N // 4} twins not physical" in r for r in rows), rows
    assert "340" not in text and "-24" not in text, text
    # their change is never credited as an improvement either
    assert ef.improved <= 1 - (N // 4) / N


def test_a_volume_metric_with_no_physical_twin_says_so_instead_of_a_number():
    base, scen = _lvad_like()
    scen.metrics["LVESV"] = np.full(N, -5.0)
    text = scenario_table(base, {"pump": scen}, ["LVESV"]).format_text()
    row = next(s for s in text.splitlines() if s.strip().startswith("pump"))
    assert f"not physical in {N} twins (LV volume ≤ 0)" in row and "Δ –" in row, row
    assert "nan" not in row


def test_a_twin_outside_the_validated_range_is_not_credited_as_improved():
    """Failed before: LAP 'improves in 100 %' while every twin's MAP is 45 mmHg (outside
    the validated range, 'do not trust')."""
    base = _run(MAP=np.full(N, 90.0), LAP=np.full(N, 12.0))
    low = np.full(N, 45.0)
    low[: N // 2] = 80.0  # half the twins stay inside the range
    scen = _run(MAP=low, LAP=np.full(N, 6.0))
    c = compare(base, scen, "LAP")
    assert c.improved == 0.5 and c.harm_uncounted == 0.5
    out = scenario_table(base, {"np": scen}, ["LAP"]).format_text().splitlines()
    row = next(s for s in out if s.strip().startswith("np"))
    assert row.endswith(f"improves in 50 % {HARM_MARK}"), row
    rule = [s for s in out if s.startswith(HARM_MARK)]
    assert len(rule) == 1 and "validated range" in rule[0] and "LAP in 50 %" in rule[0]


def test_the_rule_under_the_table_names_the_validated_range():
    assert "outside the model's validated range" in harm_rule()


def test_the_whatif_cli_prints_no_lvef_above_100_under_an_lvad_at_9000_rpm(capsys):
    """The user's command on a real ensemble (hfref, 10 members: 2 with LV volume < 0)."""
    assert main(["whatif", "--preset", "hfref", "--members", "10", "-s", "lvad:speed=9000",
                 "--metrics", "LVEF,LVESV", "--regulation", "acute"]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = [s for s in out if s.strip().startswith("Left ventricular assist device")
            and "Δ" in s]
    assert len(rows) == 2, out
    for row in rows:
        value = row.split("→ ")[-1].split(";")[0] if "→" in row else row.split(": ")[1]
        numbers = [float(x) for x in value.replace("–", " ").replace("(", " ").replace(
            ")", " ").split() if x.replace(".", "").replace("-", "").isdigit()]
        assert numbers and min(numbers) > 0 and max(numbers) <= 100, row
    assert any("twins not physical (LV volume ≤ 0)" in r for r in rows), rows


def test_the_do_not_trust_line_quotes_no_median_of_impossible_values():
    """Failed before: with most twins' LV volume below 0 the flag read "outside the
    validated range (LVEF 340.0 %)" (the What-if panel showed "LVEF 155.7 %" for hfref at
    9000 rpm): the median of the physical twins is judged; the others count as outside."""
    from twinviewer.interventions.compare import outside_validated, scenario_flags

    base, scen = _lvad_like()
    k = 12
    for m, v in (("LVEDV", 10.0), ("LVESV", -24.0)):
        scen.metrics[m][:k] = v
    scen.metrics["LVEF"] = 100 * (scen.metrics["LVEDV"] - scen.metrics["LVESV"]) \
        / scen.metrics["LVEDV"]
    text = " ".join(scenario_flags(base, scen).lines())
    assert "340" not in text and f"LVEF in {100 * k // N} %" in text, text
    assert outside_validated(scen).sum() == k
