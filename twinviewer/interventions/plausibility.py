"""What-ifs a change of the drug magnitudes must leave plausible.

The evidence rows check each drug on the virtual patient of its study. A user runs the same
drug on a preset or a twin, at the default setting, and there the fitted magnitudes are
extrapolated: session 9's refit of the nitroprusside venodilation (469 mL) passed its row but
took the hfref preset's what-if outside the validated range. :func:`problems` runs the
checks the tests make on those what-ifs (``tests/interventions/test_review_fixes.py``,
``test_plausible_whatifs.py``), so that the refit (:mod:`twinviewer.interventions.refit`)
keeps no fit that breaks one:

* every drug at its default setting, run regulated on each preset of :data:`PRESETS_CHECKED`
  (the point estimate, as ``twinviewer whatif --members 1``), stays inside
  :data:`~twinviewer.interventions.compare.VALIDATED_RANGE` and reaches a periodic state;
* the inodilators and vasodilators of :data:`UNLOADERS` on the hfref preset raise CO by more
  than 0.1 L/min and lower MAP by 5–30 mmHg (milrinone CI +38 %, nitroprusside CO 3.0 → 5.2
  with MAP −15, captopril CO 3.24 → 4.05 with MAP 90 → 76: INTERVENTIONS.md §4).
"""

from __future__ import annotations

from collections.abc import Iterable

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions.compare import VALIDATED_RANGE, out_of_range, run_scenarios
from twinviewer.interventions.intervention import InterventionError
from twinviewer.physiology import ModelError, simulate

#: The drugs of the library whose magnitudes are fitted (refit.GROUPS) or scaled from a study.
DRUGS = ("beta_blocker", "vasodilator", "ace_inhibitor", "diuretic", "inotrope", "milrinone",
         "nitroprusside", "furosemide")
#: Presets every drug is run on: the heart-failure preset the drugs are meant for and the
#: healthy heart.
PRESETS_CHECKED = ("hfref", "healthy")
#: Unloading drugs and the change they must give on the hfref preset, regulated: CO rise
#: (L/min, more than) and MAP change (mmHg, within).
UNLOADERS = {"milrinone": (0.1, (-30.0, -5.0)), "nitroprusside": (0.1, (-30.0, -5.0)),
             "ace_inhibitor": (0.1, (-30.0, -5.0))}


def problems(drugs: Iterable[str] = DRUGS,
             presets: Iterable[str] = PRESETS_CHECKED) -> list[str]:
    """What is implausible about the default what-ifs of ``drugs`` (empty: nothing).

    Examples
    --------
    >>> problems(["milrinone"], ["hfref"])
    []
    """
    from twinviewer.twins import model_of, twin_from_preset

    drugs = list(drugs)
    out: list[str] = []
    for preset in presets:
        twin = twin_from_preset(preset, n=1, seed=0)
        model = model_of(twin)
        base = simulate(model, twin.ensemble)
        scenarios = [Scenario(d, (InterventionStep(d, {}),), "regulated") for d in drugs]
        try:
            results = run_scenarios(model, base, scenarios)
        except (InterventionError, ModelError) as exc:
            out.append(f"{preset}: the default what-ifs cannot be run ({exc})")
            continue
        for name, r in results.items():
            where = f"{name} (default setting) on {preset}, regulated"
            if not r.ok.all():
                out.append(f"{where}: no periodic state")
                continue
            for metric, median in out_of_range(r).items():
                lo, hi = VALIDATED_RANGE[metric]
                out.append(f"{where}: {metric} {median:.3g} outside the validated range "
                           f"{lo:g}–{hi:g}")
            if preset == "hfref" and name in UNLOADERS:
                co_min, (lo, hi) = UNLOADERS[name]
                dco = float(r.metrics["CO"][0] - base.metrics["CO"][0])
                dmap = float(r.metrics["MAP"][0] - base.metrics["MAP"][0])
                if not dco > co_min:
                    out.append(f"{where}: CO change {dco:+.2f} L/min, expected a rise of more "
                               f"than {co_min:g}")
                if not lo < dmap < hi:
                    out.append(f"{where}: MAP change {dmap:+.1f} mmHg, expected {lo:g} to "
                               f"{hi:g}")
    return out
