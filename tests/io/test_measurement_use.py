"""Each measurement of a twin is marked used / replaced (by which) / not used (why) from its
last calibration record — in `twinviewer info` and the report (review F19)."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

from twinviewer.core.anatomy import Anatomy
from twinviewer.core.measurement import Measurement as M
from twinviewer.core.twin import Visit
from twinviewer.io.measurement_use import (
    EARLIER,
    NOT_USED,
    REPLACED,
    UNCALIBRATED,
    USED,
    last_calibration,
    measurement_use,
    use_of,
)
from twinviewer.twins import twin_from_preset

CT = "CT segmentation"


def _row(name, value, source, used=True, note="", unit="mL"):
    return {"name": name, "measured": value, "source": source, "used": used, "note": note,
            "unit": unit}


def _entry(summary, action="calibration"):
    return SimpleNamespace(action=action, details={"summary": summary, "members": 20})


SUMMARY = {"fit": [_row("LVEDV", 118.0, CT), _row("LVESV", 45.0, CT),
                   _row("LVEF", 61.9, CT, used=False,
                        note="not used in the fit: computed from LVEDV and LVESV of the same "
                             "source (CT segmentation), which are used (counted once); checked "
                             "against the posterior predictive (z +0.3)", unit="%"),
                   _row("HR", 72.0, "ECG", used=False,
                        note="set directly from this measurement", unit="bpm")],
           "warnings": ["LVSV (images) left out of the fit: it is computed from the images' "
                        "LVEDV and LVESV, and LVEDV and LVESV were replaced by the given "
                        "measurements"]}


def _twin():
    """The review's case: LVEDV/LVESV given (CT) and from the images (also CT)."""
    t = twin_from_preset("healthy", n=2)
    images = [M("LVEDV", 129.0, "mL", 6.5, CT), M("LVESV", 48.0, "mL", 4.0, CT),
              M("LVSV", 81.0, "mL", 5.0, CT)]
    given = [M("LVEDV", 118.0, "mL", 8.0, CT), M("LVESV", 45.0, "mL", 6.0, CT),
             M("LVEF", 61.9, "%", 3.0, CT), M("HR", 72.0, "bpm", 2.0, "ECG"),
             M("PASP", 30.0, "mmHg", 4.0, "echo")]
    return replace(t, measurements=given, anatomy=Anatomy("virtual-test", measurements=images))


def test_each_row_says_what_the_calibration_did_with_it():
    uses = {(u.measurement.name, u.measurement.value): u
            for u in measurement_use(_twin(), [_entry({}, "import"), _entry(SUMMARY)])}
    assert uses["LVEDV", 118.0].status == USED and uses["LVEDV", 118.0].origin == "given"
    img = uses["LVEDV", 129.0]
    assert img.origin == "images" and img.status == REPLACED
    assert img.text() == f"replaced by LVEDV 118 mL ({CT})"
    assert uses["LVESV", 48.0].text() == f"replaced by LVESV 45 mL ({CT})"
    assert uses["HR", 72.0].text() == "used: set the parameter directly"
    ef = uses["LVEF", 61.9]
    assert ef.status == NOT_USED and ef.detail.startswith("computed from LVEDV")
    assert "z +0.3" not in ef.detail
    sv = uses["LVSV", 81.0]  # left out by the gathering step: the warning is its reason
    assert sv.status == NOT_USED and sv.detail.startswith("it is computed from the images'")
    assert "not in the last calibration" in uses["PASP", 30.0].detail
    assert len(uses) == 8  # every measurement once, none dropped


def test_no_calibration_old_records_and_earlier_visits():
    t = _twin()
    assert {u.status for u in measurement_use(t, [])} == {UNCALIBRATED}
    assert last_calibration([_entry(SUMMARY, "import")]) is None
    old = use_of(t.measurements[0], {}, given=True)  # a record written before summaries
    assert old.status == NOT_USED and "predates" in old.detail
    named = last_calibration([SimpleNamespace(
        action="calibration", details={"measurements": ["LVEDV"]})])
    assert named == {"named": ["LVEDV"]}  # an older record that lists the names it used
    assert use_of(t.measurements[0], named, given=True).text() == \
        "used: named in an older calibration record"
    assert use_of(t.measurements[3], named, given=True).status == NOT_USED
    hr = t.measurements[3]
    later = {"fit": [_row("SBP", 120.0, "cuff", unit="mmHg")], "warnings": []}
    u = use_of(hr, later, given=True, earlier=[(0, [hr])])
    assert u.status == EARLIER and "day 0" in u.detail
    assert u.to_dict()["status"] == EARLIER and u.to_dict()["name"] == "HR"


def test_info_lists_the_use_of_each_measurement(tmp_path, capsys):
    from twinviewer.io import audit_log
    from twinviewer.io.cli import run_info
    from twinviewer.io.twinfile import save_twin

    t = _twin()
    t.visits = [Visit(day=0, measurements=list(t.measurements), label="calibration 1")]
    audit_log(t).record(t, "calibration", {"summary": SUMMARY, "members": 2})
    path = save_twin(tmp_path / "t.twin", t)
    assert run_info(path) == 0
    out = capsys.readouterr().out
    assert "measurement use in the last calibration — calibrated to " in out
    assert f"LVEDV      129 mL ({CT}, images): replaced by LVEDV 118 mL ({CT})" in out
    assert run_info(path, as_json=True) == 0
    import json

    rows = json.loads(capsys.readouterr().out)["measurement_use"]
    assert [r["status"] for r in rows if r["name"] == "LVEDV"] == [USED, REPLACED]


