"""Short-term arterial baroreflex: the "regulated" response of a what-if.

A what-if runs either *acute, unregulated* (only the parameters the interventions set change)
or *regulated*: the arterial baroreflex then acts within seconds to minutes on heart rate,
ventricular contractility, systemic arteriolar resistance and venous tone, pulling mean
arterial pressure back towards the member's own baseline (its set point).

Method (steady state, algebraic, resolved per member). The reflex is a proportional negative
feedback on the error e = MAP − MAP_set (mmHg), with each effector moving in proportion to e:

==============  ==========================================  =====================
effector        change                                      gain (per mmHg of e)
==============  ==========================================  =====================
heart rate      HR × (1 − g_HR·e)                           g_HR = 0.015
contractility   LV.EA, RV.EA × (1 − g_EA·e)                 g_EA = 0.010
resistance      SYS.R_AR × (1 − g_R·e)                      g_R = 0.020
venous tone     V_total − g_V·e (unstressed → stressed)     g_V = 13 mL
==============  ==========================================  =====================

each factor bounded to [0.5, 1.7] and the volume shift to ±15 % of V_total, and each effector
saturating at the edge of its parameter's plausible range (a reflex cannot drive contractility
past the most the model accepts; physio13b). The closed-loop
steady state is the error e* at which the model, run with the effectors set by e*, gives
MAP = MAP_set + e*; it is found per member by a secant iteration on e (each step one warm-started
ensemble run). Why steady state rather than a dynamic reflex: the what-ifs compare periodic
states minutes after an intervention, when the reflex has settled; an algebraic reflex costs a
few warm-started runs and adds no state to the engine's kernel.

The gains are UNSOURCED choices: together they give an open-loop gain G = ΔMAP corrected /
residual error of about 1.5–2.5 on the healthy preset (reported per member by
:func:`regulate`), the range usually quoted for the human carotid-sinus reflex (Sagawa,
Handbook of Physiology 1983: 1–3; recalled, not verified).

**Blunted in heart failure with reduced EF.** The gains are multiplied by
:func:`hf_blunting` of the member's own baseline LVEF: 1 at EF ≥ 50 %, the heart-failure
factor at EF ≤ 25 %, linear in between (BRS falls with LVEF: Mortara et al., Circulation
1997;96:3450, 282 CHF patients, LVEF 23 ± 6 %, BRS 3.9 ± 4.0 ms/mmHg).

* heart rate × 0.22: phenylephrine baroreflex sensitivity 4.4 vs 19.8 ms/mmHg in chronic
  heart failure vs controls (Davies et al., Clin Sci 1999;97:515);
* contractility, resistance and venous tone × 0.63: peak carotid baroreflex–blood-pressure
  sensitivity 0.19 vs 0.30 mmHg/mmHg in congestive heart failure vs age-matched controls
  (J Am Coll Cardiol 1994;23:401, neck chamber). Baroreflex vasoconstriction in the forearm is
  lost altogether at EF 18 % (Ferguson, Abboud & Mark, Circulation 1984;69:451) and baroreflex
  control of muscle sympathetic activity is attenuated (Ferguson et al., Am J Cardiol
  1992;69:523); the integrated pressure gain is used because it is what the model's MAP
  loop needs. Assigning it equally to the three sympathetic effectors is UNSOURCED.

**Effectors a device holds or a drug blocks** (declared by the intervention's ``holds``).
A pacemaker sets the heart rate: in a paced what-if the reflex acts on contractility,
resistance and venous tone only (``held=("HR",)``); letting it slow a paced heart (110 → 107
bpm in the DDD evidence row) contradicts the setting the user chose. A β-blocker blocks the
β1 receptors through which the reflex raises ventricular contractility, so under it the
reflex cannot restore EA (``held=("LV.EA", "RV.EA")``); the vagal part of its heart-rate arm
and its α-mediated resistance and venous arms stay.

**Resting sympathetic support of the failing heart's contractility** (physio12). The failing
heart leans on its sympathetic drive at rest (cardiac noradrenaline spillover +540 % in heart
failure, LVEF 10–39 %: Hasking et al., Circulation 1986;73:615, abstract through scilit); the
normal heart at rest does not. So
β-blockade costs contractility in proportion to that support: IV metoprolol or propranolol
lowered end-systolic elastance 27 % in congestive heart failure (0.88 → 0.64 mmHg/mL, Haber
et al., Circulation 1993;88:1610), while in healthy men IV metoprolol left the LV volumes
unchanged at rest, the output falling only with the rate (eight healthy men, radionuclide:
Scand J Clin Lab Invest 1991;51:161, doi 10.1080/00365519109091103). A step that blocks the
reflex's inotropic arm (``"LV.EA"`` in its ``holds``: a β-blocker) therefore also withdraws
that resting support: LV.EA and RV.EA × (1 − :func:`resting_support` of the member's baseline
LVEF), the support being SUPPORT_HF = 0.27 at LVEF ≤ 25 % and 0 at LVEF ≥ 50 %, linear in
between — the same ramp as the blunting above, whose shape (not its end points) is UNSOURCED.
The withdrawal and the block of the reflex arm follow the dose (review16b #1; they were a step
at any dose above zero): the fraction of full β1-blockade
:func:`~twinviewer.interventions.drugs.bb_block` (an Emax occupancy, ED50 from the esmolol dose
steps, full at 12 mg and above) scales both. Resting tone is part of any baseline, so the
block removes it with or without the reflex: the withdrawal is part of the scenario's
parameter transform (:func:`~twinviewer.interventions.scenario.apply_scenario`,
physio12b), run acute and regulated alike, and :func:`regulate` does not apply it again.

**β-receptor responsiveness of the failing heart** (physio13). A β-agonist's cardiac effect
(dobutamine: contractility and heart rate, declared by the intervention's ``beta_agonist``) is
set by its transform for a non-failing heart and scaled per member by
:func:`beta_responsiveness` of the member's baseline LVEF: 1 at LVEF ≥ 50 %, 1 − BETA_LOSS_HF at
LVEF ≤ 25 %, linear in between (the ramp above; its shape is UNSOURCED). BETA_LOSS_HF = 0.635,
the middle of the 54–73 % loss of maximal isoproterenol-stimulated contraction of failing
human left ventricles against non-failing ones, with β-receptor density 50–56 % lower
(Bristow et al., N Engl J Med 1982;307:205, abstract through scilit). Applying an in-vitro
loss of the *maximal* response to the in-vivo response at 5–10 µg/kg/min, and to the sinus
node's rate as well as to contractility, is UNSOURCED. In vivo the same drug agrees: the
maximal +dP/dt response to intracoronary dobutamine in severe heart failure was 37 % of that in
normal subjects (Colucci et al., J Clin Invest 1988;81:1103, PMC329637; physio14a). Like the
resting-support withdrawal it is part of the scenario's parameter transform, acute and
regulated alike.

No chemoreflex, no cardiopulmonary (low-pressure) reflex, no renal volume control. A
sympathetic drive that follows the left atrial pressure (raised in heart failure in proportion
to the filling pressure, withdrawn when the heart is unloaded: Leimbach et al., Circulation
1986;73:913; Azevedo et al., Circulation 2000;101:2053) was measured in this loop by physio14a
and not adopted: at its size estimated from cardiac noradrenaline spillover it fails more
evidence rows than it passes (docs/notes/physio14a.md).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from twinviewer.core.twin import REGULATION_TEXT  # noqa: F401 - re-exported (named there)
from twinviewer.interventions.intervention import Context, InterventionError
from twinviewer.physiology import Results, Settings, simulate
from twinviewer.physiology.model import ModelSpec

REGULATION_MODES = ("acute", "regulated")
#: Gains per mmHg of MAP error (see the module docstring; UNSOURCED).
G_HR = 0.015
G_EA = 0.010
G_R = 0.020
G_V_ML = 13.0
FACTOR_BOUNDS = (0.5, 1.7)
MAX_VOLUME_SHIFT = 0.15
#: Stop when the closed-loop equation is met to this (mmHg), or after MAX_ITER runs.
TOLERANCE_MMHG = 0.1
#: Heart-failure blunting: the heart-rate gain × BLUNT_HF_HR and the sympathetic gains
#: (contractility, resistance, venous tone) × BLUNT_HF_SYMPATHETIC at LVEF ≤ EF_BLUNTED, × 1
#: at LVEF ≥ EF_NORMAL, linear in between (see the module docstring for the sources).
BLUNT_HF_HR = 4.4 / 19.8
BLUNT_HF_SYMPATHETIC = 0.19 / 0.30
EF_BLUNTED = 25.0
EF_NORMAL = 50.0
MAX_ITER = 6
#: Resting sympathetic support of LV/RV contractility at LVEF ≤ EF_BLUNTED, withdrawn by
#: β1-blockade: Ees 0.88 → 0.64 mmHg/mL after IV β-blockade in congestive heart failure
#: (Haber et al., Circulation 1993;88:1610); 0 at LVEF ≥ EF_NORMAL (healthy men: LV volumes
#: unchanged at rest after IV metoprolol, Scand J Clin Lab Invest 1991;51:161). See the
#: module docstring.
SUPPORT_HF = 1.0 - 0.64 / 0.88
#: The effector whose block (``held``) marks β1-blockade: the resting support is withdrawn
#: from these.
BETA1_MARKER = "LV.EA"
SUPPORTED = ("LV.EA", "RV.EA")
#: Loss of the cardiac β-agonist response at LVEF ≤ EF_BLUNTED: maximal isoproterenol-
#: stimulated contraction 54–73 % lower in failing than in non-failing human left ventricles
#: (Bristow et al., N Engl J Med 1982;307:205); the middle of that range. 0 at LVEF ≥
#: EF_NORMAL. See the module docstring.
BETA_LOSS_HF = (0.54 + 0.73) / 2.0


@dataclass
class Regulated:
    """A regulated run: the results, the effector parameters and the loop's state."""

    results: Results
    params: np.ndarray
    error: np.ndarray  # (N,) steady-state MAP − set point, mmHg
    open_loop_gain: np.ndarray  # (N,) MAP correction / residual error
    iterations: int
    blunting: np.ndarray | None = None  # (N,) factor on the sympathetic gains (1 = intact)


