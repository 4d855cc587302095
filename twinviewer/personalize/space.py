"""The whitened parameter space in which calibration works.

Each free parameter ``u`` maps to ``z = Φ⁻¹(F(u))`` where ``F`` is its model prior centred on
the twin's value and ``Φ`` the standard normal CDF. For the usual log-normal priors this is
``z = (ln u − ln u₀)/s``, i.e. log space in units of prior SDs, so the prior is N(0, I) in ``z``
— exactly the Gaussian prior a Kalman update assumes — and positivity is automatic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from twinviewer.core.parameter import Prior
from twinviewer.physiology import ModelSpec

Z_LIMIT = 6.0


@dataclass(frozen=True)
class ParameterSpace:
    """Map between model parameter vectors and whitened coordinates of the free parameters.

    Parameters
    ----------
    model
        The model.
    base
        (P,) the twin's parameter values (centre of the priors, and value of fixed ones).
    free
        Column indices of the parameters that vary (non-degenerate priors).
    """

    model: ModelSpec
    base: np.ndarray
    free: tuple[int, ...]

    @classmethod
    def for_twin(cls, model: ModelSpec, base: np.ndarray, exclude: set[str]) -> ParameterSpace:
        """Free parameters: all with a proper prior, except ``exclude`` (set from measurements)."""
        free = tuple(j for j, p in enumerate(model.parameters)
                     if p.name not in exclude and not p.prior.centred(base[j]).is_point_mass)
        return cls(model, np.asarray(base, dtype=float).copy(), free)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.model.parameters[j].name for j in self.free)

    def prior(self, k: int) -> Prior:
        j = self.free[k]
        return self.model.parameters[j].prior.centred(self.base[j])

    def to_z(self, U: np.ndarray) -> np.ndarray:
        """(N, P) parameters → (N, d) whitened free coordinates."""
        U = np.atleast_2d(U)
        Z = np.empty((U.shape[0], len(self.free)))
        for k, j in enumerate(self.free):
            pr = self.prior(k)
            u = U[:, j]
            if pr.kind == "lognormal":
                Z[:, k] = (np.log(np.maximum(u, 1e-300)) - np.log(pr.loc)) / pr.scale
            elif pr.kind == "normal":
                Z[:, k] = (u - pr.loc) / pr.scale
            else:
                Z[:, k] = stats.norm.ppf(np.clip(pr.dist.cdf(u), 1e-12, 1 - 1e-12))
        return np.clip(Z, -Z_LIMIT, Z_LIMIT)

    def to_params(self, Z: np.ndarray, template: np.ndarray | None = None) -> np.ndarray:
        """(N, d) whitened coordinates → (N, P) parameters, clipped to plausible ranges.

        Columns not free are copied from ``template`` (N, P) or the base vector.
        """
        Z = np.clip(np.atleast_2d(Z), -Z_LIMIT, Z_LIMIT)
        U = (np.tile(self.base, (Z.shape[0], 1)) if template is None
             else np.array(np.atleast_2d(template), dtype=float))
        for k, j in enumerate(self.free):
            pr = self.prior(k)
            z = Z[:, k]
            if pr.kind == "lognormal":
                u = pr.loc * np.exp(pr.scale * z)
            elif pr.kind == "normal":
                u = pr.loc + pr.scale * z
            else:
                u = pr.dist.ppf(stats.norm.cdf(z))
            U[:, j] = np.clip(u, *self.model.parameters[j].plausible)
        return U
