"""The evidence table (twinviewer/interventions/evidence/*.json): every row runs against the
model; rows the model does not reproduce are listed below with the reason and reported as
failing (xfail), never loosened to pass."""

from __future__ import annotations

import functools
import json

import pytest

from twinviewer.interventions import evidence_table as ev
from twinviewer.physiology import Settings, simulate

ROWS = ev.load_rows()

#: Rows the model fails today, and why (see docs/notes/phys.md, physio4.md). The test fails if
#: a row not listed here stops passing, and if a listed row passes (take it off the list).
KNOWN_FAILING = {
    # Valve rows: whatever the flow waveform, a Doppler mean gradient (mean of 4v², v = Q/EOA,
    # what the ASE tables report) is at least 4·(SV/(LVET·EOA))² (flat flow). On the row's
    # patient (SV 78 mL over 348 ms) that bound is already 16.9 / 7.1 / 5.0 mmHg for
    # Evolut R 23 / Evolut R 26 / Perimount 27 (reported 15 / 7.5 / 4.8); a real ejection
    # (got/bound 1.4–1.6) cannot reach them. Pressure recovery does not lower a Doppler
    # gradient (it lowers the catheter one); the pairs need a smaller flow (smaller patients
    # for the smaller sizes) or come from different cohorts.
    "tavi_evolut_r-23": "EOA 1.09 cm² with MG 15 mmHg: Bernoulli bound 16.9 mmHg at SV 78 mL "
                        "over 348 ms (got 24.0)",
    "tavi_evolut_r-26": "EOA 1.69 with MG 7.5, while SAPIEN 3 26 (EOA 1.74) has MG 10.6: "
                        "bound 7.1 mmHg, got 11.2 (limit 10.1)",
    "savr_perimount-27": "EOA 2.0 cm² with MG 4.8 mmHg: bound 5.0 mmHg, got 8.3",
    # Passed on model 2.2 at the edge of its tolerance (−16 %, limit −14.3 %).
    "esmolol-16mg-min": "EF falls 11 % (reported 22 %) on the EF-16 % patient, and 11 % too "
                        "with its EF raised to the study's 27 % (LV.EA 0.97): the beta-blocker "
                        "effect on EA (UNSOURCED) is too weak for this dose equivalence",
    "metoprolol-12mg": "EF falls 3 % (reported 10 %); EDV rises 11 % with the slower rate",
    "milrinone-load-0.5": "same dose as the Cusick row (CI +79 %) but CI +38 %: the model "
                          "passes Cusick (CI +59 %) and overshoots this one",
    "nitroprusside": "CO +37 % and PCWP −28 % (reported +73 %, −47 %); HR +5 % by the "
                     "blunted reflex (reported slight fall: no cardiopulmonary reflex)",
    "hydralazine": "CI +40 % (reported +56–70 %) with MAP −11 % (reported −5 %) at the "
                   "reported net SVR −39 %: the linear ESPVR of the EF-15 % patient (Ees 0.5) "
                   "gives too little SV per mmHg",
    "pacing-70-110-ef-preserved": "CO +5 % (reported +42 %): venous return limits output; "
                                  "the atrial-pacing row of normal hearts (CI constant) passes",
    "lvad-ramp": "CO +0.28 L/min per step (reported +0.16); PCWP −1.6 passes",
}


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_every_row(row):
    res = ev.run_row(row)
    assert res.variables, res.message  # it ran: every variable was judged
    assert len(res.variables) == len(row.variables)
    if res.status == "fail":
        if row.id in KNOWN_FAILING:
            pytest.xfail(f"{KNOWN_FAILING[row.id]} [{res.message}]")
        pytest.fail(f"{row.id} no longer reproduces its source: {res.message}; " + "; ".join(
            f"{v.variable.metric} expected {v.expected}, got {v.got}" for v in res.variables))
    assert res.status in ("pass", "unsourced")
    # A row that now reproduces its source leaves the list, so that the list stays the
    # record of what the model cannot do.
    assert row.id not in KNOWN_FAILING, (f"{row.id} passes now: remove it from "
                                         f"KNOWN_FAILING ({res.message})")


def test_issue_rows_are_all_present():
    ids = {r.id for r in ROWS}
    for size in (20, 23, 26, 29):
        assert f"tavi_sapien3-{size}" in ids
    for size in (23, 26, 29, 34):
        assert f"tavi_evolut_r-{size}" in ids
    for row in ("teer-gradient-rf", "metoprolol-12mg", "esmolol-16mg-min", "dobutamine-5",
                "dobutamine-10", "milrinone-load-0.5", "nitroprusside", "hydralazine",
                "captopril-25", "furosemide-20min", "furosemide-3.5h",
                "pacing-70-110-ef-preserved", "pacing-70-110-ef-reduced", "lvad-ramp"):
        assert row in ids
    assert any(r.intervention == "savr_perimount" for r in ROWS)
    for r in ROWS:
        assert r.source and r.tolerance > 0 and r.regulation in ("acute", "regulated")


def test_unsourced_rows_never_count_as_validated():
    row = next(r for r in ROWS if r.id == "teer-lap")
    assert not row.sourced
    res = ev.run_row(row)
    assert res.status == "unsourced"
    assert ev.pass_rate([res]) == (0, 0, 1)