#: The parameter roles the reflex acts on (named as the four-chamber model's parameters; a
#: model plays them through :attr:`ModelSpec.roles`) and what each is, for a refusal.
EFFECTOR_ROLES = {"HR": "heart rate", "LV.EA": "left ventricular contractility",
                  "RV.EA": "right ventricular contractility",
                  "SYS.R_AR": "systemic arterial resistance", "V_total": "blood volume"}


def regulation_problem(model: ModelSpec) -> str:
    """Why the reflex cannot act on ``model`` (``""`` if it can): a parameter role it acts
    on that no parameter of the model plays (:meth:`ModelSpec.role`), e.g. a model with one
    ventricle has no right ventricular contractility. The gains were set for a heart with
    both ventricles; acting on part of the effectors is not the same reflex, so such a model
    runs acute, unregulated what-ifs only.

    Examples
    --------
    >>> from twinviewer.physiology import get_preset
    >>> regulation_problem(get_preset("healthy").model)
    ''
    """
    missing = [r for r in EFFECTOR_ROLES if model.role(r) not in model.parameter_names]
    if not missing:
        return ""
    what = ", ".join(f"{EFFECTOR_ROLES[r]} ({r})" for r in missing)
    return (f"the baroreflex acts on heart rate, both ventricles' contractility, systemic "
            f"arterial resistance and blood volume; model {model.name!r} has no parameter "
            f"playing {what}, so only the acute, unregulated response can be run on it")


