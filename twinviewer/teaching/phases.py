"""The phases of one beat, from the valve flows: where a lesson's highlight falls on the PV
loop and the Wiggers diagram."""

from __future__ import annotations

import numpy as np

from twinviewer.physiology import Results

#: Valve flow (mL/s) above which a valve counts as open.
OPEN = 1.0


def phase_masks(results: Results, member: int = 0) -> dict[str, np.ndarray]:
    """Boolean masks over the recorded beat's samples for each phase of the LV cycle.

    Ejection is forward aortic flow; filling is forward mitral flow; isovolumic contraction
    runs from ventricular onset (sample 0) to ejection; isovolumic relaxation from the end of
    ejection to filling. The atrial kick is filling after atrial onset (``HR``, ``AVD``).

    Examples
    --------
    >>> from twinviewer.physiology import get_preset, simulate
    >>> p = get_preset("healthy")
    >>> m = phase_masks(simulate(p.model, p.vector()))
    >>> bool(m["ejection"].any() and m["filling"].any())
    True
    """
    q_av = results.series["Q_AV"][member]
    q_mv = results.series["Q_MV"][member]
    t = results.time[member]
    n = t.size
    ej = q_av > OPEN
    fill = q_mv > OPEN
    idx = np.arange(n)
    first_ej = int(np.argmax(ej)) if ej.any() else n
    last_ej = int(n - 1 - np.argmax(ej[::-1])) if ej.any() else 0
    ivc = (idx < first_ej) & ~fill & ~ej
    ivr = (idx > last_ej) & ~fill & ~ej
    names = list(results.model.parameter_names)
    kick = np.zeros(n, bool)
    if "HR" in names and "AVD" in names:
        p = results.params[member]
        period = 60.0 / p[names.index("HR")]
        kick = fill & (t >= period - p[names.index("AVD")])
    systole = ivc | ej
    return {"isovolumic_contraction": ivc, "ejection": ej, "isovolumic_relaxation": ivr,
            "filling": fill, "systole": systole, "diastole": ~systole, "atrial_kick": kick}
