"""Whether a twin has what a valve replacement treats: a warning, not a refusal.

An aortic prosthesis (``tavi``, ``tavi_sapien3``, ``tavi_evolut_r``, ``savr_perimount`` or a
plug-in's: any step that sets ``AV.EOA``) in a native valve that is neither stenotic nor more
than mildly regurgitant treats nothing: its orifice is usually smaller than the native one,
so the gradient rises (review14b #5: on the hfref twin, mean gradient 1.1 mmHg, +2–3 mmHg and
CO unchanged). It is still computed and shown, flagged, because the what-if is well defined
(a prosthesis of a given size is the same orifice in any valve) and a teaching user may want
to see it. The mitral clip is refused on a valve without MR instead
(:data:`~twinviewer.interventions.valves.MITRAL_TEER`): its setting is the leak left after
the clip, which means nothing where there is no leak.

Grading (per member, on the twin's own baseline):

* stenotic: AVA ≤ 1.5 cm² or mean gradient ≥ 20 mmHg, i.e. at least moderate aortic
  stenosis (REFERENCE.md: moderate AVA 1.0–1.5 cm², mean gradient 20–40 mmHg; INTERVENTIONS.md
  §1: mild AVA > 1.5 cm²). The AVA is the twin's effective orifice ``AV.EOA``, the gradient
  its simulated Doppler-like mean gradient (when a baseline run is at hand).
* regurgitant: regurgitant orifice ``AV.EROA`` ≥ 0.10 cm², i.e. at least moderate aortic
  regurgitation (mild < 0.10 cm²; the classes of the paravalvular-leak grades,
  :data:`~twinviewer.interventions.valves.PVL_EROA`, ASE 2017 / ACC/AHA 2020).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions.intervention import Context, InterventionError
from twinviewer.physiology.model import ModelSpec

#: At or below this AVA (cm²) the native aortic valve is at least moderately stenotic.
STENOTIC_AVA_CM2 = 1.5
#: At or above this mean gradient (mmHg) the native aortic valve is at least moderately stenotic.
STENOTIC_MG_MMHG = 20.0
#: At or above this regurgitant orifice (cm²) aortic regurgitation is at least moderate.
REGURGITANT_EROA_CM2 = 0.10
#: Why an off-size valve is shown and not refused (the Add-time warning).
SIZED_WHY = ("It is shown as a what-if, not refused: the model runs the size's tabulated "
             "orifice whatever the annulus; a heart team would choose the size made for it.")
#: Why the what-if is shown and not refused, in the words of the Add-time warning.
WHY_NOT_REFUSED = ("It is shown as a what-if, not refused as the mitral clip is on a valve "
                   "without regurgitation: a prosthesis is the same orifice in any valve, "
                   "while a clip's residual leak means nothing where there is no leak.")


def untreated_valve(model: ModelSpec, native: np.ndarray, replaced: np.ndarray,
                    mean_gradient: np.ndarray | None = None, what: str = "") -> str:
    """The warning for members whose native aortic valve, neither stenotic nor more than
    mildly regurgitant, a prosthesis replaced ('' if there are none).

    Parameters
    ----------
    model : ModelSpec
        The twin's model ('' if it has no aortic valve orifice, ``AV.EOA``).
    native, replaced : (N, P) ndarray
        The members' parameters before and after the scenario; a member whose ``AV.EOA``
        or ``AV.EROA`` differs between them had its aortic valve replaced.
    mean_gradient : (N,) ndarray, optional
        The members' baseline aortic mean gradient (mmHg; NaN where not known). Without it
        the valve is graded by its area and regurgitant orifice alone.
    what : str
        The prosthesis in words ("TAVI with SAPIEN 3 by size 23 mm"); "the prosthesis" if
        empty.

    Examples
    --------
    >>> from twinviewer.physiology import get_preset
    >>> p = get_preset("hfref")
    >>> P0 = p.vector()[None, :]
    >>> P1 = P0.copy(); P1[0, p.model.index("AV.EOA")] = 1.45
    >>> note = untreated_valve(p.model, P0, P1, np.array([1.1]), "a 23 mm SAPIEN 3")
    >>> note[:76]
    'the native aortic valve is neither stenotic nor more than mildly regurgitant'
    >>> note[note.index("(") + 1:note.index(";")]
    'AVA 3.5 cm², mean gradient 1 mmHg, regurgitant orifice 0.00 cm²'
    >>> note[note.index("): ") + 3:]
    'a 23 mm SAPIEN 3 (EOA 1.45 cm²) is a smaller orifice, so the aortic gradient rises'
    >>> untreated_valve(p.model, P0, P0)   # nothing replaced
    ''
    """
    ctx = Context(model, "indication")
    if not (ctx.has("AV.EOA") and ctx.has("AV.EROA")):
        return ""
    native, replaced = np.atleast_2d(native), np.atleast_2d(replaced)
    j, k = ctx.col("AV.EOA"), ctx.col("AV.EROA")
    ava, eoa, eroa = native[:, j], replaced[:, j], native[:, k]
    changed = (~np.isclose(ava, eoa, rtol=1e-9, atol=0.0)
               | ~np.isclose(eroa, replaced[:, k], rtol=1e-9, atol=1e-12))
    mg = (np.full(ava.shape, np.nan) if mean_gradient is None
          else np.asarray(mean_gradient, dtype=float).reshape(ava.shape))
    stenotic = (ava <= STENOTIC_AVA_CM2) | (np.isfinite(mg) & (mg >= STENOTIC_MG_MMHG))
    leaking = eroa >= REGURGITANT_EROA_CM2
    hit = changed & ~stenotic & ~leaking
    n_hit, n = int(hit.sum()), int(changed.sum())
    if not n_hit:
        return ""
    who = "the native aortic valve is" if n_hit == n else \
        f"in {n_hit} of {n} twins the native aortic valve is"
    what = what or "the prosthesis"
    seen = [f"AVA {_median(ava[hit], 1)} cm²"]
    if np.isfinite(mg[hit]).any():
        seen.append(f"mean gradient {_median(mg[hit][np.isfinite(mg[hit])], 0)} mmHg")
    seen.append(f"regurgitant orifice {_median(eroa[hit], 2)} cm²")
    ratio = float(np.median(eoa[hit] / ava[hit]))
    if ratio < 0.9:
        effect = "is a smaller orifice, so the aortic gradient rises"
    elif ratio > 1.1:
        effect = "is a larger orifice, but there is no stenosis to relieve"
    else:
        effect = "is about as large an orifice, so little changes"
    return (f"{who} neither stenotic nor more than mildly regurgitant ({', '.join(seen)}; "
            f"moderate or worse is AVA ≤ {STENOTIC_AVA_CM2:g} cm² or mean gradient ≥ "
            f"{STENOTIC_MG_MMHG:g} mmHg, or a regurgitant orifice ≥ "
            f"{REGURGITANT_EROA_CM2:.2f} cm²): {what} (EOA {_median(eoa[hit], 2)} cm²) "
            f"{effect}")


def _median(x: np.ndarray, digits: int) -> str:
    return f"{float(np.median(x)):.{digits}f}"


#: Intervention → its prosthesis in :data:`~twinviewer.interventions.prostheses.SIZING_MM`.
SIZED = {"tavi_sapien3": "sapien3", "tavi_evolut_r": "evolut_r",
         "savr_perimount": "perimount"}


def sizing_notes(scenario: Scenario) -> list[str]:
    """A warning per valve step whose label size is not made for the annulus diameter given
    with it (:func:`~twinviewer.interventions.prostheses.sizing_note`, review16b #4); none
    where no annulus is given. A warning, not a refusal, like :func:`untreated_valve`: the
    what-if is well defined (the tabulated orifice), it is not a valve a heart team implants.

    Examples
    --------
    >>> from twinviewer.core.twin import InterventionStep
    >>> s = Scenario("t", (InterventionStep("tavi_sapien3", {"size": 29.0, "annulus": 18.0}),))
    >>> sizing_notes(s)[0][:44]
    'TAVI with SAPIEN 3 by size 29 mm, annulus di'
    >>> sizing_notes(Scenario("t", (InterventionStep("tavi_sapien3", {"size": 29.0}),)))
    []
    >>> s = Scenario("t", (InterventionStep("tavi_sapien3", {"annulus": 18.0}),))
    >>> sizing_notes(s)[0][:57]  # the default size, 26 mm
    'TAVI with SAPIEN 3 by size 26 mm, annulus diameter 18 mm:'
    """
    from twinviewer.interventions.library import get_intervention
    from twinviewer.interventions.prostheses import sizing_note
    from twinviewer.interventions.scenario import step_text

    out = []
    for step in scenario.steps:
        key = SIZED.get(step.name)
        if key is None:
            continue
        # a setting left out is its default (final16 #8: annulus given, 26 mm label size)
        s = {**get_intervention(step.name).defaults(), **step.settings}
        note = sizing_note(key, float(s.get("size", 0.0)), float(s.get("annulus", 0.0)))
        if note:  # the step as run: its label size even where left to the default
            shown = InterventionStep(step.name, {"size": s.get("size"), **step.settings})
            out.append(f"{step_text(shown)}: {note}")
    return out


def with_sizing(flags: Mapping[str, Any], scenarios: Sequence[Scenario]) -> dict[str, Any]:
    """``flags`` (scenario name → :class:`~twinviewer.interventions.compare.ScenarioFlags`)
    with each scenario's :func:`sizing_notes` added to its valve warning (``untreated``,
    shown with the result in the table, its JSON and the report), as a valve that treats
    nothing is (review14b #5)."""
    from dataclasses import replace

    by_name = {s.name: s for s in scenarios}
    out = dict(flags)
    for name, f in flags.items():
        notes = sizing_notes(by_name[name]) if name in by_name else []
        if notes:
            out[name] = replace(f, untreated="; ".join([*filter(None, [f.untreated]), *notes]))
    return out


def scenario_notes(model: ModelSpec, params: np.ndarray, scenario: Scenario,
                   baseline: Mapping[str, np.ndarray] | None = None) -> list[str]:
    """What the twin does not have that the scenario's valve replacements treat: one
    warning per replacing step (:func:`untreated_valve`, each step applied alone to the
    twin's members, with its expected EOA: no spread), for the form that adds the
    scenario. Only the package's own interventions are applied (a plug-in's are flagged
    with the results, :func:`~twinviewer.interventions.compare.scenario_flags`); a step
    that would be refused is left to the check that refuses it.

    Parameters
    ----------
    model : ModelSpec
    params : (N, P) or (P,) ndarray
        The twin's members (baseline).
    scenario : Scenario
    baseline : mapping, optional
        The baseline run's metrics (``AV_mean_gradient`` per member), if at hand.

    Examples
    --------
    >>> from twinviewer.core.twin import InterventionStep
    >>> from twinviewer.physiology import get_preset
    >>> p = get_preset("hfref")
    >>> tavi = Scenario("t", (InterventionStep("tavi_sapien3", {"size": 23.0}),))
    >>> note = scenario_notes(p.model, p.vector(), tavi)[0]
    >>> note[note.index("): ") + 3:note.index(" is a")]
    'TAVI with SAPIEN 3 by size 23 mm (EOA 1.45 cm²)'
    >>> a = get_preset("severe_as")
    >>> scenario_notes(a.model, a.vector(), tavi)   # severe AS: what a prosthesis treats
    []
    """
    from twinviewer.interventions.library import CORE_INTERVENTIONS, get_intervention
    from twinviewer.interventions.scenario import step_text

    P = np.array(np.atleast_2d(params), dtype=float)
    mg = None if baseline is None else baseline.get("AV_mean_gradient")
    if mg is not None and np.shape(mg) != (P.shape[0],):
        mg = None
    out = [f"{n}. {SIZED_WHY}" for n in sizing_notes(scenario)]
    for step in scenario.steps:
        if step.name not in CORE_INTERVENTIONS:
            continue
        iv = get_intervention(step.name)
        if "AV.EOA" not in iv.parameters:
            continue
        # the size's expected EOA (no per-member spread): the number a reader looks up
        settings = {**step.settings, **{s.name: 0.0 for s in iv.settings
                                        if s.spread and s.limits[0] <= 0.0}}
        try:
            after = iv.apply(model, P, settings, tolerate=True)
        except InterventionError:
            continue
        note = untreated_valve(model, P, after, mg, step_text(step))
        if note:
            out.append(f"{note}. {WHY_NOT_REFUSED}")
    return out