def check_mode(mode: str) -> str:
    """The mode, or an :class:`InterventionError` naming the choices."""
    if mode not in REGULATION_MODES:
        raise InterventionError(f"regulation {mode!r} is not one of "
                                f"{', '.join(REGULATION_MODES)}")
    return mode


def hf_blunting(lvef: np.ndarray | float, at_ef_25: float = BLUNT_HF_HR) -> np.ndarray:
    """Factor on a reflex gain for a baseline LVEF (%): ``at_ef_25`` at LVEF ≤ 25 %, 1 at
    LVEF ≥ 50 %, linear in between (1 where LVEF is not finite).

    Examples
    --------
    >>> [round(float(b), 2) for b in hf_blunting(np.array([60.0, 37.5, 15.0]))]
    [1.0, 0.61, 0.22]
    """
    ef = np.asarray(lvef, dtype=float)
    w = np.clip((ef - EF_BLUNTED) / (EF_NORMAL - EF_BLUNTED), 0.0, 1.0)
    out = at_ef_25 + (1.0 - at_ef_25) * w
    return np.where(np.isfinite(ef), out, 1.0)


def resting_support(lvef: np.ndarray | float) -> np.ndarray:
    """Fraction of LV/RV contractility that rests on sympathetic drive at a baseline LVEF
    (%): :data:`SUPPORT_HF` at LVEF ≤ 25 %, 0 at LVEF ≥ 50 %, linear in between (0 where LVEF
    is not finite).

    Examples
    --------
    >>> [round(float(s), 3) for s in resting_support(np.array([60.0, 46.8, 27.0, 15.0]))]
    [0.0, 0.035, 0.251, 0.273]
    """
    ef = np.asarray(lvef, dtype=float)
    w = np.clip((EF_NORMAL - ef) / (EF_NORMAL - EF_BLUNTED), 0.0, 1.0)
    return np.where(np.isfinite(ef), SUPPORT_HF * w, 0.0)


