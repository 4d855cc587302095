"""How many parameters are in each state after a calibration: one count, one sentence.

The PDF counted every parameter whose provenance says "calibrated" ("34 calibrated") while
the command line said "calibrated 8 parameters …; 26 more moved without a datum of their own"
(review9b #4). Both were right about different things: a calibration with a heart-size
coordinate moves parameters that no datum reached (their provenance is CALIBRATED, its detail
says "no datum reached it directly"). This module sorts the parameters from their provenance
alone (saved in the .twin, so a reopened twin counts the same) and writes the one sentence the
PDF, the Calibrate step and the command line all print.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from twinviewer.core.provenance import Provenance, Source
from twinviewer.core.twin import Twin

#: A parameter no datum reached that the shared heart-size coordinate moved.
MOVED_WITH_SIZE = "moved with the heart size"
#: A parameter no datum reached that moved with calibrated parameters it correlates with.
MOVED_WITH_OTHERS = "moved with correlated parameters"
#: A parameter the data moved without narrowing it (posterior/prior 90 % width ≥ 0.9): its
#: value is set by the data, its spread is not (review16 #8); its provenance detail starts so.
MOVED_NOT_NARROWED = "moved by the data but not narrowed"
#: The states in the order the sentence names them (what the calibration did first).
ORDER = (Source.CALIBRATED.value, MOVED_NOT_NARROWED, MOVED_WITH_SIZE, MOVED_WITH_OTHERS,
         Source.MEASURED.value, Source.IMAGE_DERIVED.value, Source.PRIOR.value)
_NO_DATUM = "no datum reached it directly"


def parameter_state(prov: Provenance | None) -> str:
    """A parameter's state from its provenance (a moved one is not "calibrated").

    Examples
    --------
    >>> parameter_state(Provenance(Source.CALIBRATED, "moved through the shared heart-size "
    ...                            "coordinate: median ×1.2; no datum reached it directly"))
    'moved with the heart size'
    >>> parameter_state(Provenance(Source.CALIBRATED, "posterior 90 % width 41 % of prior"))
    'calibrated'
    >>> parameter_state(None)
    'prior / assumed'
    """
    if prov is None:
        return Source.PRIOR.value
    if prov.source is Source.CALIBRATED and prov.detail.startswith(MOVED_NOT_NARROWED):
        return MOVED_NOT_NARROWED
    if prov.source is Source.CALIBRATED and _NO_DATUM in prov.detail:
        return MOVED_WITH_SIZE if "heart-size" in prov.detail else MOVED_WITH_OTHERS
    return prov.source.value


def parameter_counts(provenance: Mapping[str, Provenance], names: Iterable[str]
                     ) -> dict[str, int]:
    """How many of ``names`` are in each state (states with none left out), in :data:`ORDER`.

    Examples
    --------
    >>> prov = {"A": Provenance(Source.CALIBRATED, "posterior 90 % width 40 % of prior"),
    ...         "B": Provenance(Source.CALIBRATED, "moved through the shared heart-size "
    ...                         "coordinate; no datum reached it directly")}
    >>> parameter_counts(prov, ["A", "B", "C"])
    {'calibrated': 1, 'moved with the heart size': 1, 'prior / assumed': 1}
    """
    counts = dict.fromkeys(ORDER, 0)
    for name in names:
        counts[parameter_state(provenance.get(name))] += 1
    return {k: v for k, v in counts.items() if v}


def counts_text(provenance: Mapping[str, Provenance], names: Iterable[str]) -> str:
    """The one sentence: "8 calibrated, 26 moved with the heart size (no datum of their own),
    1 derived from images, 18 prior / assumed" (of ``names``, from ``provenance``).

    Examples
    --------
    >>> prov = {"A": Provenance(Source.CALIBRATED, "posterior 90 % width 40 % of prior"),
    ...         "B": Provenance(Source.CALIBRATED, "moved through the shared heart-size "
    ...                         "coordinate; no datum reached it directly")}
    >>> counts_text(prov, ["A", "B", "C"])
    '1 calibrated, 1 moved with the heart size (no datum of its own), 1 prior / assumed'
    """
    parts = []
    for state, n in parameter_counts(provenance, names).items():
        text = f"{n} {state}"
        if state in (MOVED_WITH_SIZE, MOVED_WITH_OTHERS):
            text += f" (no datum of {'its' if n == 1 else 'their'} own)"
        parts.append(text)
    return ", ".join(parts)


def twin_counts(twin: Twin) -> tuple[dict[str, int], str]:
    """A twin's counts and sentence over *every* parameter of its model (one missing from the
    provenance is prior / assumed), as the PDF counts them; for the Calibrate step of a
    reopened twin and ``twinviewer info`` (review11 #8: the same count everywhere).

    Examples
    --------
    >>> from twinviewer.twins import twin_from_preset
    >>> twin_counts(twin_from_preset("healthy", n=2))[0]
    {'prior / assumed': 53}
    """
    from twinviewer.physiology.model import ModelError
    from twinviewer.twins import model_of

    try:
        names = list(model_of(twin).parameter_names)
        why = ""
    except ModelError:
        # a model not installed or whose equations changed (review11b #2): the file's own
        # parameter table — its provenance's names, the rest of its values prior / assumed
        names = list(twin.provenance)
        names += [f"#{i}" for i in range(len(names), int(np.asarray(twin.params).size))]
        why = f" (counted from the file: its model {twin.model_name} cannot be loaded here)"
    return (parameter_counts(twin.provenance, names),
            counts_text(twin.provenance, names) + why)
