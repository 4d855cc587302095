"""Models are declared: units, priors, ranges, assumptions, a stable equation hash."""

import pytest

from twinviewer.core.units import UnitError, dimension
from twinviewer.physiology import MODELS, ModelError, get_preset
from twinviewer.twins import model_of, simulate_twin, twin_from_preset


@pytest.mark.parametrize("model", list(MODELS.values()), ids=list(MODELS))
def test_declaration_is_complete(model):
    assert model.assumptions and model.context_of_use and model.references
    for p in model.parameters:
        dimension(p.unit)
        assert p.description
        lo, hi = p.plausible
        assert lo <= p.default <= hi
    for s in model.states:
        dimension(s.unit)
    assert len(model.equation_hash) == 16


def test_overrides_are_parsed_with_units():
    model = get_preset("healthy").model
    assert model.parse_overrides(["HR=1 Hz"]) == {"HR": 60.0}
    with pytest.raises(ModelError, match="did you mean LV.EA"):
        model.parse_overrides(["LV.EAA=3"])
    with pytest.raises(UnitError, match="mmHg/mL"):
        model.parse_overrides(["LV.EA=3 mL"])
    with pytest.raises(ModelError, match="NAME=VALUE"):
        model.parse_overrides(["LV.EA"])


def test_twin_is_locked_to_its_equations():
    twin = twin_from_preset("healthy", n=4)
    assert model_of(twin).name == "four_chamber_eoa"
    twin.equation_hash = "0" * 16
    with pytest.raises(ModelError, match="will not be re-run with different equations"):
        simulate_twin(twin)
