"""A model is declared, not hard-coded.

A :class:`ModelSpec` holds everything the engine, the calibrator and the explainer need to
know about a lumped-parameter circulation model: its states and parameters (with units,
priors and plausible ranges), a right-hand side written once for scalars and arrays, its
observable outputs, how to build and volume-correct an initial state, its assumptions and its
context of use. The built-in models are two such declarations; a plugin model is a third.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from twinviewer.core.parameter import Parameter
from twinviewer.core.units import parse_quantity

#: Clinical series roles a model may declare (:attr:`ModelSpec.roles`) and the unit each
#: must have. Metrics, the GUI's cycle signals and calibration quantities read these.
SERIES_ROLES: dict[str, str] = {
    "V_LV": "mL", "V_RV": "mL", "V_LA": "mL", "V_RA": "mL", "p_LV": "mmHg", "p_LA": "mmHg",
    "p_RA": "mmHg", "p_RV": "mmHg", "p_AO": "mmHg", "p_AR_PUL": "mmHg", "Q_AV": "mL/s",
    "Q_MV": "mL/s", "Q_TV": "mL/s", "Q_PV": "mL/s", "Q_VAD": "mL/s",
}


#: Resting adult haemodynamics the built-in models were built and checked in (the presets
#: and the normal and diseased ranges of REFERENCE.md, with margins), in the metrics' units.
ADULT_RESTING_RANGES: dict[str, tuple[float, float]] = {
    "HR": (40.0, 180.0), "LVEF": (10.0, 80.0), "LVEDV": (50.0, 400.0),
    "LVESV": (15.0, 350.0), "SBP": (70.0, 220.0), "DBP": (30.0, 130.0),
    "MAP": (50.0, 160.0), "CO": (1.5, 12.0), "LVEDP": (0.0, 40.0), "LAP": (0.0, 40.0),
    "CVP": (0.0, 25.0), "mPAP": (8.0, 70.0), "LVSP": (60.0, 300.0),
}


class ModelError(ValueError):
    """A model declaration or a parameter value the model cannot use."""


@dataclass(frozen=True)
class StateSpec:
    """One state variable.

    ``atol`` is the absolute cycle-to-cycle change below which the state counts as periodic.
    """

    name: str
    unit: str
    description: str
    atol: float


@dataclass(frozen=True)
class OutputSpec:
    """One observable output (an algebraic function of state, time and parameters)."""

    name: str
    unit: str
    description: str


@dataclass(frozen=True)
class ModelSpec:
    """Declaration of a closed-loop circulation model.

    Parameters
    ----------
    name, version
        Identity of the model; a twin locks both, plus :attr:`equation_hash`.
    states, parameters, outputs
        Declarations with units.
    rhs
        ``rhs(t, y, p, dydt)``: time within the beat ``t``, state ``y``, parameters ``p``.
        Scalars per member in the compiled path; arrays with the ensemble on the last axis in
        the numpy path (``y[i]`` is then a row).
    observe
        ``observe(t, y, p) -> tuple`` of outputs in the order of :attr:`outputs`.
    initial_state
        ``initial_state(p: (N, P)) -> (N, S)``: a cold-start state for each member.
    conserved_volume
        ``conserved_volume(y: (N, S), p: (N, P)) -> (N,)``, the blood volume the closed loop
        conserves (mL).
    set_volume
        ``set_volume(y, p) -> y``: shift the state so its conserved volume equals the
        member's volume parameter (used on cold and warm starts).
    heart_rate_parameter
        Name of the parameter holding the heart rate (bpm).
    assumptions, context_of_use, references
        Text for model cards and explanations.
    drivers, n_drivers
        Optional ``drivers(t, p, out)``: ``n_drivers`` inputs that depend only on the time
        within the beat and the parameters (chamber activations). When given, the
        right-hand side reads them as a fifth argument, ``rhs(t, y, p, dydt, a)``, and the
        compiled engine evaluates them once per member on the step grid instead of four
        times per step in every beat.
    split_step
        Optional ``split_step(t, h, y, p[, a], mem)``: an update, in place, of stiff states
        (valve flows and opening states) over ``h`` ending at time ``t``, everything else
        held (with the drivers ``a`` at ``t`` if the model has drivers). The right-hand
        side returns zero derivatives for those states. The engine advances them half a
        step before and half a step after every RK4 step (Strang splitting, so the coupled
        step is second order if the split step is), the two halves between steps as one
        whole step: the half step after an RK4 step (at the beat's end) is
        ``split_step``, the one before is :attr:`split_rhs` (or ``split_step`` at the RK4
        step's start if the model has no ``split_rhs``). ``mem`` is the split step's
        memory, 8 floats per member kept from step to step: the engine zeroes it when a
        member starts and sets ``mem[0]`` to the RK4 step. The model writes the split step
        to be stable at any step (L-stable implicit or exact exponential updates).
    split_rhs
        Optional ``split_rhs(t, h, y, p, dydt[, a], mem)``: the split step over ``h`` up to
        half an RK4 step after ``t`` with the other states at ``t``, followed by
        ``rhs(t, y, p, dydt[, a])``, in one call, so that what both compute from the states
        the split step does not change (chamber pressures) is computed once.
    """

    name: str
    version: str
    title: str
    states: tuple[StateSpec, ...]
    parameters: tuple[Parameter, ...]
    outputs: tuple[OutputSpec, ...]
    rhs: Callable
    observe: Callable
    initial_state: Callable[[np.ndarray], np.ndarray]
    conserved_volume: Callable[[np.ndarray, np.ndarray], np.ndarray]
    set_volume: Callable[[np.ndarray, np.ndarray], np.ndarray]
    heart_rate_parameter: str = "HR"
    assumptions: tuple[str, ...] = ()
    context_of_use: str = ""
    references: tuple[str, ...] = ()
    equation_sources: tuple[Callable, ...] = field(default=(), repr=False)
    drivers: Callable | None = field(default=None, repr=False)
    n_drivers: int = 0
    split_step: Callable | None = field(default=None, repr=False)
    split_rhs: Callable | None = field(default=None, repr=False)
    #: Roles → the model's own state, output or parameter playing them, for a model whose
    #: names differ from the built-ins': clinical series roles (``'V_LV'``, ``'p_AO'``,
    #: ``'Q_AV'``…, :data:`SERIES_ROLES`) and parameter roles, named as the built-in
    #: four-chamber model's parameters (``'SYS.R_AR'``, ``'LV.EA'``…). Metrics, cycle signals,
    #: calibration quantities and interventions find what they need through :meth:`role`.
    roles: Mapping[str, str] = field(default_factory=dict)
    #: Validity domain as data: metric or parameter name → ``(low, high)`` in its own unit,
    #: inside which the model was built and checked. Predictions outside are flagged by the
    #: explanations (:mod:`twinviewer.explain.validity`); nothing is parsed from prose.
    validity_ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    #: RK4 steps per beat by default (``Settings.steps_per_beat`` None), chosen by accuracy:
    #: a model whose step count was chosen says so where it sets it, with the error measured
    #: and the test that keeps it (e.g. ``four_chamber``); 400 for the others.
    steps_per_beat: int = 400

    # ------------------------------------------------------------------ lookup
    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.outputs)

    def role(self, name: str) -> str | None:
        """The state, output or parameter playing role ``name`` in this model, or None.

        A declared role wins; otherwise a quantity of that very name plays it (the built-in
        models are named in roles).

        Examples
        --------
        >>> from twinviewer.physiology.presets import MODELS
        >>> MODELS["four_chamber_eoa"].role("SYS.R_AR"), MODELS["four_chamber_eoa"].role("x")
        ('SYS.R_AR', None)
        """
        if name in self.roles:
            return self.roles[name]
        if name in self.state_names or name in self.output_names or \
                name in self.parameter_names:
            return name
        return None

    def index(self, name: str) -> int:
        """Column of parameter ``name`` in a parameter matrix."""
        try:
            return self.parameter_names.index(name)
        except ValueError:
            raise ModelError(self._unknown(name)) from None

    def parameter(self, name: str) -> Parameter:
        return self.parameters[self.index(name)]

    def _unknown(self, name: str) -> str:
        import difflib

        close = difflib.get_close_matches(name, self.parameter_names, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return f"model {self.name!r} has no parameter {name!r}{hint}"

    def unit_of(self, name: str) -> str:
        """Unit of a state, output or parameter."""
        for group in (self.states, self.outputs, self.parameters):
            for item in group:
                if item.name == name:
                    return item.unit
        raise ModelError(f"model {self.name!r} has no quantity {name!r}")

    # ------------------------------------------------------------------ values
    def default_vector(self) -> np.ndarray:
        """The model's default parameter values, shape (P,)."""
        return np.array([p.default for p in self.parameters], dtype=float)

    def vector(self, values: Mapping[str, float] | None = None) -> np.ndarray:
        """Default parameters overridden by ``values`` (by name), shape (P,)."""
        v = self.default_vector()
        for name, value in (values or {}).items():
            v[self.index(name)] = float(value)
        return v

    def parse_overrides(self, items: Sequence[str]) -> dict[str, float]:
        """Parse ``['LV.EA=5.0', 'HR=70 bpm']`` into values in the parameters' own units."""
        out: dict[str, float] = {}
        for item in items:
            if "=" not in item:
                raise ModelError(f"override {item!r} is not of the form NAME=VALUE[unit]")
            name, text = (s.strip() for s in item.split("=", 1))
            param = self.parameter(name)
            out[name] = parse_quantity(text, param.unit)
        return out

    def check_parameters(self, P: np.ndarray) -> list[str | None]:
        """One message per ensemble member naming the first implausible parameter, else None."""
        P = np.atleast_2d(P)
        lo = np.array([p.plausible[0] for p in self.parameters])
        hi = np.array([p.plausible[1] for p in self.parameters])
        bad = ~np.isfinite(P) | (P < lo) | (P > hi)
        messages: list[str | None] = []
        for i in range(P.shape[0]):
            cols = np.flatnonzero(bad[i])
            if cols.size == 0:
                messages.append(None)
            else:
                parts = [self.parameters[c].check(P[i, c]) or "" for c in cols[:3]]
                messages.append("; ".join(parts))
        return messages

    # ------------------------------------------------------------------ identity
    @functools.cached_property
    def equation_hash(self) -> str:
        """Digest of every source and constant the equations depend on, so a twin is never
        silently re-run with different equations.

        Follows the right-hand side, the observables and :attr:`equation_sources` down
        through every helper and constant they read (:mod:`.dependencies`); the compiled
        kernel cache uses the same digest. Computed once per declaration: reading the
        sources takes milliseconds, and every run of a twin checks it.
        """
        from twinviewer.physiology.dependencies import equation_digest

        functions = (self.rhs, self.observe, *self.equation_sources)
        for extra in (self.drivers, self.split_step, self.split_rhs):
            if extra is not None:
                functions += (extra,)
        return equation_digest(functions)[:16]