def test_a_poorly_fitted_measurement_says_so_in_info():
    """A reviewer's SBP 150 fitted as 124 (z −2.6) was listed by `info` as plain "used"."""
    from twinviewer.core.measurement import Measurement
    from twinviewer.io.measurement_use import use_of

    row = {"name": "SBP", "measured": 150.0, "source": "cuff", "used": True, "note": "",
           "unit": "mmHg", "flag": True, "median": 124.2, "z": -2.61, "pred_lo": 117.0,
           "pred_hi": 131.5}
    u = use_of(Measurement("SBP", 150, "mmHg", 8, "cuff"), {"fit": [row]}, given=True)
    # the twin's interval and the band the z is judged on, each named (review15b #10,
    # review16b #6)
    assert u.text() == ("used: POOR FIT: the twin gives 124 mmHg (z band 90 % 117–132), "
                        "z = -2.6 (flagged above |z| 2)")
    old = {k: v for k, v in row.items() if not k.startswith("pred_")} | {"lo": 120.0,
                                                                        "hi": 128.0}
    assert "(90 % 120–128)" in use_of(
        Measurement("SBP", 150, "mmHg", 8, "cuff"), {"fit": [old]}, given=True).text()
    row["flag"] = False
    assert use_of(Measurement("SBP", 150, "mmHg", 8, "cuff"), {"fit": [row]},
                  given=True).text() == "used"


def test_one_definite_reason_for_each_measurement_left_out():
    """review6 finding 4: SBP entered after the calibration read "replaced by SBP 120
    (assumed)"; RVSV and LV_PER read "the model does not predict it, or it was added after";
    LVEDV, a check of the curve fit, gave "missed" as its reason for "not used"."""
    summary = {"fit": [_row("SBP", 120.0, "assumed", unit="mmHg"),
                       {**_row("LVEDV", 140.7, "MR", used=False,
                               note="missed by the posterior predictive (|z| = 2.1 > 2); not "
                                    "used as a separate datum: the whole LV volume curve of "
                                    "the same images is used (counted once)"),
                        "flag": True, "median": 118.0, "z": -2.1, "pred_lo": 104.0,
                        "pred_hi": 132.0}],
               "warnings": [],
               "considered": [["SBP", 120.0, "assumed"], ["LVEDV", 140.7, "MR"],
                              ["LV_PER", 483.0, "MR"]]}
    later = use_of(M("SBP", 131.0, "mmHg", 8, "cuff"), summary, given=True)
    assert later.text() == "not used: entered after the last calibration: recalibrate to use it"
    unpredicted = use_of(M("LV_PER", 483.0, "mL/s", 30, "MR"), summary, given=False)
    assert unpredicted.detail == ("the model does not predict it (kept as a measurement of "
                                  "the patient)")
    edv = use_of(M("LVEDV", 140.7, "mL", 8, "MR"), summary, given=False)
    assert edv.status == "in the volume curve"  # review13 #9: not "not used"
    assert edv.detail.startswith("fitted as part of the whole LV volume curve")
    assert edv.detail.endswith("z = -2.1 (flagged above |z| 2)") and "missed" not in edv.detail


def test_calibration_records_what_it_was_offered():
    from twinviewer.personalize.calibrate import _considered

    t = _twin()
    keys = _considered(t, [M("SBP", 131.0, "mmHg", 8, "cuff")])
    assert ("SBP", 131.0, "cuff") in keys and ("LVEDV", 129.0, CT) in keys
    assert ("LVEDV", 118.0, CT) in keys and len(keys) == len(set(keys)) == 9


def test_info_writes_units_as_people_do(tmp_path, capsys):
    """review6: `info` printed "AVA 0.75 cm^2"."""
    from twinviewer.io import audit_log
    from twinviewer.io.cli import run_info
    from twinviewer.io.twinfile import save_twin

    t = twin_from_preset("healthy", n=2)
    t.measurements.append(M("AVA", 0.75, "cm^2", 0.1, "echo continuity"))
    audit_log(t).record(t, "calibration", {"summary": {"fit": [], "considered": []}})
    assert run_info(save_twin(tmp_path / "t.twin", t)) == 0
    out = capsys.readouterr().out
    assert "AVA 0.75 cm²" in out and "AVA        0.75 cm² (echo continuity" in out
    assert "cm^2" not in out


def test_a_fitted_rows_band_is_not_called_the_twins_interval():
    """review16b #6: SBP 165 fitted as 112 (91–138) read "the twin gives 112 mmHg (90 %
    94–131)" in `info` and the report's appendix: the 94–131 is the residual band the z is
    judged on (σ ⊕ model error), narrower than the twin's own interval, not its 90 %."""
    from twinviewer.io.measurement_use import _misfit_detail

    row = {"flag": True, "z": 4.8, "median": 112.0, "lo": 91.0, "hi": 138.0, "unit": "mmHg",
           "pred_lo": 94.0, "pred_hi": 131.0, "band": "residual", "share_off": 0.97}
    text = _misfit_detail(row)
    assert text.startswith("POOR FIT: the twin gives 112 mmHg (90 % 91–138; residual band "
                           "90 % 94–131), z = +4.8"), text
    assert "predictive band 90 % 80–150" in _misfit_detail(
        {**row, "band": "predictive", "pred_lo": 80.0, "pred_hi": 150.0})
