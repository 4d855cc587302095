"""The two kinds of shown 90 % interval and their table marks, for every layer that prints them.

A calibrated twin's prediction of an output not measured that has a learned model-discrepancy
term is shown with that term (:data:`WITH_MODEL_ERROR`, marked :data:`MARK`); every other
interval is the ensemble's alone (:data:`ENSEMBLE_ONLY`, marked :data:`MARK_ENSEMBLE`). Which
one an output gets is decided in :mod:`twinviewer.personalize.shown`; the words and marks live
here so that the what-if tables (interventions, a sibling of personalize) print the same ones.
Every row says which it is (review15b #5: mPAP, CVP and RV volumes sat unmarked beside PASP's
widened interval under one legend line for all).

Examples
--------
>>> mark_of(WITH_MODEL_ERROR), mark_of(ENSEMBLE_ONLY), mark_of("")
('†', '‡', '')
"""

from __future__ import annotations

#: How an interval with the learned model discrepancy is named wherever it is shown.
WITH_MODEL_ERROR = "90 % interval incl. model error"
#: How the ensemble's own interval is named (measured outputs, outputs without a term,
#: twins not calibrated).
ENSEMBLE_ONLY = "90 % interval of the ensemble"
#: The mark of a table row whose interval includes the learned model error.
MARK = "†"
#: The mark of a table row of a calibrated twin whose interval is the ensemble's alone.
MARK_ENSEMBLE = "‡"
#: The legend of both marks.
MARK_LEGEND = (f"{MARK} {WITH_MODEL_ERROR} (learned model discrepancy added: the output was "
               f"not measured); {MARK_ENSEMBLE} {ENSEMBLE_ONLY}, without model error (the "
               "output was measured, and its fit carries the model error, or no model error "
               "has been learned for it)")


def mark_of(kind: str) -> str:
    """The table mark of an interval of ``kind``: :data:`MARK` for :data:`WITH_MODEL_ERROR`,
    :data:`MARK_ENSEMBLE` for :data:`ENSEMBLE_ONLY`, '' for anything else (no kind: a twin
    not calibrated, whose every interval is the prior ensemble's, said by the table's note).

    >>> mark_of(ENSEMBLE_ONLY)
    '‡'
    """
    return {WITH_MODEL_ERROR: MARK, ENSEMBLE_ONLY: MARK_ENSEMBLE}.get(kind, "")


def prior_note(title: str, members: int) -> str:
    """What the intervals of a twin not calibrated are: the parameter-uncertainty prior
    around a preset, not the spread of a population of such patients (review15b #10: the
    "Healthy adult" prior's 90 % range reached 154/109 mmHg and an mPAP of 22 mmHg, which a
    reader took for healthy adults' range).

    Examples
    --------
    >>> prior_note("Healthy adult at rest", 100)[:79]
    '90 % intervals of 100 members drawn from the parameter-uncertainty prior around'
    """
    return (f"90 % intervals of {members} members drawn from the parameter-uncertainty prior "
            f"around '{title}' (how unsure the model's parameters are before any "
            "measurement), not the spread of a population of such patients: its range can "
            "reach values they would not have (the healthy prior's reaches hypertensive "
            "blood pressures and a mean PA pressure above 20 mmHg)")
