"""review12b #1: one scenario that cannot run (its plug-in raises, gives NaN or is disabled)
costs the others nothing: ``run_scenarios(failed=...)`` names it with its reason and runs the
rest; the report drops only it, says which and why, and never calls a disabled plug-in."""

from __future__ import annotations

import pytest

from tests.plugins.helpers import contribution_folder
from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions import InterventionError, run_scenarios
from twinviewer.interventions.library import LIBRARY, available, why_unavailable
from twinviewer.plugins.registry import DISABLED, get_registry
from twinviewer.testing import plugin_config, plugin_registry  # noqa: F401
from twinviewer.twins import model_of, twin_from_preset

CODE = """
    from twinviewer.interventions.intervention import Intervention, Setting

    CALLS = []

    def _raise(ctx, P, s):
        CALLS.append(1)
        raise RuntimeError("boom from raise_drug")

    RAISE = Intervention(name="raise_drug", title="Raise drug", settings=(
        Setting("fall", "%", 20.0, (0.0, 50.0), "x (UNSOURCED)", label="Fall"),),
        description="test", evidence=(), assumptions=("test",), transform=_raise,
        parameters=("SYS.R_AR",), main_setting="fall")
    """
PACE = Scenario("Pace 90", (InterventionStep("pacing", {"rate": 90.0}),))
BAD = Scenario("Bad 20", (InterventionStep("raise_drug", {"fall": 20.0}),))


@pytest.fixture
def bad_plugin(plugin_registry, tmp_path):  # noqa: F811
    manifest = '\n[[contributions.interventions]]\nname = "raise_drug"\nref = "tv_raise:RAISE"\n'
    reg = plugin_registry(contribution_folder(tmp_path, "tv-raise", CODE, manifest),
                          entry_points=[])
    reg.load("interventions", "raise_drug")
    yield reg
    LIBRARY.pop("raise_drug", None)


@pytest.fixture(scope="module")
def base():
    from twinviewer.physiology import simulate

    twin = twin_from_preset("healthy", n=3, seed=2)
    return twin, simulate(model_of(twin), twin.ensemble)


def test_a_failing_scenario_is_named_and_the_others_run(bad_plugin, base):
    twin, baseline = base
    failed: dict[str, str] = {}
    out = run_scenarios(model_of(twin), baseline, [BAD, PACE], failed=failed)
    assert list(out) == ["Pace 90"] and out["Pace 90"].n == 3
    assert list(failed) == ["Bad 20"] and "boom from raise_drug" in failed["Bad 20"]
    # without ``failed`` the first refusal raises, as before
    with pytest.raises(InterventionError):
        run_scenarios(model_of(twin), baseline, [PACE, BAD])


def test_a_disabled_plugins_intervention_is_not_offered_and_says_why(bad_plugin, base):
    assert "raise_drug" in available() and why_unavailable("raise_drug") == ""
    twin, baseline = base
    run_scenarios(model_of(twin), baseline, [BAD], failed={})  # its failure disables it
    assert get_registry().plugins["tv-raise"].status == DISABLED
    assert "raise_drug" not in available()
    why = why_unavailable("raise_drug")
    assert "tv-raise" in why and "disabled" in why
    assert why_unavailable("pacing") == ""


def test_the_report_drops_only_the_failing_scenario_and_never_reruns_a_disabled_one(
        bad_plugin, base):
    import sys

    from twinviewer.io.audit import AuditLog
    from twinviewer.io.twinfile import TwinDocument
    from twinviewer.report.pdf import scenarios_for_report

    twin, baseline = base
    twin.scenarios = [PACE, BAD]
    doc = TwinDocument(twin, AuditLog(), [])
    out, notes = scenarios_for_report(doc, baseline)
    assert list(out) == ["Pace 90"]
    assert len(notes) == 1 and "Bad 20" in notes[0] and "boom from raise_drug" in notes[0]
    calls = sys.modules["tv_raise"].CALLS
    n = len(calls)
    out, notes = scenarios_for_report(doc, baseline)  # now disabled: not called again
    assert list(out) == ["Pace 90"] and len(calls) == n
    assert "Bad 20" in notes[0] and "disabled" in notes[0]
    # one the app says to leave out (its plug-in hung there) is not run either
    out, notes = scenarios_for_report(doc, baseline, {"Pace 90": "it hung in the app"})
    assert out == {} and any("it hung in the app" in n for n in notes)
