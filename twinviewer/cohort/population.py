"""Virtual populations and per-patient ensembles.

A virtual patient is a parameter vector: the preset's values with the spec's ``vary``
parameters drawn from their population distributions, correlated through a Gaussian copula
(``correlations``), seeded. Each patient's twin is an ensemble of ``members`` plausible
parameter sets around that vector, drawn from the model's prior shapes scaled by
``member_spread`` with a seed derived from (population seed, patient index) — so a patient's
members never depend on how the cohort was split into chunks.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from twinviewer.cohort.spec import CohortSpec, Distribution, SpecError
from twinviewer.physiology import ModelSpec, get_preset


def _correlation_matrix(spec: CohortSpec, names: list[str]) -> np.ndarray:
    C = np.eye(len(names))
    for a, b, rho in spec.correlations:
        i, j = names.index(a), names.index(b)
        C[i, j] = C[j, i] = rho
    if np.linalg.eigvalsh(C).min() <= 1e-9:
        raise SpecError("population.correlations: the correlations are not a valid "
                        "correlation matrix (not positive definite)")
    return C


def _quantile(model: ModelSpec, name: str, d: Distribution, base: float,
              u: np.ndarray) -> np.ndarray:
    if d.dist == "prior":
        return model.parameters[model.index(name)].prior.centred(base).ppf(u)
    if d.dist == "lognormal":
        return d.a * np.exp(d.b * stats.norm.ppf(u))
    if d.dist == "normal":
        return d.a + d.b * stats.norm.ppf(u)
    return d.a + (d.b - d.a) * u


def virtual_population(spec: CohortSpec) -> tuple[ModelSpec, np.ndarray]:
    """The point parameter vectors of a virtual population.

    Returns
    -------
    model, (n, P) array
        Values clipped to each parameter's plausible range.

    Examples
    --------
    >>> from twinviewer.cohort.spec import parse_spec
    >>> spec = parse_spec({"population": {"preset": "severe_as", "n": 5, "seed": 7},
    ...     "scenarios": [{"name": "tavi", "steps": ["tavi_sapien3:size=26"]}],
    ...     "metrics": ["CO"]})
    >>> virtual_population(spec)[1].shape[0]
    5
    """
    if spec.preset is None:
        raise SpecError("population: not a virtual population (it names a folder of twins)")
    preset = get_preset(spec.preset)
    model = preset.model
    base = preset.vector()
    P = np.tile(base, (spec.n, 1))
    names = list(spec.vary)
    if not names:
        return model, P
    rng = np.random.default_rng(np.random.SeedSequence([spec.seed, 0]))
    z = rng.standard_normal((spec.n, len(names)))
    L = np.linalg.cholesky(_correlation_matrix(spec, names))
    u = np.clip(stats.norm.cdf(z @ L.T), 1e-9, 1 - 1e-9)
    for k, name in enumerate(names):
        j = model.index(name)
        lo, hi = model.parameters[j].plausible
        P[:, j] = np.clip(_quantile(model, name, spec.vary[name], base[j], u[:, k]), lo, hi)
    return model, P


def member_ensemble(model: ModelSpec, point: np.ndarray, members: int, *, seed: int,
                    patient: int, spread: float = 1.0) -> np.ndarray:
    """A patient's ensemble: ``members`` parameter sets around ``point``.

    Member 0 is the point itself; the others draw every parameter from its prior's shape
    centred on the patient's value, with the prior's spread times ``spread``, clipped to
    the plausible range. The seed is (``seed``, ``patient``), independent of chunking.

    Examples
    --------
    >>> from twinviewer.physiology import get_preset
    >>> p = get_preset("healthy")
    >>> member_ensemble(p.model, p.vector(), 4, seed=0, patient=3).shape[0]
    4
    """
    point = np.asarray(point, dtype=float)
    E = np.tile(point, (members, 1))
    if members == 1 or spread == 0:
        return E
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1, patient]))
    z = rng.standard_normal((members - 1, point.size))
    for j, par in enumerate(model.parameters):
        pr = par.prior
        x = point[j]
        if pr.kind == "lognormal":
            if pr.loc <= 0 or x <= 0:  # point mass: an absent thing stays absent
                continue
            col = x * np.exp(spread * pr.scale * z[:, j])
        elif pr.kind == "normal":
            col = x + spread * pr.scale * z[:, j]
        else:
            col = x + spread * pr.scale * (stats.norm.cdf(z[:, j]) - 0.5)
        E[1:, j] = np.clip(col, *par.plausible)
    return E
