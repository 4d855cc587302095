"""Shared fixtures: small ensembles and their baseline runs (kept small so tests stay fast)."""

from __future__ import annotations

import pytest

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.physiology import get_preset, simulate
from twinviewer.twins import model_of, twin_from_preset


def one_step(name: str, label: str | None = None, **settings) -> Scenario:
    """A scenario of a single intervention."""
    return Scenario(label or name, (InterventionStep(name, settings),))


@pytest.fixture(scope="session")
def point_baseline():
    """Baseline point-estimate runs of the presets, by name (model, params, results)."""
    cache = {}

    def get(name: str):
        if name not in cache:
            p = get_preset(name)
            cache[name] = (p.model, p.vector(), simulate(p.model, p.vector()))
        return cache[name]

    return get


@pytest.fixture(scope="session")
def ensemble_baseline():
    """Baseline ensemble runs (n members) of the presets: (model, results)."""
    cache = {}

    def get(name: str, n: int = 24):
        if (name, n) not in cache:
            twin = twin_from_preset(name, n=n, seed=1)
            model = model_of(twin)
            cache[name, n] = (model, simulate(model, twin.ensemble))
        return cache[name, n]

    return get
