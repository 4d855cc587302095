"""What the views derive from new results, computed in a worker before the results are shown
(so the GUI thread only draws)."""

from __future__ import annotations


def prepared_results(results, twin):
    """Compute what the plots derive from ``results`` on ``twin``'s anatomy — the measured
    volume curves and their predictive bands, cached on the anatomy and the results — and
    return ``results``. Safe in a worker thread (no Qt).

    Examples
    --------
    >>> prepared_results(None, None) is None
    True
    """
    from twinviewer.gui.plots import measured_band, measured_curve

    anatomy = getattr(twin, "anatomy", None)
    for chamber in ("LV", "RV"):
        measured_band(results, measured_curve(anatomy, chamber))
    return results
