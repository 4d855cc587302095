"""Polynomial chaos surrogate: least squares on orthonormal Legendre polynomials.

For inputs uniform on a box (the Sobol design's ranges), a total-degree Legendre expansion
gives Sobol indices in closed form from its coefficients (Sudret 2008), so a few hundred
model runs can stand in for the N·(d+2) runs of direct Saltelli sampling. Written with numpy
because the need is small (fit, leave-one-out error, indices) and chaospy would add a heavy
dependency for the same least-squares solve.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.polynomial import legendre


def multi_indices(d: int, degree: int) -> np.ndarray:
    """All multi-indices of total degree ≤ ``degree`` in ``d`` variables, (T, d)."""
    out = list(_total_degree(d, degree))
    out.sort(key=lambda a: (sum(a), tuple(-x for x in a)))
    return np.array(out, dtype=int).reshape(-1, d)


def _total_degree(d: int, degree: int):
    # Compositions of every total degree t ≤ degree into d non-negative parts.
    for t in range(degree + 1):
        for bars in itertools.combinations(range(t + d - 1), d - 1):
            parts, prev = [], -1
            for b in (*bars, t + d - 1):
                parts.append(b - prev - 1)
                prev = b
            yield tuple(parts)


def design_matrix(U: np.ndarray, alphas: np.ndarray) -> np.ndarray:
    """Orthonormal Legendre basis (uniform measure on [-1, 1]) evaluated at U, (n, T)."""
    U = np.atleast_2d(U)
    deg = int(alphas.max(initial=0))
    # table[k][:, i] = sqrt(2k+1) P_k(U[:, i])
    table = np.empty((deg + 1, *U.shape))
    for k in range(deg + 1):
        c = np.zeros(k + 1)
        c[k] = 1.0
        table[k] = np.sqrt(2 * k + 1) * legendre.legval(U, c)
    A = np.ones((U.shape[0], alphas.shape[0]))
    for i in range(U.shape[1]):
        A *= table[alphas[:, i], :, i].T
    return A


@dataclass
class PolynomialChaos:
    """A fitted expansion y ≈ Σ c_α Ψ_α(u), u ∈ [-1, 1]^d.

    Attributes
    ----------
    alphas
        (T, d) multi-indices; row 0 is the constant.
    coef
        (T,) coefficients.
    loo_error
        Leave-one-out RMS error relative to the standard deviation of the training outputs
        (0 is perfect; 1 is no better than the mean).
    """

    alphas: np.ndarray
    coef: np.ndarray
    loo_error: float
    n_train: int

    @classmethod
    def fit(cls, U: np.ndarray, y: np.ndarray, degree: int) -> PolynomialChaos:
        """Least-squares fit of a total-degree ``degree`` expansion."""
        U = np.atleast_2d(np.asarray(U, dtype=float))
        y = np.asarray(y, dtype=float)
        if U.shape[0] != y.shape[0]:
            raise ValueError(f"{U.shape[0]} input rows but {y.shape[0]} outputs")
        if np.any(np.abs(U) > 1 + 1e-12):
            raise ValueError("polynomial chaos inputs must be scaled to [-1, 1]")
        alphas = multi_indices(U.shape[1], degree)
        if alphas.shape[0] >= U.shape[0]:
            raise ValueError(f"degree {degree} in {U.shape[1]} variables has "
                             f"{alphas.shape[0]} terms: needs more than {U.shape[0]} runs")
        return cls._fit_matrix(design_matrix(U, alphas), y, alphas)

    @classmethod
    def _fit_matrix(cls, A: np.ndarray, y: np.ndarray, alphas: np.ndarray) -> PolynomialChaos:
        q, r = np.linalg.qr(A)
        coef = np.linalg.solve(r, q.T @ y)
        resid = y - A @ coef
        h = np.einsum("ij,ij->i", q, q)  # leverages: diagonal of the hat matrix
        loo = resid / np.maximum(1.0 - h, 1e-12)
        sd = float(np.std(y))
        err = float(np.sqrt(np.mean(loo ** 2)) / sd) if sd > 0 else 0.0
        return cls(alphas, coef, err, A.shape[0])

    def predict(self, U: np.ndarray) -> np.ndarray:
        return design_matrix(np.atleast_2d(U), self.alphas) @ self.coef

    @property
    def variance(self) -> float:
        return float(np.sum(self.coef[1:] ** 2))

    def sobol(self) -> tuple[np.ndarray, np.ndarray]:
        """First-order and total Sobol indices, each (d,)."""
        var = self.variance
        d = self.alphas.shape[1]
        if var <= 0:
            return np.zeros(d), np.zeros(d)
        c2 = self.coef ** 2
        nz = self.alphas > 0
        only = nz & (nz.sum(axis=1, keepdims=True) == 1)
        s1 = np.array([c2[only[:, i]].sum() for i in range(d)]) / var
        st = np.array([c2[nz[:, i]].sum() for i in range(d)]) / var
        return s1, st


def best_fit(U: np.ndarray, y: np.ndarray, max_degree: int = 4) -> PolynomialChaos:
    """The degree (1..max_degree, with at least twice as many runs as terms) whose
    leave-one-out error is smallest."""
    best = None
    for deg in range(1, max_degree + 1):
        if 2 * multi_indices(U.shape[1], deg).shape[0] > U.shape[0]:
            break
        pce = PolynomialChaos.fit(U, y, deg)
        if best is None or pce.loo_error < best.loo_error:
            best = pce
    if best is None:
        raise ValueError(f"{U.shape[0]} runs are too few for even a linear expansion in "
                         f"{U.shape[1]} variables")
    return best


def bootstrap_sobol(U: np.ndarray, y: np.ndarray, degree: int, n_boot: int = 100,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Standard deviations of (S1, ST) over bootstrap refits, each (d,)."""
    rng = np.random.default_rng(seed)
    n = U.shape[0]
    alphas = multi_indices(U.shape[1], degree)
    A = design_matrix(U, alphas)
    s1s, sts = [], []
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        try:
            s1, st = PolynomialChaos._fit_matrix(A[idx], y[idx], alphas).sobol()
        except (np.linalg.LinAlgError, ValueError):
            continue
        s1s.append(s1)
        sts.append(st)
    if len(s1s) < 2:
        d = U.shape[1]
        return np.full(d, np.nan), np.full(d, np.nan)
    return np.std(s1s, axis=0), np.std(sts, axis=0)
