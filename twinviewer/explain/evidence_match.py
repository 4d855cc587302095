"""Which evidence rows speak for a heart like this twin's: the row's study population.

A what-if is checked against an evidence row (:mod:`twinviewer.explain.evidence_flags`)
only if the row's study population could hold the twin's heart: an HFrEF heart paced at
110 bpm is judged against the EF < 50 % group of PMID 14643273, never against the EF ≥ 50 %
group; a healthy heart's dobutamine response never against Akhtar's severe heart failure
(numbers17 F1). Each row of ``twinviewer/interventions/evidence/*.json`` carries its
population as data::

    "population": {"who": "complete heart block with a DDD pacemaker, EF ≥ 50 %",
                   "lvef": [50, null], "lvef_reported": 48, "from": "the source's words"}

``lvef`` is the LVEF range (%) the population covers, its low end included and its high end
not (``null``: open); ``lvef_reported`` the study's mean LVEF where it reports one (among
rows that fit, the nearest is preferred: esmolol's 27 % before metoprolol's post-infarct
48 % for a heart of 23 %); ``from`` where the range comes from. A row without one fits any
heart. The twin's LVEF is the median of its baseline members.

The row's own rule for a change of one variable (``twinviewer validate``'s) is reused for
this heart's change of the kinds that have no size (:func:`passes_row_rule`).

Examples
--------
>>> pop = population("pacing-70-110-ef-reduced")
>>> pop.fits(23.0), pop.fits(60.0), pop.said()
(True, False, 'complete heart block with a DDD pacemaker, EF < 50 % (LVEF < 50 %)')
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Population:
    """The study population of one evidence row: who, and the LVEF range it covers (%)."""

    who: str
    lvef_low: float | None = None
    lvef_high: float | None = None
    lvef_reported: float | None = None
    basis: str = ""

    def fits(self, lvef: float | None) -> bool:
        """True if a heart of ``lvef`` (%) lies in the range; True when it is unknown.

        >>> Population("x", 50.0).fits(49.9), Population("x", None, 50.0).fits(50.0)
        (False, False)
        """
        if lvef is None or not math.isfinite(lvef):
            return True
        return ((self.lvef_low is None or lvef >= self.lvef_low)
                and (self.lvef_high is None or lvef < self.lvef_high))

    def distance(self, lvef: float | None) -> float:
        """|``lvef`` − the study's reported mean LVEF| in %-points; 0 where either is not
        known (the range is all that is known).

        >>> Population("x", None, 50.0, 27.0).distance(23.0)
        4.0
        """
        if lvef is None or self.lvef_reported is None or not math.isfinite(lvef):
            return 0.0
        return abs(lvef - self.lvef_reported)

    def said(self) -> str:
        """'healthy men (LVEF ≥ 50 %)': who, with the LVEF range the match is made on."""
        lo, hi = self.lvef_low, self.lvef_high
        rng = (f"LVEF {lo:g}–{hi:g} %" if lo is not None and hi is not None else
               f"LVEF ≥ {lo:g} %" if lo is not None else
               f"LVEF < {hi:g} %" if hi is not None else "any LVEF")
        return f"{self.who} ({rng})" if self.who else rng


def _bound(x: Any) -> float | None:
    return None if x is None else float(x)


@functools.lru_cache(maxsize=1)
def _raw_rows() -> tuple[dict, ...]:
    """Every evidence row as written in ``twinviewer/interventions/evidence/*.json``."""
    from twinviewer.interventions.evidence_table import EVIDENCE_DIR, PATIENTS_FILE

    out: list[dict] = []
    for path in sorted(EVIDENCE_DIR.glob("*.json")):
        if path.name == PATIENTS_FILE:
            continue
        try:
            rows = json.loads(path.read_text(encoding="utf-8")).get("rows", [])
        except (OSError, ValueError, AttributeError):
            continue  # the evidence table says so where it is read (EvidenceError)
        out.extend(r for r in rows if isinstance(r, dict) and "id" in r)
    return tuple(out)


@functools.lru_cache(maxsize=1)
def _populations() -> dict[str, Population]:
    """Row id → :class:`Population`, from the ``population`` of every evidence row."""
    out: dict[str, Population] = {}
    for r in _raw_rows():
        pop = r.get("population")
        if isinstance(pop, dict):
            lo, hi = (list(pop.get("lvef") or [None, None]) + [None, None])[:2]
            out[str(r["id"])] = Population(str(pop.get("who", "")), _bound(lo), _bound(hi),
                                           _bound(pop.get("lvef_reported")),
                                           str(pop.get("from", "")))
    return out


@functools.lru_cache(maxsize=1)
def _implied() -> dict[str, dict[str, dict[str, float]]]:
    out: dict[str, dict[str, dict[str, float]]] = {}
    for r in _raw_rows():
        imp = r.get("implied")
        if not isinstance(imp, dict):
            continue
        try:
            out[str(r["id"])] = {str(k): {str(s): float(v) for s, v in d.items()}
                                 for k, d in imp.items()}
        except (AttributeError, TypeError, ValueError):
            continue  # malformed: the row is matched on the step's own settings
    return out


def implied_settings(row_id: str) -> dict[str, dict[str, float]]:
    """Intervention name → the settings a step of it stands for where it lacks them, for
    evidence row ``row_id`` (its ``implied`` field; {} if none).

    A row's step may be another intervention's (the furosemide rows are filed under the
    "diuretic"): ``"implied": {"diuretic": {"hours": 3.5}}`` says that a diuretic step,
    which has no ``hours``, is the hours-scale effect (the diuretic's own assumption), so it
    is matched with the 3.5-h row, not the 20-min one (review17 F6).

    Examples
    --------
    >>> implied_settings("furosemide-20min")
    {'diuretic': {'hours': 3.5}}
    >>> implied_settings("dobutamine-10")
    {}
    """
    return _implied().get(row_id, {})


def population(row_id: str) -> Population:
    """The study population of evidence row ``row_id`` (any heart if it names none).

    >>> population("dobutamine-10-normal").said()
    'healthy men (LVEF ≥ 50 %)'
    """
    return _populations().get(row_id, Population(""))


def heart_lvef(baseline: Any) -> float | None:
    """The twin's LVEF (%): the median over its periodic baseline members, or None.

    >>> import numpy as np
    >>> heart_lvef({"LVEF": np.array([22.0, 24.0, np.nan])})
    23.0
    """
    import numpy as np

    if baseline is None:
        return None
    if hasattr(baseline, "metrics"):
        m, ok = baseline.metrics, getattr(baseline, "ok", None)
    else:
        m = dict(baseline)
        ok = m.get("_ok")
    if "LVEF" not in m:
        return None
    x = np.asarray(m["LVEF"], float).ravel()
    keep = np.isfinite(x)
    if ok is not None and np.shape(ok) == keep.shape:
        keep &= np.asarray(ok, bool)
    return float(np.median(x[keep])) if keep.any() else None


def passes_row_rule(variable: Any, before: float, after: float, tolerance: float
                    ) -> tuple[bool, str]:
    """(passes, what the source reports) for a variable of a kind without a size
    (``unchanged``, ``up``, ``down``: on the relative change ``after``/``before`` − 1;
    ``at_most``, ``at_least``: on ``after``), by the very rule ``twinviewer validate`` judges
    the row with (:func:`twinviewer.interventions.evidence_table._judge`).

    Examples
    --------
    >>> from twinviewer.interventions.evidence_table import Variable
    >>> passes_row_rule(Variable("MAP", "unchanged", band=0.1), 1.0, 0.892, 0.35)
    (False, '~= (within ±10 %)')
    >>> passes_row_rule(Variable("LVESV", "up"), 100.0, 101.5, 0.35)[0]
    True
    """
    from twinviewer.interventions.evidence_table import _judge

    judged = _judge(variable, {variable.metric: float(before)},
                    {variable.metric: float(after)}, tolerance, None)
    return judged.passed, judged.expected


def populations_said(row_ids: Mapping[str, Any] | list[str]) -> str:
    """The populations of ``row_ids``, each once, joined: what a heart that fits none of them
    is told the rows are for.

    >>> populations_said(["dobutamine-10", "dobutamine-8-postop"])
    'severe heart failure (CO 3.1 L/min, PCWP 27 mmHg) (LVEF < 50 %); low cardiac output \
after open-heart surgery (CI 2.54 L/min/m²) (LVEF < 50 %)'
    """
    return "; ".join(dict.fromkeys(population(i).said() for i in row_ids))
