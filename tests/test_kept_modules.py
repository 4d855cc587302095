"""Modules kept for compatibility or set-up, each checked once (found by
tests/test_module_coverage.py: no gate test imported them)."""

from __future__ import annotations

import numpy as np
import pytest


def test_old_atomic_path_is_the_core_module():
    from twinviewer.core import atomic as core_atomic
    from twinviewer.io import atomic

    assert atomic.atomic_write_bytes is core_atomic.atomic_write_bytes


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


@pytest.mark.slow  # compiles kernels, builds the demo image cache, simulates 200 members
def test_warm_up_prepares_kernels_demo_image_and_predictions():
    from twinviewer.warmup import warm_up

    lines: list[str] = []
    assert warm_up(log=lines.append) == 0
    steps = [s.split(" (")[0] for s in lines]
    assert steps[:3] == [
        "warmup: model kernels compiled", "warmup: demo heart image cached",
        "warmup: demo predictions stored"]
    assert steps[-1] == "warmup: virtual hearts' anatomies cached"
    assert all(s.endswith("anatomy cached") for s in steps[3:-1])  # built now, not failed
    from twinviewer.gui.heart_anatomy import cache_path
    from twinviewer.warmup import WARM_HEARTS

    # the lesson hearts are built at set-up; the others on first use
    assert all(cache_path(n).exists() for n in WARM_HEARTS)
