"""The calibration prior's fingerprint draws through the standard library's normal quantile
(no scipy.special at start-up): the same draws, to its 6 figures, as scipy's ndtri."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from scipy.special import ndtri

from twinviewer.personalize import synthetic
from twinviewer.physiology.presets import PRESETS, get_preset


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_stdlib_draws_match_scipy_ndtri(name):
    preset = get_preset(name)
    model, base = preset.model, preset.vector()
    ours = synthetic.prior_draws(model, base, 16, np.random.default_rng(0),
                                 ndtri=synthetic._ndtri_stdlib)
    ref = synthetic.prior_draws(model, base, 16, np.random.default_rng(0))
    np.testing.assert_allclose(ours, ref, rtol=1e-13, atol=0)
    text = lambda d: np.array2string(d, precision=6, floatmode="maxprec",  # noqa: E731
                                     threshold=10**9)
    assert text(ours) == text(ref)


def test_stdlib_quantile_over_the_draws_range():
    u = np.linspace(0.002, 0.998, 2001)
    np.testing.assert_allclose(synthetic._ndtri_stdlib(u), ndtri(u), rtol=1e-14, atol=1e-15)


def test_fingerprint_does_not_import_scipy_special():
    code = ("import sys; from twinviewer.personalize.synthetic import prior_fingerprint; "
            "prior_fingerprint(); print('scipy.special' in sys.modules)")
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
