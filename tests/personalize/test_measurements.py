"""Measurement entry, checks with clear messages, and JSON import/export."""

from __future__ import annotations

import json
import re

import pytest

from twinviewer.core.anatomy import Anatomy
from twinviewer.core.measurement import Measurement as M
from twinviewer.personalize import (
    MeasurementError,
    UnknownQuantity,
    canonical_name,
    check_measurements,
    load_measurements,
    normalise,
    require_valid,
    save_measurements,
    twin_measurements,
)
from twinviewer.personalize.measurements import is_image_derived
from twinviewer.twins import twin_from_preset


def errors(ms):
    return [i.message for i in check_measurements(ms) if i.level == "error"]


def test_aliases_and_units_are_normalised():
    assert canonical_name("EDV") == "LVEDV"
    assert canonical_name("TR velocity") == "TR_velocity"
    assert canonical_name("pcwp") == "PCWP"
    m = normalise(M("cardiac output", 90.0, "mL/s", 5.0, "thermodilution"))
    assert m.name == "CO" and m.unit == "L/min"
    assert m.value == pytest.approx(5.4) and m.uncertainty == pytest.approx(0.3)
    assert normalise(M("SBP", 16.0, "kPa", 1.0)).value == pytest.approx(120.0, abs=0.1)


def test_unknown_name_suggests_the_closest():
    with pytest.raises(UnknownQuantity, match="LVEDV"):
        canonical_name("LVEDVV")
    assert "is not a quantity" in errors([M("LVEDVV", 120.0, "mL", 5.0)])[0]


def test_wrong_kind_of_unit_names_the_measurement():
    (msg,) = errors([M("SBP", 120.0, "mL", 5.0)])
    assert "SBP" in msg and "pressure" in msg


def test_a_clean_set_has_no_errors():
    ms = [M("HR", 70, "bpm", 2), M("SBP", 120, "mmHg", 8), M("DBP", 80, "mmHg", 6),
          M("LVEDV", 130, "mL", 8), M("LVESV", 52, "mL", 6), M("LVEF", 60, "%", 5),
          M("CO", 5.0, "L/min", 0.5), M("AVA", 3.2, "cm^2", 0.2), M("E/A", 1.4, "1", 0.2),
          M("TR velocity", 2.4, "m/s", 0.2), M("PCWP", 9, "mmHg", 2)]
    assert check_measurements(ms) == []
    assert len(require_valid(ms)) == len(ms)


@pytest.mark.parametrize("ms, words", [
    ([M("SBP", 80, "mmHg", 5), M("DBP", 95, "mmHg", 5)], ["SBP", "DBP", "swapped"]),
    ([M("LVEDV", 50, "mL", 5), M("LVESV", 120, "mL", 5)], ["LVEDV", "LVESV"]),
    ([M("LVEF", 120, "%", 5)], ["LVEF", "outside"]),
    ([M("PASP", 10, "mmHg", 2), M("PADP", 30, "mmHg", 2)], ["PASP", "PADP"]),
    ([M("SBP", 120, "mmHg", 5), M("DBP", 80, "mmHg", 5), M("MAP", 130, "mmHg", 5)],
     ["MAP", "between"]),
])
def test_inconsistent_measurements_are_named(ms, words):
    msg = " ".join(errors(ms))
    for w in words:
        assert w in msg


@pytest.mark.parametrize("m, hint", [
    (M("SBP", 16.0, "mmHg", 1.0), "kPa"),        # kPa typed as mmHg
    (M("LVEDV", 0.13, "mL", 0.01), "'L'"),      # litres typed as mL
    (M("LVEF", 0.55, "%", 0.05), "'1'"),         # a fraction typed as a percentage
    (M("CO", 5000.0, "L/min", 300.0), "mL/min"),  # mL/min typed as L/min
    (M("AVA", 80.0, "cm^2", 5.0), "mm^2"),       # mm² typed as cm²
    (M("SBP", 120.0, "kPa", 8.0), "'mmHg'"),     # mmHg value with the unit kPa
    (M("LVEDV", 140.0, "L", 8.0), "'mL'"),       # mL value with the unit L
])
def test_likely_unit_mistakes_suggest_the_fix(m, hint):
    (msg,) = errors([m])
    assert m.name in msg and "outside the physiological range" in msg and hint in msg


@pytest.mark.parametrize("m, conversion", [
    # the value read in the unit it was given, and in the one it was meant in (newuser17b G9:
    # "150 mmHg = 150 mmHg" said nothing)
    (M("SBP", 150.0, "kPa", 10.0), "150 kPa would be 1125 mmHg"),
    (M("LVEDV", 140.0, "L", 8.0), "140 L would be 140000 mL"),
    (M("LVEDV", 0.13, "mL", 0.01), "0.13 L = 130 mL"),
])
def test_a_unit_hint_states_a_real_conversion(m, conversion):
    (msg,) = errors([m])
    assert conversion in msg
    assert not re.search(r"(\S+ \S+) = \1\b", msg), msg  # no "x u = x u" tautology


def test_out_of_range_without_a_unit_fix_is_still_an_error():
    (msg,) = errors([M("HR", 400, "bpm", 2)])
    assert "HR" in msg and "25–230" in msg


def test_warnings_for_zero_uncertainty_duplicates_and_ef_mismatch():
    issues = check_measurements([
        M("SBP", 120, "mmHg", 0, "CT mesh"), M("SBP", 124, "mmHg", 5), M("DBP", 80, "mmHg", 5),
        M("LVEDV", 130, "mL", 5), M("LVESV", 52, "mL", 5), M("LVEF", 30, "%", 3)])
    text = " ".join(i.message for i in issues)
    assert all(i.level == "warning" for i in issues)
    assert "uncertainty 0" in text and "more than once" in text and "imply 60 %" in text


