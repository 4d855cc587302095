"""Bad plugins: each is disabled with a message naming it; the app and the twin carry on.

Model checks run in a spawned worker (a few seconds each on a loaded machine): slow.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.plugins.helpers import bad_model, plugin_folder
from twinviewer.plugins import PluginError, isolation
from twinviewer.plugins.registry import DISABLED

pytestmark = pytest.mark.slow

CASES = {
    "tv-raises": ("def rhs(t, y, p, dydt):\n    raise RuntimeError('boom in rhs')\n",
                  "rhs=rhs", "RuntimeError: boom in rhs"),
    "tv-nan": ("def rhs(t, y, p, dydt):\n    sv.rhs(t, y, p, dydt)\n    dydt[1] = np.nan\n",
               "rhs=rhs", "returned NaN or infinity for P_AR"),
    "tv-shape": ("def initial_state(P):\n    return np.zeros((len(P), 5))\n",
                 "initial_state=initial_state", "initial_state returned shape"),
    "tv-observe": ("def observe(t, y, p):\n    return sv.observe(t, y, p)[:2]\n",
                   "observe=observe", "observe returned 2 values"),
    "tv-units": ("from twinviewer.physiology.model import StateSpec\n"
                 "S = (StateSpec('V_V', '', 'volume', 0.02),) + sv.MODEL.states[1:]\n",
                 "states=S", "state V_V declares no unit"),
    "tv-loop": ("def rhs(t, y, p, dydt):\n    while True:\n        pass\n",
                "rhs=rhs", "did not finish within"),
    "tv-segfault": ("import ctypes\ndef rhs(t, y, p, dydt):\n    ctypes.string_at(0)\n",
                    "rhs=rhs", "crashed its worker process (signal SIGSEGV)"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_model_is_disabled_with_a_message(plugin_registry, tmp_path, monkeypatch, name):
    body, fields, expected = CASES[name]
    monkeypatch.setattr(isolation, "TIMEOUT", 20.0)
    reg = plugin_registry(bad_model(tmp_path, name, body, fields))
    module = name.replace("-", "_")
    with pytest.raises(PluginError) as err:
        reg.load("models", module)
    assert f"plugin {name!r}" in str(err.value) and expected in str(err.value)
    assert reg.plugins[name].status == DISABLED
    assert reg.find("models", module) is None


def test_import_error(plugin_registry, tmp_path):
    folder = plugin_folder(tmp_path, "tv-import", "tv_import_err", "import no_such_module_x\n")
    reg = plugin_registry(folder)
    with pytest.raises(PluginError, match="ModuleNotFoundError.*no_such_module_x"):
        reg.load("models", "tv_import_err")
    assert reg.plugins["tv-import"].status == DISABLED


def test_crash_during_an_ensemble_leaves_the_twin_untouched(plugin_registry, tmp_path,
                                                           monkeypatch):
    """Passes the start-up check (early in the beat), segfaults late in the beat."""
    from twinviewer.twins import simulate_twin, twin_from_preset

    monkeypatch.setattr(isolation, "TIMEOUT", 60.0)
    body = ("import ctypes\n"
            "def rhs(t, y, p, dydt):\n"
            "    if np.any(t > 0.7 * 60.0 / p[sv.HR]):\n"
            "        ctypes.string_at(0)\n"
            "    sv.rhs(t, y, p, dydt)\n")
    reg = plugin_registry(bad_model(tmp_path, "tv-late-crash", body, "rhs=rhs"))
    from twinviewer.physiology.presets import PRESETS, Preset

    model = reg.load("models", "tv_late_crash")
    PRESETS["tv_late_crash_preset"] = Preset("tv_late_crash_preset", "t", "t", model)
    try:
        twin = twin_from_preset("tv_late_crash_preset", n=4)
        before = twin.ensemble.copy()
        with pytest.raises(PluginError, match="crashed its worker.*is disabled"):
            simulate_twin(twin)
        np.testing.assert_array_equal(twin.ensemble, before)
        assert reg.plugins["tv-late-crash"].status == DISABLED
    finally:
        PRESETS.pop("tv_late_crash_preset")
