"""Scenarios: interventions applied in order to a twin's baseline parameters."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from twinviewer.core.twin import REGULATION_TEXT, InterventionStep, Scenario
from twinviewer.core.twin import shown_name as _tagged
from twinviewer.core.units import UnitError, dimension, parse_quantity
from twinviewer.interventions.intervention import InterventionError
from twinviewer.interventions.library import get_intervention
from twinviewer.physiology.model import ModelSpec


def apply_scenario(model: ModelSpec, params: np.ndarray, scenario: Scenario, *,
                   point: bool = False, baseline_lvef: np.ndarray | float | None = None,
                   tolerate: bool = False) -> np.ndarray:
    """Apply a scenario's steps in order (a device that holds its setting, a pacemaker,
    after all the others: :func:`application_order`).

    A step that blocks β1 receptors (an intervention holding ``"LV.EA"``, a β-blocker, at a
    dose above zero) also withdraws each member's resting sympathetic support of contractility,
    which depends on the member's baseline LVEF
    (:func:`~twinviewer.interventions.baroreflex.withdraw_support`): the same in an acute and a
    regulated what-if, and in a preview and the full run. A β-agonist step (an intervention
    with ``beta_agonist`` parameters, dobutamine) has its cardiac effect scaled by each
    member's β-receptor responsiveness, which falls with its baseline LVEF
    (:func:`~twinviewer.interventions.baroreflex.beta_responsiveness`, physio13).

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
    baseline_lvef : (N,) ndarray or float, optional
        The members' baseline LVEF (%), the run of ``params``, used only when the scenario
        blocks β1 or has a β-agonist (:func:`depends_on_lvef`). If None there, a run of the
        same parameters this process already holds is used (:func:`remember_baseline`: the
        open document's baseline), else ``params`` are simulated once (:func:`baseline_lvef_of`).
    tolerate : bool, default: False
        Members a step takes out of the model's plausible range stay in the result as they are
        (the simulator marks them invalid; the what-if's flags name them,
        :func:`~twinviewer.interventions.compare.scenario_flags`) while at least half
        of several remain (:meth:`~twinviewer.interventions.intervention.Intervention.apply`);
        False: any such member refuses the scenario.

    Returns
    -------
    (N, P) ndarray

    Examples
    --------
    >>> from twinviewer.physiology import get_preset
    >>> p = get_preset("hfref")
    >>> bb = Scenario("bb", (InterventionStep("beta_blocker", {"dose": 12.0}),))
    >>> P = apply_scenario(p.model, p.vector(), bb, baseline_lvef=20.0)
    >>> ea = p.model.index("LV.EA")
    >>> round(float(P[0, ea] / p.vector()[ea]), 3)  # Haber 1993: Ees −27 % in CHF
    0.727
    """
    P0 = np.array(np.atleast_2d(params), dtype=float)
    # Bad settings fail here, before any simulation (a β-agonist at the least response).
    P = _steps(model, P0, scenario, point, least_response=True, tolerate=tolerate)
    if not depends_on_lvef(scenario):
        return P
    if baseline_lvef is None:
        lvef = baseline_lvef_of(model, P0)
    else:
        lvef = np.asarray(baseline_lvef, dtype=float)
        if lvef.ndim > 1 or lvef.size not in (1, P0.shape[0]):
            raise InterventionError(
                f"scenario {scenario.name!r}: baseline LVEF has {lvef.size} value(s) for "
                f"{P0.shape[0]} member(s)")
    return _steps(model, P0, scenario, point, lvef, tolerate=tolerate)


@dataclass(frozen=True)
class AppliedScenario:
    """A scenario whose steps were applied where their interventions live, ready to be
    simulated anywhere: a plug-in's transform runs in the app (where its plug-in is loaded
    and guarded), and the simulation in a helper process that loads no plug-ins.
    :func:`~twinviewer.interventions.run_scenarios` and
    :meth:`~twinviewer.interventions.SingleTwinPredictor.predict` take it in place of the
    scenario and give the same numbers (they run the same matrix, with the same ``held``
    effectors for the baroreflex, which never applies the steps again).

    Parameters
    ----------
    scenario : Scenario
        The scenario as the user defined it (its name and response mode).
    params : (N, P) ndarray
        The baseline parameters with its steps applied (:func:`apply_scenario`).
    held : tuple of str
        :func:`held_parameters` of the scenario (what a regulated run leaves alone).
    """

    scenario: Scenario
    params: np.ndarray
    held: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def regulation(self) -> str:
        return self.scenario.regulation


def applied(model: ModelSpec, params: np.ndarray, scenario: Scenario, *, point: bool = False,
            baseline_lvef: np.ndarray | float | None = None,
            tolerate: bool = False) -> AppliedScenario:
    """``scenario`` applied to ``params`` (:func:`apply_scenario`, same arguments) with what
    a run of it needs besides: an :class:`AppliedScenario`.

    Examples
    --------
    >>> from twinviewer.physiology import get_preset
    >>> p = get_preset("healthy")
    >>> a = applied(p.model, p.vector(), Scenario(
    ...     "p", (InterventionStep("pacing", {"rate": 90.0}),), "regulated"))
    >>> a.name, a.held, float(a.params[0, p.model.index("HR")])
    ('p', ('HR',), 90.0)
    """
    P = apply_scenario(model, params, scenario, point=point, baseline_lvef=baseline_lvef,
                       tolerate=tolerate)
    return AppliedScenario(scenario, P, held_parameters(scenario))


def check_scenario(model: ModelSpec, params: np.ndarray, scenario: Scenario) -> None:
    """Raise the :class:`InterventionError` that :func:`apply_scenario` would raise for
    ``scenario`` on ``params``, without simulating anything (a β-blocker's withdrawal, which
    needs the baseline LVEF, cannot fail; a β-agonist is judged at the least response of any
    heart, so what this passes a non-failing heart may still refuse): for a form that only
    checks what the user chose.

    Examples
    --------
    >>> from twinviewer.physiology import get_preset
    >>> p = get_preset("hfref")
    >>> check_scenario(p.model, p.vector(), Scenario("bb", (InterventionStep(
    ...     "beta_blocker", {"dose": 10.0}),)))
    """
    # A β-agonist is checked at the smallest response any heart gives (a failing one's):
    # the check refuses only what no heart could take; apply_scenario judges each member's.
    # Tolerant as the run is (members beyond the plausible range are excluded there, named):
    # an untolerant check refused in the GUI what `whatif` runs (review14 #4, dobutamine 15).
    _steps(model, np.array(np.atleast_2d(params), dtype=float), scenario, False,
           least_response=True, tolerate=True)


def _steps(model: ModelSpec, P: np.ndarray, scenario: Scenario, point: bool,
           lvef: np.ndarray | None = None, least_response: bool = False,
           tolerate: bool = False) -> np.ndarray:
    """The steps in :func:`application_order` (a pacemaker after the drugs); with ``lvef``,
    the first β1-blocking step withdraws the resting support right after its own transform,
    and a β-agonist step's cardiac effect is scaled by the members' β-receptor
    responsiveness."""
    from twinviewer.interventions.baroreflex import (
        BETA1_MARKER,
        beta_responsiveness,
        withdraw_support,
    )

    withdrawn = lvef is None
    P0 = P  # what each step's patient-sized effects are sized on (Context.before)
    combined = combined_steps(scenario.steps)
    ivs = [get_intervention(step.name) for _, step in combined]
    for c in application_order([iv.persists for iv in ivs]):
        (ks, step), iv = combined[c], ivs[c]
        settings = dict(step.settings)
        if point:
            settings.update({s.name: 0.0 for s in iv.settings if s.spread
                             and s.limits[0] <= 0.0})
        response = None
        if iv.beta_agonist and lvef is not None:
            response = beta_responsiveness(lvef)
        elif iv.beta_agonist and least_response:
            response = beta_responsiveness(0.0)
        try:
            P = iv.apply(model, P, settings, beta_response=response, tolerate=tolerate,
                         baseline=P0)
        except InterventionError as exc:
            raise InterventionError(f"scenario {scenario.name!r}, {_which(scenario, ks)}: "
                                    f"{exc}") from None
        if not withdrawn and BETA1_MARKER in _step_holds(step):
            # the whole scenario's block (the largest of its β-blocking steps), withdrawn once
            P, _ = withdraw_support(model, P, lvef, held_parameters(scenario))
            withdrawn = True
    return P


def combined_steps(steps: Sequence[InterventionStep]
                   ) -> list[tuple[tuple[int, ...], InterventionStep]]:
    """The steps as they are applied: the steps of one intervention with a ``cumulative``
    setting (a drug's dose) and equal other settings become one step at the summed dose,
    where the first of them stands; every other step stays as it is. With each, the indices
    of the steps it stands for.

    Two doses of one drug act on one dose–response: the effect is that of the total dose
    (Iskandrian 1986's esmolol steps are cumulative), not the product of two separate
    effects (two dobutamine 5 µg/kg/min steps raised LV.EA ×2.76, one at 10 ×2.32) nor the
    larger block (two β-blocker steps withdrew the support of the larger dose only). The sum
    is then checked against the setting's limits like any dose (metoprolol 10 + 10 mg is
    above the 15 mg loading dose). Steps whose other settings differ (furosemide given at
    two times after the dose) stay apart.

    Examples
    --------
    >>> steps = [InterventionStep("beta_blocker", {"dose": 5.0}),
    ...          InterventionStep("pacing", {"rate": 70.0}),
    ...          InterventionStep("beta_blocker", {"dose": 7.0})]
    >>> [(ks, st.name, st.settings) for ks, st in combined_steps(steps)]
    [((0, 2), 'beta_blocker', {'dose': 12.0}), ((1,), 'pacing', {'rate': 70.0})]
    """
    out: list[tuple[tuple[int, ...], InterventionStep]] = []
    joins: dict[tuple, int] = {}  # (name, other settings) → its place in out
    for k, step in enumerate(steps):
        iv = get_intervention(step.name)
        dose = iv.cumulative
        if not dose:
            out.append(((k,), step))
            continue
        full = {**iv.defaults(), **step.settings}
        key = (step.name, tuple(sorted((n, _same(v)) for n, v in full.items() if n != dose)))
        if key not in joins:
            joins[key] = len(out)
            out.append(((k,), step))
            continue
        ks, first = out[joins[key]]
        try:
            total = float({**iv.defaults(), **first.settings}[dose]) + float(full[dose])
        except (TypeError, ValueError):  # not a number: the step refuses it by name itself
            out.append(((k,), step))
            continue
        out[joins[key]] = (ks + (k,), InterventionStep(
            first.name, {**first.settings, dose: total}))
    return out


def _same(value: object) -> object:
    """A setting's value as compared between steps: 3 and 3.0 h are the same time."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return repr(value)


def _which(scenario: Scenario, ks: tuple[int, ...]) -> str:
    """``'step 2'``, or for steps applied as one (:func:`combined_steps`) ``'steps 1 and 3
    (one dose–response: 5 + 7 mg)'``."""
    if len(ks) == 1:
        return f"step {ks[0] + 1}"
    iv = get_intervention(scenario.steps[ks[0]].name)
    dose = iv.setting(iv.cumulative)
    parts = [float(scenario.steps[k].settings.get(dose.name, dose.default)) for k in ks]
    nums = ", ".join(str(k + 1) for k in ks[:-1]) + f" and {ks[-1] + 1}"
    return (f"steps {nums} (one dose–response: "
            f"{' + '.join(f'{x:g}' for x in parts)} {dose.unit})")


def application_order(persists: Sequence[bool]) -> list[int]:
    """The order a scenario's steps are applied in, by index: as listed, except that each
    device that holds its setting (:attr:`~twinviewer.interventions.Intervention.persists`,
    a pacemaker) comes after all the other steps, devices in their listed order.

    A pacemaker's rate is a lower rate whatever drug is given with it: the drugs act on the
    heart's own (sinus) rate and the pacemaker then paces a member whose rate fell below
    it. Applied in the listed order, a β-blocker given after pacing slowed a paced heart
    below its pacing rate (fix14i), and a dobutamine given after it raised the paced rate
    rather than the sinus rate.

    Examples
    --------
    >>> application_order([True, False, False])   # pacing + β-blocker + inotrope
    [1, 2, 0]
    >>> application_order([False, True])
    [0, 1]
    """
    return ([k for k, p in enumerate(persists) if not p]
            + [k for k, p in enumerate(persists) if p])


def _step_holds(step: InterventionStep) -> Held:
    return held_parameters(Scenario("", (step,)))


def withdraws_support(scenario: Scenario) -> bool:
    """Whether the scenario blocks β1 receptors (a step holding ``"LV.EA"`` at a dose above
    zero): its parameters then depend on the members' baseline LVEF (the resting sympathetic
    support of contractility is withdrawn, :mod:`~twinviewer.interventions.baroreflex`).

    Examples
    --------
    >>> withdraws_support(Scenario("b", (InterventionStep("beta_blocker", {"dose": 5.0}),)))
    True
    >>> withdraws_support(Scenario("p", (InterventionStep("pacing", {"rate": 90.0}),)))
    False
    """
    from twinviewer.interventions.baroreflex import BETA1_MARKER  # simulate: loaded on use

    # which parameters are held does not depend on how much: no plug-in's hold_fraction is
    # called here (a digest on the GUI thread waited on its call lock, last16 #1)
    return BETA1_MARKER in held_parameters(scenario, how_much=False)


def depends_on_lvef(scenario: Scenario) -> bool:
    """Whether the scenario's parameters depend on the members' baseline LVEF: it blocks β1
    (:func:`withdraws_support`) or has a β-agonist step at a dose above zero (its cardiac
    effect scales with the β-receptor responsiveness,
    :func:`~twinviewer.interventions.baroreflex.beta_responsiveness`).

    Examples
    --------
    >>> depends_on_lvef(Scenario("d", (InterventionStep("inotrope", {"dose": 5.0}),)))
    True
    >>> depends_on_lvef(Scenario("d", (InterventionStep("inotrope", {"dose": 0.0}),)))
    False
    """
    return withdraws_support(scenario) or bool(beta_agonist_steps(scenario))


def beta_agonist_steps(scenario: Scenario) -> tuple[str, ...]:
    """Names of the scenario's β-agonist steps at a dose (main setting) above zero.

    Examples
    --------
    >>> beta_agonist_steps(Scenario("d", (InterventionStep("inotrope", {"dose": 5.0}),)))
    ('inotrope',)
    """
    out = []
    for step in scenario.steps:
        iv = get_intervention(step.name)
        if not iv.beta_agonist:
            continue
        main = iv.main_setting
        if main and float(step.settings.get(main, iv.setting(main).default)) <= 0.0:
            continue
        out.append(step.name)
    return tuple(out)


def lvef_of(results) -> np.ndarray:
    """The members' LVEF (%) in ``results`` (a :class:`~twinviewer.physiology.Results`), NaN
    where a member has no periodic state (nothing is then withdrawn from it): what
    :func:`apply_scenario` takes as ``baseline_lvef``.

    Examples
    --------
    >>> from twinviewer.physiology import get_preset, simulate
    >>> p = get_preset("hfref")
    >>> bool(lvef_of(simulate(p.model, p.vector()))[0] < 40.0)
    True
    """
    return np.where(np.asarray(results.ok, dtype=bool),
                    np.asarray(results.metrics["LVEF"], dtype=float), np.nan)


#: Baseline LVEF of parameter sets simulated by :func:`baseline_lvef_of` or held by the
#: process (:func:`remember_baseline`); a few kept, the least recently used dropped.
_LVEF_MEMO: OrderedDict[tuple, np.ndarray] = OrderedDict()
_LVEF_MEMO_SIZE = 8


def _memo_key(model: ModelSpec, P: np.ndarray) -> tuple:
    P = np.array(np.atleast_2d(P), dtype=float)
    return (model.name, model.version, model.equation_hash, P.shape,
            hashlib.sha256(P.tobytes()).hexdigest())


def _memo_put(key: tuple, lvef: np.ndarray) -> None:
    _LVEF_MEMO[key] = lvef
    _LVEF_MEMO.move_to_end(key)
    while len(_LVEF_MEMO) > _LVEF_MEMO_SIZE:
        _LVEF_MEMO.popitem(last=False)


def remember_baseline(results) -> None:
    """Keep the LVEF of a baseline run (a :class:`~twinviewer.physiology.Results` with its
    ``model`` and ``params``) as that of its parameters: a β-blocker then applied to them
    without ``baseline_lvef`` does not simulate them again. The open document keeps its
    baseline here, so the GUI's checks of a scenario (on the GUI thread, in a process that
    leaves simulation to its helper) never simulate.

    Examples
    --------
    >>> from twinviewer.physiology import get_preset, simulate
    >>> p = get_preset("hfref")
    >>> r = simulate(p.model, p.vector())
    >>> remember_baseline(r)
    >>> bool(baseline_lvef_of(p.model, p.vector())[0] == lvef_of(r)[0])
    True
    """
    try:
        key, lvef = _memo_key(results.model, results.params), lvef_of(results)
    except (AttributeError, KeyError, TypeError, ValueError):
        return  # not a run with its model, parameters and LVEF: nothing to keep
    if lvef.shape == (key[3][0],):
        _memo_put(key, lvef)


def baseline_lvef_of(model: ModelSpec, params: np.ndarray) -> np.ndarray:
    """The members' LVEF (%) of one run of ``params`` (NaN where it has no periodic state),
    remembered for the same model and parameters (:func:`remember_baseline`), so that
    repeated scenarios on one twin simulate its baseline at most once.

    Examples
    --------
    >>> from twinviewer.physiology import get_preset
    >>> p = get_preset("healthy")
    >>> bool(50.0 < baseline_lvef_of(p.model, p.vector())[0] < 75.0)
    True
    """
    from twinviewer.physiology import simulate

    P = np.array(np.atleast_2d(params), dtype=float)
    key = _memo_key(model, P)
    if key in _LVEF_MEMO:
        _LVEF_MEMO.move_to_end(key)
        return _LVEF_MEMO[key].copy()
    lvef = lvef_of(simulate(model, P))
    _memo_put(key, lvef)
    return lvef.copy()


class Held(tuple):
    """Names of held parameters (a tuple) with ``fractions``: name → how much of it is held
    (0–1) where less than fully (a β-blocker below full blockade, review16b #1); a name not
    in ``fractions`` is held fully."""

    fractions: dict[str, float]

    def __new__(cls, names=(), fractions: dict[str, float] | None = None) -> Held:
        out = super().__new__(cls, names)
        out.fractions = {k: v for k, v in (fractions or {}).items() if v < 1.0}
        return out

    def fraction(self, name: str) -> float:
        """How much of ``name`` is held: 0 if not held, else its fraction (1 = fully)."""
        return self.fractions.get(name, 1.0) if name in self else 0.0


def held_parameters(scenario: Scenario, *, how_much: bool = True) -> Held:
    """Parameters that a device in the scenario holds at its setting, or whose reflex
    control a drug in it blocks: the baroreflex of a regulated what-if leaves them alone, or,
    where a drug's block grows with its dose (``hold_fraction``), acts on them with its gain
    times (1 − the fraction held). A step at zero dose (main setting 0) holds nothing.
    With ``how_much=False`` no ``hold_fraction`` is called (each held fraction is 1): the
    parameters held, without running a plug-in's code.

    Examples
    --------
    >>> held_parameters(Scenario("p", (InterventionStep("pacing", {"rate": 90.0}),)))
    ('HR',)
    >>> held_parameters(Scenario("b", (InterventionStep("beta_blocker", {"dose": 0.0}),)))
    ()
    >>> h = held_parameters(Scenario("b", (InterventionStep("beta_blocker", {"dose": 0.5}),)))
    >>> h, round(h.fraction("LV.EA"), 3), h.fraction("HR")
    (('LV.EA', 'RV.EA'), 0.207, 0.0)
    """
    held: list[str] = []
    fractions: dict[str, float] = {}
    for _, step in combined_steps(scenario.steps):  # two doses of one drug: their sum's block
        iv = get_intervention(step.name)
        main = iv.main_setting
        if main and step.settings.get(main, iv.setting(main).default) == 0.0:
            continue
        f = 1.0
        if how_much and iv.hold_fraction is not None:
            # the settings as given over the defaults: a setting out of range is refused
            # where the step is applied, not here
            f = min(1.0, max(0.0, float(iv.hold_fraction({**iv.defaults(), **step.settings}))))
        for h in iv.holds:
            # two different drugs holding one parameter: the larger block (two doses of one
            # drug were summed above, combined_steps)
            fractions[h] = max(fractions.get(h, 0.0), f)
            if h not in held:
                held.append(h)
    return Held(held, fractions)


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
    >>> step_text(InterventionStep("vasodilator", {"level": 2.0}))
    'Arterial vasodilator medium dose (level 2)'
    """
    from twinviewer.core.format import unit

    try:
        iv = get_intervention(step.name)
    except InterventionError:  # not installed, or its plug-in is off: say what the file holds
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
            named = (st.choices or {}).get(float(v))
            if named and (st.label or "").lower().startswith("dose"):
                # "Arterial vasodilator level 2" named no dose a clinician knows
                # (review13 #13): 'medium dose (level 2)'
                value = f"{named} dose ({value})"
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
