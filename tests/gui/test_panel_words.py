"""What the panels show a reader: measurement, parameter and structure names in words, and
every scenario overlay with its response mode (review9 #4, #5)."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from twinviewer.core.format import CODE_NAME  # noqa: E402
from twinviewer.core.measurement import Measurement as M  # noqa: E402
from twinviewer.core.twin import InterventionStep, Scenario  # noqa: E402
from twinviewer.gui.audit_panel import AuditPanel  # noqa: E402
from twinviewer.gui.measurements_panel import MeasurementsPanel  # noqa: E402
from twinviewer.gui.plots import PVLoopPanel, WiggersPanel  # noqa: E402
from twinviewer.gui.state import TwinState  # noqa: E402
from twinviewer.interventions import run_scenarios  # noqa: E402
from twinviewer.io import audit_log  # noqa: E402
from twinviewer.twins import model_of, simulate_twin, twin_from_preset  # noqa: E402


@pytest.fixture
def state(qtbot):
    st = TwinState()
    yield st
    st.close()


def _codes(texts) -> list[str]:
    return sorted({c for t in texts for c in CODE_NAME.findall(t)})


def test_measurements_table_names_in_words_and_reads_back_the_code(qtbot, state):
    twin = twin_from_preset("severe_as", n=4)
    state.session.set_twin(twin)
    panel = MeasurementsPanel(state)
    qtbot.addWidget(panel)
    panel.set_measurements([M("SBP", 142, "mmHg", 5, "cuff"),
                            M("AV_mean_gradient", 45, "mmHg", 5, "echo")])
    names = [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())]
    assert "AV mean gradient" in names and not _codes(names), names
    assert [m.name for m in panel.measurements()][-1] == "AV_mean_gradient"
    row = names.index("AV mean gradient")
    panel.table.item(row, 0).setText("AV peak gradient")  # an edit is read as typed
    assert panel.measurements()[-1].name == "AV peak gradient"


def test_audit_panel_shows_structures_and_parameters_in_words(qtbot, state):
    twin = twin_from_preset("healthy", n=4)
    log = audit_log(twin)
    log.record(twin, "import", {"structures": ["la", "lv_blood", "pulmonary_artery"]})
    log.record(twin, "calibration", {"measurements": ["SBP", "AV_mean_gradient"],
                                     "calibrated": ["SYS.R_AR", "V_total"],
                                     "prior": "severe_as prior", "misfit_accepted": False})
    state.session.set_twin(twin)
    panel = AuditPanel(state)
    qtbot.addWidget(panel)
    details = [panel.table.item(r, 3).text() for r in range(panel.table.rowCount())]
    assert not _codes(details), details
    text = " ".join(details)
    for words in ("Left atrium", "LV blood pool", "Pulmonary artery", "AV mean gradient",
                  "Systemic arterial resistance", "Blood volume held by the loop",
                  "Severe aortic stenosis prior", "misfit accepted no"):
        assert words in text, words


def test_pv_and_wiggers_legends_say_each_scenarios_mode(qtbot, state):
    twin = twin_from_preset("severe_as", n=4)
    bb = (InterventionStep("beta_blocker", {"dose": 5.0}),)
    twin.scenarios = [Scenario("Beta-blocker 5 mg", bb, "acute"),
                      Scenario("Beta-blocker 5 mg [baroreflex regulated]", bb, "regulated")]
    base = simulate_twin(twin)
    scen = run_scenarios(model_of(twin), base, twin.scenarios)
    state.session.set_twin(twin)
    pv, wig = PVLoopPanel(state), WiggersPanel(state)
    for w in (pv, wig):
        qtbot.addWidget(w)
        w.ensure_built()  # its plots, built when first shown
        w.scenario_results = dict(scen)
        w.set_results(base)
    for text in (pv.status.text(), wig.key.text()):
        assert "Beta-blocker 5 mg [acute, unregulated]" in text, text
        assert "Beta-blocker 5 mg [baroreflex regulated]" in text, text
        assert "[baroreflex regulated] [" not in text
