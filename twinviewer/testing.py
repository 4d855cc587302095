"""Contract checks and pytest fixtures for plugin authors, runnable in their own CI.

Use the checks directly (each returns a list of problems in words; ``assert_*`` raises with
all of them), and the fixtures by adding ``pytest_plugins = ["twinviewer.testing"]`` to the
plugin's ``conftest.py``, or importing them.

Examples
--------
>>> from twinviewer.physiology.presets import MODELS
>>> assert_model(MODELS["regazzoni2022"], members=2)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pytest

from twinviewer.physiology.model import ModelSpec
from twinviewer.plugins.checks import ROLE_UNITS, check_declaration, check_numerics

__all__ = ["ROLE_UNITS", "assert_intervention", "assert_model", "assert_overlay",
           "assert_reader", "assert_sample", "assert_writer", "check_intervention",
           "check_model", "check_overlay", "check_reader", "check_sample", "check_writer",
           "plugin_config", "plugin_registry", "sphere_contexts"]

#: How far (mL) the loop's volume may drift over the recorded beat.
VOLUME_TOL = 0.5


def check_model(model: ModelSpec, members: int = 4, seed: int = 0) -> list[str]:
    """Every contract a plugin model must meet, as a list of problems.

    Declaration (units, priors, plausible ranges, roles, assumptions, context of use),
    numerics at the defaults (shapes, no NaN), then an ensemble drawn from the priors run
    with the plain-numpy engine: every member reaches a periodic state, and the closed loop
    conserves its blood volume over the beat and keeps the member's volume parameter.
    """
    problems = check_declaration(model)
    if problems:
        return problems
    problems = check_numerics(model)
    if problems:
        return problems
    from twinviewer.physiology.ensemble import sample_prior
    from twinviewer.physiology.simulate import Settings, simulate

    P = sample_prior(model, members, base=model.default_vector(), seed=seed)
    r = simulate(model, P, settings=Settings(method="numpy"))
    if not r.ok.all():
        problems.append(f"{int((~r.ok).sum())} of {members} prior members reached no periodic "
                        f"state: {'; '.join(r.errors()[:2])}")
        return problems
    Y = np.stack([r.series[s.name] for s in model.states], axis=-1)  # (N, n, S)
    n = Y.shape[1]
    vols = np.stack([model.conserved_volume(Y[:, k], r.params) for k in range(n)], axis=1)
    drift = float(np.max(np.ptp(vols, axis=1)))
    if drift > VOLUME_TOL:
        problems.append(f"the closed loop does not conserve volume: it drifts by {drift:.3g} mL "
                        f"within a beat (allowed {VOLUME_TOL} mL)")
    if "V_total" in model.parameter_names:
        gap = float(np.max(np.abs(vols[:, -1] - r.params[:, model.index("V_total")])))
        if gap > VOLUME_TOL:
            problems.append(f"the loop holds a volume {gap:.3g} mL away from V_total")
    for name, target in model.roles.items():
        if target in model.parameter_names:  # a parameter role: checked by its declaration
            continue
        v = r.series.get(target)
        if v is None:
            problems.append(f"role {name}: series {target!r} is not produced")
    return problems


def check_intervention(intervention, model: ModelSpec, params: np.ndarray | None = None,
                       settings: dict | None = None) -> list[str]:
    """An intervention is a pure function of parameters: same input, same output; the input
    is not modified; only the parameters it declares change."""
    P = np.atleast_2d(model.default_vector() if params is None else params).astype(float)
    before = P.copy()
    try:
        a = intervention.apply(model, P, settings)
        b = intervention.apply(model, P, settings)
    except Exception as exc:
        return [f"{intervention.name}: apply raised {type(exc).__name__}: {exc}"]
    problems = []
    if not np.array_equal(P, before):
        problems.append(f"{intervention.name} modified its input parameters")
    if a is P:
        problems.append(f"{intervention.name} returned its input instead of a new matrix")
    if a.shape != P.shape:
        problems.append(f"{intervention.name} returned shape {a.shape}; expected {P.shape}")
        return problems
    if not np.array_equal(a, b):
        problems.append(f"{intervention.name} is not a pure function: two calls differ")
    changed = {model.parameter_names[j] for j in np.flatnonzero(np.any(a != P, axis=0))}
    undeclared = changed - set(intervention.parameters)
    if undeclared:
        problems.append(f"{intervention.name} changes undeclared parameters: "
                        f"{', '.join(sorted(undeclared))}")
    if not np.all(np.isfinite(a)):
        problems.append(f"{intervention.name} produced NaN or infinite parameters")
    return problems


def check_reader(reader: Callable, path: str | Path, identifying: Iterable[str]) -> list[str]:
    """A reader de-identifies: none of the ``identifying`` strings written into the test file
    appears anywhere in what it returns (searched through its attributes, recursively)."""
    try:
        out = reader(path)
    except Exception as exc:
        return [f"the reader raised {type(exc).__name__}: {exc} on {Path(path).name}"]
    text = _all_text(out).lower()
    return [f"the reader kept identifying text {s!r}" for s in identifying if s.lower() in text]


def _all_text(obj, depth: int = 0) -> str:
    if depth > 6:
        return ""
    if isinstance(obj, np.ndarray):
        return "" if obj.dtype.kind in "biufc" else repr(obj)
    if isinstance(obj, dict):
        return " ".join(f"{k} {_all_text(v, depth + 1)}" for k, v in obj.items())
    if isinstance(obj, list | tuple | set):
        return " ".join(_all_text(v, depth + 1) for v in obj)
    if hasattr(obj, "__dict__"):
        return _all_text(vars(obj), depth + 1)
    return str(obj)


def sphere_contexts(n: int = 162, radius_mm: float = 30.0, results=None, model=None):
    """Overlay contexts on a sphere of ``n`` points: at rest, and contracted by 20 % towards
    its centre (with the resting points as end-diastole), for :func:`check_overlay`."""
    from twinviewer.plugins.outputs import OverlayContext

    k = np.arange(n) + 0.5  # a Fibonacci sphere: evenly spread points
    phi, theta = np.arccos(1 - 2 * k / n), np.pi * (1 + 5 ** 0.5) * k
    pts = radius_mm * np.column_stack([np.cos(theta) * np.sin(phi),
                                       np.sin(theta) * np.sin(phi), np.cos(phi)])
    centre = np.array([10.0, -20.0, 30.0])
    pts += centre
    moved = centre + 0.8 * (pts - centre)
    return [OverlayContext("lv_blood", pts, pts.copy(), results, 0.0, 50.0, model),
            OverlayContext("lv_blood", moved, pts, results, 0.35, 95.0, model),
            OverlayContext("aorta", pts[: n // 3], None, results, 0.6, 5.0, model)]


def check_overlay(overlay, contexts=None) -> list[str]:
    """An overlay declares a title and a unit and returns, for each context, ``None`` or one
    finite value per point (and colours at least one of them).

    ``contexts`` default to :func:`sphere_contexts`; pass your own (e.g. with ``results`` of
    a simulation) when the overlay needs the ensemble.
    """
    from twinviewer.plugins.outputs import declaration_problems, overlay_values

    problems = declaration_problems("overlays", overlay)
    if problems:
        return problems
    coloured = 0
    for ctx in contexts if contexts is not None else sphere_contexts():
        try:
            v = overlay_values(overlay, ctx)
        except Exception as exc:
            problems.append(f"on {ctx.structure} ({len(ctx.points)} points, at "
                            f"{ctx.time:g} of the beat): {type(exc).__name__}: {exc}")
            continue
        coloured += v is not None
    if not problems and not coloured:
        problems.append(f"overlay {overlay.title!r} colours none of the test surfaces")
    return problems


def _found(data: bytes, text: str) -> bool:
    low = data.lower()
    return any(text.lower().encode(enc) in low for enc in ("utf-8", "utf-16-le", "utf-16-be"))


def check_writer(writer: Callable, doc, path: str | Path, identifying: Iterable[str]
                 ) -> list[str]:
    """A writer writes the document to ``path`` and nothing identifying: none of the
    ``identifying`` strings planted in ``doc`` (e.g. in a measurement's source or the
    anatomy's notes) appears in the file, in UTF-8 or UTF-16, in any case."""
    path = Path(path)
    try:
        writer(doc, path)
    except Exception as exc:
        return [f"the writer raised {type(exc).__name__}: {exc}"]
    if not path.is_file() or path.stat().st_size == 0:
        return [f"the writer wrote nothing to {path.name}"]
    data = path.read_bytes()
    return [f"the writer wrote identifying text {s!r} to {path.name}" for s in identifying
            if _found(data, s)]


def check_sample(make: Callable, tmp_dir: str | Path) -> list[str]:
    """A sample opens: ``make()`` returns a twin whose model is installed with the same
    equations, which saves to a .twin file and loads back, and whose first members simulate
    to a periodic state."""
    from twinviewer.io.twinfile import load_twin, save_twin
    from twinviewer.plugins.outputs import sample_twin
    from twinviewer.twins import model_of, simulate_twin

    try:
        twin = sample_twin(make)
        model_of(twin)
    except Exception as exc:
        return [f"the sample did not open: {type(exc).__name__}: {exc}"]
    problems = []
    try:
        f = Path(tmp_dir) / "sample.twin"
        save_twin(f, twin)
        back = load_twin(f).twin
        if not np.array_equal(back.ensemble, twin.ensemble):
            problems.append("the sample's ensemble changed on a save and load")
    except Exception as exc:
        problems.append(f"the sample does not save and load as a .twin: "
                        f"{type(exc).__name__}: {exc}")
    from dataclasses import replace

    r = simulate_twin(replace(twin, ensemble=twin.ensemble[:2]))
    if not r.ok.all():
        problems.append(f"the sample's first members reach no periodic state: "
                        f"{'; '.join(r.errors()[:2])}")
    return problems


def _raise(problems: list[str], what: str) -> None:
    if problems:
        raise AssertionError(f"{what} breaks its contract:\n  - " + "\n  - ".join(problems))


def assert_model(model: ModelSpec, **kw) -> None:
    """:func:`check_model`, raising ``AssertionError`` listing every problem."""
    _raise(check_model(model, **kw), f"model {model.name!r}")


def assert_intervention(intervention, model: ModelSpec, **kw) -> None:
    """:func:`check_intervention`, raising ``AssertionError`` listing every problem."""
    _raise(check_intervention(intervention, model, **kw), f"intervention {intervention.name!r}")


def assert_reader(reader: Callable, path, identifying: Iterable[str]) -> None:
    """:func:`check_reader`, raising ``AssertionError`` listing every problem."""
    _raise(check_reader(reader, path, identifying), "the reader")


def assert_overlay(overlay, contexts=None) -> None:
    """:func:`check_overlay`, raising ``AssertionError`` listing every problem."""
    _raise(check_overlay(overlay, contexts), f"overlay {getattr(overlay, 'title', overlay)!r}")


def assert_writer(writer: Callable, doc, path, identifying: Iterable[str]) -> None:
    """:func:`check_writer`, raising ``AssertionError`` listing every problem."""
    _raise(check_writer(writer, doc, path, identifying), "the writer")


def assert_sample(make: Callable, tmp_dir) -> None:
    """:func:`check_sample`, raising ``AssertionError`` listing every problem."""
    _raise(check_sample(make, tmp_dir), "the sample")


@pytest.fixture
def plugin_config(tmp_path, monkeypatch):
    """A private plugin configuration (approvals, disabled list) and a fresh registry."""
    from twinviewer.plugins.registry import core_lists_kept, reset_registry

    monkeypatch.setenv("TWINVIEWER_CONFIG_DIR", str(tmp_path / "config"))
    reset_registry()
    with core_lists_kept():  # loaded plugin contributions leave the core's lists as they were
        yield tmp_path / "config"
    reset_registry()


@pytest.fixture
def plugin_registry(plugin_config):
    """``make(*folders, approve=True)``: a registry with the installed plugins plus plugin
    folders, approved so they can run; it becomes the session's registry."""
    from twinviewer.plugins.registry import Registry, reset_registry

    def make(*folders, approve: bool = True, entry_points=None) -> Registry:
        reg = Registry(folders=folders, entry_points=entry_points)
        if approve:
            for name, rec in list(reg.plugins.items()):
                if rec.status == "needs approval":
                    reg.approve(name)
        reset_registry(reg)
        return reg

    return make