def _held_fraction(held: Collection[str], name: str) -> float:
    """How much of ``name`` ``held`` holds: 0 if absent, its ``fractions`` entry where a
    drug's block is partial (:class:`~twinviewer.interventions.scenario.Held`), else 1."""
    if name not in held:
        return 0.0
    return float(getattr(held, "fractions", {}).get(name, 1.0))


def withdraw_support(model: ModelSpec, P: np.ndarray, lvef: np.ndarray | float,
                     held: Collection[str] = ()) -> tuple[np.ndarray, np.ndarray | None]:
    """Parameters with the resting sympathetic support of contractility withdrawn where the
    reflex's inotropic arm is blocked (``"LV.EA"`` in ``held``: β1-blockade), and the fraction
    withdrawn per member (None, parameters unchanged, when nothing is blocked). A partial
    block (``held.fractions``, a β-blocker below full blockade) withdraws that fraction of the
    support (review16b #1).

    Examples
    --------
    >>> from twinviewer.physiology import get_preset
    >>> p = get_preset("hfref")
    >>> P = p.vector()[None, :]
    >>> out, w = withdraw_support(p.model, P, np.array([20.0]), held=("LV.EA", "RV.EA"))
    >>> round(float(out[0, p.model.index("LV.EA")] / P[0, p.model.index("LV.EA")]), 3)
    0.727
    >>> withdraw_support(p.model, P, np.array([20.0]))[1] is None
    True
    """
    if BETA1_MARKER not in held:
        return P, None
    frac = (resting_support(lvef) * _held_fraction(held, BETA1_MARKER)
            * np.ones(np.atleast_2d(P).shape[0]))
    out = np.array(P, dtype=float)
    ctx = Context(model, "baroreflex")
    for name in SUPPORTED:
        if name in held:
            out[:, ctx.col(name)] *= 1.0 - frac
    return out, frac


def beta_responsiveness(lvef: np.ndarray | float) -> np.ndarray:
    """Fraction of a non-failing heart's β-agonist response that a heart of baseline LVEF (%)
    gives: 1 at LVEF ≥ 50 %, 1 − :data:`BETA_LOSS_HF` at LVEF ≤ 25 %, linear in between (1
    where LVEF is not finite).

    Examples
    --------
    >>> [round(float(r), 3) for r in beta_responsiveness(np.array([60.0, 41.0, 15.0]))]
    [1.0, 0.771, 0.365]
    """
    ef = np.asarray(lvef, dtype=float)
    w = np.clip((EF_NORMAL - ef) / (EF_NORMAL - EF_BLUNTED), 0.0, 1.0)
    return np.where(np.isfinite(ef), 1.0 - BETA_LOSS_HF * w, 1.0)


def effectors(model: ModelSpec, P: np.ndarray, error: np.ndarray,
              lvef: np.ndarray | float | None = None,
              held: Collection[str] = ()) -> np.ndarray:
    """Parameters with the reflex effectors set for a MAP error ``error`` (mmHg, per member).

    ``lvef``: the members' baseline LVEF (%); below 50 % the gains are blunted
    (:func:`hf_blunting`); None = intact reflex. ``held``: effector parameters a device holds
    (e.g. ``("HR",)`` under pacing); the reflex leaves them as they are.

    Examples
    --------
    >>> from twinviewer.physiology import get_preset
    >>> p = get_preset("healthy")
    >>> out = effectors(p.model, p.vector()[None, :], np.array([-10.0]))
    >>> round(float(out[0, p.model.index("HR")] / p.vector()[p.model.index("HR")]), 3)
    1.15
    """
    out = np.array(P, dtype=float)
    e = np.asarray(error, dtype=float)
    ef = np.nan if lvef is None else lvef
    b_hr = hf_blunting(ef, BLUNT_HF_HR)
    b_sym = hf_blunting(ef, BLUNT_HF_SYMPATHETIC)
    lo, hi = FACTOR_BOUNDS

    def factor(g: float, b: np.ndarray) -> np.ndarray:
        return np.clip(1.0 - g * b * e, lo, hi)

    ctx = Context(model, "baroreflex")  # effectors found through the model's roles
    for name, gain, b in (("HR", G_HR, b_hr), ("LV.EA", G_EA, b_sym), ("RV.EA", G_EA, b_sym),
                          ("SYS.R_AR", G_R, b_sym)):
        block = _held_fraction(held, name)  # a partial block leaves (1 − block) of the gain
        if block < 1.0:
            j = ctx.col(name)
            out[:, j] = _saturate(model, j, P[:, j],
                                  out[:, j] * factor(gain * (1.0 - block), b))
    if "V_total" not in held:
        j = ctx.col("V_total")
        shift = np.clip(-G_V_ML * b_sym * e, -MAX_VOLUME_SHIFT * P[:, j],
                        MAX_VOLUME_SHIFT * P[:, j])
        out[:, j] = _saturate(model, j, P[:, j], out[:, j] + shift)
    return out


