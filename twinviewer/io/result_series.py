"""Which waveforms a scenario's results keep in the ``.twin`` file: one rule for the GUI's
save, its autosave and the command line's ``whatif``/``calibrate``.

A result keeps what the PV loops and the Wiggers diagram draw (float32, every member, so the
median and band come back exactly); without them a re-opened result shows its numbers but
no loop (review13 #4: results written by ``twinviewer whatif`` came back "saved without
loops").
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import numpy as np

#: Roles of the waveforms a scenario's results keep in the file.
LOOP_ROLES = ("time", "p_AO", "p_LV", "p_LA", "p_RV", "V_LV", "V_RV", "Q_MV", "Q_AV")


def loop_series(results: Any) -> dict[str, np.ndarray]:
    """The waveforms of ``results`` kept in the file (see :data:`LOOP_ROLES`), by the model's
    own series names; empty for results without waveforms.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> r = NS(model=NS(role=lambda n: n), time=np.zeros((2, 3)),
    ...        series={"V_LV": np.ones((2, 3)), "Q_VAD": np.zeros((2, 3))})
    >>> sorted(loop_series(r))
    ['V_LV', 'time']
    """
    series = getattr(results, "series", None) or {}
    if not series:
        return {}
    out = {"time": np.asarray(results.time, dtype=np.float32)}
    role = getattr(results.model, "role", lambda n: n)
    for r in LOOP_ROLES[1:]:
        own = role(r)
        if own in series:
            out[own] = np.asarray(series[own], dtype=np.float32)
    return out


def scenario_series(results: Mapping[str, Any], scenarios: Collection[str],
                    stored: Mapping[str, Mapping[str, np.ndarray]] | None = None
                    ) -> dict[str, dict[str, np.ndarray]]:
    """The waveforms to write with the scenario results: those read from the file
    (``stored``) of scenarios still defined, replaced by :func:`loop_series` of each result
    computed now (``results``: name → Results) that has waveforms.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> r = NS(model=NS(role=lambda n: n), time=np.zeros((1, 2)), series={"p_LV": np.ones((1, 2))})
    >>> out = scenario_series({"TAVI": r, "gone": r}, {"TAVI", "old"},
    ...                       {"old": {"time": np.zeros((1, 2))}, "removed": {}})
    >>> sorted(out), sorted(out["TAVI"])
    (['TAVI', 'old'], ['p_LV', 'time'])
    """
    out = {k: dict(v) for k, v in (stored or {}).items() if k in scenarios}
    for name, r in results.items():
        waves = loop_series(r) if name in scenarios else {}
        if waves:
            out[name] = waves
    return out
