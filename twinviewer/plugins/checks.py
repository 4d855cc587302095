"""Contract checks of plugin contributions (shared by the registry and :mod:`twinviewer.testing`).

Each check returns a list of problems in words (empty when the contribution is fine), so the
registry can name them all in one message and a plugin author's test can assert on them.
"""

from __future__ import annotations

import numpy as np

from twinviewer.core.units import dimension
from twinviewer.physiology.jit import python_function
from twinviewer.physiology.model import SERIES_ROLES, ModelSpec

#: Clinical series roles (``ModelSpec.roles``: role → its state or output) and their units.
ROLE_UNITS = SERIES_ROLES


def parameter_roles() -> dict[str, str]:
    """Parameter roles (named as the built-in four-chamber model's parameters) → unit."""
    from twinviewer.physiology.presets import MODELS

    return {p.name: p.unit for p in MODELS["four_chamber_eoa"].parameters}


def _unit_problem(what: str, unit: str) -> str | None:
    if not unit:
        return f"{what} declares no unit"
    try:
        dimension(unit)
    except Exception as exc:  # UnitError or anything a malformed unit raises
        return f"{what}: unit {unit!r} is not understood ({exc})"
    return None


def _validity_problems(model: ModelSpec) -> list[str]:
    """Problems with a model's validity domain (``ModelSpec.validity_ranges``, data)."""
    from twinviewer.physiology.metrics import METRIC_BY_NAME

    ranges = getattr(model, "validity_ranges", None) or {}
    if not ranges:
        return ["no validity ranges declared (ModelSpec.validity_ranges: metric or parameter "
                "→ (low, high) in its unit, the domain the model was built and checked in)"]
    out = []
    for name, rng in ranges.items():
        if name not in METRIC_BY_NAME and name not in model.parameter_names:
            out.append(f"validity range of {name!r}: no metric or parameter of that name")
            continue
        try:
            lo, hi = (float(x) for x in rng)
        except (TypeError, ValueError):
            out.append(f"validity range of {name}: {rng!r} is not (low, high)")
            continue
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            out.append(f"validity range of {name}: {lo}–{hi} is not a finite, non-empty range")
    return out


def check_declaration(model: ModelSpec) -> list[str]:
    """Problems with a model's declaration: units, priors, ranges, roles, assumptions.

    Examples
    --------
    >>> from twinviewer.physiology.presets import MODELS
    >>> check_declaration(MODELS["four_chamber_eoa"])
    []
    """
    if not isinstance(model, ModelSpec):
        return [f"a model must be a ModelSpec, got {type(model).__name__}"]
    problems: list[str] = []
    for s in model.states:
        problems.append(_unit_problem(f"state {s.name}", s.unit))
        if not (np.isfinite(s.atol) and s.atol > 0):
            problems.append(f"state {s.name}: periodicity tolerance atol must be > 0")
    for o in model.outputs:
        problems.append(_unit_problem(f"output {o.name}", o.unit))
    for p in model.parameters:
        problems.append(_unit_problem(f"parameter {p.name}", p.unit))
        lo, hi = p.plausible
        if not lo < hi:
            problems.append(f"parameter {p.name}: plausible range {lo}–{hi} is empty")
        if p.prior is None:
            problems.append(f"parameter {p.name} has no prior")
    if model.heart_rate_parameter not in model.parameter_names:
        problems.append(f"heart-rate parameter {model.heart_rate_parameter!r} is not declared")
    if not model.assumptions:
        problems.append("no assumptions declared")
    if not model.context_of_use.strip():
        problems.append("no context of use declared")
    problems += _validity_problems(model)
    names = {**{s.name: s.unit for s in model.states}, **{o.name: o.unit for o in model.outputs}}
    params = {p.name: p.unit for p in model.parameters}
    known = parameter_roles()
    for role, target in getattr(model, "roles", {}).items():
        if role in ROLE_UNITS:
            where, unit = names, ROLE_UNITS[role]
            what = "state or output"
        elif role in known:
            where, unit = params, known[role]
            what = "parameter"
        else:
            problems.append(f"role {role!r} is neither a series role ({', '.join(ROLE_UNITS)}) "
                            "nor a parameter of the built-in four-chamber model")
            continue
        if target not in where:
            problems.append(f"role {role} names {target!r}, which is no {what}")
        elif where[target] and dimension(where[target]) != dimension(unit):
            problems.append(f"role {role} needs a quantity in {unit}; {target} is "
                            f"in {where[target]}")
    return [p for p in problems if p]


