"""Issue 12 item 5 and its bad-input case: misfit is never silent, and a calibration that
cannot reproduce the measurements says which and by how much and keeps the twin."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from twinviewer.core.measurement import Measurement as M
from twinviewer.explain.summary import plain_summary
from twinviewer.explain.validity import fit_warnings
from twinviewer.personalize import Z_FLAG, MisfitError, calibrate, fit_check, updated_twin
from twinviewer.twins import simulate_twin, twin_from_preset

N = 48


@pytest.fixture(scope="module")
def impossible():
    twin = twin_from_preset("healthy", n=1)
    ms = [M("SBP", 230, "mmHg", 5, "cuff"), M("DBP", 40, "mmHg", 5, "cuff"),
          M("CO", 2.0, "L/min", 0.2, "thermodilution")]
    return twin, calibrate(twin, ms, n=N, point_estimate=False)


def test_flag_rule_is_the_posterior_predictive_at_two_sd():
    assert Z_FLAG == 2.0
    x = np.random.default_rng(0).normal(125.0, 1.5, 400)  # ensemble 123–127
    c = fit_check(M("SBP", 145, "mmHg", 3.0), x)
    # measurement SD 3 ⊕ model error 5 % of 145 ⊕ the ensemble's own spread
    sd = np.sqrt(3.0**2 + 7.25**2 + np.subtract(*np.quantile(x, [0.95, 0.05]))**2 / 3.29**2)
    assert c.sd == pytest.approx(sd, rel=0.01)
    assert c.z == pytest.approx((145 - c.median) / sd, rel=0.01)  # measured − twin
    assert c.poor  # |z| ≈ 2.6: missed, so flagged
    assert not fit_check(M("SBP", 140, "mmHg", 8.0), x).poor  # |z| ≈ 1.4
    # a datum of the fit: its residual on σ alone (the spread it produced is not added again)
    f = fit_check(M("SBP", 145, "mmHg", 3.0), x, fitted=True)
    s2 = (np.subtract(*np.quantile(x, [0.95, 0.05])) / 3.29) ** 2
    assert f.sd == pytest.approx(np.sqrt(3.0**2 + 7.25**2 + np.pi / 2 * s2 / x.size), rel=0.01)
    assert f.median == c.median and abs(f.z) > abs(c.z)


def test_a_grossly_off_measurement_is_flagged_everywhere():
    """DBP 25 mmHg beside SBP 120 for a normal heart (issue 12 item 5): the fit cannot make
    a pulse pressure of 95 mmHg and lands > 10 mmHg above the DBP; with the spread it
    produced counted as extra error such a miss (DBP 30) scored |z| = 1.97 and went
    unflagged. (Until car16 the datum was DBP 30: with the arterial compliance now
    calibrated by the cuff pressures the twin reaches 107/38 mmHg for 120/30 — SBP still
    flagged by its members, DBP at z −1.4 — where it gave 99/51.)"""
    twin = twin_from_preset("healthy", n=1)
    ms = [M("SBP", 120, "mmHg", 6, "cuff"), M("DBP", 25, "mmHg", 5, "cuff")]
    r = calibrate(twin, ms, n=N, point_estimate=False)
    dbp = next(f for f in r.fit if f.name == "DBP")
    assert dbp.flag and dbp.z < -2 and dbp.median - 25 > 10  # measured below the twin
    assert "missed by the posterior predictive" in dbp.note or "cannot reproduce" in dbp.note
    assert not (dbp.pred_lo <= 25 <= dbp.pred_hi)  # the interval shown is the one judged on
    status = r.status_line()
    assert "DBP (z -" in status
    assert "measurements compared with the twin missed by |z| > 2" in status
    assert "MISFIT (|z| > 2, or > 2 SD in > 25 % of the twins): DBP measured 25" in r.summary()
    assert any(t.startswith("DBP measured 25") for t in r.to_dict()["misfits"])
    new = updated_twin(twin, r, accept_misfit=True)
    w = fit_warnings(new, r.results)
    assert "DBP" in {x.subject for x in w}


def test_every_flag_is_in_table_status_report_and_dict(impossible):
    _, r = impossible
    flagged = {f.name for f in r.flagged}
    assert "SBP" in flagged and all(abs(f.z) > 2 for f in r.flagged)
    assert all(f.flag == (abs(f.z) > 2 or f.members_miss) for f in r.fit)
    status = r.status_line()
    assert all(f"{n} (z " in status for n in flagged)
    report = r.summary()
    assert all(f"MISFIT (|z| > 2, or > 2 SD in > 25 % of the twins): {n} measured" in report
               for n in flagged)
    d = r.to_dict()
    assert d["status"] == status and len(d["misfits"]) == len(flagged)
    sbp = next(f for f in r.fit if f.name == "SBP")
    assert "SBP measured 230" in sbp.misfit_text() and "mmHg low" in sbp.misfit_text()


def test_near_miss_is_never_hidden_behind_all_reproduced():
    twin = twin_from_preset("healthy", n=1)
    r = calibrate(twin, [M("SBP", 124, "mmHg", 8, "cuff"), M("DBP", 79, "mmHg", 6, "cuff")],
                  n=32, point_estimate=False)
    assert not r.flagged
    assert r.status_line().startswith(
        "all 2 measurements compared with the twin within |z| ≤ 2 (worst: ")


def test_unreproducible_calibration_keeps_the_twin_and_names_the_misfits(impossible):
    twin, r = impossible
    before = copy.deepcopy((twin.params, twin.ensemble, twin.ensemble_kind, twin.provenance))
    assert r.unreproduced
    with pytest.raises(MisfitError) as err:
        updated_twin(twin, r)
    text = str(err.value)
    assert "cannot reproduce" in text and "SBP measured 230" in text and "z = " in text
    assert "The twin is unchanged" in text
    after = (twin.params, twin.ensemble, twin.ensemble_kind, twin.provenance)
    assert all(np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b
               for a, b in zip(before, after, strict=True))
    new = updated_twin(twin, r, accept_misfit=True)
    assert new.ensemble_kind == "posterior" and twin.ensemble_kind == "prior"


def test_validity_and_summary_show_the_same_flags(impossible):
    twin, r = impossible
    new = updated_twin(twin, r, accept_misfit=True)
    res = r.results
    w = fit_warnings(new, res)
    assert {x.subject for x in w} == {f.name for f in r.flagged}
    med, lo, hi = res.summary("SBP")
    text = plain_summary("SBP", (med, lo, hi), warnings=w)
    assert "The twin misses" in text and "SBP" in text and "|z| > 2" in text


def test_image_and_echo_sources_are_each_used_or_named():
    """CT volumes and an echo LVEF are independent: both used, each with its own SD; an
    LVEF computed from the same segmentation is left out, and the warning says so."""
    twin = twin_from_preset("healthy", n=1)
    ct = [M("LVEDV", 140, "mL", 6, "CT segmentation"), M("LVESV", 60, "mL", 5, "CT segmentation")]
    r = calibrate(twin, [*ct, M("LVEF", 58, "%", 5, "echo")], n=32, point_estimate=False)
    ef = next(f for f in r.fit if f.name == "LVEF")
    assert ef.used and "own uncertainty" in ef.note
    r = calibrate(twin, [*ct, M("LVEF", 57.1, "%", 3, "CT segmentation")], n=32,
                  point_estimate=False)
    ef = next(f for f in r.fit if f.name == "LVEF")
    assert not ef.used and "same source" in ef.note
    assert any("LVEF (CT segmentation) left out" in w for w in r.warnings)


def test_each_parameter_has_exactly_one_state():
    twin = twin_from_preset("healthy", n=1)
    ms = [M("HR", 72, "bpm", 2, "ECG"), M("SBP", 132, "mmHg", 8, "cuff"),
          M("DBP", 84, "mmHg", 6, "cuff"), M("LVEDV", 145, "mL", 6, "CT segmentation")]
    r = calibrate(twin, ms, n=32, point_estimate=False)
    cal, prior = set(r.calibrated), set(r.identifiability.at_prior)
    measured = set(r.measured_parameters)
    assert not (cal & prior) and not (cal & measured) and not (prior & measured)
    for p in cal:
        assert r.provenance[p].source.value in ("calibrated", "derived from images")
    for p in prior:
        assert r.provenance[p].source.value == "prior / assumed"
    assert r.provenance["HR"].source.value == "measured"


def test_simulated_twin_with_a_misfit_measurement_flags_it():
    twin = twin_from_preset("healthy", n=1)
    twin.measurements.append(M("LVEDV", 190, "mL", 8, "echo"))
    w = fit_warnings(twin, simulate_twin(twin))
    assert [x.subject for x in w] == ["LVEDV"] and "flagged above |z| 2" in w[0].text


def test_the_refusal_names_the_way_out(impossible):
    """Review 6: a calibration refused for misfit must say how to keep it anyway: the
    commands that have --accept-misfit name it (and the GUI's Apply anyway)."""
    import argparse

    from twinviewer.living_cli import add_visit_arguments
    from twinviewer.personalize.cli import add_arguments, refusal_text

    twin, r = impossible
    with pytest.raises(MisfitError) as err:
        updated_twin(twin, r)
    calibrate_args = argparse.ArgumentParser()
    add_arguments(calibrate_args)
    text = refusal_text(err.value, calibrate_args.parse_args(["p.twin"]))
    assert "cannot reproduce" in text and "run the command again with --accept-misfit" in text
    assert "Apply anyway" in text
    visit = argparse.ArgumentParser()
    add_visit_arguments(visit)
    add = visit.parse_args(["add", "p.twin", "--measurements", "m.json"])
    assert "--accept-misfit" in refusal_text(err.value, add)
    withdraw = visit.parse_args(["withdraw", "p.twin", "cuff"])  # has no such option
    assert "--accept-misfit" not in refusal_text(err.value, withdraw)
    assert refusal_text(ValueError("bad"), add) == "bad"


@pytest.fixture(scope="module")
def lvsv_left_out():
    """A healthy twin calibrated to CT volumes whose LVSV (40 mL) contradicts LVEDV − LVESV
    (80 mL) of the same segmentation: LVSV is left out of the fit."""
    twin = twin_from_preset("healthy", n=1)
    src = "CT segmentation"
    ms = [M("SBP", 122, "mmHg", 8, "cuff"), M("DBP", 78, "mmHg", 6, "cuff"),
          M("LVEDV", 140, "mL", 7, src), M("LVESV", 60, "mL", 4, src),
          M("LVSV", 40, "mL", 4, src)]
    return twin, ms, calibrate(twin, ms, n=32, point_estimate=False)


def test_a_measurement_left_out_is_a_disagreement_not_a_miss(lvsv_left_out):
    """Review9 #8 (`twin create` with echo LVEF on the demo CT): LVSV and RVEF of the CT
    segmentation, left out of the fit because they follow from its volumes, were reported
    as "missed by |z| > 2" and "poor fit" four lines above "left out of the fit". What was
    left out is named once, with its reason and its z, as a disagreement; the misfit and
    the refusal are judged on what was fitted; the CLI names the M measurements."""
    from twinviewer.io.measurement_use import use_of
    from twinviewer.personalize.calibrate import calibration_record

    twin, ms, r = lvsv_left_out
    row = next(f for f in r.fit if f.name == "LVSV")
    assert row.left_out and not row.used and abs(row.z) > Z_FLAG
    assert row.disagrees and not row.flag  # a disagreement, not a miss of the fit
    assert "LVSV" not in [f.name for f in r.flagged] and "LVSV" not in r.status_line()
    assert not any("LVSV" in m for m in r.misfits)
    assert "1 left out of the fit, not judged as misses (1 disagreeing" in r.status_line()
    said = [w for w in r.warnings if w.startswith("LVSV (")]
    assert len(said) == 1 and "left out of the fit" in said[0]
    assert f"disagrees with the twin's prediction (z {row.z:+.1f}" in said[0]
    assert "LVSV" not in r.fitted_names() and "LVEDV" in r.fitted_names()
    new = updated_twin(twin, r)  # a left-out row never causes a refusal
    assert new is not twin
    # the report's measurement table gives the same reason (not "cannot reproduce")
    use = use_of(ms[-1], calibration_record(r)["summary"], given=True)
    assert "computed from LVEDV and LVESV" in use.detail and "cannot reproduce" not in use.detail
    assert "DISAGREES" in use.detail and f"z = {row.z:+.1f}" in use.detail


def test_the_explanation_does_not_count_a_left_out_measurement_as_missed(lvsv_left_out):
    """Review9 #8 (PDF of the same twin): 'The twin misses 5 measurements' listed LVSV and
    RVEF, left out of the fit. They are disagreements (kind 'disagreement'), with the
    reason they were left out and their z; the misses are the fitted rows only."""
    from twinviewer.explain.validity import validity_warnings
    from twinviewer.twins import model_of

    twin, _, r = lvsv_left_out
    new = updated_twin(twin, r, accept_misfit=True)
    from twinviewer.io import audit_log
    from twinviewer.personalize.calibrate import calibration_record

    audit_log(new).record(new, "calibration", calibration_record(r))
    ws = validity_warnings(new, model_of(new), r.results)
    lvsv = [w for w in ws if w.subject == "LVSV"]
    assert len(lvsv) == 1 and lvsv[0].kind == "disagreement"
    assert lvsv[0].text.startswith("left out of the fit (computed from LVEDV and LVESV")
    text = plain_summary("LVEF", (60.0, 55.0, 65.0), warnings=ws)
    missed = text.split("The twin misses")[-1] if "The twin misses" in text else ""
    assert "LVSV" not in missed.split(". ")[0]


def test_the_fit_tables_band_column_says_what_it_is(impossible):
    """review16b #6: the column "predictive 90 %" of a fitted datum was its residual band
    (median ± 1.64 √(σ² + model error²)), narrower than the twin's own interval; each row
    now says which band it is, and the table says what both are."""
    from twinviewer.personalize.calibrate import BAND_LEGEND, format_report

    _, r = impossible
    text = format_report(r)
    assert "predictive 90 %" not in text and "z band 90 %" in text and BAND_LEGEND in text
    for f in r.fit:
        assert f.band == ("residual" if f.used else "predictive"), f.name
        line = next(t for t in text.splitlines() if t.startswith(f"{f.name} "))
        assert f"{f.band} " in line, line
    sbp = next(f for f in r.fit if f.name == "SBP")
    assert sbp.band == "residual" and "residual" in BAND_LEGEND


def test_the_interval_line_explains_the_columns_the_table_has(impossible, capsys):
    """final16 #10: after the fit table's legend ("'residual' … not a predictive interval"),
    ``calibrate`` printed "predictive 90 % = a new measurement's (ensemble ⊕ model error ⊕
    its SD)" for a column renamed "z band 90 %"."""
    import sys

    from twinviewer.personalize.cli import interval_note, print_result

    _, r = impossible
    note = interval_note(r)
    assert "predictive 90 %" not in note and "z band 90 % = as its legend" in note, note
    print_result(r, False, sys.stdout)
    out = capsys.readouterr().out
    assert "predictive 90 %" not in out, out


def test_a_curve_point_row_carries_the_curves_predictive_band_and_says_so():
    """numbers17 F4: the demo's LVEDV row (the LV curve's ED point) was labelled band
    "residual" — median ± 1.64 √(SD² + model error²), 147.6–188.1 mL by the legend — but carried
    the curve's predictive band 135.8–199.9 mL (σ 19.5), and its note said "posterior
    predictive". Label, legend, note and numbers now agree."""
    from types import SimpleNamespace

    from twinviewer.personalize.calibrate import BAND_LEGEND, _fit_table
    from twinviewer.physiology import simulate
    from twinviewer.twins import model_of, twin_from_preset

    twin = twin_from_preset("healthy", n=4)
    res = simulate(model_of(twin), twin.ensemble)
    src = "biv-me fitted mesh"
    curve = SimpleNamespace(chamber="LV", source=src, measured=np.array([178.96, 72.02]),
                            median=np.array([167.86, 70.3]), lo=np.array([150.6, 57.6]),
                            hi=np.array([183.2, 81.3]), z=np.array([0.569, 0.1]),
                            meas_hi=None, chi2=1.0)
    ms = [M("LVEDV", 178.96, "mL", 8.47, f"{src}, 25-phase volume curve"),
          M("LVSV", 106.94, "mL", 9.86, f"{src}, 25-phase volume curve")]
    why = "not used as a separate datum: the whole LV volume curve of the same images is used"
    rows = {r.name: r for r in _fit_table(ms, [], {"LVEDV": why, "LVSV": why}, res, res,
                                          curves=[curve])}
    ed = rows["LVEDV"]
    sigma = (178.96 - 167.86) / 0.569  # the curve's own σ at its ED point: 19.5 mL
    assert (ed.pred_lo, ed.pred_hi) == pytest.approx((167.86 - 1.6449 * sigma,
                                                      167.86 + 1.6449 * sigma), abs=0.05)
    assert ed.band == "predictive" and "curve's posterior predictive" in ed.note
    assert "fitted volume curve, that curve's band" in BAND_LEGEND
    # LVSV is no curve point: judged by its residual, and said so
    assert rows["LVSV"].band == "residual" and "by its residual" in rows["LVSV"].note
