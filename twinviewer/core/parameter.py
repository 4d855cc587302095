"""Model parameters with units, priors and plausible ranges."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from twinviewer.core.provenance import Provenance, Source
from twinviewer.core.units import dimension


@dataclass(frozen=True)
class Prior:
    """A prior distribution for a positive parameter.

    ``kind='lognormal'``: median ``loc``, log-standard deviation ``scale``.
    ``kind='normal'``: mean ``loc``, standard deviation ``scale``.
    ``kind='uniform'``: bounds ``loc`` to ``loc + scale``.

    A log-normal prior centred on zero (an absent regurgitant orifice, a device switched off)
    is a point mass at zero: multiplicative uncertainty keeps an absent thing absent.
    """

    kind: str = "lognormal"
    loc: float = 1.0
    scale: float = 0.2

    def __post_init__(self) -> None:
        if self.kind not in ("lognormal", "normal", "uniform"):
            raise ValueError(f"unknown prior kind {self.kind!r}")
        if not self.scale > 0:
            raise ValueError(f"prior scale must be positive, got {self.scale}")

    @property
    def dist(self):
        """The frozen :mod:`scipy.stats` distribution."""
        from scipy import stats  # here, not at import: scipy.stats costs ~1 s at start-up

        if self.kind == "lognormal":
            return stats.lognorm(s=self.scale, scale=self.loc)
        if self.kind == "normal":
            return stats.norm(loc=self.loc, scale=self.scale)
        return stats.uniform(loc=self.loc, scale=self.scale)

    @property
    def is_point_mass(self) -> bool:
        return self.kind == "lognormal" and self.loc <= 0

    def centred(self, value: float) -> Prior:
        """The same prior shape moved to ``value`` (median, mean or interval centre)."""
        if self.kind == "uniform":
            return Prior("uniform", value - self.scale / 2, self.scale)
        return Prior(self.kind, float(value), self.scale)

    def ppf(self, u: np.ndarray, ndtri: Callable[[np.ndarray], np.ndarray] | None = None
            ) -> np.ndarray:
        """Quantile function, for quasi-Monte Carlo designs.

        In closed form over :func:`scipy.special.ndtri`, the operations of
        :mod:`scipy.stats`' ``ppf`` in their order (the same bits), without importing
        :mod:`scipy.stats` (~1 s of CPU: the demo twin's cache key draws from the prior at
        every start). ``ndtri`` replaces :func:`scipy.special.ndtri` (the standard normal
        quantile) if given.

        Examples
        --------
        >>> [round(float(x), 3) for x in Prior("lognormal", 2.0, 0.5).ppf(np.array([0.5, 0.9]))]
        [2.0, 3.796]
        """
        u = np.asarray(u, dtype=float)
        if self.is_point_mass:
            return np.full_like(u, max(self.loc, 0.0))
        if ndtri is None:
            from scipy.special import ndtri

        bad = (u < 0.0) | (u > 1.0) | np.isnan(u)
        if self.kind == "lognormal":
            x = np.exp(self.scale * ndtri(u)) * self.loc + 0.0
        elif self.kind == "normal":
            x = ndtri(u) * self.scale + self.loc
        else:
            x = u * self.scale + self.loc
        return np.where(bad, np.nan, x)

    def interval(self, level: float = 0.9) -> tuple[float, float]:
        """Central ``level`` interval, in closed form (freezing a scipy distribution builds
        its docstring: ~10 ms a call, 1.3 s of an explanation's 3.8 s CPU).

        Examples
        --------
        >>> [round(x, 3) for x in Prior("normal", 10.0, 2.0).interval(0.95)]
        [6.08, 13.92]
        """
        if self.is_point_mass:
            return 0.0, 0.0
        from scipy.special import ndtri

        if self.kind == "uniform":
            tail = (1.0 - level) / 2 * self.scale
            return float(self.loc + tail), float(self.loc + self.scale - tail)
        z = float(ndtri(0.5 + level / 2))
        if self.kind == "normal":
            return float(self.loc - z * self.scale), float(self.loc + z * self.scale)
        return (float(self.loc * np.exp(-z * self.scale)),
                float(self.loc * np.exp(z * self.scale)))


@dataclass(frozen=True)
class Parameter:
    """One model parameter.

    Parameters
    ----------
    name
        Dotted name, e.g. ``'LV.EA'``.
    unit
        Unit in the clinical convention (see :mod:`twinviewer.core.units`).
    default
        Value used when nothing else is known.
    prior
        Prior distribution; its default is a log-normal around ``default`` with 20 % spread.
    plausible
        Physiologically plausible range ``(low, high)``; values outside are refused.
    description
        What the parameter means, in words a clinician recognises.
    provenance
        Where the current value comes from.
    """

    name: str
    unit: str
    default: float
    description: str = ""
    plausible: tuple[float, float] = (0.0, np.inf)
    prior: Prior | None = None
    provenance: Provenance = field(
        default_factory=lambda: Provenance(Source.PRIOR, "model default"))

    def __post_init__(self) -> None:
        dimension(self.unit)  # raises UnitError for an unknown unit
        lo, hi = self.plausible
        if not lo <= self.default <= hi:
            raise ValueError(
                f"parameter {self.name}: default {self.default} {self.unit} outside its "
                f"plausible range {lo}–{hi}"
            )
        if self.prior is None:
            object.__setattr__(self, "prior", Prior("lognormal", self.default, 0.2))

    @property
    def label(self) -> str:
        """A short name for people: the description's first clause, capitalised (the dotted
        code name when there is no description).

        Examples
        --------
        >>> Parameter("SYS.R_AR", "mmHg*s/mL", 1.0, "systemic arterial resistance").label
        'Systemic arterial resistance'
        >>> Parameter("V_total", "mL", 5.0, "blood volume held by the loop (chambers …)").label
        'Blood volume held by the loop'
        """
        text = self.description.split(" (")[0].split(":")[0].split(";")[0].strip()
        return text[:1].upper() + text[1:] if text else self.name

    def with_default(self, value: float, provenance: Provenance | None = None) -> Parameter:
        """A copy with another default (and optionally another provenance)."""
        return replace(self, default=float(value), provenance=provenance or self.provenance)

    def check(self, value: float) -> str | None:
        """Return a message if ``value`` is not a plausible value of this parameter."""
        lo, hi = self.plausible
        if not np.isfinite(value):
            return f"{self.name} = {value} is not a finite number"
        if not lo <= value <= hi:
            return (f"{self.name} = {value:g} {self.unit} is outside its plausible range "
                    f"{lo:g}–{hi:g} {self.unit}")
        return None
