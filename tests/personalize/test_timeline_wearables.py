"""Wearable CSV → summary measurements with uncertainty; bad files refused naming the row."""

import math

import numpy as np
import pytest

from twinviewer.personalize.wearables import WearableError, read_wearable

HEAD = "time,heart_rate,systolic,diastolic,weight\n"


def _csv(rows: list[str], head: str = HEAD) -> bytes:
    return (head + "\n".join(rows) + "\n").encode()


def _good(n: int = 24) -> bytes:
    rng = np.random.default_rng(0)
    rows = []
    for h in range(n):
        rows.append(f"2024-05-01T{h:02d}:00:00Z,{70 + rng.normal(0, 4):.0f},"
                    f"{128 + rng.normal(0, 6):.0f},{82 + rng.normal(0, 4):.0f},81.2")
    return _csv(rows)


def test_summary_is_the_mean_with_standard_error_and_device_error():
    s = read_wearable(_good(), "watch.csv")
    ms = {m.name: m for m in s.summary()}
    hr = s.values["heart_rate"]
    assert ms["HR"].value == pytest.approx(hr.mean())
    sem = hr.std(ddof=1) / math.sqrt(hr.size)
    assert ms["HR"].uncertainty == pytest.approx(math.hypot(sem, 2.0))
    assert ms["SBP"].unit == "mmHg" and ms["weight"].unit == "kg"
    assert ms["HR"].source.startswith("wearable:") and "watch" not in ms["HR"].source
    d = s.to_dict()
    assert d["hours"][-1] == 23.0 and len(d["HR"]) == 24
    assert "2024" not in repr(d)  # only hours since the first reading are kept


@pytest.mark.parametrize(("rows", "match"), [
    (["2024-05-01T08:00,70,120,80,80", "2024-05-01T09:00,,121,80,80"],
     r"row 3: heart_rate is empty \(a gap"),
    (["2024-05-01T08:00,70,120,80,80", "2024-05-01T09:00,400,121,80,80"],
     "row 3: heart_rate = 400 is impossible"),
    (["2024-05-01T08:00,70,80,120,80"], "row 2: systolic 80 is not above diastolic 120"),
    (["2024-05-01T08:00,70,120,80,80", "2024-05-01T07:00,70,120,80,80"],
     "row 3: time is not after"),
    (["2024-05-01T08:00,70,120,80,80", "2024-05-09T08:00,70,120,80,80"],
     "row 3: gap of 192 h"),
    (["yesterday,70,120,80,80"], "row 2: time 'yesterday' is not an ISO 8601"),
    (["2024-05-01T08:00,seventy,120,80,80"], "row 2: heart_rate 'seventy' is not a number"),
    (["2024-05-01T08:00,70,120,80,80", "2024-05-01T09:00,71,120,80,80"],
     "2 reading"),
])
def test_bad_series_are_refused_naming_the_row(rows, match):
    with pytest.raises(WearableError, match=match):
        read_wearable(_csv(rows), "w.csv")


def test_missing_columns_are_named():
    with pytest.raises(WearableError, match="needs columns 'time' and 'heart_rate'"):
        read_wearable(_csv(["2024-05-01T08:00,120"], "time,systolic\n"))
    with pytest.raises(WearableError, match="both 'systolic' and 'diastolic'"):
        read_wearable(_csv(["2024-05-01T08:00,70,120"], "time,heart_rate,systolic\n"))


def test_wearable_visit_enters_the_twin_with_its_series():
    from twinviewer.living import add_wearable_visit
    from twinviewer.twins import twin_from_preset

    twin = twin_from_preset("healthy", n=1)
    rep = add_wearable_visit(twin, _good(), n=32)
    v = rep.twin.visits[-1]
    assert {m.name for m in v.measurements} == {"HR", "SBP", "DBP"}
    assert [m.name for m in v.context] == ["weight"]
    assert v.series["source"].startswith("wearable:") and len(v.series["HR"]) == 24
    assert rep.twin.ledger.sources() == [v.series["source"]]
    assert rep.twin.ledger.items[0].consent == "patient-provided"
