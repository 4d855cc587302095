"""The plugin manager dialog: lists plugins, approves, disables and re-enables them."""

from __future__ import annotations

from twinviewer.gui.plugin_manager import PluginManagerDialog
from twinviewer.plugins.registry import Registry
from twinviewer.testing import plugin_config  # noqa: F401 (fixture)


def test_approve_disable_enable(qtbot, plugin_config):  # noqa: F811
    reg = Registry()
    dlg = PluginManagerDialog(reg)
    qtbot.addWidget(dlg)
    names = [dlg.table.item(i, 0).text() for i in range(dlg.table.rowCount())]
    assert names[0] == "twinviewer" and "tv-ivabradine" in names
    dlg.select("twinviewer")
    assert not dlg.buttons["disable"].isEnabled()  # the core cannot be disabled
    dlg.select("tv-ivabradine")
    assert dlg.buttons["approve"].isEnabled() and not dlg.buttons["enable"].isEnabled()
    dlg.buttons["approve"].click()  # checked first (as `plugins approve`), then approved
    qtbot.waitUntil(lambda: dlg.process is None, timeout=120_000)
    assert reg.plugins["tv-ivabradine"].status == "enabled", dlg.status.text()
    assert "tv-ivabradine: passes its checks; enabled" in dlg.status.text()
    assert "intervention ivabradine: ok" in dlg.results.toPlainText()
    dlg.buttons["disable"].click()
    assert reg.plugins["tv-ivabradine"].status == "disabled"
    assert Registry().plugins["tv-ivabradine"].status == "disabled"  # remembered
    dlg.buttons["enable"].click()
    assert reg.plugins["tv-ivabradine"].status == "enabled"
    names = [dlg.table.item(i, 0).text() for i in range(dlg.table.rowCount())]
    assert dlg.table.item(names.index("tv-ivabradine"), 2).text() == "enabled"


def test_file_menu_opens_the_plugin_manager(make_twin_window, monkeypatch):
    import twinviewer.gui.plugin_manager as pm

    opened = []
    monkeypatch.setattr(pm.PluginManagerDialog, "exec", lambda self: opened.append(self) or 0)
    w = make_twin_window(load_demo=False)
    file_menu = w.menuBar().actions()[0].menu()
    action = next(a for a in file_menu.actions() if a.text() == "&Plugins…")
    action.trigger()
    assert len(opened) == 1 and opened[0].table.rowCount() >= 1


def test_check_a_folder_shows_the_cli_checks(qtbot, plugin_config, tmp_path):  # noqa: F811
    """"Check a folder…" runs `twinviewer plugins check PATH --json` in a separate process:
    an example plugin passes; a plugin naming a missing attribute fails with the problem
    named; a path that is not a folder is said to be one."""
    from pathlib import Path

    from tests.plugins.helpers import plugin_folder
    from twinviewer.gui.plugin_manager import check_summary

    dlg = PluginManagerDialog(Registry())
    qtbot.addWidget(dlg)
    example = Path(__file__).resolve().parents[2] / "plugins" / "tv-ivabradine"
    for folder, expect in (
            (example, ["intervention ivabradine: ok", "tv-ivabradine: passes its checks"]),
            (plugin_folder(tmp_path, "tv-missing", "tv_missing_gui", "OTHER = 1\n"),
             ["PROBLEM: plugin 'tv-missing'", "has no attribute 'MODEL'",
              "tv-missing: fails its checks"]),
            (tmp_path / "nowhere", ["nowhere: the check could not run", "is not a folder"])):
        dlg.check_folder(folder)
        qtbot.waitUntil(lambda: dlg.process is None, timeout=120_000)
        text = dlg.results.toPlainText()
        assert all(e in text for e in expect), text
        assert dlg.status.text() == text.splitlines()[-1]
    assert dlg.buttons["check"].isEnabled()
    assert "could not run: exit code 3" in check_summary(3, "", "", "x")


def test_approve_runs_the_checks_and_refuses_a_failing_plugin(qtbot, plugin_registry,
                                                              tmp_path):
    """review12 #11 / polish12: Approve approved a plugin that `plugins check` rejects. It now
    runs the checks `twinviewer plugins approve` runs: a plugin whose intervention gives NaN
    is not approved, its problem is shown, and only "Approve anyway" approves it."""
    from tests.plugins.helpers import contribution_folder
    from tests.plugins.test_intervention_failures import CODE, _manifest
    from twinviewer.plugins.registry import ENABLED, NEEDS_APPROVAL

    folder = contribution_folder(tmp_path, "tv-bad-drug", CODE, _manifest("nan"))
    reg = plugin_registry(folder, entry_points=[], approve=False)
    assert reg.plugins["tv-bad-drug"].status == NEEDS_APPROVAL
    dlg = PluginManagerDialog(reg)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.select("tv-bad-drug")
    assert not dlg.buttons["anyway"].isVisible()
    dlg.buttons["approve"].click()
    assert dlg.process is not None and not dlg.buttons["approve"].isEnabled()
    qtbot.waitUntil(lambda: dlg.process is None, timeout=120_000)
    assert reg.plugins["tv-bad-drug"].status == NEEDS_APPROVAL  # refused
    assert reg.store.approved("tv-bad-drug") is None
    shown = dlg.results.toPlainText()
    assert "PROBLEM: plugin 'tv-bad-drug': intervention 'nan_drug'" in shown, shown
    assert "not finite" in shown
    assert "fails its checks" in dlg.status.text() and "not approved" in dlg.status.text()
    assert dlg.buttons["anyway"].isVisible() and dlg.buttons["anyway"].isEnabled()
    dlg.buttons["anyway"].click()
    assert reg.plugins["tv-bad-drug"].status == ENABLED
    assert "approved although its checks fail" in dlg.status.text()
    assert not dlg.buttons["anyway"].isVisible()
