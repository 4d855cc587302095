"""A change keeps the decimals its size needs (review15b #2): an interval that excludes 0
never prints a bound of 0, and a change a few resolution steps wide keeps one decimal."""

import pytest

from twinviewer.core.format import change


def test_teer_gradient_rise_is_not_rounded_to_maybe_no_change():
    # review15b /tmp/review15b/whatif_teer.json: MV mean gradient Δ 1.336 (0.483–2.436)
    assert change(1.336, 0.483, 2.436, "mmHg") == "+1.3 (+0.5 to +2.4)"


@pytest.mark.parametrize("m, lo, hi, u", [
    (1.336, 0.483, 2.436, "mmHg"), (0.04, 0.004, 0.11, "L/min"), (-0.9, -1.6, -0.03, "mmHg"),
    (3.0, 0.2, 9.0, "mmHg"), (-4.0, -12.0, -0.4, "%"), (0.2, 0.01, 0.5, "L/min"),
    (30.0, 0.3, 60.0, "mL"),
])
def test_an_interval_excluding_zero_never_shows_a_zero_bound(m, lo, hi, u):
    text = change(m, lo, hi, u)
    rest = text.split(" (")[1]
    bounds = rest.rstrip(")").split(" to ")
    # each bound shows the interval's sign (a signed zero '-0.0' where it is 0 at the finest
    # decimal allowed, review16b #9), never a bare '0'
    assert all(t[0] == ("+" if lo > 0 else "-") for t in bounds), text


@pytest.mark.parametrize("m, lo, hi, u, want", [
    (-0.31, -1.30, -0.0013, "mmHg", "-0.3 (-1.3 to -0.0)"),  # review16b wi_cal.txt LVEDP
    (-1.2, -4.3, -0.01, "mL", "-1 (-4 to -0.0)"),
    (0.048, 0.009, 0.136, "L/min", "+0.05 (+0.01 to +0.14)"),
    (0.04, 0.004, 0.11, "L/min", "+0.04 (+0.00 to +0.11)"),
    (-0.9, -1.6, -0.03, "mmHg", "-0.9 (-1.6 to -0.0)"),
    (30.0, 0.3, 60.0, "mL", "+30 (+0.3 to +60)"),
])
def test_a_bound_near_zero_never_goes_finer_than_one_decimal_past_the_resolution(
        m, lo, hi, u, want):
    """review16b #9: 'Δ −0.3 (−1.3 to −0.001)' mmHg, a precision the model does not have
    beside one-decimal neighbours: a bound keeps its sign but at most one decimal finer
    than the metric's display resolution."""
    from twinviewer.core.format import _decimals, resolution

    text = change(m, lo, hi, u)
    assert text == want
    finest = _decimals(resolution(u)) + 1
    for t in [text.split(" (")[0], *text.split(" (")[1].rstrip(")").split(" to ")]:
        assert len(t.split(".")[1]) <= finest if "." in t else True, text


def test_wide_changes_stay_at_the_clinical_resolution():
    assert change(-16.2, -22.4, -11.6, "%") == "-16 (-22 to -12)"
    assert change(-0.57, -0.74, -0.38, "L/min") == "-0.6 (-0.7 to -0.4)"
    assert change(12.4, 7.2, 17.1, "mmHg") == "+12 (+7 to +17)"


def test_straddling_zero_and_tiny_changes_are_unchanged_in_kind():
    assert change(-0.063, -0.44, -0.00089, "mmHg") == "no change"
    assert change(0.3, -4.2, 5.1, "mmHg") == "0 (-4 to +5)"
