"""The intervention protocol: a declared, validated, pure transform of a twin's parameters.

An :class:`Intervention` never integrates anything. It takes an ensemble's parameter matrix
``(N, P)`` and its settings in clinical units and returns a *new* ``(N, P)`` matrix; the
physiology engine then simulates the result. Settings are declared once (name, unit, default,
allowed range, description) so that the CLI, the GUI and saved scenarios share them.

Bad settings raise :class:`InterventionError` naming the intervention, the setting and the
problem: nothing is silently clamped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from twinviewer.physiology.model import ModelSpec


class InterventionError(ValueError):
    """A setting, a combination of settings or a twin an intervention cannot be applied to."""


@dataclass(frozen=True)
class Setting:
    """One setting of an intervention (a :class:`~twinviewer.core.Parameter`-like spec).

    Parameters
    ----------
    name : str
        Key in the settings dict, e.g. ``'eoa'``.
    unit : str
        Clinical unit shown to the user (``'cm^2'``, ``'mg'``, ``'rpm'``, ``'level'``...).
    default : float
        Value used when the setting is not given.
    limits : (float, float)
        Allowed range; a value outside raises :class:`InterventionError` with ``reason``.
    description : str
        What the setting means, with its source or UNSOURCED.
    label : str
        Short label for forms; the name if empty.
    choices : mapping float -> str, optional
        Named values (prosthesis sizes, dose levels, leak grades); when ``only_choices`` the
        value must be one of them.
    reason_low, reason_high : str
        Why a value below / above the limits is refused (shown in the error).
    spread : bool
        True for settings that describe ensemble spread (e.g. an EOA standard deviation);
        the single-twin path sets them to zero.
    unknown : str
        When the lower limit means "not given" (an annulus diameter of 0: not measured),
        what a form shows there instead of an impossible quantity ("0 mm").
    """

    name: str
    unit: str
    default: float
    limits: tuple[float, float]
    description: str = ""
    label: str = ""
    choices: Mapping[float, str] | None = None
    only_choices: bool = False
    reason_low: str = ""
    reason_high: str = ""
    spread: bool = False
    unknown: str = ""

    def __post_init__(self) -> None:
        lo, hi = self.limits
        if not lo <= self.default <= hi:
            raise ValueError(f"setting {self.name}: default {self.default} outside {lo}–{hi}")

    @property
    def display(self) -> str:
        return self.label or self.name

    @property
    def plausible(self) -> tuple[float, float]:
        """The allowed range (same as ``limits``; named as on :class:`core.Parameter`)."""
        return self.limits

    def check(self, owner: str, value: float) -> float:
        """Return ``value`` as a float, or raise :class:`InterventionError` naming the problem."""
        try:
            x = float(value)
        except (TypeError, ValueError):
            raise InterventionError(f"{owner}: setting {self.name!r} = {value!r} is not a "
                                    f"number (unit {self.unit})") from None
        if not np.isfinite(x):
            raise InterventionError(f"{owner}: setting {self.name!r} = {x} is not a finite "
                                    f"number")
        lo, hi = self.limits
        if x < lo:
            why = f": {self.reason_low}" if self.reason_low else ""
            raise InterventionError(f"{owner}: setting {self.name!r} = {x:g} {self.unit} is "
                                    f"below its minimum {lo:g} {self.unit}{why}")
        if x > hi:
            why = f": {self.reason_high}" if self.reason_high else ""
            raise InterventionError(f"{owner}: setting {self.name!r} = {x:g} {self.unit} is "
                                    f"above its maximum {hi:g} {self.unit}{why}")
        if self.only_choices and self.choices and not any(
                abs(x - c) < 1e-9 for c in self.choices):
            allowed = ", ".join(f"{c:g}" for c in self.choices)
            raise InterventionError(f"{owner}: setting {self.name!r} = {x:g} {self.unit} is "
                                    f"not available; choose one of {allowed} {self.unit}")
        return x


Transform = Callable[["Context", np.ndarray, dict[str, float]], np.ndarray]


@dataclass(frozen=True)
class Context:
    """What a transform may use: the model, per member the column of a parameter, and the
    members' parameters before the scenario (``baseline``; None: the transform's input)."""

    model: ModelSpec
    owner: str
    baseline: np.ndarray | None = field(default=None, repr=False, compare=False)

    def col(self, name: str) -> int:
        """Column of the parameter playing role ``name`` (a built-in parameter name) in this
        model (:meth:`ModelSpec.role`), or a plain refusal naming what the model lacks."""
        own = self.model.role(name)
        if own is None or own not in self.model.parameter_names:
            raise InterventionError(f"{self.owner}: model {self.model.name!r} has no parameter "
                                    f"playing the role {name!r}, which this intervention "
                                    "changes; it cannot be applied to this model")
        return self.model.index(own)

    def has(self, name: str) -> bool:
        """True if a parameter of this model plays role ``name`` (for an optional effect)."""
        own = self.model.role(name)
        return own is not None and own in self.model.parameter_names

    def before(self, P: np.ndarray, name: str) -> np.ndarray:
        """Per member, the value of ``name`` before the scenario's first step (the
        ``baseline``; ``P``'s own where there is none or it is not ``P``'s shape).

        For an effect whose size is the patient's, not what an earlier step left: a
        venodilator widens the venous pool the member has (a fraction of its loop volume), so
        a diuretic before or after it does not change how much it shifts (drugs17: the
        order changed the stressed volume by 46 mL, fix15b).

        Examples
        --------
        >>> from twinviewer.physiology import get_preset
        >>> p = get_preset("hfref")
        >>> P0 = p.vector()[None, :]
        >>> P1 = P0.copy(); P1[0, p.model.index("V_total")] -= 200.0
        >>> ctx = Context(p.model, "demo", baseline=P0)
        >>> float(ctx.before(P1, "V_total")[0] - P1[0, p.model.index("V_total")])
        200.0
        """
        j = self.col(name)
        if self.baseline is not None and np.shape(self.baseline) == np.shape(P):
            return np.asarray(self.baseline, dtype=float)[:, j]
        return np.asarray(P, dtype=float)[:, j].copy()


@dataclass(frozen=True)
class Intervention:
    """A what-if intervention: a declared pure transform of an ensemble's parameters.

    Parameters
    ----------
    name : str
        Registry key used in scenarios and on the command line (``'tavi'``).
    title : str
        Human-readable name.
    settings : tuple of Setting
        Declared settings with units and limits.
    description : str
        What the intervention changes and how (UNSOURCED estimates marked as such).
    evidence : tuple of str
        Sources (from ``shared/INTERVENTIONS.md``) behind the magnitudes.
    assumptions : tuple of str
        Modelling assumptions a user should know.
    transform : callable
        ``transform(ctx, P, settings) -> P_new`` on a copy of ``P``; settings already
        validated and completed with defaults.
    parameters : tuple of str
        Model parameters the intervention changes.
    flags : tuple of str
        Binary metrics to report for this intervention (e.g. ``'LV_suction'``).
    main_setting : str
        The setting an interactive slider drives.
    check : callable, optional
        ``check(ctx, P, settings)`` raising :class:`InterventionError` for a twin or a
        combination of settings the intervention cannot be applied to.
    optional : tuple of str
        Parameters changed only where the model has a parameter playing that role (e.g. the
        β-blocker's venous resistance, which an imported svZeroD model may lack); the
        intervention applies its other effects there. Not required by :meth:`apply`.
    holds : tuple of str
        Parameters a device holds at its setting, or whose reflex control a drug blocks, so
        that the arterial baroreflex of a regulated what-if cannot move them (a pacemaker
        sets HR; a β-blocker blocks the inotropic arm). A step whose main setting is 0 (no
        dose) holds nothing.
    hold_fraction : callable, optional
        ``hold_fraction(settings)``: how much of the hold a step at these settings exerts
        (0–1; a drug's receptor block grows with its dose: the β-blocker,
        :func:`~twinviewer.interventions.drugs.bb_block`). None: the full hold at any
        setting above zero (a pacemaker).
    beta_agonist : tuple of str
        Parameters the intervention moves through cardiac β-adrenergic receptors (dobutamine:
        LV/RV contractility and heart rate). Their change is the non-failing heart's; the
        scenario scales it by each member's β-receptor responsiveness, which falls with its
        baseline LVEF (:func:`~twinviewer.interventions.baroreflex.beta_responsiveness`).
    persists : bool
        A device whose setting no other step of a scenario undoes (a pacemaker: its lower
        rate holds whatever drug is given with it, before or after). A scenario applies such
        steps after all its others, in their own order
        (:func:`~twinviewer.interventions.scenario.application_order`), so the device acts
        on what the drugs made of the heart. Its transform must set or bound values (never
        scale them).
    cumulative : str
        The setting (a drug's dose or infusion rate) whose values add up when a scenario
        gives the intervention more than once with its other settings equal: those steps
        are applied as one step at the summed setting, on the drug's dose–response once
        (:func:`~twinviewer.interventions.scenario.combined_steps`; metoprolol 5 mg then
        7 mg is 12 mg), and the sum must lie within the setting's limits. ``""``: each step
        is applied on its own (a device, a prosthesis).
    """

    name: str
    title: str
    settings: tuple[Setting, ...]
    description: str
    evidence: tuple[str, ...]
    assumptions: tuple[str, ...]
    transform: Transform
    parameters: tuple[str, ...]
    flags: tuple[str, ...] = ()
    main_setting: str = ""
    check: Callable[[Context, np.ndarray, dict[str, float]], None] | None = None
    holds: tuple[str, ...] = ()
    hold_fraction: Callable[[dict[str, float]], float] | None = None
    optional: tuple[str, ...] = ()
    beta_agonist: tuple[str, ...] = ()
    persists: bool = False
    cumulative: str = ""
    _by_name: dict[str, Setting] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {s.name: s for s in self.settings})
        if self.main_setting and self.main_setting not in self._by_name:
            raise ValueError(f"{self.name}: main setting {self.main_setting!r} not declared")
        if self.cumulative and self.cumulative not in self._by_name:
            raise ValueError(f"{self.name}: cumulative setting {self.cumulative!r} not "
                             "declared")

    def setting(self, name: str) -> Setting:
        try:
            return self._by_name[name]
        except KeyError:
            raise InterventionError(self._unknown(name)) from None

    def _unknown(self, name: str) -> str:
        known = ", ".join(s.name for s in self.settings) or "none"
        return f"{self.name}: unknown setting {name!r}; its settings are: {known}"

    def defaults(self) -> dict[str, float]:
        return {s.name: s.default for s in self.settings}

    def validate(self, settings: Mapping[str, float] | None = None) -> dict[str, float]:
        """Settings completed with defaults and checked against their limits."""
        given = dict(settings or {})
        for key in given:
            if key not in self._by_name:
                raise InterventionError(self._unknown(key))
        return {s.name: s.check(self.name, given.get(s.name, s.default))
                for s in self.settings}

    def apply(self, model: ModelSpec, params: np.ndarray,
              settings: Mapping[str, float] | None = None, *,
              beta_response: np.ndarray | float | None = None,
              tolerate: bool = False, baseline: np.ndarray | None = None) -> np.ndarray:
        """Apply the intervention to an ensemble.

        Parameters
        ----------
        model : ModelSpec
            The twin's model (the intervention refuses one without the parameters it needs).
        params : (N, P) or (P,) ndarray
            Baseline parameter values; not modified.
        settings : dict, optional
            Setting name → value in the setting's unit; missing settings take defaults.
        beta_response : (N,) ndarray or float, optional
            Per member, the fraction of the non-failing heart's β-agonist response it gives
            (:func:`~twinviewer.interventions.baroreflex.beta_responsiveness`): the relative
            change of each ``beta_agonist`` parameter is scaled by it before the result is
            checked. None: the transform's own (non-failing) response.
        tolerate : bool, default: False
            An ensemble's members that the result takes out of the model's plausible range
            are left in it as they are (the simulator marks them invalid and they are
            excluded from the what-if, named with the reason) while at least half remain
            (:data:`MIN_KEPT_FRACTION`); False, or a single member: any such member refuses
            the result.
        baseline : (N, P) ndarray, optional
            The members' parameters before the scenario's first step (a scenario passes them
            to every step, :meth:`Context.before`); None: ``params``.

        Returns
        -------
        (N, P) ndarray
            A new parameter matrix.
        """
        values = self.validate(settings)
        P = np.array(np.atleast_2d(params), dtype=float)
        if P.shape[1] != len(model.parameters):
            raise InterventionError(f"{self.name}: expected {len(model.parameters)} parameters "
                                    f"per member for model {model.name!r}, got {P.shape[1]}")
        ctx = Context(model, self.name, P if baseline is None else np.atleast_2d(baseline))
        for name in self.parameters:
            ctx.col(name)
        if self.check is not None:
            self.check(ctx, P, values)
        out = self.transform(ctx, P.copy(), values)
        if bad := result_problem(out, P.shape):
            raise InterventionError(f"{self.name}: its transform {bad}")
        out = np.array(out, dtype=float)
        if beta_response is not None and self.beta_agonist:
            out = scale_relative(ctx, P, out, beta_response, self.beta_agonist)
        _check_result(model, self.name, out, tolerate)
        return out

    def describe(self) -> str:
        """Multi-line text: title, description, settings, evidence and assumptions."""
        lines = [f"{self.name}: {self.title}", f"  {self.description}", "  settings:"]
        from twinviewer.core.format import unit as shown_unit

        for s in self.settings:
            lo, hi = s.limits
            lines.append(f"    {s.name} [{shown_unit(s.unit)}] default {s.default:g}, "
                         f"{lo:g}–{hi:g}: {s.description}")
        if self.cumulative:
            lines.append(f"  given twice in one scenario, its {self.cumulative}s add up: one "
                         "step at the sum, within the limits above")
        lines.append("  evidence:")
        lines += [f"    - {e}" for e in self.evidence]
        lines.append("  assumptions:")
        lines += [f"    - {a}" for a in self.assumptions]
        return "\n".join(lines)


def scale_relative(ctx: Context, before: np.ndarray, after: np.ndarray,
                   fraction: np.ndarray | float, names: tuple[str, ...]) -> np.ndarray:
    """``after`` with the relative change of each parameter in ``names`` (roles; those the
    model lacks are skipped) from ``before`` scaled per member by ``fraction``.

    Examples
    --------
    >>> from twinviewer.physiology import get_preset
    >>> p = get_preset("hfref")
    >>> ctx, j = Context(p.model, "demo"), p.model.index("LV.EA")
    >>> P0 = p.vector()[None, :]
    >>> P1 = P0.copy(); P1[0, j] *= 1.5
    >>> round(float(scale_relative(ctx, P0, P1, 0.365, ("LV.EA",))[0, j] / P0[0, j]), 4)
    1.1825
    """
    r = np.asarray(fraction, dtype=float) * np.ones(after.shape[0])
    out = np.array(after, dtype=float)
    for name in names:
        if not ctx.has(name):
            continue
        j = ctx.col(name)
        b = before[:, j]
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(b != 0.0, out[:, j] / b, 1.0)
        out[:, j] = np.where(b != 0.0, b * (1.0 + (q - 1.0) * r), out[:, j])
    return out


#: Fewest members, as a fraction of the ensemble, that must stay within the plausible range
#: for a what-if to run on them (the others excluded, named): below half, the interval would
#: describe a different twin than the one calibrated, not this one's uncertainty.
MIN_KEPT_FRACTION = 0.5


#: What a transform's result may hold (NumPy dtype kinds): signed and unsigned integers and
#: floats. Booleans, complex numbers, strings and Python objects are refused, even where NumPy
#: would convert them (``"1.5"`` to 1.5): they are a bug in the transform, not parameters.
NUMBER_KINDS = "iuf"


def result_problem(out: object, shape: tuple[int, ...]) -> str:
    """What is wrong with a transform's result ``out`` for an input of ``shape`` (N, P), or
    ``""``: it must be a matrix of numbers of the input's shape. An array-like of numbers of
    that shape (a nested list) is accepted (:meth:`Intervention.apply` converts it to floats);
    finiteness and plausible ranges are checked after this.

    Examples
    --------
    >>> P = np.ones((4, 3))
    >>> result_problem(P * 2, P.shape), result_problem((P * 2).tolist(), P.shape)
    ('', '')
    >>> result_problem(None, P.shape)
    'returned None (expected the (N, P) parameter matrix, here (4, 3): did it `return P`?)'
    >>> result_problem(P[:, :2], P.shape)
    'returned shape (4, 2) (expected the (N, P) parameter matrix, here (4, 3))'
    >>> result_problem(P.astype(str), P.shape)[:42]
    'returned an array of strings (dtype <U32) '
    """
    matrix, here = "the (N, P) parameter matrix", f", here {tuple(shape)}"
    expected = matrix + here
    if out is None:
        return f"returned None (expected {expected}: did it `return P`?)"
    kind = type(out).__name__
    try:
        arr = np.asarray(out)
    except (TypeError, ValueError) as exc:  # e.g. a ragged list
        return f"returned a {kind} that is not a matrix of numbers ({exc}) (expected {expected})"
    if arr.dtype.kind not in NUMBER_KINDS:
        what = {"U": "strings", "S": "bytes", "O": "Python objects", "b": "booleans",
                "c": "complex numbers"}.get(arr.dtype.kind, "values that are not numbers")
        held = "an array" if isinstance(out, np.ndarray) else f"a {kind}"
        return (f"returned {held} of {what} (dtype {arr.dtype}) (expected {matrix} of "
                f"numbers{here})")
    if arr.shape != tuple(shape):
        return f"returned shape {arr.shape} (expected {expected})"
    return ""


def _check_result(model: ModelSpec, owner: str, P: np.ndarray, tolerate: bool = False) -> None:
    """Refuse a result that leaves the model's plausible ranges (never clamp it); with
    ``tolerate``, only when fewer than :data:`MIN_KEPT_FRACTION` of several members stay in."""
    msgs = model.check_parameters(P)
    bad = [i for i, m in enumerate(msgs) if m]
    if not bad:
        return
    n = P.shape[0]
    if tolerate and n > 1 and n - len(bad) >= MIN_KEPT_FRACTION * n:
        return
    why = ("; a what-if needs at least half of the ensemble within it (an interval over "
           "fewer would describe another twin)" if tolerate and n > 1 else "")
    raise InterventionError(
        f"{owner}: {len(bad)} of {n} ensemble members would leave the model's "
        f"plausible range (member {bad[0]}: {msgs[bad[0]]}){why}; choose a milder setting")


def scale(ctx: Context, P: np.ndarray, names: Sequence[str], factor) -> None:
    """Multiply the columns ``names`` of ``P`` by ``factor`` in place."""
    for name in names:
        P[:, ctx.col(name)] *= factor


def interp_levels(x: float, levels: Sequence[float], values: Sequence[float]) -> float:
    """Piecewise-linear value of a dose level (0 = none)."""
    return float(np.interp(x, levels, values))
