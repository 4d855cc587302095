"""A robust (heavy-tailed) calibration prior: a two-component scale mixture of normals.

The calibration's prior is Gaussian in the whitened parameters ``z`` (N(0, I), the population
prior around the preset; :mod:`~twinviewer.personalize.space`). A patient from the tails of
the population — or from a population wider than the prior assumes (the 2×-wide setting of
:mod:`~twinviewer.personalize.synthetic`) — is then shrunk to the centre in every direction
the data do not see, and the posterior's spread there is the population's, however atypical
the measured data are. A **scale mixture** replaces it,

    z ~ (1 − w)·N(0, I) + w·N(0, s²·I),

one scale shared by every coordinate (the heart-size mode included): a patient is either
from the population the prior describes, or from a population ``s`` times as wide. This is
the standard robust-Bayes device for prior misspecification (Berger 1985, *Statistical
Decision Theory and Bayesian Analysis* §4.7; Berger 1994, "An overview of robust Bayesian
analysis", *Test* 3:5–124, ε-contamination classes; O'Hagan & Pericchi 2012, "Bayesian
heavy-tailed models and conflict resolution", *Braz. J. Probab. Stat.* 26:372–401): data in
conflict with the prior move the posterior to the wide component, which leaves the
conflicting patient its tails, while data the prior explains keep nearly all weight on the
population prior, so a typical patient's data-informed outputs hardly move.

How the posterior uses it (:func:`wide_weight`, :func:`scales`): the posterior of a mixture
prior is the mixture of the components' posteriors, weighted by each component's evidence,

    π = w·p(y | s) / ((1 − w)·p(y | 1) + w·p(y | s)).

The evidences come from the prior ensemble the calibration simulates anyway (at scale 1):
its predictions ``G`` of the data give a Gaussian prior predictive N(ḡ, C + Γ), and the wide
component's, linearised about ḡ, is N(ḡ, s²·C + Γ) (Γ the data-error covariance). Then a
fraction π of the ensemble's members start from the wide component (their ``z`` scaled by
``s``) and the tempered ensemble Kalman inversion moves every member as before: in the
directions the data inform the members are pulled to the data, in those they leave alone a
wide member keeps its wide spread. The bare population prior ensemble stays what the result
reports as the prior (the width ratios are against it).

This is an **approximation** of the mixture's posterior, not the posterior itself: the EKI
moves all members with one pooled Kalman gain (from the ensemble's pooled covariance), not
each component with its own gain and then reweights; π is fixed once from the prior
ensemble's linearised evidences; and the labels are a stratified draw of round(π·n)
members (none when that is 0: the population prior alone, and the reported wide share is
then 0). What supports using it is empirical — the leave-one-seed-out coverage tables below
(and docs/notes/coverage11.md) — not an exactness argument.

Choice of ``w`` and ``s`` (:data:`DEFAULT`): ``s = 2`` is the contamination the issue names
(a population twice as wide as the prior; Berger's ε-contamination needs a class of
alternatives, and "twice as wide" is the one checked). ``w`` was chosen by cross-validation
across the settings: for each ``w`` the training patients (seeds 2026 and 11, four
settings, standard set and volume curves) were calibrated anew, the discrepancy term was
relearned on them, and each seed was scored with the term learned on the other
(leave-one-seed-out; model 3.1, session 11, docs/notes/coverage11.md). Standard set, own /
perturbed / regazzoni2022 / wide, and the worst setting's distance from 90 %:

=========  ===============================  ======
``w``      coverage (%)                     worst
=========  ===============================  ======
0 (Gauss)  96.8 / 97.0 / 90.2 / 82.0        8.0
0.1        96.0 / 97.4 / 85.8 / 81.4        8.6
0.2        95.4 / 97.2 / 88.0 / 82.3        7.7
0.3        95.4 / 97.6 / 86.8 / 84.1        7.6
=========  ===============================  ======

0.2 and 0.3 tie on the standard set (0.1 point, inside the seeds' scatter of ±3 points);
with volume curves 0.2 gave 95.2 / 96.2 / 91.1 / 86.5 % and 0.3 95.5 / 97.8 / 89.1 / 87.0 %
(Gaussian: 95.5 / 96.8 / 85.2 / 84.5 %), so 0.2, the smaller contamination: a larger ``w``
widens the typical patients' outputs more (each member from the wide component costs them
spread), which the robust prior is meant to leave alone. With 0.2 the bare ensemble's
coverage of the four settings, 84 / 86 / 59 / 54 % under the Gaussian prior, becomes
88 / 90 / 68 / 67 %.

When the wide members cannot reach a posterior within the iterations allowed (a grossly
impossible patient), the calibration falls back to the population prior alone and says so
in its warnings, rather than refusing the patient.

>>> import numpy as np
>>> G = np.random.default_rng(0).normal(0.0, 1.0, (400, 2))
>>> typical = wide_weight(G, np.array([0.3, -0.5]), np.array([0.1, 0.1]), RobustPrior(0.2, 2.0))
>>> atypical = wide_weight(G, np.array([3.0, -3.5]), np.array([0.1, 0.1]), RobustPrior(0.2, 2.0))
>>> bool(typical < 0.2 < atypical)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RobustPrior:
    """The scale mixture ``(1 − weight)·N(0, I) + weight·N(0, scale²·I)`` on the whitened
    parameters (module docstring); ``weight = 0``: the Gaussian population prior alone."""

    weight: float
    scale: float = 2.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.weight < 1.0:
            raise ValueError(f"robust prior weight {self.weight!r} must be in [0, 1)")
        if self.scale < 1.0:
            raise ValueError(f"robust prior scale {self.scale!r} must be ≥ 1")

    @property
    def active(self) -> bool:
        return self.weight > 0.0 and self.scale > 1.0

    def describe(self) -> str:
        """One phrase for the provenance.

        >>> RobustPrior(0.2, 2.0).describe()
        'robust prior: 80 % population prior, 20 % a population 2× as wide'
        """
        if not self.active:
            return "Gaussian population prior"
        return (f"robust prior: {1 - self.weight:.0%} population prior, {self.weight:.0%} a "
                f"population {self.scale:g}× as wide").replace("%", " %")


#: The smallest ensemble the mixture is used with: the size its coverage tables were
#: calibrated at (``coverage --members 48``). Below it the pooled-gain update of a two-scale
#: ensemble is unvalidated, and it failed: a 32-member first visit (HR 44, BP 107/60) left a
#: posterior from which the next visit (BP 150/90) could not be fitted (DBP 47 mmHg, z 5.5),
#: while 48, 64 and 200 members fitted it (tests/fhir/test_cli_living.py).
MIN_MEMBERS = 48

#: The calibration's prior (module docstring, "Choice of w and s").
DEFAULT = RobustPrior(0.2, 2.0)
#: The Gaussian population prior alone (the calibration before session 11).
GAUSSIAN = RobustPrior(0.0, 2.0)


def _log_evidence(r: np.ndarray, C: np.ndarray, gamma: np.ndarray) -> float:
    """log N(r; 0, C + diag(gamma)) up to the constant shared by both components."""
    A = C + np.diag(gamma)
    sign, logdet = np.linalg.slogdet(A)
    if sign <= 0:
        return -np.inf
    return float(-0.5 * (logdet + r @ np.linalg.solve(A, r)))


def wide_weight(G: np.ndarray, y: np.ndarray, sigma: np.ndarray, prior: RobustPrior) -> float:
    """Posterior weight π of the wide component given data ``y`` (SDs ``sigma``), from the
    population prior ensemble's predictions ``G`` (N, m) of them (module docstring).

    0 for an inactive prior or without data.
    """
    G = np.asarray(G, dtype=float)
    y = np.asarray(y, dtype=float)
    if not prior.active or y.size == 0 or G.shape[0] < 3:
        return 0.0
    G = G[np.isfinite(G).all(axis=1)]
    if G.shape[0] < 3:
        return 0.0
    r = y - G.mean(axis=0)
    C = np.atleast_2d(np.cov(G, rowvar=False))
    gamma = np.asarray(sigma, dtype=float) ** 2
    l1 = _log_evidence(r, C, gamma)
    ls = _log_evidence(r, prior.scale**2 * C, gamma)
    a = np.log1p(-prior.weight) + l1
    b = np.log(prior.weight) + ls
    if not np.isfinite(b):
        return 0.0
    if not np.isfinite(a):
        return 1.0
    return float(1.0 / (1.0 + np.exp(np.clip(a - b, -700, 700))))


def scales(n: int, pi: float, prior: RobustPrior, rng: np.random.Generator) -> np.ndarray:
    """(n,) each member's prior scale: ``prior.scale`` for round(π·n) members chosen at
    random, 1 for the others (a stratified draw of the component labels).

    >>> s = scales(10, 0.3, RobustPrior(0.2, 2.0), np.random.default_rng(0))
    >>> sorted(s.tolist()).count(2.0)
    3
    """
    out = np.ones(n)
    k = int(round(float(pi) * n))
    if k and prior.active:
        out[rng.choice(n, size=k, replace=False)] = prior.scale
    return out
