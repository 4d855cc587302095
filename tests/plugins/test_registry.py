"""The registry: manifests without imports, the core's parts, trust, names, the CLI."""

from __future__ import annotations

import importlib.metadata as md
import json
import sys

import pytest

from tests.plugins.helpers import installed, manifest, plugin_folder
from twinviewer.plugins import API_VERSION, ManifestError, PluginError
from twinviewer.plugins.manifest import parse_manifest
from twinviewer.plugins.registry import (
    BROKEN,
    DISABLED,
    ENABLED,
    INCOMPATIBLE,
    NEEDS_APPROVAL,
    Registry,
)


def _eps(site):
    return [ep for ep in md.entry_points(group="twinviewer.plugins")
            if str(ep.dist.locate_file("")).startswith(str(site))]


def test_core_parts_are_contributions_of_the_builtin_plugin(plugin_config):
    from twinviewer.interventions.library import LIBRARY
    from twinviewer.physiology.presets import MODELS, PRESETS

    reg = Registry(entry_points=[])
    assert reg.names("models") == list(MODELS)
    assert reg.names("presets") == list(PRESETS)
    assert reg.names("interventions") == list(LIBRARY)
    assert reg.load("presets", "healthy") is PRESETS["healthy"]
    assert reg.plugins["twinviewer"].status == ENABLED
    with pytest.raises(PluginError, match="core cannot be disabled"):
        reg.disable("twinviewer")


def test_manifest_errors_name_the_file_and_the_field(tmp_path):
    with pytest.raises(ManifestError, match="missing required field 'api_version'"):
        parse_manifest({"name": "x", "version": "1"}, "x.toml")
    with pytest.raises(ManifestError, match="unknown contribution kind 'widgets'"):
        parse_manifest({"name": "x", "version": "1", "api_version": 1,
                        "contributions": {"widgets": []}}, "x.toml")
    with pytest.raises(ManifestError, match="is not 'module:attribute'"):
        parse_manifest({"name": "x", "version": "1", "api_version": 1,
                        "contributions": {"models": [{"name": "m", "ref": "no colon"}]}})
    (tmp_path / "twinviewer.toml").write_text("name = [")
    reg = Registry(entry_points=[], include_core=False)
    rec = reg.add_folder(tmp_path)
    assert rec.status == BROKEN and "not valid TOML" in rec.message


def test_discovery_reads_manifests_without_importing_and_needs_approval(
        plugin_config, tmp_path, monkeypatch):
    site = tmp_path / "site"
    installed(site, "tv-lazy", "tv_lazy_pkg", manifest("tv_lazy", models=("lazy",)),
              init="raise RuntimeError('imported at start-up')\n")
    monkeypatch.syspath_prepend(str(site))
    reg = Registry(entry_points=_eps(site), include_core=False)
    rec = reg.plugins["tv_lazy"]
    assert rec.status == NEEDS_APPROVAL and "is new" in rec.message
    assert "tv_lazy_pkg" not in sys.modules
    assert reg.find("models", "lazy") is None  # not usable before approval
    reg.approve("tv_lazy")
    assert reg.plugins["tv_lazy"].status == ENABLED
    assert reg.find("models", "lazy") is not None and "tv_lazy_pkg" not in sys.modules
    # an import failure on first use disables it, naming plugin and contribution
    with pytest.raises(PluginError, match="plugin 'tv_lazy': model 'lazy'.*imported at start-up"):
        reg.load("models", "lazy")
    assert reg.plugins["tv_lazy"].status == DISABLED
    assert Registry(entry_points=_eps(site), include_core=False).plugins["tv_lazy"].status \
        == DISABLED  # remembered in the user's config


def test_changed_installed_files_need_approval_again(plugin_config, tmp_path, monkeypatch):
    site = tmp_path / "site"
    info = installed(site, "tv-changing", "tv_changing_pkg", manifest("tv_changing"))
    monkeypatch.syspath_prepend(str(site))
    Registry(entry_points=_eps(site), include_core=False).approve("tv_changing")
    assert Registry(entry_points=_eps(site), include_core=False).plugins["tv_changing"].status \
        == ENABLED
    (info / "RECORD").write_text("a,b,c\ntv_changing_pkg/evil.py,sha256=x,1\n")
    rec = Registry(entry_points=_eps(site), include_core=False).plugins["tv_changing"]
    assert rec.status == NEEDS_APPROVAL and "installed files changed" in rec.message



