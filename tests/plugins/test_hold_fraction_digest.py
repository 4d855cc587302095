"""last16 #1, #5: the scenario digest hashes a plug-in's own ``hold_fraction`` (not the
registry's guard around it, the same code for every plug-in) and never waits on the plug-in's
call lock (Save/autosave on the GUI thread waited while a preview's transform ran); a
``hold_fraction`` returning a Python bool counts as 0/1, as before the guard. fix16j: a call
that waits for a hung call of the same plug-in is told of the hang, not "still running"."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from tests.plugins.helpers import contribution_folder
from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions.constants_digest import scenario_digest
from twinviewer.interventions.intervention import InterventionError
from twinviewer.interventions.library import LIBRARY
from twinviewer.interventions.scenario import held_parameters
from twinviewer.plugins.registry import ENABLED
from twinviewer.testing import plugin_config, plugin_registry  # noqa: F401

CODE = """
    import time
    from dataclasses import replace

    from twinviewer.interventions.library import get_intervention

    def slow(twin, P, s):
        time.sleep(SLEEP)
        return P

    PLUG_BB = replace(get_intervention("beta_blocker"), name="plug_bb",
                      hold_fraction=lambda s: FRAC, transform=slow)
    """


def _load(plugin_registry, root, pname: str, frac: str, sleep: float = 0.0):  # noqa: F811
    module = pname.replace("-", "_")
    folder = contribution_folder(
        root, pname, CODE.replace("FRAC", frac).replace("SLEEP", str(sleep)),
        f'[[contributions.interventions]]\nname = "plug_bb"\nref = "{module}:PLUG_BB"\n')
    reg = plugin_registry(folder, entry_points=[])
    reg.load("interventions", "plug_bb")
    return reg, Scenario("x", (InterventionStep("plug_bb", {"dose": 5.0}),))


@pytest.fixture(autouse=True)
def _unload():
    yield
    LIBRARY.pop("plug_bb", None)


def test_a_changed_hold_fraction_changes_the_digest(plugin_registry, tmp_path):  # noqa: F811
    seen = []
    for i, frac in enumerate(("0.2", "0.9")):
        _reg, sc = _load(plugin_registry, tmp_path / str(i), f"tv-plug-bb{i}", frac)
        seen.append((scenario_digest(sc), held_parameters(sc).fraction("LV.EA")))
        LIBRARY.pop("plug_bb", None)
    assert [f for _d, f in seen] == [0.2, 0.9]
    assert seen[0][0] != seen[1][0]


def test_the_digest_does_not_wait_for_a_running_transform(plugin_registry, tmp_path):  # noqa: F811
    _reg, sc = _load(plugin_registry, tmp_path, "tv-plug-bbz", "0.5", sleep=2.0)
    quiet = scenario_digest(sc)
    iv = LIBRARY["plug_bb"]
    th = threading.Thread(target=_call, args=(iv, []))
    th.start()
    time.sleep(0.3)
    t0 = time.perf_counter()
    digest = scenario_digest(sc)
    spent = time.perf_counter() - t0
    th.join()
    assert digest == quiet
    assert spent < 1.0, spent  # was the transform's remaining ~1.7 s (2.7 s in last16)


def test_a_bool_hold_fraction_is_0_or_1(plugin_registry, tmp_path):  # noqa: F811
    reg, sc = _load(plugin_registry, tmp_path, "tv-plug-bbb", 's["dose"] > 0')
    assert held_parameters(sc).fraction("LV.EA") == 1.0
    assert reg.plugins["tv-plug-bbb"].status == ENABLED


def test_a_call_waiting_for_a_hung_one_is_told_of_the_hang(plugin_registry, tmp_path,  # noqa: F811
                                                          monkeypatch):
    """CI (tests/gui/test_live_preview_plugin.py): the waiter's timeout and the holder's hang
    verdict fall at the same moment; a slow disable made the waiter say "still running"."""
    monkeypatch.setenv("TWINVIEWER_PLUGIN_BUDGETS", "interventions=1")
    reg, _sc = _load(plugin_registry, tmp_path, "tv-plug-bbh", "0.5", sleep=8.0)
    hung = reg.hung

    def slow_hung(*a):  # the disable made slow (a loaded machine, a store re-read)
        time.sleep(0.5)
        return hung(*a)

    monkeypatch.setattr(reg, "hung", slow_hung)
    iv = LIBRARY["plug_bb"]
    errors: list[str] = []
    threads = [threading.Thread(target=_call, args=(iv, errors)) for _ in range(2)]
    for th in threads:
        th.start()
        time.sleep(0.05)
    for th in threads:
        th.join()
    assert len(errors) == 2
    assert not any("still running" in e for e in errors), errors
    assert all("did not finish within 1" in e for e in errors), errors


def _call(iv, errors: list[str]) -> None:
    """The plug-in's guarded transform (its slow code only: the result is not looked at)."""
    try:
        iv.transform(None, np.zeros((1, 3)), {"dose": 5.0})
    except (InterventionError, AttributeError) as exc:  # AttributeError: the check of None
        errors.append(str(exc))
