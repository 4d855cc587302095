"""Making twins and running them: the glue between :mod:`core` data and :mod:`physiology`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from twinviewer.core.anatomy import Anatomy
from twinviewer.core.provenance import Provenance, Source
from twinviewer.core.twin import Twin
from twinviewer.physiology import (
    MODELS,
    PRESETS,
    ModelError,
    ModelSpec,
    Results,
    get_preset,
    model_for,
)
from twinviewer.physiology.ensemble import sample_prior
from twinviewer.physiology.simulate import Settings, simulate


def twin_from_preset(name: str, *, n: int = 200, seed: int = 0, pseudonym: str = "",
                     anatomy: Anatomy | None = None) -> Twin:
    """A virtual patient from a preset, with a prior ensemble of ``n`` members around it."""
    preset = _preset(name)
    model = preset.model
    base = preset.vector()
    ens = sample_prior(model, n, base=base, seed=seed) if n > 1 else base[None, :].copy()
    prov = {p: Provenance(Source.PRIOR, f"preset {name!r}") for p in model.parameter_names}
    return Twin(
        pseudonym=pseudonym or f"virtual-{name}",
        model_name=model.name,
        model_version=model.version,
        equation_hash=model.equation_hash,
        params=base,
        ensemble=ens,
        ensemble_kind="prior",
        provenance=prov,
        anatomy=anatomy,
        origin=f"preset:{name}",
    )


#: How a plugin's contribution is found: ``(kind, name) -> object`` (KeyError when no plugin
#: has it, ModelError when it failed) and ``kind -> names``. Installed by
#: :func:`twinviewer.plugins.install_lookups` (a layer above: this module never imports the
#: plugin system); until then only the core's models and presets exist.
PLUGIN_LOOKUP: Callable[[str, str], Any] | None = None
PLUGIN_NAMES: Callable[[str], list[str]] | None = None


def _plugin(kind: str, name: str):
    """A contribution of an installed plugin (imported on first use), else KeyError."""
    if PLUGIN_LOOKUP is None:
        raise KeyError(name)
    return PLUGIN_LOOKUP(kind, name)


def _preset(name: str):
    try:
        return get_preset(name)
    except ModelError:
        try:
            return _plugin("presets", name)
        except KeyError:
            raise ModelError(f"unknown preset {name!r}; choose one of: "
                             f"{', '.join(get_registry_names('presets'))}") from None


def get_registry_names(kind: str) -> list[str]:
    """Names of a contribution kind, core and plugins (e.g. for a command's choices)."""
    if PLUGIN_NAMES is not None:
        return PLUGIN_NAMES(kind)
    return list(PRESETS) if kind == "presets" else list(MODELS)


def model_of(twin: Twin) -> ModelSpec:
    """The model a twin is locked to (the installed version or an earlier one kept for its
    twins, :func:`~twinviewer.physiology.presets.model_for`); refuses a model whose
    equations changed."""
    kept = model_for(twin.model_name, twin.model_version, twin.equation_hash)
    if kept is not None:
        return kept
    try:
        model = MODELS.get(twin.model_name)
        if model is None and twin.model_source:  # an imported model the twin carries
            from twinviewer.physiology.svzerod.model import model_from_source

            model = model_from_source(twin.model_source, twin.model_name)
        model = model or _plugin("models", twin.model_name)
    except KeyError:
        raise ModelError(f"this twin needs model {twin.model_name!r}, which is not installed "
                         f"(installed: {', '.join(MODELS)})") from None
    if model.version != twin.model_version or model.equation_hash != twin.equation_hash:
        raise ModelError(
            f"this twin was made with {twin.model_name} v{twin.model_version} (equations "
            f"{twin.equation_hash}); the installed model is v{model.version} (equations "
            f"{model.equation_hash}). It will not be re-run with different equations.")
    return model


def parameter_label(twin: Twin | None, name: str) -> str:
    """The short human label of the twin's model parameter ``name`` (e.g. 'Systemic arterial
    resistance' for ``SYS.R_AR``); ``name`` itself when the model or parameter is unknown.

    Examples
    --------
    >>> parameter_label(twin_from_preset("healthy", n=2), "V_total")
    'Blood volume held by the loop'
    >>> parameter_label(None, "V_total")
    'V_total'
    """
    if twin is None:
        return name
    try:
        return model_of(twin).parameter(name).label
    except (KeyError, ValueError, ModelError):
        return name


def simulate_twin(twin: Twin, *, ensemble: bool = True, warm_start: np.ndarray | None = None,
                  settings: Settings | None = None, progress=None, cancel=None) -> Results:
    """Simulate the twin's ensemble (or only its point estimate)."""
    model = model_of(twin)
    params = twin.ensemble if ensemble else twin.params[None, :]
    return simulate(model, params, warm_start=warm_start, settings=settings,
                    progress=progress, cancel=cancel)


def twin_from_svzerod(path, *, units: str = "SI", n: int = 200, seed: int = 0,
                      pseudonym: str = "") -> Twin:
    """A twin of an svZeroDSolver configuration, with a prior ensemble of ``n`` members.

    The configuration becomes a :class:`ModelSpec` (see
    :func:`twinviewer.physiology.svzerod.model.model_from_config`) registered for this
    session, so the twin runs, calibrates and is explained like any other. The twin carries
    the configuration (``Twin.model_source``), so a saved twin reopens in any session;
    :func:`model_of` rebuilds the model from it and refuses a configuration whose equations
    are no longer the twin's.

    Examples
    --------
    >>> twin = twin_from_svzerod("closed_loop_two_hill.json", n=50)  # doctest: +SKIP
    >>> simulate_twin(twin).summary("LVEF")  # doctest: +SKIP
    """
    from twinviewer.physiology.svzerod.model import model_from_config, model_source

    model = model_from_config(path, units=units)
    MODELS[model.name] = model
    base = model.default_vector()
    ens = sample_prior(model, n, base=base, seed=seed) if n > 1 else base[None, :].copy()
    prov = {p: Provenance(Source.PRIOR, f"svZeroDSolver file {model.name}")
            for p in model.parameter_names}
    return Twin(
        pseudonym=pseudonym or f"virtual-{model.name}",
        model_name=model.name, model_version=model.version,
        equation_hash=model.equation_hash, params=base, ensemble=ens,
        ensemble_kind="prior", provenance=prov, anatomy=None, origin=model.name,
        model_source=model_source(model),
    )


def with_stored_metrics(results: Results, stored: dict | None) -> Results:
    """``results`` with the metric arrays of the twin's stored baseline (a .twin's results
    cache, ``{metric: (N,) array, '_ok': (N,) mask}``) when they are of the same members and
    the same periodic set, else ``results`` itself.

    A re-simulated baseline starts cold, the calibration's was warm-started from its last
    iteration: both are periodic within the engine's tolerance, and members differ by up to
    ~0.06 mmHg in LVEDP (session 10), enough to move a shown median's last digit. The stored
    one is what the calibration summarised, so every view of a saved twin shows it.

    >>> import numpy as np
    >>> from twinviewer.physiology import get_preset, simulate
    >>> p = get_preset("healthy")
    >>> r = simulate(p.model, p.vector()[None])
    >>> with_stored_metrics(r, {"LVEF": np.array([50.0]), "_ok": r.ok}).metrics["LVEF"]
    array([50.])
    """
    if not stored:
        return results
    ok = stored.get("_ok")
    n = results.n
    if ok is None or np.shape(ok) != (n,) or not np.array_equal(np.asarray(ok, bool), results.ok):
        return results
    metrics = dict(results.metrics)
    for k, v in stored.items():
        if k != "_ok" and k in metrics and np.shape(v) == (n,):
            metrics[k] = np.asarray(v, dtype=float)
    return dataclasses.replace(results, metrics=metrics)
