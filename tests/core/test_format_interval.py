"""A difference and its interval are written with one number of decimals."""
from twinviewer.core.format import interval


def test_value_keeps_the_decimals_of_its_bounds():
    # review8b #7: whatif printed "Δ -1 (-1.4 to -0.6)".
    assert interval(-1.02, -1.4, -0.6, signed=True) == "-1.0 (-1.4 to -0.6)"
    assert interval(7.0, 6.2, 7.9, signed=True) == "+7.0 (+6.2 to +7.9)"


def test_a_zero_shared_by_all_three_is_dropped():
    assert interval(-50.2, -84.0, -23.4, signed=True) == "-50 (-84 to -23)"
    assert interval(0.001, -1.4, 1.3, signed=True) == "0.0 (-1.4 to +1.3)"


def test_a_range_and_an_interval_share_one_number_of_decimals():
    """layout10/review10 #11: '10.0–80 %' and '0.7949 (0.6313–0.9378) cm²' (calibrate, info)."""
    import re

    from twinviewer.core.format import span

    assert span(10.0, 80.0, "%") == "10–80 %"
    assert interval(0.7949, 0.6313, 0.9378) == "0.79 (0.63–0.94)"
    assert interval(72.02, 61.3, 83.9) == "72 (61–84)"
    assert interval(5.2, 1.5, 9.8) == "5.2 (1.5–9.8)"
    assert interval(0.0, 0.0, 0.0) == "0 (0–0)"
    # any interval: its three numbers have one number of decimals
    rng = __import__("numpy").random.default_rng(3)
    for _ in range(500):
        lo, mid, hi = sorted(rng.lognormal(rng.uniform(-4, 5), 0.5, 3))
        parts = re.findall(r"-?\d+(?:\.\d+)?", interval(mid, lo, hi))
        assert len({len(p.partition(".")[2]) for p in parts}) == 1, (mid, lo, hi, parts)


def test_a_small_quantity_is_never_written_as_zero_beside_its_interval():
    """review11 #3: an inertance of 0.000499 mmHg·s²/mL read "0" next to 0.00030–0.00083
    (number() wrote everything below 5e-4 as 0)."""
    import numpy as np

    from twinviewer.core.format import number, span

    assert number(0.000499) == "0.0005"
    assert interval(0.000499, 0.00030, 0.00083) == "0.00050 (0.00030–0.00083)"
    assert span(0.00030, 0.00045) == "0.00030–0.00045"
    assert number(-3e-17) == "0"  # floating-point noise still reads 0
    rng = np.random.default_rng(11)
    for _ in range(300):
        lo, mid, hi = sorted(rng.lognormal(rng.uniform(-12, 0), 0.4, 3))
        shown = float(number(mid))
        a, b = (float(t) for t in span(lo, hi).split("–"))
        assert shown > 0 and a > 0, (mid, lo, hi)
        assert a * 0.8 <= shown <= b * 1.25, (mid, lo, hi, number(mid), span(lo, hi))