def test_zero_uncertainty_is_refused_naming_file_and_value(tmp_path):
    """review10 #2: {"LVEDV", 120 mL, uncertainty 0} was accepted and shown as "120 ± 0"."""
    (msg,) = errors([M("LVEDV", 120, "mL", 0, "echo")])
    assert "LVEDV = 120 mL" in msg and "uncertainty 0 is refused" in msg
    path = tmp_path / "visit.json"
    path.write_text(json.dumps([{"name": "LVEDV", "value": 120, "unit": "mL",
                                 "uncertainty": 0}]))
    with pytest.raises(MeasurementError, match=r"visit\.json: .*LVEDV = 120 mL.*uncertainty 0"):
        load_measurements(path)
    path.write_text(json.dumps([{"name": "LVEDV", "value": 120, "unit": "mL"}]))
    assert load_measurements(path)[0].uncertainty > 0  # left out: the typical SD


def test_non_finite_value_is_an_error():
    assert "not a finite number" in errors([M("SBP", float("nan"), "mmHg", 5)])[0]


def test_json_round_trip(tmp_path):
    ms = [M("SBP", 120, "mmHg", 8, "cuff"), M("LVEDV", 140, "mL", 6, "CT segmentation")]
    path = tmp_path / "m.json"
    save_measurements(ms, path)
    data = json.loads(path.read_text())
    assert data["schema"] == "twinviewer.measurements/1"
    assert load_measurements(path) == ms


def test_json_missing_uncertainty_takes_the_typical_one(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps([{"name": "SBP", "value": 16, "unit": "kPa"}]))
    (m,) = load_measurements(path)
    assert m.unit == "kPa" and m.uncertainty == pytest.approx(8 * 0.133322, rel=1e-3)


@pytest.mark.parametrize("content, words", [
    ("{not json", ["bad.json", "JSON"]),
    (json.dumps({"schema": "other/2", "measurements": []}), ["bad.json", "schema"]),
    (json.dumps({"measurements": [{"name": "SBP", "unit": "mmHg"}]}),
     ["bad.json", "entry 1", "value"]),
    (json.dumps([{"name": "SBP", "value": "high", "unit": "mmHg"}]), ["entry 1", "SBP"]),
    (json.dumps([{"name": "SBP", "value": 120, "unit": "furlongs"}]), ["SBP", "furlongs"]),
    (json.dumps([{"name": "SBP", "value": 80, "unit": "mmHg"},
                 {"name": "DBP", "value": 95, "unit": "mmHg"}]), ["bad.json", "SBP", "DBP"]),
    (json.dumps([{"name": "SBP", "value": 120, "unit": "mmHg", "uncertainty": -1}]),
     ["bad.json", "uncertainty"]),
])
def test_bad_measurement_files_are_named(tmp_path, content, words):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(MeasurementError) as info:
        load_measurements(path)
    for w in words:
        assert w in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(MeasurementError, match="nope.json: no such"):
        load_measurements(tmp_path / "nope.json")


def test_image_derived_measurements_come_from_the_anatomy():
    anatomy = Anatomy("p1", measurements=[M("LVEDV", 150, "mL", 4, "CT segmentation"),
                                          M("LVmass", 120, "g", 5, "CT segmentation")])
    twin = twin_from_preset("healthy", n=1, anatomy=anatomy)
    twin.measurements.append(M("SBP", 125, "mmHg", 8, "cuff"))
    ms = twin_measurements(twin)
    assert [m.name for m in ms] == ["LVEDV", "SBP"]  # LV mass is not a model quantity
    assert is_image_derived(ms[0]) and not is_image_derived(ms[1])


def test_save_is_atomic_and_leaves_no_temp_file_on_error(tmp_path):
    target = tmp_path / "m.json"
    (target / "blocker").mkdir(parents=True)  # cannot be replaced by a file
    with pytest.raises(OSError, match=r"cannot write .*m\.json"):
        save_measurements([M("SBP", 120, "mmHg", 8, "cuff")], target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]


def test_numpy_scalars_are_accepted_and_saved(tmp_path):
    np = pytest.importorskip("numpy")
    ms = [M("SBP", np.float32(120), "mmHg", 8, "cuff"), M("DBP", np.int64(80), "mmHg", 6),
          M("HR", np.float64(70), "bpm", 2)]
    assert errors(ms) == []
    assert [m.value for m in require_valid(ms)] == [120.0, 80.0, 70.0]
    save_measurements(ms, tmp_path / "m.json")
    assert [m.value for m in load_measurements(tmp_path / "m.json")] == [120.0, 80.0, 70.0]
    assert "not a finite number" in errors([M("SBP", np.float32("nan"), "mmHg", 5)])[0]


def test_pcwp_and_lap_are_one_quantity():
    ms = [M("PCWP", 18, "mmHg", 2.5, "catheter"), M("SBP", 120, "mmHg", 8),
          M("LAP", 15, "mmHg", 2, "catheter")]
    (dup,) = [i for i in check_measurements(ms) if "same model quantity" in i.message]
    assert dup.level == "warning" and "PCWP" in dup.message and "LAP" in dup.message
    assert [(m.name, m.value) for m in require_valid(ms)] == [("LAP", 15.0), ("SBP", 120.0)]
