"""The model card's word on how a what-if responds: which mode is the default, read from the
code that chooses it, never restated by hand.

The model's own assumption says it has no baroreflex, "a what-if is the acute, unregulated
response unless it is run 'regulated'", which reads as if acute were the default. It is not:
the What-if step lists "Regulated (baroreflex acts)" first and selects it
(``gui/scenario_panel.py``: ``REGULATION_MODES[::-1]``), and ``twinviewer whatif`` defaults to
``--regulation regulated`` (:func:`twinviewer.interventions.cli.add_arguments`). Acute stays the
mode of a scenario stored without one (files from before the modes, ``Scenario``'s default).
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence
from typing import Any

from twinviewer.core.twin import REGULATION_TEXT, Scenario


def default_mode() -> str:
    """The response a new what-if gets unless one is chosen: ``twinviewer whatif``'s default
    (the What-if step selects the same).

    Examples
    --------
    >>> default_mode()
    'regulated'
    """
    from twinviewer.interventions.cli import add_arguments

    return str(add_arguments(argparse.ArgumentParser()).get_default("regulation"))


def stored_mode() -> str:
    """The response of a scenario stored without one (``Scenario.regulation``'s default).

    Examples
    --------
    >>> stored_mode()
    'acute'
    """
    return str({f.name: f.default for f in dataclasses.fields(Scenario)}["regulation"])


def response_text(scenarios: Sequence[Any]) -> str:
    """What the model card says about the response of a what-if: the two modes, the default
    (:func:`default_mode`), where the other one applies (:func:`stored_mode`), and how many
    of ``scenarios`` (the report's) ran in each.

    Examples
    --------
    >>> text = response_text([Scenario("a", (), "regulated")])
    >>> "New what-ifs are baroreflex regulated by default" in text
    True
    >>> text.endswith("In this report: 1 baroreflex regulated.")
    True
    """
    new, old = default_mode(), stored_mode()
    other = "acute" if new == "regulated" else "regulated"
    counts = {m: sum(getattr(s, "regulation", old) == m for s in scenarios)
              for m in REGULATION_TEXT}
    said = ", ".join(f"{n} {REGULATION_TEXT[m]}" for m, n in counts.items() if n)
    return ("The model has no reflex of its own; each what-if is run in one of two modes, "
            "named beside it: baroreflex regulated (the short-term arterial baroreflex acts "
            "on heart rate, contractility, resistance and venous tone; the mode the evidence "
            "table validates) or acute, unregulated (only what the interventions change, no "
            f"reflex; not validated). New what-ifs are {REGULATION_TEXT[new]} by default (the "
            f"What-if step and twinviewer whatif); {REGULATION_TEXT[other]} is chosen per "
            f"what-if"
            + (", and is the mode of a what-if stored without one (files from before the "
               "modes)" if old == other else "")
            + "." + (f" In this report: {said}." if said else ""))
