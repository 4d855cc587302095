"""The main window reads the plugin registry: presets offered for a new virtual patient, and
a broken plugin's preset reported by name while the window keeps going."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QInputDialog

from tests.plugins.helpers import broken_preset_plugin

EXAMPLE = Path(__file__).resolve().parents[2] / "plugins" / "tv-single-ventricle"


@pytest.mark.slow
def test_plugin_preset_offered_and_a_broken_one_named(make_twin_window, plugin_registry,
                                                      tmp_path, monkeypatch, qtbot):
    broken = broken_preset_plugin(tmp_path)
    reg = plugin_registry(EXAMPLE, broken, entry_points=[])
    w = make_twin_window(load_demo=False)
    offered: list[str] = []

    def pick(wanted):
        def get_item(parent, title, text, labels, *a):
            offered[:] = labels
            return next(x for x in labels if x.startswith(wanted)), True
        return get_item

    monkeypatch.setattr(QInputDialog, "getItem", pick("broken_heart"))
    w.new_virtual_patient()
    assert any("A heart that cannot load (plugin tv-broken-heart)" in x for x in offered)
    assert "healthy" in " ".join(offered)  # the core's presets, from the same registry
    assert "tv-broken-heart" in w.last_error and "missing compiled part" in w.last_error
    assert reg.plugins["tv-broken-heart"].status == "disabled"

    monkeypatch.setattr(QInputDialog, "getItem", pick("teaching_single_ventricle"))
    w.new_virtual_patient()
    qtbot.waitUntil(lambda: not w.state.jobs and w.state.results is not None, timeout=180_000)
    assert w.state.results.model.name == "single_ventricle"
    for title in ("PV loops", "Wiggers diagram"):  # the tabs not shown yet
        w.panels[title].ensure_built()
    assert "no RV" in w.panels["PV loops"].plots["RV"].titleLabel.text
    assert "LA pressure" not in w.panels["Wiggers diagram"].key.text()  # no LA: not listed
