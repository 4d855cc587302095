"""The compiled kernel that passes a member's parameters as a tuple gives bit for bit the
results of the one that passes a row of ``P``, and a model that needs an array still runs."""

import sys

import numpy as np
import pytest

from twinviewer.physiology import get_preset, sample_prior
from twinviewer.physiology import integrator as ig
from twinviewer.physiology.jit import HAVE_NUMBA, model_function
from twinviewer.physiology.kernels import get_kernel

pytestmark = pytest.mark.skipif(not HAVE_NUMBA, reason="numba off")


def _source_of(kernel) -> str:
    return open(sys.modules[kernel.py_func.__module__].__file__).read()


def _run(kernel, model, P, steps, samples, min_beats, max_beats):
    n, s_count = P.shape[0], len(model.states)
    status = np.full(n, -1, dtype=np.int64)
    rec = np.full((n, s_count, samples), np.nan)
    beats = np.zeros(n, dtype=np.int64)
    y0 = np.ascontiguousarray(model.initial_state(P))
    yend = y0.copy()
    atol = np.array([s.atol for s in model.states])
    kernel(y0, np.ascontiguousarray(P), model.index(model.heart_rate_parameter), steps,
           steps // samples, min_beats, max_beats, atol, True, rec, status, beats, yend)
    return rec, status, beats, yend


def _hearts():
    for name in ("healthy", "severe_as", "severe_mr", "hfref"):
        yield name, get_preset(name)
    lvad = get_preset("hfref")
    yield "hfref + LVAD 8 krpm", lvad


@pytest.mark.parametrize("steps, min_beats, max_beats", [(100, 2, 40), (400, 2, 150)])
def test_tuple_kernel_is_bit_identical_to_the_row_kernel(steps, min_beats, max_beats):
    # Same arithmetic in the same order; only where the parameters are read from differs.
    # At 100 steps per beat (the coarse level) some members blow up: they must blow up the
    # same way.
    for name, preset in _hearts():
        model = preset.model
        base = preset.vector()
        if "LVAD" in name:
            base[model.index("VAD.speed")] = 8.0
        P = sample_prior(model, 24, base=base, seed=5)
        args = (model.rhs, model.drivers, model.n_drivers, model.split_step)
        tup = get_kernel(*args, n_params=P.shape[1], n_states=len(model.states))
        row = get_kernel(*args)
        assert "p = (P[i, 0], P[i, 1]," in _source_of(tup)
        assert "p = P[i]  # MEMBER-PARAMETERS" in _source_of(row)
        a = _run(tup, model, P, steps, 4, min_beats, max_beats)
        b = _run(row, model, P, steps, 4, min_beats, max_beats)
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y, err_msg=name)
        if steps == 400:
            assert np.all(a[1] == ig.PERIODIC), name


@model_function
def _decay_needing_an_array(t, y, p, dydt):
    # ``p.shape`` exists for a row of P, not for a tuple: this model needs the row kernel.
    dydt[0] = -p[1] * y[0] * (p.shape[0] == 2)


def test_a_model_that_needs_an_array_falls_back_to_the_row_kernel():
    y0 = np.array([[1.0], [1.0]])
    p = np.array([[60.0, 1.0], [60.0, 2.0]])  # 1 s beats, decay rates 1/s and 2/s
    status = np.full(2, -1, dtype=np.int64)
    rec, beats, yend = ig.integrate_to_periodic(
        _decay_needing_an_array, y0, p, 0, steps=200, samples=1, min_beats=1, max_beats=1,
        atol=np.array([1e-9]), status=status, method="numba", accelerate=False)
    np.testing.assert_allclose(yend[:, 0], np.exp(-p[:, 1]), rtol=1e-8)
    kernel = get_kernel(_decay_needing_an_array, n_params=2, n_states=1)
    assert "p = P[i]  # MEMBER-PARAMETERS" in _source_of(kernel)
