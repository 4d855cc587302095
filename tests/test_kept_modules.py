"""Modules kept for compatibility or set-up, each checked once (found by
tests/test_module_coverage.py: no gate test imported them)."""

from __future__ import annotations

import numpy as np
import pytest


def test_old_atomic_path_is_the_core_module():
    from twinviewer.core import atomic as core_atomic
    from twinviewer.io import atomic

    assert atomic.atomic_write_bytes is core_atomic.atomic_write_bytes


def test_model_v1_right_hand_side_conserves_the_blood_volume():
    """The gate's check of model 1.0 (the simulation below is slow): through the whole beat
    the rate of change of the loop's blood volume is zero, for the default heart and for a
    stenotic, regurgitant one with the LVAD on. Run in Python (no kernel to compile)."""
    from twinviewer.physiology import four_chamber_v1 as v1
    from twinviewer.physiology.jit import python_function

    model = v1.MODEL
    assert len(model.states) == 12 and len(model.parameters) == len(v1.PARAMETERS)
    rhs = python_function(v1.rhs)
    sick = model.default_vector()
    sick[v1.I_AV], sick[v1.I_MV + 1], sick[v1.I_VAD] = 0.7, 0.4, 5000.0
    for p in (model.default_vector(), sick):
        y = model.initial_state(p)[0]
        period = 60.0 / p[v1.I_HR]
        volume = model.conserved_volume(y[None], p[None])[0]
        assert abs(volume - p[v1.I_VTOTAL]) < 1e-6 * volume
        for t in np.linspace(0.0, period, 17):
            dydt = np.zeros_like(y)
            rhs(t, y, p, dydt)
            assert np.isfinite(dydt).all() and np.abs(dydt).max() > 0
            h = 1e-3  # conserved_volume is linear in the state: the step must not change it
            moved = model.conserved_volume((y + h * dydt)[None], p[None])[0]
            assert abs(moved - volume) < 1e-9 * volume, (t, moved - volume)


@pytest.mark.slow  # compiles (or loads) the v1.0 kernel
def test_model_v1_still_gives_a_physiological_healthy_heart():
    """Twins locked to model 1.0 stay explainable: its default heart is still within adult
    normal ranges (LVEF 52-72 %, LVEDV 100-200 mL: ASE/EACVI 2015 chamber quantification)."""
    from twinviewer.physiology import four_chamber_v1, sample_prior, simulate

    model = four_chamber_v1.MODEL
    r = simulate(model, sample_prior(model, 8, base=model.default_vector(), seed=0))
    assert r.ok.all()
    assert 52 <= float(np.median(r.metrics["LVEF"])) <= 72
    assert 100 <= float(np.median(r.metrics["LVEDV"])) <= 200


def test_warm_up_builds_a_heart_anatomy_once():
    """The gate's check of the warm-up (the whole warm-up is slow): a heart's anatomy is
    built when its cache file is missing and skipped, not rebuilt, when it is there."""
    from twinviewer.gui.heart_anatomy import cache_path
    from twinviewer.warmup import warm_heart_anatomies

    lines: list[str] = []
    first = warm_heart_anatomies(["healthy"], log=lines.append)  # built at set-up, usually
    assert cache_path("healthy").exists()
    assert first == {} or (set(first) == {"healthy"} and first["healthy"] > 0
                           and lines == [f"warmup: healthy anatomy cached "
                                         f"({first['healthy']:.1f} s CPU)"])
    lines.clear()
    assert warm_heart_anatomies(["healthy"], log=lines.append) == {} and lines == []


@pytest.mark.slow  # compiles kernels, builds the demo image cache, simulates 200 members
def test_warm_up_prepares_kernels_demo_image_and_predictions():
    from twinviewer.warmup import warm_up

    lines: list[str] = []
    assert warm_up(log=lines.append) == 0
    steps = [s.split(" (")[0] for s in lines]
    assert steps[:4] == [
        "warmup: model kernels compiled", "warmup: demo heart image cached",
        "warmup: demo predictions stored", "warmup: bytecode written"]
    assert steps[4] == "warmup: the 3D view's shaders cached"  # the tests run with a display
    assert steps[-1] == "warmup: virtual hearts' anatomies cached"
    assert all(s.endswith("anatomy cached") for s in steps[5:-1])  # built now, not failed
    from twinviewer.gui import demo_heart

    twin = demo_heart.load_demo_twin()  # what the views derive from it is stored too
    assert demo_heart.load_display(twin, demo_heart.load_stored_results(twin),
                                   demo_heart.demo_anatomy())
    from twinviewer.gui.heart_anatomy import cache_path
    from twinviewer.warmup import WARM_HEARTS

    # the lesson hearts are built at set-up; the others on first use
    assert all(cache_path(n).exists() for n in WARM_HEARTS)
