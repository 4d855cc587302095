"""Engine edge cases: a member that repeats its beat bit for bit before ``min_beats``."""

import numpy as np
import pytest

from twinviewer.physiology import integrator as ig
from twinviewer.physiology.jit import HAVE_NUMBA, model_function


@model_function
def _ramp_then_hold(t, y, p, dydt):
    # y rises at rate p[1] until it reaches 1, then stays there exactly: from the second
    # beat on the member is bit-exactly periodic (beat-to-beat change exactly zero).
    dydt[0] = p[1] * (y[0] < 1.0)


METHODS = ["numpy", pytest.param("numba", marks=pytest.mark.skipif(
    not HAVE_NUMBA, reason="numba off"))]


@pytest.mark.parametrize("accelerate", [False, True])
@pytest.mark.parametrize("method", METHODS)
def test_bit_exactly_periodic_member_with_min_beats_3(method, accelerate):
    # The compiled kernel used to divide by the zero beat-to-beat norm (ZeroDivisionError)
    # while waiting for min_beats; the numpy path silently produced NaN.
    y0 = np.array([[0.0], [0.0]])
    p = np.array([[60.0, 2.0], [60.0, 0.5]])  # HR 60 bpm (1 s beats); ramp 2/s and 0.5/s
    status = np.full(2, -1, dtype=np.int64)
    rec, beats, yend = ig.integrate_to_periodic(
        _ramp_then_hold, y0, p, 0, steps=20, samples=10, min_beats=3, max_beats=10,
        atol=np.array([1e-6]), status=status, method=method, accelerate=accelerate)
    assert list(status) == [ig.PERIODIC, ig.PERIODIC]
    # First member: at 1 after one beat, so unchanged in beats 2 and 3 and periodic at
    # min_beats; the second reaches 1 during beat 3 and is periodic after beat 4 (one beat
    # earlier when the beat-to-beat map is accelerated).
    assert list(beats) == ([3, 3] if accelerate else [3, 4])
    assert np.isfinite(yend).all()
    if not accelerate:  # accelerated, any state ≥ 1 of this toy map is a fixed point
        np.testing.assert_allclose(yend[:, 0], [1.0, 1.0], atol=0.06)
    assert np.isfinite(rec).all()
