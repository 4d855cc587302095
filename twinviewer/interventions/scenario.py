"""Scenarios: interventions applied in order to a twin's baseline parameters."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from twinviewer.core.twin import REGULATION_TEXT, InterventionStep, Scenario
from twinviewer.core.twin import shown_name as _tagged
from twinviewer.core.units import UnitError, dimension, parse_quantity
from twinviewer.interventions.intervention import InterventionError
from twinviewer.interventions.library import get_intervention
from twinviewer.physiology.model import ModelSpec


def apply_scenario(model: ModelSpec, params: np.ndarray, scenario: Scenario, *,
                   point: bool = False) -> np.ndarray:
    """Apply a scenario's steps in order.

    Parameters
    ----------
    model : ModelSpec
        The twin's model.
    params : (N, P) or (P,) ndarray
        Baseline parameters; not modified.
    scenario : Scenario
        Steps (intervention name, settings) applied in order.
    point : bool, default: False
        Single-twin mode: settings that only describe ensemble spread (e.g. a prosthesis EOA
        SD) are set to zero, so one member gets the expected value.

    Returns
    -------
    (N, P) ndarray
    """
    P = np.array(np.atleast_2d(params), dtype=float)
    for k, step in enumerate(scenario.steps):
        iv = get_intervention(step.name)
        settings = dict(step.settings)
        if point:
            settings.update({s.name: 0.0 for s in iv.settings if s.spread
                             and s.limits[0] <= 0.0})
        try:
            P = iv.apply(model, P, settings)
        except InterventionError as exc:
            raise InterventionError(f"scenario {scenario.name!r}, step {k + 1}: {exc}") from None
    return P


def held_parameters(scenario: Scenario) -> tuple[str, ...]:
    """Parameters that a device in the scenario holds at its setting, or whose reflex
    control a drug in it blocks: the baroreflex of a regulated what-if leaves them alone. A
    step at zero dose (main setting 0) holds nothing.

    Examples
    --------
    >>> held_parameters(Scenario("p", (InterventionStep("pacing", {"rate": 90.0}),)))
    ('HR',)
    >>> held_parameters(Scenario("b", (InterventionStep("beta_blocker", {"dose": 0.0}),)))
    ()
    """
    held: list[str] = []
    for step in scenario.steps:
        iv = get_intervention(step.name)
        main = iv.main_setting
        if main and step.settings.get(main, iv.setting(main).default) == 0.0:
            continue
        held += [h for h in iv.holds if h not in held]
    return tuple(held)


def parse_step(text: str) -> InterventionStep:
    """Parse ``'tavi:eoa=1.8,pvl=1'`` (or ``'lvad:speed=6 krpm'``) into a step.

    Values may carry a unit convertible to the setting's unit; a bare number is taken in the
    setting's unit.
    """
    name, _, rest = text.strip().partition(":")
    iv = get_intervention(name.strip())
    settings: dict[str, float] = {}
    for item in filter(None, (s.strip() for s in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq:
            raise InterventionError(f"{iv.name}: {item!r} is not of the form SETTING=VALUE")
        spec = iv.setting(key.strip())
        settings[spec.name] = _parse_value(iv.name, spec.name, spec.unit, value.strip())
    iv.validate(settings)
    return InterventionStep(iv.name, settings)


def _parse_value(owner: str, key: str, unit: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    try:
        dimension(unit)
    except (UnitError, KeyError):
        raise InterventionError(f"{owner}: setting {key!r} = {text!r} is not a number "
                                f"(unit {unit})") from None
    try:
        return parse_quantity(text, unit)
    except UnitError as exc:
        raise InterventionError(f"{owner}: setting {key!r}: {exc}") from None


def parse_scenario(text: str, name: str | None = None) -> Scenario:
    """Parse ``'tavi:eoa=1.8 + beta_blocker:dose=5'`` (steps joined by ``+``).

    A trailing ``@regulated`` (or ``@acute``, the default) chooses whether the arterial
    baroreflex acts (:mod:`~twinviewer.interventions.baroreflex`).

    Examples
    --------
    >>> s = parse_scenario("vasodilator:level=3 @regulated")
    >>> s.name, s.regulation
    ('vasodilator(level=3)', 'regulated')
    """
    body, _, mode = text.partition("@")
    mode = mode.strip() or "acute"
    from twinviewer.interventions.baroreflex import check_mode

    check_mode(mode)
    steps = tuple(parse_step(s) for s in body.split("+") if s.strip())
    if not steps:
        raise InterventionError(f"scenario {text!r} has no intervention")
    return Scenario(name or scenario_label(steps, mode), steps, mode)


def step_text(step: InterventionStep) -> str:
    """One step in words: the intervention's short title, its main setting and any setting
    that differs from its default, each with its label and unit (never a code name).

    Examples
    --------
    >>> step_text(InterventionStep("beta_blocker", {"dose": 10.0}))
    'Beta-blocker 10 mg'
    >>> step_text(InterventionStep("tavi_sapien3", {"size": 26.0, "pvl": 1.0}))
    'TAVI with SAPIEN 3 by size 26 mm, paravalvular leak grade 1'
    """
    from twinviewer.core.format import unit

    try:
        iv = get_intervention(step.name)
    except KeyError:  # not installed: say what the file holds
        return step.name + "".join(f" {k} {v:g}" for k, v in step.settings.items())
    title, main, rest = iv.title.split(" (")[0].split(",")[0], "", []
    for k, v in step.settings.items():
        try:
            st = iv.setting(k)
        except KeyError:
            continue
        u = unit(st.unit)
        if u.isalpha() and u.islower() and u not in ("mm", "mg", "rpm", "bpm", "ms"):
            value = f"{u} {v:g}"  # a scale, not a unit: 'level 3', 'grade 1'
        else:
            value = f"{v:g} {u}".strip()
        if k == iv.main_setting:
            main = f" {value}"
        elif v != st.default:
            rest.append(f"{(st.label or k).lower()} {value}")
    return ", ".join([title + main, *rest])


def scenario_label(steps: Sequence[InterventionStep], regulation: str = "acute") -> str:
    """The command line's default name, in the spec's own terms:
    ``'tavi(eoa=1.8) + beta_blocker(dose=5)'`` (the GUI names by :func:`scenario_title`).

    Shows each step's main setting and any setting that differs from its default. The
    response mode is data (``Scenario.regulation``), not part of the name: :func:`shown_name`
    adds it wherever a name is read (``regulation`` is accepted for old callers and ignored).
    """
    parts = []
    for s in steps:
        iv = get_intervention(s.name)
        shown = {k: v for k, v in s.settings.items()
                 if k == iv.main_setting or v != iv.setting(k).default}
        args = ",".join(f"{k}={v:g}" for k, v in shown.items())
        parts.append(f"{s.name}({args})" if args else s.name)
    return " + ".join(parts)


def scenario_title(steps: Sequence[InterventionStep], regulation: str = "acute") -> str:
    """A default name in words: ``'TAVI with SAPIEN 3 by size 26 mm + Beta-blocker 5 mg'``
    (each step by :func:`step_text`). The response mode is not part of the name; it is shown
    by :func:`shown_name` (``regulation`` is accepted for old callers and ignored).

    Examples
    --------
    >>> scenario_title([InterventionStep("beta_blocker", {"dose": 10.0})], "regulated")
    'Beta-blocker 10 mg'
    """
    return " + ".join(step_text(s) for s in steps)


def untagged(name: str) -> str:
    """``name`` without a trailing response-mode tag (files before session 9 stored a
    regulated scenario as ``'… [baroreflex regulated]'``).

    Examples
    --------
    >>> untagged("Beta-blocker 5 mg [baroreflex regulated]"), untagged("my plan")
    ('Beta-blocker 5 mg', 'my plan')
    """
    for text in REGULATION_TEXT.values():
        if name.endswith(f" [{text}]"):
            return name[: -len(text) - 3]
    return name


def unique_name(scenario: Scenario, existing: Sequence[Scenario]) -> Scenario:
    """``scenario`` renamed with its response mode when another scenario already holds its
    name (the same steps run acute and regulated), so results never share a key.

    Examples
    --------
    >>> a = Scenario("Beta-blocker 5 mg", (), "acute")
    >>> unique_name(Scenario("Beta-blocker 5 mg", (), "regulated"), [a]).name
    'Beta-blocker 5 mg [baroreflex regulated]'
    """
    if scenario.name in {s.name for s in existing}:
        return Scenario(_tagged(scenario), scenario.steps, scenario.regulation)
    return scenario


def shown_name(scenario: Scenario) -> str:
    """The name a reader sees: a command-line auto-name (:func:`scenario_label`, code names)
    in words (:func:`scenario_title`), a name the user gave as it is, each with its response
    mode, so every result says whether the baroreflex acted.

    Examples
    --------
    >>> step = InterventionStep("beta_blocker", {"dose": 5.0})
    >>> shown_name(Scenario("beta_blocker(dose=5)", (step,), "acute"))
    'Beta-blocker 5 mg [acute, unregulated]'
    >>> shown_name(Scenario("my plan", (step,), "regulated"))
    'my plan [baroreflex regulated]'

    A file written before the mode was kept out of names reads the same:

    >>> shown_name(Scenario("beta_blocker(dose=5) [baroreflex regulated]", (step,), "regulated"))
    'Beta-blocker 5 mg [baroreflex regulated]'
    """
    try:
        auto = bool(scenario.steps) and untagged(scenario.name) == scenario_label(scenario.steps)
    except (KeyError, InterventionError):  # an intervention not installed: keep the name
        auto = False
    if auto:
        scenario = Scenario(scenario_title(scenario.steps), scenario.steps, scenario.regulation)
    return _tagged(scenario)
