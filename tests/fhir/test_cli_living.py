"""``twinviewer visit add / withdraw``, ``fhir export``, ``timeline``: end to end on a .twin file;
bad input leaves the file byte-for-byte unchanged."""

import json
import re
from pathlib import Path

import pytest

from tests.fhir.bundles import bundle
from twinviewer.cli import main
from twinviewer.io.twinfile import load_twin, save_twin
from twinviewer.twins import twin_from_preset

DATA = Path(__file__).parent / "data"
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@pytest.fixture(scope="module")
def twin_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("living") / "patient.twin"
    save_twin(path, twin_from_preset("healthy", n=1))
    assert main(["visit", "add", str(path), "--fhir", str(DATA / "vital_signs_bundle.json"),
                 "-n", "32"]) == 0
    second = path.parent / "second.json"
    second.write_text(json.dumps(bundle({"SBP": 150, "DBP": 90, "LVEDV": 140, "LVESV": 65},
                                        "1999-09-30T10:00:00Z", "v2-")))
    assert main(["visit", "add", str(path), "--fhir", str(second), "-n", "32"]) == 0
    return path


def test_visits_from_fhir_are_on_the_timeline_with_day_offsets(twin_file, capsys):
    t = load_twin(twin_file).twin
    assert [v.day for v in t.visits] == [0, 90]
    assert [m.name for m in t.visits[0].context] == ["weight", "height"]
    assert t.visits[1].items[0]["reference"] == "Observation/v2-0"
    sources = t.ledger.sources()
    assert len(sources) == 2 and all(s.startswith("fhir:") for s in sources)
    assert not any("json" in s or "vital" in s for s in sources)  # no file names kept
    assert t.visits[1].flags  # the second visit was checked before the update
    assert t.timeline["anchor"] != "1999-07-02"  # shifted by the keyed per-patient offset


def test_identifiers_never_reach_the_twin_file(twin_file):
    import zipfile

    with zipfile.ZipFile(twin_file) as zf:
        text = "".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist()
                       if n.endswith(".json"))
    for ident in ("Chalmers", "Peter", "MRN-12345", "1974-12-25", "1999-07-02",
                  "1999-09-30", "Testperson", "MRN-998877"):
        assert ident not in text


def test_timeline_json_has_day_offsets_and_no_dates(twin_file, capsys):
    capsys.readouterr()
    assert main(["timeline", str(twin_file), "--json"]) == 0
    out = capsys.readouterr().out
    d = json.loads(out)
    assert [v["day"] for v in d["visits"]] == [0, 90]
    assert "LV.EA" in d["visits"][1]["posterior"]
    assert not DATE.search(out)
    assert main(["timeline", str(twin_file)]) == 0
    assert "No flag does not mean all is well" in capsys.readouterr().out


def test_fhir_export_writes_a_valid_bundle_without_patient_dates(twin_file, tmp_path, capsys):
    out = tmp_path / "out.json"
    assert main(["fhir", "export", str(twin_file), "-o", str(out)]) == 0
    b = json.loads(out.read_text())
    from fhir.resources.R4B.bundle import Bundle

    Bundle.model_validate(b)
    assert len(DATE.findall(out.read_text())) == 1  # Provenance.recorded only


def _refused(path: Path, args: list[str], match: str, capsys) -> None:
    before = path.read_bytes()
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert re.search(match, err), err
    assert "unchanged" in err
    assert path.read_bytes() == before


