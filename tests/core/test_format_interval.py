"""A difference and its interval are written with one number of decimals."""
from twinviewer.core.format import interval


def test_value_keeps_the_decimals_of_its_bounds():
    # review8b #7: whatif printed "Δ -1 (-1.4 to -0.6)".
    assert interval(-1.02, -1.4, -0.6, signed=True) == "-1.0 (-1.4 to -0.6)"
    assert interval(7.0, 6.2, 7.9, signed=True) == "+7.0 (+6.2 to +7.9)"


def test_a_zero_shared_by_all_three_is_dropped():
    assert interval(-50.2, -84.0, -23.4, signed=True) == "-50 (-84 to -23)"
    assert interval(0.001, -1.4, 1.3, signed=True) == "0.0 (-1.4 to +1.3)"