def _saturate(model: ModelSpec, j: int, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """The reflex's value of parameter ``j`` held within the model's plausible range.

    An effector saturates: the reflex cannot drive contractility, rate, resistance or volume
    past what the model accepts as physiological (physio13b: at dobutamine 20 µg/kg/min in
    hfpef the reflex's extra contractility took LV.EA past 15 mmHg/mL, the member was refused
    by the simulator and shown as "no periodic member"). A value the intervention itself set
    outside the range is left as it is (interventions refuse, never clamp).
    """
    lo, hi = model.parameters[j].plausible
    return np.clip(after, np.minimum(before, lo), np.maximum(before, hi))


def regulate(model: ModelSpec, P: np.ndarray, baseline: Results, *,
             settings: Settings | None = None, acute: Results | None = None,
             held: Collection[str] = ()) -> Regulated:
    """Closed-loop steady state of the baroreflex after an intervention, per member.

    Parameters
    ----------
    model : ModelSpec
        The twin's model (needs parameters playing the roles HR, LV.EA, RV.EA, SYS.R_AR and
        V_total: :func:`regulation_problem`).
    P : (N, P) ndarray
        Parameters after the interventions (the acute what-if).
    baseline : Results
        The untreated members: their MAP is the set point, their cycle the warm start.
    acute : Results, optional
        The acute run of ``P`` if already done.
    held : collection of str
        Effector parameters a device holds (:func:`effectors`), e.g. ``("HR",)`` when paced.
        With ``"LV.EA"`` held (β1-blockade) the member's resting sympathetic support of
        contractility is already withdrawn in ``P`` (:func:`withdraw_support`, applied by
        :func:`~twinviewer.interventions.scenario.apply_scenario`), not here.

    Returns
    -------
    Regulated
    """
    P = np.atleast_2d(np.asarray(P, dtype=float))
    problem = regulation_problem(model)
    if problem:
        raise InterventionError(f"regulated what-if: {problem} (whatif --regulation acute; "
                                f"in the What-if step, Response: acute)")
    target = baseline.metrics["MAP"]
    lvef = baseline.metrics["LVEF"]
    blunting = hf_blunting(lvef, BLUNT_HF_SYMPATHETIC)
    if acute is None:
        acute = simulate(model, P, warm_start=baseline.final_state, settings=settings)
    e0 = np.zeros(P.shape[0])
    r0 = acute.metrics["MAP"] - target  # residual of the loop equation at e = 0
    map_acute = acute.metrics["MAP"]
    e1 = r0 / (1.0 + 2.0 * blunting)  # a loop gain of 2 × blunting as first guess
    res = acute
    warm = acute.final_state
    iterations = 0
    for _ in range(MAX_ITER):
        iterations += 1
        Pk = effectors(model, P, e1, lvef, held)
        res = simulate(model, Pk, warm_start=warm, settings=settings)
        r1 = res.metrics["MAP"] - target - e1
        done = ~np.isfinite(r1) | (np.abs(r1) <= TOLERANCE_MMHG)
        if done.all():
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = (r1 - r0) / (e1 - e0)
        slope = np.where(np.isfinite(slope) & (slope < -0.2), slope, -1.0 - 2.0 * blunting)
        e_new = np.where(done, e1, e1 - r1 / slope)
        e0, r0, e1 = e1, r1, e_new
        warm = np.where(res.ok[:, None], res.final_state, warm)
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = (map_acute - res.metrics["MAP"]) / (res.metrics["MAP"] - target)
    return Regulated(res, res.params, res.metrics["MAP"] - target, gain, iterations, blunting)
