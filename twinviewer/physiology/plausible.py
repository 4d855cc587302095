"""Where a predicted interval leaves physiology: a marker, never a clip.

With the robust calibration prior a strongly atypical patient's 90 % interval of an
unmeasured filling pressure can reach about 100 mmHg (session 11: LVEDP tops up to 103 on
synthetic patients whose truth was 6–20 mmHg). Clipping the shown interval would hide exactly
what the coverage tables measure (the interval is that wide because the data do not pin the
output down for this patient), so the interval is shown as computed, and a bound beyond the
output's plausible range is marked (:data:`BEYOND`) with a note saying what it means
(:func:`beyond_plausible`, :func:`beyond_legend`). The Metrics panel, the what-if table and the
report's tables mark it through these functions.

Plausible ceilings (:data:`PLAUSIBLE_MAX`, mmHg)
------------------------------------------------
Four times the top of the normal adult range in the project's reference facts
(``REFERENCE.md``, "Normal adult ranges": LVEDP 5–12, PCWP 6–12, PA systolic 15–30 mmHg),
rounded up to 10 mmHg: LVEDP and LAP 50, PASP 120. Every pathological value the project's
sourced studies report (``INTERVENTIONS.md``: PCWP up to 32 mmHg in decompensated heart
failure, Guiha 1974; LVEDP 25.9 mmHg, Dell'Italia 1989) lies well inside them, so a marked
bound is beyond what any of those patients had, not merely abnormal. Only upper bounds are
judged, and only of the pressures whose intervals the learned model error widens
(:mod:`~twinviewer.personalize.discrepancy`: LVEDP, LAP, PASP; stroke work and cardiac output
have no reference range here). The other pressures' intervals are the ensemble's own: they
do not run away, and a disease preset may rightly reach far (the mitral-stenosis preset's PA
diastolic pressure has a 95th percentile of 52 mmHg), so they are not marked.

Examples
--------
>>> beyond_plausible("LVEDP", 6.9, 58.1)
'upper bound beyond the plausible range (> 50 mmHg)'
>>> beyond_plausible("LVEDP", 6.0, 23.0), beyond_plausible("SBP", 90.0, 300.0)
('', '')
"""

from __future__ import annotations

from collections.abc import Iterable

from twinviewer.core.format import number, unit

#: The marker set after an interval with a bound beyond its output's plausible range.
BEYOND = "⚠"

#: Output → highest plausible value in the output's unit (see the module docstring).
PLAUSIBLE_MAX: dict[str, float] = {
    "LVEDP": 50.0,  # 4 × 12 (LVEDP 5–12 mmHg)
    "LAP": 50.0,  # 4 × 12 (PCWP 6–12 mmHg)
    "PASP": 120.0,  # 4 × 30 (PA systolic 15–30 mmHg)
}

#: What a marked interval means, said once under the table.
MEANING = ("the data do not inform this output for this patient; the interval is shown as "
           "computed, not clipped")


def beyond_plausible(name: str, lo: float, hi: float) -> str:
    """Why the interval ``lo``–``hi`` of output ``name`` is marked, or ``""``.

    Examples
    --------
    >>> beyond_plausible("LAP", 5.7, 53.1)
    'upper bound beyond the plausible range (> 50 mmHg)'
    >>> beyond_plausible("LAP", 5.7, float("nan"))
    ''
    """
    top = PLAUSIBLE_MAX.get(name)
    if top is None or not hi > top:  # a NaN bound (no periodic member) is not judged
        return ""
    from twinviewer.physiology.metrics import METRIC_BY_NAME

    u = unit(METRIC_BY_NAME[name].unit) if name in METRIC_BY_NAME else ""
    return f"upper bound beyond the plausible range (> {number(top)} {u})".replace(" )", ")")


def beyond_mark(name: str, lo: float, hi: float) -> str:
    """``" ⚠"`` to set after the interval's text if it is marked, else ``""``.

    Examples
    --------
    >>> "10 (7–58)" + beyond_mark("LVEDP", 6.9, 58.1)
    '10 (7–58) ⚠'
    """
    return f" {BEYOND}" if beyond_plausible(name, lo, hi) else ""


def beyond_legend(names: Iterable[str]) -> str:
    """The note under a table in which the outputs ``names`` were marked (``""`` if none).

    Examples
    --------
    >>> beyond_legend(["LVEDP", "LAP", "LVEDP"])  # doctest: +NORMALIZE_WHITESPACE
    '⚠ upper bound beyond the plausible range (LV end-diastolic pressure > 50 mmHg, Mean
    left atrial pressure > 50 mmHg): the data do not inform this output for this patient;
    the interval is shown as computed, not clipped'
    """
    from twinviewer.physiology.metrics import METRIC_BY_NAME

    shown = []
    for name in dict.fromkeys(names):
        m = METRIC_BY_NAME.get(name)
        label, u = (m.label, unit(m.unit)) if m is not None else (name, "")
        shown.append(f"{label} > {number(PLAUSIBLE_MAX[name])} {u}".rstrip())
    if not shown:
        return ""
    return f"{BEYOND} upper bound beyond the plausible range ({', '.join(shown)}): {MEANING}"
