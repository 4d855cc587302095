"""Review9 #13 / task item 3: entering, changing or removing a measurement is its own audit
event (name, value, unit, SD, source; no identifiers), the calibration entry records the
values it used, and save/reopen keeps them — driven through the Qt-free document."""

from __future__ import annotations

import json

from twinviewer.core.measurement import Measurement as M
from twinviewer.document import Document
from twinviewer.io import audit_log
from twinviewer.io.measurement_audit import measurement_changes
from twinviewer.twins import twin_from_preset


def _events(twin):
    return [e.details for e in audit_log(twin).entries if e.action == "measurement"]


def test_each_measurement_entered_changed_removed_is_an_event_that_survives_reopen(tmp_path):
    from twinviewer.personalize import calibrate

    doc = Document()
    doc.open_twin(twin_from_preset("healthy", n=8))
    doc.set_measurements([M("SBP", 142, "mmHg", 8, "cuff"), M("DBP", 84, "mmHg", 6, "cuff"),
                          M("HR", 72, "bpm", 2, "ECG")])
    doc.add_measurement(M("SBP", 138, "mmHg", 8, "cuff"))  # a corrected value
    doc.remove_measurement("HR")
    ev = _events(doc.twin)
    assert [(d["change"], d["name"]) for d in ev] == [
        ("entered", "SBP"), ("entered", "DBP"), ("entered", "HR"), ("changed", "SBP"),
        ("removed", "HR")]
    assert ev[0] == {"change": "entered", "name": "SBP", "value": 142.0, "unit": "mmHg",
                     "sd": 8.0, "source": "cuff"}
    assert ev[3]["value"] == 138.0 and ev[3]["previous"]["value"] == 142.0
    assert doc.dirty
    # re-applying the same values records nothing
    assert doc.set_measurements(list(doc.twin.measurements)) == []
    # the calibration entry records the values it used
    r = calibrate(doc.twin, n=16, point_estimate=False)
    doc.apply_calibration(r, accept_misfit=True)
    cal = [e for e in audit_log(doc.twin).entries if e.action == "calibration"][-1]
    assert {(v["name"], v["value"], v["sd"], v["source"]) for v in cal.details["values"]} >= {
        ("SBP", 138.0, 8.0, "cuff"), ("DBP", 84.0, 6.0, "cuff")}
    path = doc.save(tmp_path / "p.twin")
    again = Document()
    again.open_file(path)
    assert _events(again.twin) == ev
    assert audit_log(again.twin).verify_chain().ok
    assert [e for e in audit_log(again.twin).entries
            if e.action == "calibration"][-1].details["values"] == cal.details["values"]


def test_a_source_holding_an_identifier_is_scrubbed_from_the_event():
    from twinviewer.core.privacy import clear_identifiers, register_identifiers

    doc = Document()
    doc.open_twin(twin_from_preset("healthy", n=1))
    register_identifiers(["Jane Roe"])
    try:
        doc.set_measurements([M("SBP", 120, "mmHg", 8, "cuff by Jane Roe")])
    finally:
        clear_identifiers()
    text = json.dumps([e.to_dict() for e in audit_log(doc.twin).entries])
    assert "Jane Roe" not in text and '"SBP"' in text


def test_changes_are_matched_by_name_and_source():
    a = [M("LVEF", 55, "%", 4, "echo")]
    b = [M("LVEF", 55, "%", 4, "echo"), M("LVEF", 58, "%", 3, "MRI")]
    assert [(d["change"], d["source"]) for d in measurement_changes(a, b)] == [
        ("entered", "MRI")]
    assert [d["change"] for d in measurement_changes(b, a)] == ["removed"]


def test_command_line_calibrate_records_each_new_value(tmp_path):
    """`twinviewer calibrate FILE measurements.json`: the values of the file are events
    (entered, or changed with the value they replace) before the calibration entry."""
    from twinviewer.io import save_twin
    from twinviewer.personalize.measurements import save_measurements
    from twinviewer.pipeline import calibrate_file

    twin = twin_from_preset("healthy", n=1)
    twin.measurements.append(M("SBP", 126, "mmHg", 8, "cuff"))
    path = tmp_path / "p.twin"
    save_twin(path, twin)
    given = tmp_path / "m.json"
    save_measurements([M("SBP", 131, "mmHg", 8, "cuff"), M("HR", 68, "bpm", 2, "ECG")], given)
    calibrate_file(path, given, n=16, accept_misfit=True)
    doc = Document()
    doc.open_file(path)
    entries = audit_log(doc.twin).entries
    ev = [e.details for e in entries if e.action == "measurement"]
    assert {(d["change"], d["name"], d["value"]) for d in ev} == {
        ("changed", "SBP", 131.0), ("entered", "HR", 68.0)}
    assert all(d["command"] == "calibrate" for d in ev)
    actions = [e.action for e in entries]
    assert actions.index("measurement") < len(actions) - 1 - actions[::-1].index("calibration")