def test_input_variables_do_not_decide_a_row():
    row = next(r for r in ROWS if r.id == "dobutamine-5")
    assert any(v.role == "input" for v in row.variables)
    res = ev.run_row(row)
    decisive = [v for v in res.variables if v.variable.role != "input"]
    assert res.passed == all(v.passed for v in decisive)


def test_a_row_that_reaches_no_periodic_state_fails_with_its_name(monkeypatch):
    short = functools.partial(simulate, settings=Settings(max_beats=2, coarse_start=False,
                                                          accelerate=False))
    monkeypatch.setattr(ev, "simulate", short)
    row = next(r for r in ROWS if r.id == "pacing-70-110-ef-preserved")
    res = ev.run_row(row)
    assert res.status == "fail" and not res.variables
    assert res.message.startswith("pacing-70-110-ef-preserved: virtual patient 'healthy'")
    assert "no periodic state" in res.message


def _write(tmp_path, rows, name="x.json"):
    (tmp_path / name).write_text(json.dumps({"intervention": "x", "rows": rows}))
    return tmp_path / name


GOOD = {"id": "r1", "patient": "healthy", "steps": [{"name": "pacing",
                                                     "settings": {"rate": 80}}],
        "variables": [{"metric": "HR", "kind": "relative", "before": 70, "after": 80}],
        "source": "test"}


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r.pop("patient"), r"x.json row 'r1': missing 'patient'"),
    (lambda r: r["variables"][0].update(kind="sideways"), r"unknown kind 'sideways'"),
    (lambda r: r["variables"][0].pop("before"), r"kind 'relative' needs 'before'"),
    (lambda r: r["variables"][0].update(before=0), r"non-zero 'before'"),
    (lambda r: r["variables"][0].update(after="a lot"), r"after = 'a lot' is not a number"),
    (lambda r: r.update(steps=[{"settings": {}}]), r"each step needs a 'name'"),
    (lambda r: r.update(variables=[]), r"no variable to check"),
])
def test_bad_rows_are_refused_naming_file_and_row(tmp_path, mutate, message):
    row = json.loads(json.dumps(GOOD))
    mutate(row)
    with pytest.raises(ev.EvidenceError, match=message):
        ev.load_file(_write(tmp_path, [row]))


def test_bad_files_are_refused_naming_the_file(tmp_path):
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(ev.EvidenceError, match=r"broken.json: not valid JSON \(line 1"):
        ev.load_file(tmp_path / "broken.json")
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(ev.EvidenceError, match="list.json: expected an object"):
        ev.load_file(tmp_path / "list.json")


def test_duplicate_ids_are_refused(tmp_path):
    _write(tmp_path, [GOOD], "a.json")
    _write(tmp_path, [GOOD], "b.json")
    with pytest.raises(ev.EvidenceError, match="duplicate evidence row ids: r1"):
        ev.load_rows(tmp_path)


def test_rows_that_cannot_run_fail_with_a_reason(tmp_path):
    bad_patient = dict(GOOD, patient="nobody")
    bad_setting = dict(GOOD, steps=[{"name": "pacing", "settings": {"rate": 999}}])
    bad_metric = dict(GOOD, variables=[{"metric": "XYZ", "kind": "up"}])
    rows = ev.load_file(_write(tmp_path, [dict(bad_patient, id="a"), dict(bad_setting, id="b"),
                                          dict(bad_metric, id="c")]))
    msgs = [ev.run_row(r).message for r in rows]
    assert "unknown virtual patient 'nobody'" in msgs[0]
    assert "'rate' = 999 bpm is above its maximum" in msgs[1]
    assert "unknown metric 'XYZ'" in msgs[2]
    assert all(ev.run_row(r).status == "fail" for r in rows)


def test_a_good_row_passes_and_a_wrong_expectation_fails(tmp_path):
    wrong = dict(GOOD, id="w", variables=[{"metric": "HR", "kind": "relative", "before": 70,
                                           "after": 60}])
    rows = ev.load_file(_write(tmp_path, [GOOD, wrong]))
    ok, bad = (ev.run_row(r) for r in rows)
    assert ok.passed and ok.variables[0].got.startswith("70 → 80")
    assert bad.status == "fail" and "HR" in bad.message


def test_a_change_reported_only_in_percent_is_not_printed_in_the_metric_unit():
    """A reviewer read "SVR 100 → 115 mmHg·min/L": the source gave +15 % only."""
    idx = ev.Variable("SVR", "relative", 100, 115, unit="mmHg·min/L")
    r = ev._judge(idx, {"SVR": 20.0}, {"SVR": 23.0}, 0.35, None)
    assert r.expected == "index 100 → 115 (+15 %)" and r.passed
    real = ev.Variable("CO", "relative", 3.24, 4.05, unit="L/min")
    assert ev._judge(real, {"CO": 3.0}, {"CO": 3.8}, 0.35, None).expected == \
        "3.24 → 4.05 L/min (+25 %)"


def test_comparison_intervals_use_the_apps_number_formatter():
    """A reviewer read "Ea 0.6 → 1.2, Δ +0.7": one decimal for a quantity below 2."""
    from twinviewer.interventions.compare import Interval

    assert Interval(0.62, 0.55, 0.71).format() == "0.62 (0.55–0.71)"
    assert Interval(0.64, 0.52, 0.77).format(signed=True) == "+0.64 (+0.52 to +0.77)"
    assert Interval(92.4, 88.0, 97.0).format() == "92 (88–97)"
