import numpy as np
import pytest

from twinviewer.explain.surrogate import PolynomialChaos, best_fit, multi_indices


def test_multi_indices_count():
    from math import comb

    for d, p in ((1, 3), (3, 2), (10, 3)):
        a = multi_indices(d, p)
        assert a.shape == (comb(d + p, p), d)
        assert a.sum(axis=1).max() == p and (a[0] == 0).all()
        assert len({tuple(r) for r in a}) == a.shape[0]


def test_polynomial_indices_in_closed_form():
    """y = 1 + 2 u1 + 3 u1 u2 on [-1,1]²: Var parts 4/3 (u1) and 1 (u1 u2), so
    S1 = (4/7, 0), ST = (1, 3/7)."""
    rng = np.random.default_rng(1)
    U = rng.uniform(-1, 1, (200, 2))
    y = 1 + 2 * U[:, 0] + 3 * U[:, 0] * U[:, 1]
    pce = PolynomialChaos.fit(U, y, 2)
    s1, st = pce.sobol()
    np.testing.assert_allclose(s1, [4 / 7, 0], atol=1e-10)
    np.testing.assert_allclose(st, [1, 3 / 7], atol=1e-10)
    assert pce.loo_error < 1e-8
    assert pce.predict(np.array([[0.5, -0.5]]))[0] == pytest.approx(1 + 1 - 0.75)


def test_loo_error_reports_a_poor_fit():
    rng = np.random.default_rng(2)
    U = rng.uniform(-1, 1, (100, 2))
    y = np.sign(U[:, 0])  # a step: low-degree polynomials fit it badly
    assert best_fit(U, y, 3).loo_error > 0.2


def test_bad_input():
    U = np.zeros((5, 2))
    with pytest.raises(ValueError, match="needs more than 5 runs"):
        PolynomialChaos.fit(U, np.zeros(5), 3)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        PolynomialChaos.fit(np.full((20, 1), 2.0), np.zeros(20), 1)
    with pytest.raises(ValueError, match="3 input rows but 2"):
        PolynomialChaos.fit(np.zeros((3, 1)), np.zeros(2), 1)
    with pytest.raises(ValueError, match="too few"):
        best_fit(np.zeros((3, 4)), np.zeros(3))
