"""The evidence table (twinviewer/interventions/evidence/*.json): every row runs against the
model; rows the model does not reproduce are listed below with the reason and reported as
failing (xfail), never loosened to pass."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest

from twinviewer.interventions import evidence_table as ev
from twinviewer.physiology import Settings, simulate

ROWS = ev.load_rows()

#: Rows the model fails today, and why (docs/notes/evidence6.md has the numbers and what was
#: tried, on model 2.2; the figures below are model 3.1's, default9: 14 rows fail, 15 on 3.0).
#: The test fails if a row not listed here stops passing, and if a listed row passes (take
#: it off the list).
KNOWN_FAILING = {
    # Valve rows: Perimount 27 and Evolut R 23 pass since devices11 on patients with the flow
    # their own table's EOA and mean gradient imply (Gorlin; marked fitted), see
    # test_the_low_flow_prosthesis_patients_carry_the_gorlin_flow_of_their_table below.
    # Drug rows whose magnitudes were least-squares fitted on model 3.0 (drugs8). The refit on
    # 3.1 (`python -m twinviewer.interventions.refit`, default9 note) passes dobutamine-10 and
    # dobutamine-5 with INO_EA_RISE 0.31 → 0.45 and INO_R_DROP 0.49 → 0.59, but moves the
    # prediction dobutamine-8-postop away from its source (squared miss 84 → 115), so the fit
    # is not kept; the beta-blocker refit (drugs11: BB_EA_DROP 0.209 → 0.189) passes
    # neither row.
    "dobutamine-10": "PCWP −13 % (reported −22 %, limit −14.3 %); CO +75 % and MAP pass. "
                     "On 3.0 (same constants) PCWP −15 % passed. Refit not kept (see above)",
    "esmolol-16mg-min": "PCWP −1 % (reported up); LVEF −16 % and CO −34 % pass. On 3.0 "
                        "(same constant) PCWP +1 % passed; the beta-blocker refit on 3.1 "
                        "does not pass it either",
    "metoprolol-12mg": "ESV +13.0 % (reported +9 %, limit +12.7 %); dP/dtmax −22 %, LVEF "
                       "−11 %, EDV +3 % and PCWP +3 % pass. drugs11: on a patient matched to "
                       "the study's baseline (EDV 161, ESV 85 mL, PCWP 22, LVEDP 27; until then "
                       "hfref_mild, EDV 120, PCWP 13.5) it passes for BB_EA_DROP ≤ 0.185 while "
                       "esmolol needs ≥ 0.214; the least-squares refit of both gives 0.189 and "
                       "passes neither. The HR input is reproduced only in part (−10 % vs "
                       "−18 %: the intact reflex takes some back); with the full −18 % the EDV "
                       "rises +5–6 % and the window closes, and esmolol's dose set from its "
                       "own HR (−13 %) would then be 7 mg-equivalent: LVEF −3 % (−22 %). Per "
                       "unit of heart-rate fall the EF-27 % cohort loses 3–5× the contractility "
                       "of the EF-47 % cohort: a β-blocker effect that grows with the "
                       "sympathetic support of the failing heart, which a parameter transform "
                       "cannot see (docs/notes/drugs11.md)",
    "dobutamine-5": "on postop_low_output (Sakamoto's reported baseline) HR +9 % passes; CI "
                    "+15 % (+26 %). CO is bound by venous return: EA gain × 2 and chronotropy "
                    "× 1–3 give CI +16–18 %. A refit of the three magnitudes passes it at +18 "
                    "% but the same cohort at 8 µg then gives MAP −11 % (reported +5 %): not "
                    "written (docs/notes/drugs8.md). drugs9: a β-agonist fall of the "
                    "resistance to venous return (Green 1977) raises CI (−30 %: +19 %) but "
                    "raises PCWP (dobutamine-10 −13 → −8 %, reported −22 %); its "
                    "least-squares fit with the other three constants is 0",
    "dobutamine-8-postop": "CI +25 % (+38 %), HR +15 % (+24 %), MAP −8 % (+5 %), SBP −6 % "
                           "(+15 %), LAP +2 % (−7 %): the magnitudes were fitted to HF "
                           "patients (net SVR −44 %, Akhtar); no one set passes this row and "
                           "dobutamine-10 (refit of all three rows: cost 97 → 28, "
                           "dobutamine-10 fails). HF-only cardiac sympathetic withdrawal on "
                           "unloading (Azevedo 2000; JACC 1998;31:583) is not modelled. "
                           "drugs9 (model 3.1): no cohort-specific set passes it either: "
                           "HR 0.20–0.32, EA 0.3–0.9, R 0.15–0.35 per 10 µg, with or without "
                           "RVR × 0.7 and +150/300 mL venoconstriction, reaches SBP at most "
                           "+8 % (reported +15 %, limit +9.6 %) and MAP at most +3 %, "
                           "acute or regulated; the sets that come near fail dobutamine-10 on "
                           "MAP (+16…+28 %)",
    "milrinone-load-0.5": "same dose as milrinone-cusick, whose CI +79 % window "
                          "(+51…+107 %) does not overlap this row's +38 % (+25…+51 %); got "
                          "CI +62 %, PCWP −40 % (−28 %). drugs10: with Cusick on a patient "
                          "matched to its reported baseline the refit still passes one row "
                          "only (MIL_EA_RISE → 0, R −62 %, 462 mL: this row passes, Cusick's "
                          "fails). A dose-ranging study (Fitzpatrick 1987: 75 µg/kg CI +37 %, "
                          "PCWP −28 %) agrees with this row; Cusick's rate and timing are not "
                          "in its abstract",
    "nitroprusside": "CO +43 % and PCWP −26 % (reported +73 %, −47 %) at the reported MAP "
                     "−15; HR +5 % (slight fall), on a patient matched to Guiha's LVFP 32.2 "
                     "and CO 2.98 (drugs10; the refit's 522 mL passes neither and drops the "
                     "hfref what-if's SBP to 67 mmHg: refused by the refit's own check). "
                     "The 0.55 cap of the fit, meant for the net "
                     "SVR (Guiha implies −53…−55 %), capped the direct fall (net −41 %); "
                     "freed (0.65) CO +53 % and MAP −18 pass but PCWP −28 % and HR +6 % fail "
                     "and the hfref preset's SBP falls to 69 mmHg: not kept. In HF "
                     "nitroprusside lowers cardiac NE spillover (JACC 1998;31:583): the cardiac "
                     "arm follows cardiopulmonary unloading, not modelled. drugs9: it lowers "
                     "the splanchnic zero-flow pressure (capacitance, modelled) and not the "
                     "resistance to venous return (regional venous return in dogs, scilit); a "
                     "lower RVR anyway (×0.5) passes CO but PCWP falls less (−21 %)",
    "hydralazine": "CI +40 % (reported +56–70 %), MAP −11 % (−5 %), PCWP −11 % (~=) at the "
                   "reported net SVR −39 %: SV = (EDV − V0)·Ees/(Ees + Ea) with Ees 0.5 rises "
                   "36 % when Ea falls 37 %; functional MR (EROA 0.2 cm²) gives +41 %. "
                   "Hydralazine's positive inotropy in failing ventricles (Leier AJC 1980) "
                   "as EA +15 %: CI +58 %, MAP −6 % pass, PCWP −14 % fails; not added. drugs9: "
                   "MAP = SVR·CO, so at SVR −40 % MAP −5 % needs CI ≥ +58 %; flow moved to "
                   "short-time-constant beds (hepatic flow unchanged, limb and renal up) "
                   "lowers RVR about 14 % (Caldini 1974; UNSOURCED splanchnic share): CI +42 "
                   "%, MAP −11 %",
    "lvad-ramp": "4000–5600 rpm in 200-rpm steps (Uriel's HeartMate II protocol at the same "
                 "relative step): CO +0.202 L/min per step, PCWP −1.33, CVP +7 % pass; SBP "
                 "83.8 → 95.0 mmHg (+13 %) against ~=. From 4400 rpm the AV stays shut and "
                 "the pulse is 2–3 mmHg, so SBP follows MAP: 78.6 → 93.2 (CO 3.44 → 5.05 "
                 "L/min, SVR −18 %). The reflex takes 53 % of the acute MAP rise (+31) "
                 "away; unblunted 64 % (SBP +10 %, at the limit). Sources keep it blunted "
                 "after implantation (Sailer 2021, Heusser 2021). Uriel's 35 were "
                 "outpatients on chronic support; the abstract gives no MAP and no baseline "
                 "pulse (docs/notes/lvad9.md, devices10.md). devices11: this patient "
                 "reproduces Heusser 2021's implantation response (at 5000 rpm CO +1.41, MAP "
                 "+13.5 mmHg; reported +1.29, +16.2). A stronger LV (LV.EA × 1.4–1.5) passes "
                 "all four (SBP +1 / −0 %) but gives MAP only +5–6 at implantation; at "
                 "Cornwell 2015's mean low-speed pulse (26 mmHg, LV.EA × 1.8) CO +0.098 and "
                 "PCWP −0.62 per step fail: no one patient meets the three sources",
    "pacing-70-110-ef-preserved": "CO +6 % (reported +42 %) and SV −33 % (reported "
                                  "unchanged; ESV −8 % passes). The group (complete heart "
                                  "block, EF ≥ 50 %, CO 6.4, SV 91 mL at 70 bpm) kept its "
                                  "EDV at 110 bpm; the model's EDV falls about 21 % at an "
                                  "unchanged LAP in every patient tried: stressed volume × "
                                  "1.0–1.6, the group's baseline matched (1428 mL, or 1300 "
                                  "mL with SYS.R_AR 0.75), regulated or acute: CO +6–11 %, "
                                  "SV −31…−33 % (devices10). drugs9 (model 3.1): it needs "
                                  "RVR × 0.2, or +300 mL with RVR × 0.5; the same change "
                                  "makes the atrial-pacing row of normal hearts (CI "
                                  "constant, passes) give CI +27–30 %. devices11: at 110 "
                                  "bpm the LV fills 172 ms (LVEDP 5.0 vs mean LAP 8.7); a "
                                  "patient-level RVR × 0.2–1 (CO 6.4 matched) gives CO "
                                  "+6–9 %; a rate-dependent venous return (RVR × 0.3 "
                                  "at 110 bpm) with FFR 0.36 and a shorter contraction "
                                  "passes it acute only (regulated SV −14 %) and fails the "
                                  "other two pacing rows (devices11.md)",
}


#: Rows that fail only on one model (keyed by the default model's name), added to
#: KNOWN_FAILING when that model is the default. Model 3.1 (source resistance, eject8) moves
#: two fitted HF rows out of tolerance; the refit on 3.1 does not bring them back (drugs9).
KNOWN_FAILING_ON_MODEL = {
    "four_chamber_eoa_src": {
        "esmolol-16mg-min": "LVEF −12 % (reported −22 %, limit −14.3 %); HR −14 % (input), "
                            "RVEF −18 %, LVEDV +3 %, LVESV +8 %, CO −23 % and PCWP +9 % "
                            "pass. drugs10: on a patient matched to the study's baseline (HR "
                            "91, SBP 133, LVEF 27 %, RVEF 38 %; until then EF 15 %, SBP 85) "
                            "PCWP rises as reported. It passes from BB_EA_DROP 0.214 (Haber "
                            "1993: Ees −27 % after IV β-blockade in CHF), but metoprolol, on "
                            "its matched patient since drugs11, passes only up to 0.185: the "
                            "least-squares refit of both gives 0.189 (see metoprolol-12mg)",
        "dobutamine-10": "PCWP −13 % (reported −22 %, limit −14.3 %); CO +73 % and MAP −2 % "
                         "pass (drugs10: on a patient matched to Akhtar's CO 3.1, HR 98, "
                         "PCWP 27). The refit on 3.1 passes it (EA +49 %, R −59 %) but moves "
                         "dobutamine-8-postop away from its source (squared miss 84 → 109): "
                         "not kept",
    },
}


def _known_failing() -> dict[str, str]:
    from twinviewer.physiology import get_preset

    return {**KNOWN_FAILING,
            **KNOWN_FAILING_ON_MODEL.get(get_preset("healthy").model.name, {})}


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_every_row(row):
    res = ev.run_row(row)
    assert res.variables, res.message  # it ran: every variable was judged
    assert len(res.variables) == len(row.variables)
    known = _known_failing()
    if res.status == "fail":
        if row.id in known:
            pytest.xfail(f"{known[row.id]} [{res.message}]")
        pytest.fail(f"{row.id} no longer reproduces its source: {res.message}; " + "; ".join(
            f"{v.variable.metric} expected {v.expected}, got {v.got}" for v in res.variables))
    assert res.status in ("pass", "unsourced")
    # A row that now reproduces its source leaves the list, so that the list stays the
    # record of what the model cannot do.
    assert row.id not in known, (f"{row.id} passes now: remove it from "
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
    row = next(r for r in ROWS if r.id == "dobutamine-10")
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


def test_the_two_milrinone_rows_cannot_both_pass_at_one_dose():
    """KNOWN_FAILING's reason for milrinone-load-0.5, checked on the data: the same dose,
    and the accepted CI windows of the two sources (±35 % of each reported change) meet at
    one point at most. Since drugs10 Cusick's row runs on a patient matched to its reported
    baseline (CI 1.9, PCWP 23, RAP 12, SVR 1809, EF 18 %); the milrinone refit on it still
    passes one row only (docs/notes/drugs10.md)."""
    load, cusick = (next(r for r in ROWS if r.id == i)
                    for i in ("milrinone-load-0.5", "milrinone-cusick"))
    assert load.steps == cusick.steps
    assert cusick.patient == "cusick_severe_hf"

    def window(row):
        v = next(v for v in row.variables if v.metric == "CO")
        change = v.after / v.before - 1.0
        return change * (1 - row.tolerance), change * (1 + row.tolerance)

    (_, hi1), (lo2, _) = window(load), window(cusick)
    assert hi1 <= lo2 + 1e-3  # +51.3 % vs +51.3 %: no room for a model between them


def test_a_pump_ramp_outside_the_fitted_curve_is_refused(tmp_path):
    """review8b #2: the lvad-ramp row passed on speeds (3000–3750 rpm) below the HeartMate 3
    head–flow points the pump curve is fitted to (4000–8000 rpm)."""
    from twinviewer.interventions.devices import PUMP_CURVE_RPM

    row = next(r for r in ROWS if r.id == "lvad-ramp")
    assert PUMP_CURVE_RPM[0] <= row.ramp["from"] < row.ramp["to"] <= PUMP_CURVE_RPM[1]
    lvad = {**GOOD, "id": "ramp", "patient": "hfref_decompensated",
            "steps": [{"name": "lvad", "settings": {}}],
            "variables": [{"metric": "CO", "kind": "per_step", "after": 0.16,
                           "unit": "L/min"}]}
    for lo, hi in ((3000, 5000), (6000, 8500)):
        bad = {**lvad, "ramp": {"setting": "speed", "from": lo, "to": hi, "step": 250}}
        with pytest.raises(ev.EvidenceError, match=r"row 'ramp': ramp .* leaves the pump "
                                                   r"curve the model is fitted to \(4000–8000"):
            ev.load_rows(_write(tmp_path, [bad]).parent)
    ok = {**lvad, "ramp": {"setting": "speed", "from": 4000, "to": 6000, "step": 250}}
    assert ev.load_rows(_write(tmp_path, [ok]).parent)[0].ramp["to"] == 6000


#: Doppler peak/mean gradient of the Perimount 19–25 mm cohorts in the ASE surgical table
#: (32.5/19.5 … 16.5/10.7) and of SAPIEN 3 23 / Evolut 26 at the vena contracta in vitro
#: (Hatoum 2019: 18.83/10.11, 18.25/10.45; INTERVENTIONS.md §1–2): 1.54–1.86.
PEAK_TO_MEAN_SOURCES = (1.54, 1.86)


def test_the_prosthesis_patient_has_a_normal_lv_and_the_tables_ejection_shape():
    """The prosthesis rows run on post_avr, a normal LV after AVR (devices10). Its Doppler
    peak/mean gradient behind Perimount 19–25 lies in the sources' range; severe_as, the
    hypertrophied LV unloaded at once (EF 73 %), ejects too early-peaked (2.1–2.3)."""
    from dataclasses import replace

    rows = {r.id: r for r in ROWS}
    lo, hi = PEAK_TO_MEAN_SOURCES
    for size in (19, 21, 23, 25):
        row = rows[f"savr_perimount-{size}"]
        assert row.patient == "post_avr"
        _, after, _ = ev.row_metrics(row)
        ratio = after["AV_peak_gradient"] / after["AV_mean_gradient"]
        assert lo <= ratio <= hi, (size, ratio)
        assert 55 <= after["LVEF"] <= 70  # REFERENCE.md normal range
        _, hyper, _ = ev.row_metrics(replace(row, patient="severe_as"))
        assert hyper["AV_peak_gradient"] / hyper["AV_mean_gradient"] > 2.0
        assert hyper["LVEF"] > 70
        # the same stroke volume: the mean gradients were not moved by a flow change
        assert abs(hyper["SV_forward"] / after["SV_forward"] - 1) < 0.01


#: Gorlin's constant (aortic) and Weissler's ejection-time line (men), INTERVENTIONS.md §1,
#: physiology/four_chamber.py: the flow a cohort's (EOA, mean gradient) pair implies.
GORLIN = 44.3


@pytest.mark.parametrize("row_id", ["savr_perimount-27", "tavi_evolut_r-23"])
def test_the_low_flow_prosthesis_patients_carry_the_gorlin_flow_of_their_table(row_id):
    """devices11: these two cohorts' own EOA and mean gradient imply SV 57 and 55 mL (Gorlin
    at Weissler's ejection time), a low-normal flow; their patients are post_avr scaled in
    size to it, and the rows say so (fitted)."""
    from twinviewer.interventions.prostheses import PROSTHESES
    from twinviewer.interventions.study_patients import check

    row = next(r for r in ROWS if r.id == row_id)
    size = row.steps[0].settings["size"]
    z = PROSTHESES[{"savr_perimount": "perimount", "tavi_evolut_r": "evolut_r"}[
        row.intervention]].size(size)
    hr = 70.0
    sv = GORLIN * z.eoa * np.sqrt(z.mean_gradient) * (413.0 - 1.7 * hr) / 1000.0
    d = ev.virtual_patients()[row.patient]
    assert d["based_on"] == "post_avr" and d["fitted"] == [ev.HEART_SIZE]
    assert d["baseline"]["SV_forward"]["value"] == pytest.approx(sv, abs=0.05)
    assert all(c.ok for c in check(row.patient))
    assert row.fitted and "Gorlin" in row.fitted  # counted as consistency, not prediction
    before, after, _ = ev.row_metrics(row)
    assert before["HR"] == pytest.approx(hr, abs=0.5)
    assert 55 <= after["LVEF"] <= 70  # a normal LV, only smaller
    assert 0.6 < d["overrides"][ev.HEART_SIZE] < 0.8


def test_heart_size_override_scales_as_the_calibrations_size_coordinate():
    from twinviewer.personalize.heart_size import scaled
    from twinviewer.physiology import get_preset

    preset = get_preset("healthy")
    model = preset.model
    mine = ev.sized(model, {**preset.values, ev.HEART_SIZE: 0.8})
    theirs = scaled(model, model.vector(preset.values), 0.8)
    assert model.vector(mine) == pytest.approx(theirs, rel=1e-12)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_a_bad_heart_size_is_refused_naming_it(tmp_path, bad):
    (tmp_path / ev.PATIENTS_FILE).write_text(json.dumps({"patients": {
        "small": {"preset": "healthy", "overrides": {ev.HEART_SIZE: bad}}}}))
    with pytest.raises(ev.EvidenceError, match="'heart size' must be a positive number"):
        ev.patient_values("small", tmp_path)
