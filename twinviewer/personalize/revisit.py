"""Re-calibrating a visit: the twin as it was *before* that visit.

Calibrating a twin again on the day of its last visit must not take that visit's posterior
as the prior and fit the same data a second time (each run would pull the twin further
along the data's direction and add a visit: "3 visits, days 0, 0, 0"). The visit is instead
re-done from the prior it started from — the previous visit's posterior, or for the first
visit the starting parameters with a population prior — and replaces the old one.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from twinviewer.core.measurement import Measurement
from twinviewer.core.twin import Twin
from twinviewer.personalize.disease import preset_of, prior_in_provenance


def start_params(twin: Twin) -> tuple[np.ndarray, str]:
    """The parameters the twin's first calibration started from, and where they came from.

    Recorded on the visits (``Visit.start_params``) by :func:`updated_twin`; a file written
    before that was recorded falls back to the vector of the preset the twin was made from.

    >>> from twinviewer.twins import twin_from_preset
    >>> p, how = start_params(twin_from_preset("healthy", n=1))
    >>> how
    'the twin itself (never calibrated)'
    """
    if not twin.visits:
        return np.asarray(twin.params, dtype=float).copy(), "the twin itself (never calibrated)"
    recorded = twin.visits[0].start_params
    if recorded is not None:
        return np.asarray(recorded, dtype=float).copy(), "recorded at the first visit"
    from twinviewer.physiology.presets import get_preset

    name = preset_of(twin.origin)
    if not twin.origin.startswith("preset:"):  # e.g. 'import': the preset named in provenance
        for prov in twin.provenance.values():
            named = prior_in_provenance(prov.detail)
            if named:
                name = named
                break
    preset = get_preset(name)
    if preset.model.name != twin.model_name or \
            len(preset.vector()) != len(np.asarray(twin.params)):
        raise ValueError(f"this twin's first visit does not record its starting parameters "
                         f"and preset {name!r} is for another model: it cannot be re-"
                         "calibrated; calibrate a new visit (--day) with new data instead")
    return preset.vector(), (f"not recorded in this file (written before it was): preset "
                             f"{name!r}'s values, the prior centre of its first calibration")


def before_last_visit(twin: Twin) -> tuple[Twin, list[Measurement], str]:
    """The twin as it was before its last visit, that visit's measurements, and a note.

    The prior of the returned twin is the one the last visit started from, so calibrating it
    to the same data reproduces that visit (idempotent) instead of counting the data twice.
    The twin's stored measurements and audit trail are kept.

    >>> from twinviewer.twins import twin_from_preset
    >>> t, ms, note = before_last_visit(twin_from_preset("healthy", n=1))
    >>> ms, note
    ([], '')
    """
    if not twin.visits:
        return twin, [], ""
    last = twin.visits[-1]
    earlier = list(twin.visits[:-1])
    prev = next((v for v in reversed(earlier) if v.ensemble is not None), None)
    if prev is None:
        p, how = start_params(twin)
        before = replace(twin, params=p, ensemble=p[None, :].copy(), ensemble_kind="prior",
                         visits=earlier, audit=list(twin.audit))
        note = (f"re-calibration of day {last.day}: started again from the population prior "
                f"(starting parameters: {how}); the old day-{last.day} calibration is replaced")
    else:
        ens = np.asarray(prev.ensemble, dtype=float)
        before = replace(twin, params=np.median(ens, axis=0), ensemble=ens.copy(),
                         ensemble_kind="posterior", visits=earlier, audit=list(twin.audit))
        note = (f"re-calibration of day {last.day}: started again from the day-{prev.day} "
                f"posterior; the old day-{last.day} calibration is replaced")
    return before, list(last.measurements), note
