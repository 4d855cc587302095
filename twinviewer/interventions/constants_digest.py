"""Which intervention constants a stored what-if result was computed with.

A scenario's result depends on the model equations (the twin's ``equation_hash``) *and* on
the interventions it applies: the drug and device magnitudes (``drugs.INO_*``, ``BB_*`` …),
the prostheses' EOAs, the setting defaults, for a regulated what-if the baroreflex gains
(``baroreflex.G_HR`` …) and, for a β-blocker in either mode, the resting sympathetic support
it withdraws (``baroreflex.SUPPORT_HF``). None of those is in the equation hash, so a stored
result would stay "current" after they change. :func:`scenario_digest` hashes them with the
mechanism of the equation hash (:func:`twinviewer.physiology.dependencies.equation_digest`:
the source of every function reached from the scenario's transforms and checks, and the value
of every module constant they read), plus each setting's default and limits. It is stored with the
scenario's metrics in the .twin (:data:`KEY`); a stored result whose digest is missing or
differs is not shown as current.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from twinviewer.core.twin import Scenario
from twinviewer.interventions.intervention import InterventionError, scale_relative
from twinviewer.interventions.library import get_intervention
from twinviewer.interventions.scenario import (
    application_order,
    beta_agonist_steps,
    combined_steps,
    withdraws_support,
)
from twinviewer.physiology.dependencies import _source, equation_digest

#: The stored results' key holding the digest (a 1-D array, like ``'_ok'``).
KEY = "_interventions"
#: Hex digits kept: 13 (52 bits) are held exactly by a float64, the stored arrays' type.
DIGITS = 13


def scenario_digest(scenario: Scenario) -> str:
    """13 hex digits naming the intervention code and constants ``scenario`` runs with.

    Examples
    --------
    >>> from twinviewer.core.twin import InterventionStep
    >>> bb = Scenario("bb", (InterventionStep("beta_blocker", {"dose": 5.0}),))
    >>> len(scenario_digest(bb)), scenario_digest(bb) == scenario_digest(bb)
    (13, True)
    """
    from twinviewer.interventions import baroreflex

    functions = []
    h = hashlib.sha256()
    persists = []
    for step in scenario.steps:
        try:
            iv = get_intervention(step.name)
        except InterventionError:
            h.update(f"unknown {step.name}".encode())
            continue
        # a plug-in's own code, not the registry's guard around it (its source is the same
        # for every plug-in: a changed hold_fraction kept the digest, last16 #1)
        functions += [inspect.unwrap(f) for f in (iv.transform, iv.check, iv.hold_fraction)
                      if f is not None]
        persists.append(iv.persists)
        h.update(repr([(s.name, s.default, tuple(s.limits)) for s in iv.settings]).encode())
    try:
        groups = [(ks, st.settings) for ks, st in combined_steps(scenario.steps)]
    except InterventionError:
        groups = []
    if any(len(ks) > 1 for ks, _ in groups):  # two doses of one drug summed (drugs17)
        # the rule's own source, not what it looks up (the registry): a scenario without
        # such steps keeps its digest
        h.update(_source(combined_steps) + repr(groups).encode())
    if any(persists) and len(persists) > 1:  # a device applied after the drugs (fix15b)
        functions.append(application_order)
        h.update(repr(application_order(persists)).encode())
    if scenario.regulation == "regulated":
        functions.append(baroreflex.regulate)
    try:
        beta1 = withdraws_support(scenario)
    except Exception:  # noqa: BLE001 - a lookup (no plug-in code runs): never stops a save
        beta1 = False
    if beta1:  # acute or regulated, β1-blockade withdraws the resting support (physio12b)
        functions.append(baroreflex.withdraw_support)
    try:
        agonist = bool(beta_agonist_steps(scenario))
    except (InterventionError, KeyError):
        agonist = False
    if agonist:  # acute or regulated, scaled by the β-receptor responsiveness (physio13)
        functions += [baroreflex.beta_responsiveness, scale_relative]
    h.update(equation_digest(functions).encode())
    return h.hexdigest()[:DIGITS]


def digest_array(digest: str, n: int) -> np.ndarray:
    """``digest`` as the (n,) float64 array stored beside the metrics.

    Examples
    --------
    >>> stored_digest({KEY: digest_array("0123456789abc", 3)})
    '0123456789abc'
    """
    return np.full(n, float(int(digest, 16)), dtype=np.float64)


def stored_digest(metrics: Mapping[str, np.ndarray]) -> str:
    """The digest stored with a scenario's metrics, '' if none (a file of an earlier
    version) or unreadable."""
    a = np.asarray(metrics.get(KEY, []), dtype=np.float64).ravel()
    if not a.size or not np.isfinite(a[0]) or a[0] < 0:
        return ""
    return f"{int(a[0]):0{DIGITS}x}"


def with_digests(results: Mapping[str, Any], scenarios: Sequence[Scenario]) -> dict[str, Any]:
    """``results`` (name → Results or stored metric arrays) as a .twin keeps them: each
    computed result of one of ``scenarios`` becomes its metric arrays with ``'_ok'`` and its
    :func:`scenario_digest` (:data:`KEY`); the baseline and arrays read from a file (which
    carry their own digest, or none) are kept as they are.

    Examples
    --------
    >>> from twinviewer.core.twin import InterventionStep
    >>> from twinviewer.physiology import get_preset, simulate
    >>> p = get_preset("healthy")
    >>> sc = Scenario("bb", (InterventionStep("beta_blocker", {"dose": 5.0}),))
    >>> out = with_digests({"bb": simulate(p.model, p.vector())}, [sc])
    >>> stored_digest(out["bb"]) == scenario_digest(sc)
    True
    """
    by = {s.name: s for s in scenarios}
    out: dict[str, Any] = {}
    for name, r in results.items():
        if name in by and hasattr(r, "metrics") and hasattr(r, "status"):
            d = {k: np.asarray(v, dtype=np.float64) for k, v in r.metrics.items()}
            d["_ok"] = np.asarray(r.ok, dtype=bool)
            d[KEY] = digest_array(scenario_digest(by[name]), d["_ok"].shape[0])
            out[name] = d
        else:
            out[name] = r
    return out


#: A stored what-if result whose digest differs from the installed interventions', in the
#: words every output uses (GUI on open, ``twinviewer info``, the report; review13b #7).
OUT_OF_DATE = ("stored, out of date: the intervention code changed since it was made "
               "(re-run it)")


def held_back(stored: Mapping[str, Mapping[str, np.ndarray]],
              scenarios: Sequence[Scenario]) -> dict[str, str]:
    """The stored scenario results that are *not* current, each with the reason.

    The GUI shows a stored what-if result only when its digest matches the installed
    interventions (:func:`scenario_digest`); ``twinviewer info`` and the headless report
    hold back the same results with this, so no output lists a result the GUI would not.

    Parameters
    ----------
    stored : mapping
        Result name → stored metric arrays, as read from a .twin (the baseline, and results
        computed in this session, are skipped).
    scenarios : sequence of Scenario
        The twin's scenario definitions.

    Examples
    --------
    >>> from twinviewer.core.twin import InterventionStep
    >>> bb = Scenario("bb", (InterventionStep("beta_blocker", {"dose": 5.0}),))
    >>> ok = {"_ok": np.ones(2, bool), KEY: digest_array(scenario_digest(bb), 2)}
    >>> held_back({"baseline": {}, "bb": ok}, [bb])
    {}
    >>> held_back({"bb": {"_ok": np.ones(2, bool)}}, [bb])["bb"]
    'stored, out of date: the intervention code changed since it was made (re-run it)'
    """
    by = {s.name: s for s in scenarios}
    out: dict[str, str] = {}
    for name, metrics in stored.items():
        if name == "baseline" or not isinstance(metrics, Mapping):
            continue  # results computed in this session (not arrays read from a file)
        sc = by.get(name)
        if sc is None:
            out[name] = "no scenario of this name in the twin"
        elif stored_digest(metrics) != scenario_digest(sc):
            out[name] = OUT_OF_DATE
    return out
