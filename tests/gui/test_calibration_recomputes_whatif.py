"""After a calibration the what-if results follow the new twin (session 16 left them removed).

The results the new parameters made stale are recomputed in the background on the calibrated
ensemble, through the same job as What-if's Run (the model helper); the status says so while
and when; the document never holds a result of the old ensemble under the new twin; and a
save and reopen keeps the recomputed results."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from twinviewer.core.anatomy import Anatomy  # noqa: E402
from twinviewer.core.measurement import Measurement as M  # noqa: E402
from twinviewer.core.twin import InterventionStep, Scenario  # noqa: E402

VASO = Scenario("Vasodilator", (InterventionStep("vasodilator", {}),))
PACE = Scenario("Pacing 90", (InterventionStep("pacing", {"rate": 90.0}),))


def _twin():
    from twinviewer.twins import twin_from_preset

    twin = twin_from_preset("healthy", n=16, anatomy=Anatomy("TW-0123456789"))
    twin.measurements.extend(M(*m) for m in (("SBP", 128, "mmHg", 8), ("DBP", 82, "mmHg", 6),
                                             ("LVEDV", 140, "mL", 8), ("LVESV", 60, "mL", 6)))
    return twin


@pytest.fixture
def state(qtbot):
    from twinviewer.gui.state import TwinState
    from twinviewer.interventions import run_scenarios
    from twinviewer.twins import model_of, simulate_twin

    st = TwinState()
    doc = st.session
    doc.open_twin(_twin())
    doc.add_scenario(VASO)
    doc.add_scenario(PACE)
    doc.set_results(simulate_twin(doc.twin))
    doc.set_scenario_results(run_scenarios(model_of(doc.twin), doc.results, [VASO]))
    yield st
    st.close()


def test_a_calibration_recomputes_the_what_ifs_on_the_new_twin(qtbot, state, tmp_path):
    from twinviewer.document import Document
    from twinviewer.gui.calibration_panel import CalibrationPanel
    from twinviewer.interventions import run_scenarios
    from twinviewer.twins import model_of

    doc = state.session
    old_twin, old_vaso = doc.twin, doc.scenario_results[VASO.name]
    said: list[tuple[str, str]] = []
    state.message.connect(lambda level, text: said.append((level, text)))
    held: list[tuple] = []  # every scenario result the document held, with its twin then
    state.session.subscribe("scenario_results", lambda r: held.append((doc.twin, dict(r))))
    panel = CalibrationPanel(state)
    qtbot.addWidget(panel)
    panel.members.setValue(16)
    assert panel.start() is not None
    qtbot.waitUntil(lambda: doc.twin is not old_twin,
                    timeout=300_000)
    assert any("being recomputed on the new twin" in t and VASO.name in t for _l, t in said)
    assert VASO.name not in doc.scenario_results  # removed while recomputing
    qtbot.waitUntil(lambda: VASO.name in doc.scenario_results and not state.jobs,
                    timeout=300_000)

    twin = doc.twin
    assert not np.array_equal(twin.ensemble, old_twin.ensemble)  # the calibration moved it
    np.testing.assert_array_equal(doc.results.params, twin.ensemble)
    new = doc.scenario_results[VASO.name]
    # the vasodilator over the calibrated ensemble, computed here in this process: the same
    ref = run_scenarios(model_of(twin), doc.results, [VASO])[VASO.name]
    np.testing.assert_array_equal(new.params, ref.params)
    for k in ("LVEF", "MAP", "CO"):
        np.testing.assert_allclose(new.metrics[k], ref.metrics[k], rtol=1e-12)
    assert not np.array_equal(new.params, old_vaso.params)
    assert PACE.name not in doc.scenario_results  # it had no result: none is made for it
    assert any(t == f"What-if recomputed on the calibrated twin: {VASO.name}." for _l, t in said)
    # never a result of the old ensemble under the new twin
    under_new = [results for t, results in held if t is not old_twin]
    assert under_new and all(r is new for results in under_new for r in results.values())
    assert doc.twin.audit[-1].action == "scenario"  # the recomputed run is audited

    path = doc.save(tmp_path / "calibrated.twin")
    again = Document()
    again.open_file(path)
    back = again.scenario_results[VASO.name]
    np.testing.assert_array_equal(again.twin.ensemble, twin.ensemble)
    for k in ("LVEF", "MAP", "CO"):
        np.testing.assert_array_equal(back.metrics[k], new.metrics[k])
    np.testing.assert_allclose(back.params, new.params)


def _new_parameters(doc, factor: float):
    """What an applied calibration hands over: the same document, a new ensemble (here its
    arterial resistance scaled by ``factor``)."""
    import dataclasses

    from twinviewer.twins import model_of

    twin = doc.twin
    ensemble = twin.ensemble.copy()
    ensemble[:, model_of(twin).index("SYS.R_AR")] *= factor
    doc.set_twin(dataclasses.replace(twin, ensemble=ensemble, audit=twin.audit), recompute=True)
    return list(doc.removed_results)


def _expected(doc):
    from twinviewer.interventions import run_scenarios
    from twinviewer.twins import model_of, simulate_twin

    return run_scenarios(model_of(doc.twin), simulate_twin(doc.twin), [VASO])[VASO.name]


def test_a_scenario_added_while_recomputing_keeps_the_recomputed_results(qtbot, state):
    """The twin object changes with an edit (a new scenario defined in What-if meanwhile), its
    ensemble does not: the recomputed results are still its own."""
    from twinviewer.gui.whatif_recompute import recompute_what_ifs

    doc = state.session
    names = _new_parameters(doc, 1.02)
    assert names == [VASO.name]
    job = recompute_what_ifs(state, names)
    assert job is not None and not job.finished
    before = doc.twin
    doc.add_scenario(Scenario("Pacing 100", (InterventionStep("pacing", {"rate": 100.0}),)))
    assert doc.twin is not before  # a new Twin object, the same parameters
    qtbot.waitUntil(lambda: job.finished, timeout=300_000)
    assert VASO.name in doc.scenario_results
    np.testing.assert_array_equal(doc.scenario_results[VASO.name].params, _expected(doc).params)


def test_a_second_calibration_takes_over_a_running_recompute(qtbot, state):
    from twinviewer.gui.calibration_panel import CalibrationPanel

    doc = state.session
    said: list[str] = []
    state.message.connect(lambda _level, text: said.append(text))
    panel = CalibrationPanel(state)
    qtbot.addWidget(panel)
    names = _new_parameters(doc, 1.02)
    panel._recompute(doc.twin, names)
    first = panel.recompute_job
    assert first is not None and not first.finished
    assert _new_parameters(doc, 1.01) == []  # nothing held any more: nothing removed now
    panel._recompute(doc.twin, [])
    qtbot.waitUntil(lambda: not state.jobs, timeout=300_000)
    assert panel.recompute_job is not first and first.is_cancelled()
    np.testing.assert_array_equal(doc.scenario_results[VASO.name].params, _expected(doc).params)
    assert not [t for t in said if "not recomputed" in t or "cancelled" in t], said
