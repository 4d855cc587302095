"""Audit entries as a reader would write them: one formatter for the audit panel and the
PDF report (neither shows Python dicts or lists)."""

from __future__ import annotations


def human_details(details: dict) -> str:
    """An audit entry's details as a reader would write them (no Python dicts or lists).

    Examples
    --------
    >>> human_details({"preset": "healthy", "measurements": ["SBP", "DBP"]})
    'preset healthy; measurements SBP, DBP'
    >>> human_details({"name": "TAVI", "steps": [{"name": "tavi_sapien3",
    ...                                           "settings": {"size": 26.0}}]})
    'ran TAVI (tavi sapien3 size 26)'
    """
    def text(v) -> str:
        if isinstance(v, dict):
            if "name" in v and "steps" in v:  # a scenario definition
                steps = ", ".join(f"{s.get('name', '?').replace('_', ' ')} "
                                  + " ".join(f"{k} {x:g}" for k, x in
                                             s.get("settings", {}).items())
                                  for s in v["steps"])
                return f"{v['name']} ({steps.strip() or 'no step'})"
            return ", ".join(f"{k.replace('_', ' ')} {text(x)}" for k, x in v.items())
        if isinstance(v, list | tuple):
            return ", ".join(text(x) for x in v) or "none"
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v)

    parts = []
    if "name" in details and "steps" in details:  # a scenario that was run
        details = dict(details)
        parts.append(f"ran {text({'name': details.pop('name'), 'steps': details.pop('steps')})}")
    for k, v in details.items():
        if k == "unmeasured_informed":  # width ratios: part of the summary below
            continue
        if k == "summary":  # the calibration's full summary: kept, not spelt out here
            parts.append("fit, identifiability and convergence kept with the twin")
            continue
        parts.append(f"{k.replace('_', ' ')} {text(v)}")
    return "; ".join(parts)
