"""review12 #3: a plug-in intervention written from docs/plugins.md section 8 never appeared in
the What-if step's list (built from the library, which a plug-in joined only when looked up by
name); the bundled example plug-in's was missing too."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def _docs_plugin(root: Path) -> Path:
    """The guide's my-drug, its files written out exactly as the guide shows them."""
    text = DOC.read_text(encoding="utf-8")
    for name, body in re.findall(r"```\w+ file=(my-drug/\S+)\n(.*?)```", text, flags=re.S):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    (root / "my-drug" / "my_drug" / "__init__.py").touch()
    return root / "my-drug"


def test_a_docs_style_plugin_intervention_is_in_the_what_if_list(qtbot, plugin_registry,
                                                                 tmp_path):
    from twinviewer.gui.scenario_panel import ScenarioPanel
    from twinviewer.gui.state import TwinState
    from twinviewer.twins import twin_from_preset

    reg = plugin_registry(_docs_plugin(tmp_path))  # with the installed example plug-ins
    assert reg.plugins["my-drug"].status == "enabled"
    state = TwinState()
    state.session.set_twin(twin_from_preset("healthy", n=8, seed=2))
    panel = ScenarioPanel(state)
    qtbot.addWidget(panel)
    box = panel.intervention_box
    # imported on a job's thread, listed when they arrive (final12 #2: never on the GUI thread)
    qtbot.waitUntil(lambda: panel._list_job is None, timeout=60_000)
    listed = [box.itemData(i) for i in range(box.count())]
    assert "my_vasodilator" in listed and "ivabradine" in listed
    assert listed.index("tavi") < listed.index("my_vasodilator")  # beside, after the built-ins
    panel.select_intervention("my_vasodilator")
    assert box.currentText() == "My vasodilator"
    panel.set_setting("fall", 30.0)
    panel.name_edit.setText("mine")
    assert panel.add_scenario(), panel.error_label.text()
    assert [s.name for s in state.session.scenarios] == ["mine"]
    state.close()
    for mod in ("my_drug", "my_drug.drug"):
        sys.modules.pop(mod, None)


def test_a_slow_plugin_import_never_holds_the_gui_thread(qtbot, monkeypatch):
    """final12 #2: the What-if list imported every enabled plug-in's interventions on the GUI
    thread while the window was built (a hanging import froze it for the import budget)."""
    import time

    from twinviewer.gui import scenario_panel as sp
    from twinviewer.gui.state import TwinState
    from twinviewer.interventions.library import CORE_INTERVENTIONS

    real = sp.available_interventions

    def slow(*, load=True):
        if load:
            time.sleep(2.0)  # a plug-in's import taking its time
        return real(load=False)

    monkeypatch.setattr(sp, "available_interventions", slow)
    monkeypatch.setattr(sp, "interventions_not_loaded", lambda: ["slow_drug"])
    state = TwinState()
    t0 = time.perf_counter()
    panel = sp.ScenarioPanel(state)
    built = time.perf_counter() - t0
    qtbot.addWidget(panel)
    assert built < 1.5 and panel._list_job is not None
    assert panel.intervention_box.count() >= len(CORE_INTERVENTIONS)  # the built-ins now
    qtbot.waitUntil(lambda: panel._list_job is None, timeout=30_000)
    state.close()
