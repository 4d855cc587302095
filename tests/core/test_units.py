import numpy as np
import pytest

from twinviewer.core import Measurement, Parameter, Prior, UnitError, convert, parse_quantity


def test_pressure_and_flow_conversions():
    assert convert(1.0, "kPa", "mmHg") == pytest.approx(7.50062, rel=1e-5)
    assert convert(5.0, "L/min", "mL/s") == pytest.approx(83.3333, rel=1e-5)
    assert convert(1.0, "mmHg*s/mL", "Pa*s/m^3") == pytest.approx(133.322387415e6)
    assert convert(80.0, "dyn*s/cm^5", "WU") == pytest.approx(1.0, rel=1e-3)


def test_conversion_is_vectorised():
    np.testing.assert_allclose(convert(np.array([1.0, 2.0]), "L", "mL"), [1000.0, 2000.0])


def test_parse_quantity_with_and_without_unit():
    assert parse_quantity("5.0", "mmHg/mL") == 5.0
    assert parse_quantity("0.5 kPa/mL", "mmHg/mL") == pytest.approx(3.7503, rel=1e-4)
    assert parse_quantity("72 bpm", "bpm") == 72.0
    assert parse_quantity("1.2 Hz", "bpm") == pytest.approx(72.0)


@pytest.mark.parametrize("text, fragment", [
    ("3 mmHg", "expected a value in mmHg/mL"),
    ("3 furlongs", "unknown unit"),
    ("abc", "is not a number"),
])
def test_parse_quantity_errors_name_the_problem(text, fragment):
    with pytest.raises(UnitError, match=fragment):
        parse_quantity(text, "mmHg/mL")


def test_parameter_refuses_implausible_default_and_reports_values():
    with pytest.raises(ValueError, match="outside its plausible range"):
        Parameter("LV.EA", "mmHg/mL", 50.0, plausible=(0.1, 20.0))
    p = Parameter("LV.EA", "mmHg/mL", 2.0, plausible=(0.1, 20.0))
    assert p.check(2.5) is None
    assert "LV.EA = -1 mmHg/mL is outside" in p.check(-1.0)
    assert "not a finite number" in p.check(float("nan"))


def test_prior_centring_and_point_mass():
    prior = Prior("lognormal", 2.0, 0.2)
    lo, hi = prior.centred(4.0).interval(0.9)
    assert lo < 4.0 < hi and hi / 4.0 == pytest.approx(4.0 / lo)
    zero = Prior("lognormal", 0.0, 0.2)
    assert zero.is_point_mass and zero.interval() == (0.0, 0.0)
    np.testing.assert_array_equal(zero.ppf(np.array([0.1, 0.9])), [0.0, 0.0])


def test_measurement_units_and_validation():
    m = Measurement("SBP", 16.0, "kPa", 0.5, "cuff").to("mmHg")
    assert m.unit == "mmHg" and m.value == pytest.approx(120.01, rel=1e-3)
    with pytest.raises(ValueError, match="uncertainty must be"):
        Measurement("SBP", 120.0, "mmHg", -1.0)
    with pytest.raises(UnitError):
        Measurement("SBP", 120.0, "mmHgg", 1.0)
