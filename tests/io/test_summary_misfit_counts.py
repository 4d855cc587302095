"""Page 1 of the report marks every poor fit and lists it under Warnings, and every place
counts a twin's measurements the same way (review12b #4, #5).

The twin mirrors review12b's hfA.twin: CT volumes (LVSV a difference of the two, left out),
cuff and echo values; the calibration was given 6, used 5, and fitted LVESV 48 mL with a
twin of 98 mL (z −7.9)."""

from __future__ import annotations

from twinviewer.core.measurement import Measurement
from twinviewer.io import AuditLog
from twinviewer.io.measurement_use import measurement_counts
from twinviewer.io.twinfile import TwinDocument, describe
from twinviewer.twins import twin_from_preset

CT = "CT segmentation"


def _row(name, value, source, unit, used=True, z=0.1, **kw):
    return {"name": name, "measured": value, "source": source, "unit": unit, "used": used,
            "z": z, "median": value, "flag": False, **kw}


def _doc():
    from types import SimpleNamespace

    twin = twin_from_preset("healthy", n=4)
    images = [Measurement("LVEDV", 129, "mL", 6.5, CT), Measurement("LVESV", 48, "mL", 3.7, CT),
              Measurement("LVSV", 81, "mL", 7.5, CT)]
    given = [Measurement("HR", 85, "bpm", 3, "ECG"), Measurement("SBP", 108, "mmHg", 7, "cuff"),
             Measurement("CO", 3.9, "L/min", 0.5, "echo")]
    twin.anatomy = SimpleNamespace(measurements=images, structures={}, image=None)
    twin.measurements[:] = [*images, *given]  # a calibration keeps the image values it used
    fit = [_row("LVEDV", 129, CT, "mL"),
           _row("LVESV", 48, CT, "mL", z=-7.9, flag=True, median=98.0),
           _row("LVSV", 81, CT, "mL", used=False, z=4.6, disagrees=True, median=39.0,
                note="not used in the fit: it follows from LVEDV and LVESV"),
           _row("HR", 85, "ECG", "bpm", used=False, note="set directly: HR"),
           _row("SBP", 108, "cuff", "mmHg"), _row("CO", 3.9, "echo", "L/min", z=1.3)]
    audit = AuditLog()
    audit.append("calibration", {"method": "EKI", "members": 4, "calibrated": [],
                                 "measurements": [r["name"] for r in fit],
                                 "summary": {"fit": fit}})
    return TwinDocument(twin, audit, [], results={})


def test_one_count_everywhere():
    doc = _doc()
    c = measurement_counts(doc.twin, doc.audit.entries)
    assert c.held_text() == "6 measurements (3 from the images, 3 entered)"
    assert c.calibration_text() == ("calibrated to 5 of the 6 measurements given "
                                    "(1 left out: LVSV: it follows from LVEDV and LVESV)")
    info = "\n".join(describe(doc))
    assert "measured    6 measurements (3 from the images, 3 entered)" in info
    assert ("last calibration — calibrated to 5 of the 6 measurements given (1 left out: "
            "LVSV: it follows from LVEDV and LVESV):") in info
    from twinviewer.report.pdf import _calibration_text

    assert "calibrated to 5 of the 6 measurements given (1 left out: LVSV: it follows" in \
        _calibration_text(doc)


def test_page_one_marks_and_warns_of_poor_fits():
    from twinviewer.io.measurement_use import last_calibration
    from twinviewer.report.summary import misfit_of, misfit_warnings

    doc = _doc()
    summary = last_calibration(doc.audit.entries)
    lvesv = Measurement("LVESV", 48, "mL", 3.7, CT)
    assert misfit_of(lvesv, summary) == "POOR FIT z = -7.9"
    assert misfit_of(Measurement("LVEDV", 129, "mL", 6.5, CT), summary) == ""
    lines = misfit_warnings(doc)
    assert any(w.startswith("LV end-systolic volume: poor fit") and "z = -7.9" in w
               and "98 mL" in w for w in lines)
    assert any(w.startswith("LV stroke volume: disagrees") for w in lines)
    assert len(lines) == 2


def test_info_writes_scenarios_as_the_report_does(tmp_path, capsys):
    """review12b #9: ``info`` listed "beta_blocker(dose=5)" (a code name) and its results
    line dropped the acute tag."""
    import argparse

    from twinviewer.cli import _info
    from twinviewer.core.twin import InterventionStep, Scenario
    from twinviewer.io.twinfile import save_twin

    twin = twin_from_preset("healthy", n=2)
    step = (InterventionStep("beta_blocker", {"dose": 5.0}),)
    twin.scenarios[:] = [Scenario("beta_blocker(dose=5)", step, "acute")]
    path = save_twin(tmp_path / "t.twin", twin, results={
        "baseline": {"CO": [5.0, 5.1]}, "beta_blocker(dose=5)": {"CO": [4.8, 4.9]}})
    assert _info(argparse.Namespace(file=path, json=False)) == 0
    out = capsys.readouterr().out
    assert "scenarios   Beta-blocker 5 mg [acute, unregulated]" in out
    # current or held back (this file has no constants digest): named as the report names it
    results = out.split("results     ")[1].split("audit  ")[0]
    assert "Beta-blocker 5 mg [acute, unregulated]" in results
    assert "beta_blocker(dose=5)" not in out


def test_one_interval_formatter_for_page_one_and_the_cli():
    """review12b #9: page 1 wrote "16.7 (5.0–59)" where the CLI and the appendix wrote
    "17 (5–59)"."""
    from twinviewer.core.format import interval
    from twinviewer.report.pdf import _triple

    assert _triple((16.7, 5.0, 59.0)) == interval(16.7, 5.0, 59.0) == "17 (5–59)"
    assert _triple((24.0, 11.8, 40.0)) == "24 (12–40)"
    assert _triple((-3.0, -6.0, -0.3)) == "−3.0 (−6.0 to −0.3)"


def test_whatif_list_writes_units_as_people_do():
    from twinviewer.interventions import LIBRARY

    text = LIBRARY["tavi"].describe()
    assert "eoa [cm²]" in text and "cm^2" not in text
