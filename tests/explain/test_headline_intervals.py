"""The headline changes of the report's page 1 ("checked against …") and its Warnings
("UNSOURCED: …") carry the interval the tables give the same change (review15b #10: "LV
ejection fraction +9 %-points", "Cardiac output +1.1 L/min" as medians alone), with the
model error of a calibrated twin's unmeasured output (paired, as the tables)."""

from __future__ import annotations

import numpy as np

from twinviewer.core.format import change
from twinviewer.core.stats import central_interval
from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.explain.evidence_flags import checked_changes, unsourced_changes
from twinviewer.personalize.shown import IntervalContext

RNG = np.random.default_rng(4)
BASE = {"CO": RNG.normal(3.0, 0.3, 60), "LVEDP": RNG.normal(21.0, 2.0, 60),
        "LVEF": RNG.normal(35.0, 3.0, 60)}
AFTER = {"CO": BASE["CO"] + RNG.normal(1.1, 0.2, 60),
         "LVEDP": BASE["LVEDP"] - RNG.normal(3.0, 1.0, 60),
         "LVEF": BASE["LVEF"] + RNG.normal(9.0, 2.0, 60)}
DOBUTAMINE_5 = Scenario("s", (InterventionStep("inotrope", {"dose": 5.0}),), "regulated")


def _table_cell(triple, unit):  # the report table's Δ cell (report.pdf._triple, signed)
    return change(*triple, unit).replace("-", "−")


def test_without_model_error_the_ensemble_s_paired_interval():
    (checked,) = checked_changes([DOBUTAMINE_5], BASE, {"s": AFTER})["s"]
    m, rest = _table_cell(central_interval(AFTER["CO"] - BASE["CO"]), "L/min").split(" ", 1)
    assert f"Cardiac output {m} L/min (90 %: {rest[1:-1]})" in checked, checked
    (unsourced,) = unsourced_changes([DOBUTAMINE_5], BASE, {"s": AFTER})["s"]
    m, rest = _table_cell(central_interval(AFTER["LVEF"] - BASE["LVEF"]), "%").split(" ", 1)
    assert f"LV ejection fraction {m} %-points (90 %: {rest[1:-1]})" in unsourced, unsourced


def test_a_calibrated_twin_s_unmeasured_output_carries_its_model_error():
    ctx = IntervalContext(atypicality=1.0, misfit=1.0, measured=frozenset({"CO"}))
    assert ctx.widened("LVEDP")
    (unsourced,) = unsourced_changes([DOBUTAMINE_5], BASE, {"s": AFTER}, ctx)["s"]
    triple = ctx.paired("LVEDP", BASE["LVEDP"], AFTER["LVEDP"])[2]
    m, rest = _table_cell(triple, "mmHg").split(" ", 1)
    assert f"LV end-diastolic pressure {m} mmHg (90 %: {rest[1:-1]})" in unsourced, unsourced
    bare = central_interval(AFTER["LVEDP"] - BASE["LVEDP"])
    assert triple[2] - triple[1] > bare[2] - bare[1]  # the model error widens it