def test_bad_inputs_leave_the_twin_unchanged(twin_file, tmp_path, capsys):
    p = str(twin_file)
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    _refused(twin_file, ["visit", "add", p, "--fhir", str(bad)], "bad.json: not JSON", capsys)
    b = bundle({"SBP": 120}, "1999-12-01")
    b["entry"][1]["resource"]["code"]["coding"][0]["code"] = "2093-3"
    bad.write_text(json.dumps(b))
    _refused(twin_file, ["visit", "add", p, "--fhir", str(bad)],
             "Observation/o0: LOINC code 2093-3", capsys)
    b = bundle({"SBP": 120}, "1999-12-01")
    b["entry"][1]["resource"]["valueQuantity"].update(code="L/min")
    bad.write_text(json.dumps(b))
    _refused(twin_file, ["visit", "add", p, "--fhir", str(bad)],
             "Observation/o0: unit 'L/min' does not convert", capsys)
    b = bundle({"SBP": 120, "DBP": 70}, "1999-12-01")
    b["entry"][2]["resource"]["id"] = "o0"
    bad.write_text(json.dumps(b))
    _refused(twin_file, ["visit", "add", p, "--fhir", str(bad)],
             "Observation/o0: duplicate Observation", capsys)
    bad.write_text(json.dumps(bundle({"SBP": 120}, "1999-08-01")))
    _refused(twin_file, ["visit", "add", p, "--fhir", str(bad)],
             "dated day 30, before the last visit \\(day 90\\)", capsys)
    csv = tmp_path / "watch.csv"
    csv.write_text("time,heart_rate\n2000-01-01T08:00,70\n2000-01-01T09:00,\n"
                   "2000-01-01T10:00,71\n")
    _refused(twin_file, ["visit", "add", p, "--wearable", str(csv)],
             "watch.csv, row 3: heart_rate is empty", capsys)
    csv.write_text("time,heart_rate\n2000-01-01T08:00,70\n2000-01-01T09:00,700\n"
                   "2000-01-01T10:00,71\n")
    _refused(twin_file, ["visit", "add", p, "--wearable", str(csv)],
             "watch.csv, row 3: heart_rate = 700 is impossible", capsys)
    _refused(twin_file, ["visit", "withdraw", p, "nobody"], "no data from source 'nobody'",
             capsys)


def test_withdraw_via_cli_keeps_the_record(twin_file, tmp_path, capsys):
    out = tmp_path / "withdrawn.twin"
    second = load_twin(twin_file).twin.ledger.sources()[1]
    assert main(["visit", "withdraw", str(twin_file), second, "-o", str(out)]) == 0
    t = load_twin(out).twin
    assert [v.day for v in t.visits] == [0]
    assert t.ledger.withdrawals[0].source == second
    assert t.audit[-1].details["event"] == "consent withdrawn"


def test_fhir_visit_after_a_manual_first_visit_needs_a_day(tmp_path, capsys):
    from twinviewer.core.measurement import Measurement as M
    from twinviewer.living import add_measurements

    t = twin_from_preset("healthy", n=1)
    t = add_measurements(t, [M("SBP", 120, "mmHg", 6), M("DBP", 80, "mmHg", 5)],
                         source="manual", consent="treatment", day=0, n=24).twin
    path = save_twin(tmp_path / "m.twin", t)
    b = tmp_path / "b.json"
    b.write_text(json.dumps(bundle({"SBP": 125, "DBP": 82}, "2001-01-01")))
    _refused(path, ["visit", "add", str(path), "--fhir", str(b)], "give the visit's day",
             capsys)
    assert main(["visit", "add", str(path), "--fhir", str(b), "--day", "40", "-n", "24"]) == 0
    assert [v.day for v in load_twin(path).twin.visits] == [0, 40]


def test_measurement_file_visit_and_recalibration_after_a_model_change(tmp_path, capsys):
    from dataclasses import replace

    from twinviewer.core.measurement import Measurement as M
    from twinviewer.personalize.measurements import save_measurements

    path = save_twin(tmp_path / "m.twin", twin_from_preset("healthy", n=1))
    f = tmp_path / "visit1.json"
    save_measurements([M("SBP", 126, "mmHg", 6), M("DBP", 81, "mmHg", 5),
                       M("LVEDV", 131, "mL", 8)], f)
    assert main(["visit", "add", str(path), "--measurements", str(f), "--consent",
                 "research", "-n", "24"]) == 0
    t = load_twin(path).twin
    assert t.ledger.items[0].consent == "research"
    assert t.ledger.sources()[0].startswith("file:")
    assert "visit1" not in t.ledger.sources()[0]
    # the same file saved by an older model: re-calibration keeps both results
    old = replace(t, model_version="0.9", equation_hash="0123456789abcdef")
    from twinviewer.io.twinfile import parameter_table

    old_path = save_twin(tmp_path / "old.twin", old, parameters=parameter_table(t))
    capsys.readouterr()
    assert main(["timeline", str(old_path)]) == 0
    assert "MODEL CHANGED" in capsys.readouterr().out
    assert main(["visit", "recalibrate", str(old_path)]) == 0
    new = load_twin(old_path).twin
    assert new.equation_hash == t.equation_hash
    assert new.timeline["superseded"][0]["model"].endswith("0123456789abcdef")
    assert new.audit[-1].details["event"] == "model change"
