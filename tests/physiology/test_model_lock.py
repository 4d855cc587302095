"""The model lock covers every source and constant the compiled kernel depends on."""

import pytest

from twinviewer.physiology import elements, get_preset, kernels
from twinviewer.physiology.dependencies import equation_digest


@pytest.fixture()
def model():
    return get_preset("healthy").model


def _fresh_hash(model):
    model.__dict__.pop("equation_hash", None)  # cached per declaration
    return model.equation_hash


def test_changing_a_helper_constant_changes_the_hash(model, monkeypatch):
    before = _fresh_hash(model)
    kernel_before = kernels._dependency_hash("kernel", model.rhs)
    monkeypatch.setattr(elements, "K_BERNOULLI", elements.K_BERNOULLI * 1.01)
    after = _fresh_hash(model)
    assert after != before
    # One mechanism: the kernel cache sees the same change.
    assert kernels._dependency_hash("kernel", model.rhs) != kernel_before
    monkeypatch.undo()
    assert _fresh_hash(model) == before


@pytest.mark.parametrize("name", ["PUMP_A", "PUMP_B", "PUMP_R", "MIN_ORIFICE_CM2"])
def test_every_helper_constant_is_covered(model, monkeypatch, name):
    before = _fresh_hash(model)
    monkeypatch.setattr(elements, name, getattr(elements, name) * 2.0)
    assert _fresh_hash(model) != before
    monkeypatch.undo()
    _fresh_hash(model)


def test_hash_follows_helpers_through_module_attributes():
    # four_chamber reads closed_loop's helpers as ``cl.vessel_derivatives``: their source
    # is part of the digest even though they are not listed anywhere by name.
    from twinviewer.physiology import closed_loop, four_chamber

    full = equation_digest([four_chamber.rhs])
    alone = equation_digest([closed_loop.vessel_derivatives])
    assert full != alone
    assert equation_digest([four_chamber.rhs]) == full  # deterministic


def test_unrelated_constant_does_not_change_the_hash(model, monkeypatch):
    before = _fresh_hash(model)
    monkeypatch.setattr(elements, "BLOOD_DENSITY_UNUSED_BY_KERNEL", 1.0, raising=False)
    assert _fresh_hash(model) == before


def test_kernel_cache_key_includes_compiler_options(model, monkeypatch):
    before = kernels._dependency_hash("kernel", model.rhs)
    monkeypatch.setattr(kernels, "_JIT_OPTIONS", kernels._JIT_OPTIONS + "fastmath")
    assert kernels._dependency_hash("kernel", model.rhs) != before


def test_svzerod_model_hash_covers_its_generated_equations():
    from pathlib import Path

    from twinviewer.physiology.svzerod.model import model_from_config

    case = Path(__file__).resolve().parents[1] / "data" / "svzerodsolver" / "cases" / \
        "closed_loop_two_hill.json"
    import json

    cfg = json.loads(case.read_text())
    a = model_from_config(cfg).equation_hash
    cfg["chambers"][1]["activation_function"]["tau_1"] *= 1.01  # a baked-in constant
    assert model_from_config(cfg).equation_hash != a
