"""The whitened parameter space in which calibration works.

Each free parameter ``u`` maps to ``z = Φ⁻¹(F(u))`` where ``F`` is its model prior centred on
the twin's value and ``Φ`` the standard normal CDF. For the usual log-normal priors this is
``z = (ln u − ln u₀)/s``, i.e. log space in units of prior SDs, so the prior is N(0, I) in ``z``
— exactly the Gaussian prior a Kalman update assumes — and positivity is automatic.

With a heart-size mode (``size_sd`` > 0, :mod:`~twinviewer.personalize.heart_size`) there is
one more coordinate ξ ~ N(0, 1), the last column: the heart's size factor
``s = exp(size_sd ξ)`` multiplies every parameter whose unit scales with size by ``s^e``
(free ones and fixed ones alike; not those set by a measurement).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from twinviewer.core.parameter import Prior
from twinviewer.personalize.heart_size import SIZE_NAME, exponents
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
    size_sd
        Log-SD of the common heart-size factor (0: no size coordinate).
    exponent
        (P,) power of the size factor each parameter scales with (0 for those it leaves).

    Examples
    --------
    >>> from twinviewer.physiology.presets import get_preset
    >>> p = get_preset("healthy")
    >>> sp = ParameterSpace.for_twin(p.model, p.vector(), set(), size_sd=0.14)
    >>> Z = np.zeros((1, sp.dim)); Z[0, -1] = 1.0  # one size SD up, all else at the centre
    >>> u = sp.to_params(Z)[0]
    >>> round(float(u[p.model.index("V_total")] / p.vector()[p.model.index("V_total")]), 3)
    1.15
    >>> bool(np.allclose(sp.to_z(u[None], np.array([1.0])), Z))
    True
    """

    model: ModelSpec
    base: np.ndarray
    free: tuple[int, ...]
    size_sd: float = 0.0
    exponent: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: column index → the prior replacing the model's for that parameter (a measurement of
    #: the parameter itself, e.g. an echo AVA for ``AV.EOA``: its own value and SD)
    measured: dict[int, Prior] = field(default_factory=dict)

    @classmethod
    def for_twin(cls, model: ModelSpec, base: np.ndarray, exclude: set[str],
                 size_sd: float = 0.0, measured: dict[str, Prior] | None = None
                 ) -> ParameterSpace:
        """Free parameters: all with a proper prior, except ``exclude`` (set from measurements,
        which the size factor leaves as measured too). ``measured`` parameters are free with
        the given prior (a measurement of the parameter, weighed with the other data); the
        size factor leaves them as measured too."""
        measured = measured or {}
        free = tuple(j for j, p in enumerate(model.parameters)
                     if p.name not in exclude and (p.name in measured or
                                                   not p.prior.centred(base[j]).is_point_mass))
        e = exponents(model) * np.array([p.name not in exclude and p.name not in measured
                                         for p in model.parameters])
        return cls(model, np.asarray(base, dtype=float).copy(), free, float(size_sd),
                   e if size_sd > 0 else np.zeros(len(model.parameters)),
                   {model.index(n): pr for n, pr in measured.items()})

    @property
    def names(self) -> tuple[str, ...]:
        """The free parameters' names (the first ``len(free)`` coordinates)."""
        return tuple(self.model.parameters[j].name for j in self.free)

    @property
    def sized(self) -> bool:
        return self.size_sd > 0

    @property
    def dim(self) -> int:
        """Number of whitened coordinates: the free parameters, and the size if any."""
        return len(self.free) + int(self.sized)

    @property
    def coords(self) -> tuple[str, ...]:
        """Every coordinate's name: the free parameters, then the heart size if any."""
        return self.names + ((SIZE_NAME,) if self.sized else ())

    def prior(self, k: int) -> Prior:
        j = self.free[k]
        if j in self.measured:
            return self.measured[j]
        return self.model.parameters[j].prior.centred(self.base[j])

    def size_factor(self, Z: np.ndarray) -> np.ndarray:
        """(N,) heart-size factor ``s`` of each row of ``Z`` (ones without a size coordinate)."""
        Z = np.atleast_2d(Z)
        if not self.sized:
            return np.ones(Z.shape[0])
        return np.exp(self.size_sd * np.clip(Z[:, -1], -Z_LIMIT, Z_LIMIT))

    def sizes_of(self, U: np.ndarray) -> np.ndarray:
        """(N,) each row's size coordinate ξ as the prior expects it given the row's values:
        the conditional mean of ξ given the log-deviations ``d_k = σ_k z_k + e_k s_sd ξ`` of
        its log-normal free parameters (zeros without a size coordinate). For an ensemble
        that already holds the size mode (a previous visit's posterior), so that a later
        calibration can move the size as one coordinate again."""
        U = np.atleast_2d(U)
        if not self.sized:
            return np.zeros(U.shape[0])
        num, den = np.zeros(U.shape[0]), 0.0
        for k, j in enumerate(self.free):
            pr, e = self.prior(k), self.exponent[j]
            if e and pr.kind == "lognormal":
                d = np.log(np.maximum(U[:, j], 1e-300)) - np.log(pr.loc)
                num += e * self.size_sd * d / pr.scale**2
                den += (e * self.size_sd / pr.scale) ** 2
        return num / (1.0 + den)

    def to_z(self, U: np.ndarray, sizes: np.ndarray | None = None) -> np.ndarray:
        """(N, P) parameters → (N, dim) whitened coordinates, given each row's size coordinate
        ``sizes`` (N,) ξ (zeros if None; ignored without a size coordinate)."""
        U = np.atleast_2d(U)
        xi = np.zeros(U.shape[0]) if sizes is None else np.asarray(sizes, dtype=float)
        lns = self.size_sd * xi if self.sized else np.zeros(U.shape[0])
        Z = np.empty((U.shape[0], self.dim))
        for k, j in enumerate(self.free):
            pr = self.prior(k)
            u = U[:, j] * np.exp(-self.exponent[j] * lns) if self.sized else U[:, j]
            if pr.kind == "lognormal":
                Z[:, k] = (np.log(np.maximum(u, 1e-300)) - np.log(pr.loc)) / pr.scale
            elif pr.kind == "normal":
                Z[:, k] = (u - pr.loc) / pr.scale
            else:
                Z[:, k] = stats.norm.ppf(np.clip(pr.dist.cdf(u), 1e-12, 1 - 1e-12))
        if self.sized:
            Z[:, -1] = xi
        return np.clip(Z, -Z_LIMIT, Z_LIMIT)

    def to_params(self, Z: np.ndarray, template: np.ndarray | None = None) -> np.ndarray:
        """(N, dim) whitened coordinates → (N, P) parameters, clipped to plausible ranges.

        Columns not free are copied from ``template`` (N, P) or the base vector (and, with a
        size coordinate, scaled by the row's size factor if their unit scales with size).
        """
        Z = np.clip(np.atleast_2d(Z), -Z_LIMIT, Z_LIMIT)
        U = (np.tile(self.base, (Z.shape[0], 1)) if template is None
             else np.array(np.atleast_2d(template), dtype=float))
        lns = np.log(self.size_factor(Z))
        for k, j in enumerate(self.free):
            pr = self.prior(k)
            z = Z[:, k]
            if pr.kind == "lognormal":
                u = pr.loc * np.exp(pr.scale * z)
            elif pr.kind == "normal":
                u = pr.loc + pr.scale * z
            else:
                u = pr.dist.ppf(stats.norm.cdf(z))
            U[:, j] = u
        if self.sized:
            fixed = set(range(U.shape[1])) - set(self.free)
            for j in np.flatnonzero(self.exponent):
                U[:, j] *= np.exp(self.exponent[j] * lns)
                if j in fixed:
                    U[:, j] = np.clip(U[:, j], *self.model.parameters[j].plausible)
        for j in self.free:
            U[:, j] = np.clip(U[:, j], *self.model.parameters[j].plausible)
        return U