@pytest.mark.parametrize("editable", [True, False])
def test_an_edit_to_an_editable_install_needs_approval_again(plugin_config, tmp_path,
                                                             monkeypatch, editable):
    """An editable install (PEP 610 direct_url.json with "editable": true) keeps its code in
    the source tree, outside the RECORD: its package's source files are fingerprinted, so an
    edit disables it until approved again. A regular install's code is what its RECORD lists,
    so there the RECORD alone decides (an edit it does not list goes unnoticed, as pip's own
    ``pip check`` would)."""
    site, src = tmp_path / "site", tmp_path / "src"
    info = installed(site, "tv-edit", "tv_edit_pkg", manifest("tv_edit", models=("e",)))
    src.mkdir()
    (site / "tv_edit_pkg").rename(src / "tv_edit_pkg")  # the code lives in the source tree
    (src / "tv_edit_pkg" / "m.py").write_text("MODEL = 1\n")
    if editable:
        (info / "direct_url.json").write_text(json.dumps(
            {"url": f"file://{src}", "dir_info": {"editable": True}}))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(src))  # what the editable finder / .pth does
    Registry(entry_points=_eps(site), include_core=False).approve("tv_edit")
    assert Registry(entry_points=_eps(site), include_core=False).plugins["tv_edit"].status \
        == ENABLED
    (src / "tv_edit_pkg" / "m.py").write_text("import os\nMODEL = 1\n")
    rec = Registry(entry_points=_eps(site), include_core=False).plugins["tv_edit"]
    if editable:
        assert rec.status == NEEDS_APPROVAL and "installed files changed" in rec.message
        reg = Registry(entry_points=_eps(site), include_core=False)
        reg.approve("tv_edit")
        assert reg.plugins["tv_edit"].status == ENABLED
    else:
        assert rec.status == ENABLED


def test_a_broken_direct_url_is_not_editable(tmp_path):
    from twinviewer.plugins.registry import is_editable

    info = installed(tmp_path, "tv-odd", "tv_odd_pkg", manifest("tv_odd"))
    dist = md.PathDistribution(info)
    assert not is_editable(dist)
    (info / "direct_url.json").write_text("{not json")
    assert not is_editable(dist)
    (info / "direct_url.json").write_text('{"dir_info": {"editable": true}}')
    assert is_editable(dist)


def test_api_version_mismatch_is_refused(plugin_config, tmp_path):
    folder = plugin_folder(tmp_path, "tv-future", "tv_future", "MODEL = 1\n", api=API_VERSION + 1)
    reg = Registry(entry_points=[], include_core=False)
    rec = reg.add_folder(folder)
    assert rec.status == INCOMPATIBLE
    assert f"needs plugin API v{API_VERSION + 1}" in rec.message
    with pytest.raises(PluginError, match="needs plugin API"):
        reg.approve("tv-future")


def test_manifest_naming_a_missing_attribute(plugin_registry, tmp_path):
    folder = plugin_folder(tmp_path, "tv-missing", "tv_missing_attr", "OTHER = 1\n",
                           ref="tv_missing_attr:MODEL")
    reg = plugin_registry(folder)
    with pytest.raises(PluginError, match="module 'tv_missing_attr' has no attribute 'MODEL'"):
        reg.load("models", "tv_missing_attr")
    assert reg.plugins["tv-missing"].status == DISABLED


def test_two_plugins_claiming_the_same_name(plugin_registry, tmp_path):
    a = plugin_folder(tmp_path / "a", "tv-twin-name", "tv_dup_a", "MODEL = 1\n")
    b = plugin_folder(tmp_path / "b", "tv-twin-name", "tv_dup_b", "MODEL = 1\n")
    c = plugin_folder(tmp_path / "c", "tv-clash", "tv_clash", "MODEL = 1\n",
                      contribution="four_chamber_eoa")
    reg = plugin_registry(a, b, c)
    assert reg.plugins["tv-twin-name"].status == ENABLED
    second = reg.plugins["tv-twin-name (2)"]
    assert second.status == BROKEN and "already claimed" in second.message
    assert reg.plugins["tv-clash"].status == DISABLED
    assert "already provided by plugin 'twinviewer'" in reg.plugins["tv-clash"].message
    assert reg.find("models", "four_chamber_eoa").plugin == "twinviewer"


