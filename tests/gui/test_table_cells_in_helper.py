"""The what-if table's cells computed in the model helper with the new results (table13,
issue 15 item 5): the table the job's thread prepares from them, merged with an older
scenario's results, equals the one prepared from scratch in this process, cell for cell —
built-in and plug-in scenarios, acute and regulated, with and without an interval context."""

from __future__ import annotations

import pytest

from tests.gui.test_model_jobs import _quiet
from tests.gui.test_plugin_run_in_helper import (  # noqa: F401 - fixtures
    BB_R,
    FINE_A,
    FINE_R,
    PACE_A,
    PACE_R,
    reg,
    worker,
)
from twinviewer.gui.model_jobs import scenario_ensembles, scenarios_in_helper
from twinviewer.gui.process_worker import available
from twinviewer.gui.scenario_panel import (
    TABLE_METRICS,
    prepared_table,
    relevant_table_metrics,
    table_rows,
)
from twinviewer.interventions import scenario_table
from twinviewer.interventions.table_cells import kept_cells, scenario_cells
from twinviewer.personalize.shown import IntervalContext
from twinviewer.testing import plugin_config, plugin_registry  # noqa: F401
from twinviewer.twins import model_of, twin_from_preset

pytestmark = pytest.mark.skipif(not available(), reason="no helper process here")

CTX = IntervalContext(atypicality=1.3, misfit=0.9, measured=frozenset({"SBP", "DBP"}))


def _fresh(r):
    """``r`` without the cells kept on it."""
    import dataclasses

    return dataclasses.replace(r)


@pytest.mark.parametrize("context", [None, CTX], ids=["prior", "calibrated"])
def test_the_helpers_cells_make_the_in_process_table(reg, worker, monkeypatch,  # noqa: F811
                                                     context):
    import twinviewer.personalize.shown as shown
    from twinviewer.physiology import simulate

    monkeypatch.setattr(shown, "context_of_twin", lambda twin: context)
    twin = twin_from_preset("severe_as", n=5, seed=3)
    model = model_of(twin)
    base = simulate(model, twin.ensemble)
    # an older Run's result, made in this process (its cells are computed on the job thread)
    _, older = scenario_ensembles(model, twin.ensemble, base, [PACE_A], progress=_quiet,
                                  cancel=lambda: False)
    new = [PACE_R, FINE_R, FINE_A, BB_R]
    _, there = scenarios_in_helper(worker, model, twin.ensemble, base, new, progress=_quiet,
                                   cancel=lambda: False, failed={},
                                   table=(TABLE_METRICS, context))
    assert list(there) == [s.name for s in new]
    assert all(kept_cells(r) is not None for r in there.values())  # made in the helper
    scenarios = [PACE_A, *new]
    merged = {**older, **there}
    prepared = prepared_table(twin, base, merged, scenarios)

    from twinviewer.explain.evidence_flags import scenario_evidence

    fresh = {k: _fresh(r) for k, r in merged.items()}
    assert all(kept_cells(r) is None for r in fresh.values())
    shown = relevant_table_metrics(twin, base, merged)  # severe AS: no mitral leak rows
    assert "MR_fraction" not in shown and "CO" in shown
    ref = scenario_table(base, fresh, shown, predictive=context,
                         evidence=scenario_evidence(scenarios, run=False))
    t = prepared.table
    assert t.scenarios == ref.scenarios
    assert repr(t.cells) == repr(ref.cells)  # repr: NaN equals NaN
    assert repr(t.flags) == repr(ref.flags)
    assert repr(t.baseline) == repr(ref.baseline)
    assert t.evidence == ref.evidence and t.kinds == ref.kinds
    assert prepared.rows == table_rows(ref, scenarios, twin)
    # the helper's cells were used as they came, not computed again
    for name in there:
        assert t.cells[TABLE_METRICS[0]][name] is kept_cells(there[name])[1][TABLE_METRICS[0]]


def test_kept_cells_are_recomputed_for_another_baseline_or_context():
    from twinviewer.physiology import simulate

    twin = twin_from_preset("healthy", n=3, seed=2)
    model = model_of(twin)
    base = simulate(model, twin.ensemble)
    _, res = scenario_ensembles(model, twin.ensemble, base, [PACE_A], progress=_quiet,
                                cancel=lambda: False)
    first = scenario_cells(base, res, ("CO", "MAP"))[PACE_A.name]
    assert scenario_cells(base, res, ("CO", "MAP"))[PACE_A.name][0] is first[0]  # kept
    other = scenario_cells(base, res, ("CO", "MAP"), predictive=CTX, predictive_key="ctx")
    assert other[PACE_A.name][0] is not first[0]
    base2 = simulate(model, twin.ensemble * 1.0)
    base2.metrics["CO"] = base2.metrics["CO"] * 1.1
    again = scenario_cells(base2, res, ("CO", "MAP"))[PACE_A.name][0]
    assert again is not first[0]
    assert again["CO"].baseline.median != first[0]["CO"].baseline.median
