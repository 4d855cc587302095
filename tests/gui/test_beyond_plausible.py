"""An interval far beyond physiology is marked, never clipped (session 11, review11b #6).

With the robust prior a strongly atypical patient's 90 % LVEDP/LAP top reached ~100 mmHg. The
patient here is real as the coverage study makes them: synthetic patient 29 of the "own"
setting, seed 2026, calibrated as the coverage run calibrates it (48 members, its seed), whose
true LVEDP is 6 mmHg and whose shown LVEDP interval reached 6.9–58 mmHg on this code. The
Metrics panel, the what-if table and the report mark such an interval and say what it means;
the interval itself is what the calibration computed.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from twinviewer.physiology.plausible import BEYOND, PLAUSIBLE_MAX  # noqa: E402

SETTING, SEED, PATIENT, MEMBERS = "own", 2026, 29, 48
MEANS = "the data do not inform this output for this patient"


@pytest.fixture(scope="module")
def atypical():
    """(twin, results, scenario results, shown LVEDP interval, true LVEDP, calibration) of
    the calibrated patient."""
    from twinviewer.core.twin import InterventionStep, Scenario
    from twinviewer.document import calibrated_twin
    from twinviewer.interventions import run_scenarios
    from twinviewer.personalize.calibrate import calibrate
    from twinviewer.personalize.shown import context_of_twin, shown_interval
    from twinviewer.personalize.synthetic import patients
    from twinviewer.twins import model_of, twin_from_preset

    data = patients(SETTING, PATIENT + 1, SEED)
    rng = np.random.default_rng([SEED, 99])  # the coverage run's measurement noise, in order
    for i in range(PATIENT + 1):
        measured = data.measurements(i, rng)
    start = twin_from_preset("healthy", n=1)
    result = calibrate(start, measured, n=MEMBERS, seed=SEED * 1000 + PATIENT,
                       point_estimate=False)
    twin = calibrated_twin(start, result)
    steps = (InterventionStep("vasodilator", {}),)
    twin.scenarios = [Scenario("Vasodilator", steps, "acute")]
    scen = run_scenarios(model_of(twin), result.results, twin.scenarios)
    r = result.results
    shown = shown_interval("LVEDP", r.metrics["LVEDP"], r.ok, context_of_twin(twin))
    return twin, r, scen, shown, data.truth("LVEDP", PATIENT), result


def test_the_atypical_patients_interval_reaches_beyond_physiology(atypical):
    _, _, _, (med, lo, hi), truth, _ = atypical
    assert truth < 12.0  # a normal filling pressure…
    assert hi > PLAUSIBLE_MAX["LVEDP"], (med, lo, hi)  # …whose interval leaves physiology


def test_the_metrics_panel_marks_it_and_says_what_it_means(qtbot, atypical):
    from twinviewer.gui.metrics_panel import BEYOND_COLOR, MetricsPanel
    from twinviewer.gui.state import TwinState
    from twinviewer.personalize.shown import context_of_twin, shown_interval

    twin, results, _, _, _, _ = atypical
    state = TwinState()
    try:
        state.session.open_twin(twin, results=results)
        panel = MetricsPanel(state)
        qtbot.addWidget(panel)
        ctx = context_of_twin(twin)
        marked = []
        for m in panel.metrics:
            if m.name not in results.metrics or m.unit == "1":
                continue
            _, lo, hi = shown_interval(m.name, results.metrics[m.name], results.ok, ctx)
            beyond = hi > PLAUSIBLE_MAX.get(m.name, np.inf)
            assert (BEYOND in panel.text_of(m.name)[0]) == beyond, m.name  # exactly those
            marked += [m.name] if beyond else []
        assert "LVEDP" in marked
        assert panel.text_of("LVEDP")[0].endswith(BEYOND)
        assert "SBP" not in marked and BEYOND not in panel.text_of("SBP")[0]
        legend = panel.sources.text()
        assert f"{BEYOND} upper bound beyond the plausible range (LV end-diastolic pressure " \
               "> 50 mmHg" in legend and MEANS in legend
        row = [m.name for m in panel.metrics].index("LVEDP")
        assert MEANS in panel.table.item(row, 1).toolTip()
        assert panel.table.item(row, 1).foreground().color().name() == BEYOND_COLOR
    finally:
        state.close()


def test_the_what_if_table_marks_it(qtbot, atypical):
    from twinviewer.gui.scenario_panel import ScenarioPanel
    from twinviewer.gui.state import TwinState

    twin, results, scen, _, _, _ = atypical
    state = TwinState()
    try:
        state.session.open_twin(twin, results=results)
        state.session.set_scenario_results(scen)
        panel = ScenarioPanel(state)
        qtbot.addWidget(panel)
        panel.refresh()
        assert panel.result_cells("LVEDP")[0].endswith(BEYOND)  # the baseline's level
        assert BEYOND not in panel.result_cells("LVEDP", "Vasodilator")[1]  # never a change
        assert BEYOND not in panel.result_cells("CO")[0]
        assert MEANS in panel.flags_label.text()
    finally:
        state.close()


def test_the_report_marks_it(atypical, tmp_path):
    from twinviewer.io.twinfile import load_twin
    from twinviewer.report.pdf import write_report
    from twinviewer.session import Session

    twin, results, scen, _, _, _ = atypical
    session = Session()
    session.open_twin(twin, results=results)
    session.set_scenario_results(scen)
    doc = load_twin(session.save(tmp_path / "atypical.twin"))
    text = write_report(doc, tmp_path / "r.pdf", results=results, scenario_results=scen,
                        simulate=False).text
    rows = [i for i, t in enumerate(text) if t.startswith("LV end-diastolic pressure")]
    assert len(rows) == 3  # page 1's key values, the metrics table and the scenario table
    # (the unmeasured block names outputs by code: LVEDP)
    assert text[rows[0] + 4].endswith(BEYOND)  # page 1: after unit, measured, use
    assert all(text[i + 2].endswith(BEYOND) for i in rows[1:])  # its interval cell
    block = text.index("LVEDP")  # the last calibration's unmeasured predictions
    assert text[block + 1].endswith(f"mmHg {BEYOND}")
    notes = [t for t in text if t.startswith(f"{BEYOND} upper bound beyond the plausible "
                                             "range (LV end-diastolic pressure > 50 mmHg")]
    assert len(notes) == 4  # under each table, its wrapped note goes on to say what it means
    assert " ".join(text).count(MEANS) == 4


def test_the_calibration_summary_marks_it(atypical):
    from twinviewer.gui.calibration_panel import _summary_html

    *_, result = atypical
    text = _summary_html(result)
    assert f"mmHg {BEYOND}" in text and MEANS in text