def test_cli_list_approve_disable_enable(plugin_config, capsys):
    from twinviewer.cli import main

    assert main(["plugins", "list", "--json"]) == 0
    names = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert names["twinviewer"]["status"] == ENABLED
    assert names["tv-ivabradine"]["status"] == NEEDS_APPROVAL
    assert main(["plugins", "approve", "tv-ivabradine"]) == 0
    assert "[enabled]" in capsys.readouterr().out
    assert main(["plugins", "disable", "tv-ivabradine"]) == 0
    assert "[disabled]" in capsys.readouterr().out
    from twinviewer.plugins.registry import reset_registry

    reset_registry()
    assert main(["plugins", "enable", "tv-ivabradine", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == ENABLED
    assert main(["plugins", "info", "nonexistent"]) == 2
    assert "no plugin named 'nonexistent'" in capsys.readouterr().err
    assert main(["plugins", "check", "/no/such/folder"]) == 2


def test_plugin_intervention_reached_through_the_core_lookup(plugin_registry):
    from twinviewer.interventions.library import get_intervention
    from twinviewer.physiology.presets import MODELS

    plugin_registry()
    iva = get_intervention("ivabradine")
    P = MODELS["four_chamber_eoa"].default_vector()[None, :]
    hr = MODELS["four_chamber_eoa"].index("HR")
    assert iva.apply(MODELS["four_chamber_eoa"], P)[0, hr] == pytest.approx(P[0, hr] - 10.9)


SHADOW = """
    from dataclasses import replace

    from tv_single_ventricle import model as sv

    MODEL = replace(sv.MODEL, name="{name}")
    """


@pytest.mark.parametrize("module, declared, own, shadowed", [
    ("tv_shadow", "tv_sneaky", "four_chamber_eoa", "the core's model 'four_chamber_eoa'"),
    ("tv_shadow_src", "four_chamber_eoa_src", "four_chamber_eoa_src",
     "the core's model 'four_chamber_eoa_src'"),
])  # a module name each: an imported module stays in sys.modules
def test_a_plugin_model_that_would_shadow_a_core_model_is_refused(
        plugin_registry, tmp_path, module, declared, own, shadowed):
    """A model joined MODELS under the name it calls itself, not the one its manifest
    declares, so a plugin could replace the core's model; a kept earlier version
    (four_chamber_eoa_src) is not in the registry's index at all. Refused at load, named;
    the core's model stays."""
    from twinviewer.physiology.presets import EARLIER_VERSIONS, MODELS

    core = MODELS.get(own)
    folder = plugin_folder(tmp_path, "tv-shadow", module, SHADOW.format(name=own),
                           contribution=declared)
    reg = plugin_registry(folder)
    assert reg.plugins["tv-shadow"].status == ENABLED
    with pytest.raises(PluginError) as err:
        reg.load("models", declared)
    msg = str(err.value)
    assert msg.startswith(f"plugin 'tv-shadow': model '{declared}' ({module}:MODEL) is "
                          "refused")
    assert f"would shadow {shadowed}" in msg
    if declared != own:
        assert f"it calls itself '{own}', not the name its manifest declares" in msg
    assert msg.endswith("plugin 'tv-shadow' is disabled")
    assert reg.plugins["tv-shadow"].status == DISABLED
    assert MODELS.get(own) is core  # the core's stays (or stays absent: an earlier version)
    assert ("four_chamber_eoa_src", "3.1") in EARLIER_VERSIONS


INTERVENTION = """
    from dataclasses import replace

    from twinviewer.interventions.library import LIBRARY

    SNEAKY = replace(LIBRARY["beta_blocker"], name="{name}", title="Sneaky")
    """


def test_a_plugin_intervention_calling_itself_by_a_core_name_is_refused(plugin_registry,
                                                                         tmp_path):
    from twinviewer.interventions.library import LIBRARY

    core = LIBRARY["tavi"]
    folder = plugin_folder(tmp_path, "tv-shadow-drug", "tv_shadow_drug",
                           INTERVENTION.format(name="tavi"), kind="interventions",
                           contribution="sneaky_drug", ref="tv_shadow_drug:SNEAKY")
    reg = plugin_registry(folder)
    with pytest.raises(PluginError, match="plugin 'tv-shadow-drug': intervention 'sneaky_drug' "
                       r"\(tv_shadow_drug:SNEAKY\) is refused: it calls itself 'tavi', not the "
                       "name its manifest declares, and would shadow the core's intervention "
                       "'tavi'"):
        reg.load("interventions", "sneaky_drug")
    assert LIBRARY["tavi"] is core and "sneaky_drug" not in LIBRARY
    assert reg.plugins["tv-shadow-drug"].status == DISABLED


def test_a_plugin_model_named_as_its_manifest_says_loads(plugin_registry, tmp_path):
    from twinviewer.physiology.presets import MODELS

    folder = plugin_folder(tmp_path, "tv-honest", "tv_honest", SHADOW.format(name="tv_honest"))
    reg = plugin_registry(folder)
    assert reg.load("models", "tv_honest") is MODELS["tv_honest"]
