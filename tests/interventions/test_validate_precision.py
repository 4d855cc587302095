"""A judged row's got value is printed with the digits it takes to see its verdict
(review15b #8: hydralazine "PCWP ~= (within ±10 %) got 28 → 25 mmHg (−10 %) FAIL", the true
change −10.05 %); the JSON numbers stay exact."""

from __future__ import annotations

from twinviewer.interventions import evidence_table as ev


def _judge(v, b, a, per_step=None, tol=0.35):
    return ev._judge(v, {v.metric: b}, {v.metric: a}, tol, per_step)


def test_a_change_just_outside_its_band_reads_outside():
    v = ev.Variable("LAP", "unchanged", band=0.10, reported_as="PCWP ~=")
    r = _judge(v, 28.0, 28.0 * (1 - 0.10048))
    assert not r.passed
    assert r.got.endswith("(-10.05 %)"), r.got
    assert r.numbers["got_values"]["change"] == -0.10048 * 1.0 or abs(
        r.numbers["got_values"]["change"] + 0.10048) < 1e-12
    inside = _judge(v, 28.0, 28.0 * (1 - 0.094))
    assert inside.passed and inside.got.endswith("(-9 %)"), inside.got


def test_per_step_and_values_keep_the_expected_precision():
    v = ev.Variable("CO", "per_step", after=0.16, unit="L/min")
    r = _judge(v, 4.0, 4.2, per_step=0.202)
    assert r.passed and "+0.20 L/min per step" in r.got, r.got
    w = ev.Variable("LVEDP", "relative", before=23.5, after=16.8, unit="mmHg")
    r = _judge(w, 23.49, 16.8)
    assert r.got.startswith("23.5 → 16.8"), r.got


def test_up_down_rows_show_the_side_of_their_threshold():
    v = ev.Variable("CO", "up", band=0.01)
    r = _judge(v, 4.0, 4.0 * 1.0096)
    assert not r.passed and "+0.96 %" in r.got, r.got
