"""Audit entries as a reader would write them: one formatter for the audit panel and the
PDF report (neither shows Python dicts or lists)."""

from __future__ import annotations

from collections.abc import Callable

from twinviewer.core.format import CODE_NAME
from twinviewer.core.twin import InterventionStep, Scenario, shown_name

#: Details a person wrote (a note, a disagreement): shown as written.
_WRITTEN = ("text", "why", "disagreement")


def human_details(details: dict, word: Callable[[str], str] | None = None,
                  scenario_name: Callable[[Scenario], str] = shown_name) -> str:
    """An audit entry's details as a reader would write them (no Python dicts or lists).

    Examples
    --------
    >>> human_details({"preset": "healthy", "measurements": ["SBP", "DBP"]})
    'preset healthy; measurements SBP, DBP'
    >>> human_details({"name": "TAVI", "steps": [{"name": "tavi_sapien3",
    ...                                           "settings": {"size": 26.0}}]})
    'ran TAVI [acute, unregulated] (tavi sapien3 size 26)'
    >>> human_details({"defined": {"name": "TAVI", "steps": [], "described": "TAVI 26 mm",
    ...                            "regulation": "regulated"}})
    'defined TAVI [baroreflex regulated] (TAVI 26 mm)'

    ``word`` turns code names into words (a parameter code into its label, a structure key
    into its name: :func:`twinviewer.explain.words.words`); yes/no for flags:

    >>> human_details({"structures": ["la", "lv_blood"], "accepted": False},
    ...               word=lambda c: {"lv_blood": "LV blood pool", "la": "Left atrium"}.get(c, c))
    'structures Left atrium, LV blood pool; accepted no'

    ``scenario_name`` names a scenario (with its steps and response mode); the report and
    the audit panel pass :func:`twinviewer.interventions.scenario.shown_name`, which names a
    command-line run in words as the What-if table does (this layer cannot import it):

    >>> human_details({"name": "pacing(rate=90)", "steps": [{"name": "pacing",
    ...                "settings": {"rate": 90.0}}], "regulation": "regulated"},
    ...               scenario_name=lambda s: f"{s.steps[0].settings['rate']:g} bpm")
    'ran 90 bpm (pacing rate 90)'
    """
    def say(s: str) -> str:
        if word is None:
            return s
        whole = word(s)  # a structure key ('la'), a preset ('healthy'), a parameter code
        return whole if whole != s else CODE_NAME.sub(lambda m: word(m.group(0)), s)

    def named(v: dict) -> str:
        # a scenario's name with its response mode ('acute' where the file leaves it out)
        try:
            steps = tuple(InterventionStep.from_dict(d) for d in v.get("steps") or ())
        except (KeyError, TypeError, ValueError, AttributeError):  # an odd entry: name as is
            steps = ()
        return scenario_name(Scenario(str(v["name"]), steps,
                                      str(v.get("regulation", "acute"))))

    def text(v) -> str:
        if isinstance(v, dict):
            if "name" in v and v.get("described"):  # a scenario, described in words
                return f"{named(v)} ({v['described']})"
            if "name" in v and "steps" in v:  # a scenario definition
                steps = ", ".join(f"{s.get('name', '?').replace('_', ' ')} "
                                  + " ".join(f"{k} {x:g}" for k, x in
                                             s.get("settings", {}).items())
                                  for s in v["steps"])
                return f"{named(v)} ({steps.strip() or 'no step'})"
            return ", ".join(f"{k.replace('_', ' ')} {text(x)}" for k, x in v.items())
        if isinstance(v, list | tuple):
            return ", ".join(text(x) for x in v) or "none"
        if isinstance(v, bool):
            return "yes" if v else "no"
        if isinstance(v, float):
            return f"{v:.4g}"
        return say(str(v))

    parts = []
    if "name" in details and "steps" in details:  # a scenario that was run
        details = dict(details)
        run = {k: details.pop(k) for k in ("name", "steps", "described", "regulation")
               if k in details}
        parts.append(f"ran {text(run)}")
    for k, v in details.items():
        if k == "unmeasured_informed":  # width ratios: part of the summary below
            continue
        if k == "summary":  # the calibration's full summary: kept, not spelt out here
            parts.append("fit, identifiability and convergence kept with the twin")
            continue
        parts.append(f"{k.replace('_', ' ')} {v if k in _WRITTEN else text(v)}")
    return "; ".join(parts)