def check_numerics(model: ModelSpec, n: int = 3) -> list[str]:
    """Evaluate a model's functions at its defaults: shapes, finiteness, volume bookkeeping.

    Runs the plain-numpy versions (ensemble on the last axis), at a few times in the beat.
    """
    problems: list[str] = []
    S, nP = len(model.states), len(model.parameters)
    P = np.tile(model.default_vector(), (n, 1))
    y0 = np.asarray(model.initial_state(P), dtype=float)
    if y0.shape != (n, S):
        return [f"initial_state returned shape {y0.shape}; expected ({n}, {S}) "
                f"(members × states)"]
    if not np.all(np.isfinite(y0)):
        return ["initial_state returned NaN or infinite values"]
    vol = np.asarray(model.conserved_volume(y0, P), dtype=float)
    if vol.shape != (n,):
        problems.append(f"conserved_volume returned shape {vol.shape}; expected ({n},)")
    elif not np.all(np.isfinite(vol)):
        problems.append("conserved_volume returned NaN")
    rhs, observe = python_function(model.rhs), python_function(model.observe)
    drivers = python_function(model.drivers) if model.drivers is not None else None
    period = 60.0 / model.default_vector()[model.index(model.heart_rate_parameter)]
    y, p = y0.T.copy(), P.T.copy()
    assert p.shape == (nP, n)
    for t in (0.0, 0.2 * period, 0.5 * period):
        dydt = np.zeros_like(y)
        if drivers is not None:
            a = np.zeros((model.n_drivers, n))
            drivers(t, p, a)
            rhs(t, y, p, dydt, a)
        else:
            rhs(t, y, p, dydt)
        if dydt.shape != (S, n):
            problems.append(f"the right-hand side changed dydt's shape to {dydt.shape}")
            break
        if not np.all(np.isfinite(dydt)):
            bad = [model.states[i].name for i in range(S) if not np.all(np.isfinite(dydt[i]))]
            problems.append(f"the right-hand side returned NaN or infinity for "
                            f"{', '.join(bad)} at t = {t:.3g} s")
            break
        out = observe(t, y, p)
        if len(out) != len(model.outputs):
            problems.append(f"observe returned {len(out)} values; the model declares "
                            f"{len(model.outputs)} outputs")
            break
        for o, v in zip(model.outputs, out, strict=True):
            v = np.broadcast_to(np.asarray(v, dtype=float), (n,)) if np.ndim(v) <= 1 else v
            if np.shape(v) != (n,):
                problems.append(f"output {o.name} has shape {np.shape(v)}; expected ({n},)")
            elif not np.all(np.isfinite(v)):
                problems.append(f"output {o.name} is NaN or infinite at t = {t:.3g} s")
        if problems:
            break
    return problems


def check_contribution(c, obj, root: str | None = None) -> None:
    """Raise ``PluginError`` listing every problem of a loaded contribution.

    A model's numerics are checked in a worker process (see :mod:`.isolation`), so a crash or
    an endless loop in its code cannot take the app down.
    """
    from twinviewer.plugins.registry import PluginError

    problems: list[str] = []
    if c.kind == "models":
        problems = check_declaration(obj)
        if not problems:
            from twinviewer.plugins.isolation import call

            problems = call("twinviewer.plugins.worker:smoke_model", (c.ref, root),
                            label=f"model {c.name!r}")
    elif c.kind == "interventions":
        from twinviewer.interventions.intervention import Intervention

        if not isinstance(obj, Intervention):
            problems = [f"an intervention must be an Intervention, got {type(obj).__name__}"]
    elif c.kind == "presets":
        from twinviewer.physiology.presets import Preset

        if not isinstance(obj, Preset):
            problems = [f"a preset must be a Preset, got {type(obj).__name__}"]
    elif c.kind in ("overlays", "writers", "samples"):
        from twinviewer.plugins.outputs import declaration_problems

        problems = declaration_problems(c.kind, obj)
    elif c.kind == "readers":
        if not callable(obj):
            problems = [f"a {c.kind[:-1]} must be callable"]
    elif not callable(obj):
        problems = [f"a {c.kind[:-1]} contribution must be callable"]
    if problems:
        raise PluginError("; ".join(problems))
