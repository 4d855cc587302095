"""Report tables: a long scenario name in a header wraps instead of running into the next
column (the reviewer saw "savr_perimount(size=21)Change (paired)")."""

from __future__ import annotations

import pytest

from twinviewer.report.pdf import _Pages, cell_limit, wrap_cell


@pytest.mark.parametrize("text", ["savr_perimount(size=21)", "tavi_sapien3(size=23)",
                                  "ace_inhibitor+nitroprusside(dose=2,level=high)", "Metric"])
def test_wrapped_cells_fit(text):
    limit = 16
    lines = wrap_cell(text, limit)
    assert 1 <= len(lines) <= 2 and all(len(ln) <= limit for ln in lines)
    if len(text) <= 2 * limit - 8:
        assert "".join(lines) == text  # broken at _ ( , only, nothing lost


def test_header_cells_do_not_overlap(tmp_path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.backends.backend_pdf import PdfPages

    widths = [0.25, 0.09, 0.18, 0.18, 0.21, 0.09]
    header = ["Metric", "Unit", "Baseline", "savr_perimount(size=21)", "Change (paired)",
              "Improved"]
    with PdfPages(tmp_path / "t.pdf") as pdf:
        p = _Pages(pdf, "t", identifiable=False)
        p.new_page()
        p.table(header, [["Cardiac output", "L/min", "5.1 (4.3–6.2)", "5.2 (4.3–6.2)",
                          "0.037 (0.015–0.12)", "30 %"]], widths, size=6.8)
        fig = p.fig
        renderer = FigureCanvasAgg(fig).get_renderer()
        boxes = {t.get_text(): t.get_window_extent(renderer) for t in fig.texts}
        name = next(k for k in boxes if k.startswith("savr_perimount"))
        assert boxes[name].x1 < boxes["Change (paired)"].x0
        assert cell_limit(0.18, 6.8) < len(header[3])
        p.finish()


def test_paired_changes_carry_their_sign():
    """An increase reads '+6.2 (+5.0 to +7.3)', as in the GUI (a reviewer saw '6.2 (5.0–7.3)'
    beside '−4.5 (−4.9 to −4.0)')."""
    import numpy as np

    from twinviewer.report.pdf import _interval

    rise = np.linspace(5.0, 7.4, 101)
    assert _interval(rise, None, signed=True).startswith("+6.2 (+")
    assert " to +" in _interval(rise, None, signed=True)
    assert _interval(-rise, None, signed=True).startswith("−6.2 (−")
    assert _interval(rise, None) == "6.2 (5.1–7.3)"


def test_scenario_rows_at_the_display_resolution_and_no_empty_rows(tmp_path):
    """Review 7 #4: 'LVAD flow 0 (0–0)' rows without an LVAD, 0.02 mL regurgitant volumes,
    '+0.02 (+0.0071 to +0.06) L/min', units 'cm^2' and 'mmHg*s/mL' in the PDF."""
    import numpy as np
    from matplotlib.backends.backend_pdf import PdfPages

    from twinviewer.core.twin import Scenario
    from twinviewer.report.pdf import _scenario_page

    rng = np.random.default_rng(0)
    n = 50
    base = {"CO": 5.3 + 0.3 * rng.standard_normal(n), "LVEDP": 14 + rng.standard_normal(n),
            "VAD_flow": np.zeros(n), "AR_volume": 0.02 + 0.002 * rng.standard_normal(n),
            "_ok": np.ones(n, bool)}
    sc = {"CO": base["CO"] + 0.02 + 0.01 * rng.standard_normal(n),
          "LVEDP": base["LVEDP"] + 2.5 + 0.5 * rng.standard_normal(n),
          "VAD_flow": np.zeros(n), "AR_volume": base["AR_volume"] - 0.001,
          "_ok": np.ones(n, bool)}
    with PdfPages(tmp_path / "t.pdf") as pdf:
        p = _Pages(pdf, "t", identifiable=False)
        _scenario_page(p, base, {"TAVI": sc}, [Scenario("TAVI", ())])
        texts = [t.get_text() for f in [p.fig] for t in f.texts]
        p.finish()
    assert "no change" in texts  # CO +0.02 L/min: below its 0.1 L/min resolution
    # LVEDP +2.5 with an interval < 3 mmHg wide keeps one decimal (review15b #2)
    assert any(t.startswith(("+2.", "+3.")) and t.count(".") == 3 for t in texts), texts
    assert not any("LVAD" in t for t in texts) and not any("regurgitant" in t for t in texts)
    assert not any("0.0071" in t or "0.001" in t for t in texts)


def test_units_are_written_as_people_write_them():
    from twinviewer.core.format import unit

    assert unit("cm^2") == "cm²" and unit("mmHg*s/mL") == "mmHg·s/mL"
    assert unit("mmHg*s^2/mL") == "mmHg·s²/mL" and unit("1") == ""


@pytest.fixture(scope="module")
def calibrated_doc(tmp_path_factory):
    from twinviewer.core.measurement import Measurement
    from twinviewer.io.twinfile import load_twin
    from twinviewer.personalize import calibrate
    from twinviewer.session import Session
    from twinviewer.twins import twin_from_preset

    doc = Session()
    doc.open_twin(twin_from_preset("healthy", n=16, pseudonym="virtual-9"))
    for m in (Measurement("SBP", 130.0, "mmHg", 4.0, "cuff"),
              Measurement("HR", 70.0, "bpm", 2.0, "ecg")):
        doc.add_measurement(m)
    doc.apply_calibration(calibrate(doc.twin, n=16))
    return load_twin(doc.save(tmp_path_factory.mktemp("cal") / "cal.twin"))


def test_the_parameter_table_speaks_labels_units_and_one_state(calibrated_doc, tmp_path):
    """fixdoc7 left the table on code names (SYS.R_AR, LV.EA) with a free-text provenance:
    it now has the GUI's labels (twins.parameter_label), shown units and each parameter's one
    state as the Calibrate step draws it."""
    from twinviewer.personalize.parameter_count import MOVED_NOT_NARROWED
    from twinviewer.report.pdf import absent_device, parameter_states, write_report
    from twinviewer.twins import parameter_label

    doc = calibrated_doc
    text = write_report(doc, tmp_path / "r.pdf", simulate=False).text
    states = parameter_states(doc)
    shown = {r["name"]: r["state"] for r in
             next(e for e in doc.audit.entries if e.action == "calibration")
             .details["summary"]["parameter_intervals"]}
    assert shown and all(states[k] == v for k, v in shown.items())  # the GUI's states
    assert states["HR"] == "measured" and set(states.values()) <= {
        "measured", "derived from images", "calibrated", "prior / assumed",
        "prior (not informed by the data)", MOVED_NOT_NARROWED}  # fix16f's state
    start = text.index("Parameters: value, ensemble interval and state")
    cells = text[start + 1:start + 1 + 5 * (len(doc.parameters) + 2)]  # + a repeated header
    joined = " | ".join(cells)
    after = " ".join(text[start:])
    absent = after[after.index("Not listed (absent"):][:400]
    for j, info in enumerate(doc.parameters):
        assert info.name not in cells, info.name
        assert not ("." in info.name or "_" in info.name) or info.name not in joined
        label = parameter_label(doc.twin, info.name)
        if absent_device(info.description, doc.twin.ensemble[:, j]):  # LVAD, ASD, VSD at 0
            assert label in absent and label not in cells, label
        else:  # a ratio reads its whole description, which starts with the label
            assert any(c.replace("\n", " ").startswith(label) for c in cells), label
    assert "Systemic arterial resistance" in cells and "mmHg·s/mL" in cells
    assert "measured (from HR)" in cells and all(v in joined for v in shown.values())
