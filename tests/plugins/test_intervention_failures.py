"""review11 #2: a plugin intervention whose transform raises crashed `twinviewer whatif` with a
traceback and stayed enabled; `twinviewer plugins check` passed it (and a NaN one, and a
hanging one) without ever calling the transform."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from tests.plugins.helpers import FAULTY_DRUGS
from tests.plugins.helpers import contribution_folder as _folder
from twinviewer.plugins.registry import DISABLED

CODE = FAULTY_DRUGS


def _manifest(*names: str) -> str:
    return "".join(f'\n[[contributions.interventions]]\nname = "{n}_drug"\n'
                   f'ref = "tv_bad_drug:{n.upper()}"\n' for n in names)


def test_a_raising_transform_is_named_and_disables_its_plugin(plugin_registry, tmp_path):
    from twinviewer.interventions.intervention import InterventionError
    from twinviewer.interventions.library import LIBRARY
    from twinviewer.physiology.presets import PRESETS

    reg = plugin_registry(_folder(tmp_path, "tv-bad-drug", CODE, _manifest("raise")),
                          entry_points=[])
    reg.load("interventions", "raise_drug")
    preset = PRESETS["healthy"]
    ensemble = np.tile(preset.vector(), (4, 1))
    with pytest.raises(InterventionError, match="plugin 'tv-bad-drug': intervention "
                       "'raise_drug'.*its transform raised RuntimeError: boom from "
                       "raise_drug; plugin 'tv-bad-drug' is disabled"):
        LIBRARY["raise_drug"].apply(preset.model, ensemble, {"fall": 20.0})
    assert reg.plugins["tv-bad-drug"].status == DISABLED
    assert "boom from raise_drug" in reg.store.disabled("tv-bad-drug")


def test_plugins_check_tries_each_intervention_on_a_virtual_twin(tmp_path):
    from twinviewer.plugins.cli import check_folder

    out = check_folder(_folder(tmp_path, "tv-bad-drug", CODE,
                               _manifest("fine", "raise", "nan")))
    assert not out["ok"]
    assert out["contributions"] == ["intervention fine_drug: ok"]
    raised, nan = out["problems"]
    assert raised.startswith("plugin 'tv-bad-drug': intervention 'raise_drug'")
    assert "its transform on a healthy twin with its default settings raised RuntimeError: " \
           "boom from raise_drug" in raised
    assert "not finite (NaN or infinite): SYS.R_AR" in nan


def test_whatif_with_a_raising_plugin_intervention_names_it_and_exits_2(plugin_registry,
                                                                         tmp_path, capsys):
    from twinviewer import cli
    from twinviewer.io.twinfile import save_twin
    from twinviewer.twins import twin_from_preset

    reg = plugin_registry(_folder(tmp_path, "tv-bad-drug", CODE, _manifest("raise")),
                          entry_points=[])
    path = save_twin(tmp_path / "p.twin", twin_from_preset("healthy", n=8))
    rc = cli.main(["whatif", str(path), "-i", "raise_drug:fall=20"])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Traceback" not in err
    assert err.startswith("twinviewer whatif: error: scenario 'raise_drug(fall=20)', step 1: "
                          "plugin 'tv-bad-drug': intervention 'raise_drug'")
    assert "RuntimeError: boom from raise_drug; plugin 'tv-bad-drug' is disabled" in err
    assert reg.plugins["tv-bad-drug"].status == DISABLED


def test_plugins_check_does_not_print_the_paths_a_transforms_error_names(tmp_path):
    """review11b #11: the transform's exception text came back from the worker unscrubbed
    (a home folder names the user; a folder may be named after the patient)."""
    from twinviewer.plugins.cli import check_folder

    code = CODE + """
    def _leak(ctx, P, s):
        open("/home/ann/Doe John/drug_table.csv")

    LEAK = mk("leak_drug", _leak)
    """
    out = check_folder(_folder(tmp_path, "tv-leaky-drug", code,
                               _manifest("leak").replace("tv_bad_drug", "tv_leaky_drug")))
    (raised,) = out["problems"]
    assert "raised FileNotFoundError" in raised and "<path>" in raised
    assert "/home/ann" not in raised and "Doe John" not in raised


def test_plugins_check_leaves_the_intervention_library_as_it_found_it(tmp_path):
    """fixa11: `check_folder` left the checked plugin's interventions in the global LIBRARY
    for the rest of the process (a later what-if could run the unapproved plugin's code)."""
    import sys

    from twinviewer.interventions.library import LIBRARY
    from twinviewer.plugins.cli import check_folder

    before, path = dict(LIBRARY), list(sys.path)
    out = check_folder(_folder(tmp_path, "tv-bad-drug", CODE, _manifest("fine")))
    assert out["ok"], out
    assert "fine_drug" not in LIBRARY
    assert LIBRARY == before
    assert sys.path == path


def test_a_nan_transform_names_its_plugin_and_parameter_and_disables_it(plugin_registry,
                                                                         tmp_path):
    """review12 #4: a NaN from a plugin's transform was blamed on the user's setting ("choose
    a milder setting"), the plugin was not named and stayed enabled, contrary to the docs."""
    from twinviewer.interventions.intervention import InterventionError
    from twinviewer.interventions.library import LIBRARY, get_intervention
    from twinviewer.physiology.presets import PRESETS

    reg = plugin_registry(_folder(tmp_path, "tv-bad-drug", CODE, _manifest("nan")),
                          entry_points=[])
    drug = get_intervention("nan_drug")  # the first lookup, too, is the guarded one
    assert drug is LIBRARY["nan_drug"]
    preset = PRESETS["healthy"]
    ensemble = np.tile(preset.vector(), (4, 1))
    with pytest.raises(InterventionError) as err:
        drug.apply(preset.model, ensemble, {"fall": 20.0})
    msg = str(err.value)
    assert msg.startswith("plugin 'tv-bad-drug': intervention 'nan_drug'"), msg
    assert "not finite (NaN or infinite) for SYS.R_AR in 4 of 4 ensemble members" in msg
    assert msg.endswith("plugin 'tv-bad-drug' is disabled"), msg
    assert "milder" not in msg
    assert reg.plugins["tv-bad-drug"].status == DISABLED
    assert "not finite" in reg.store.disabled("tv-bad-drug")


def test_a_disabled_plugins_intervention_says_why_not_unknown(plugin_registry, tmp_path):
    """review12 #4: after its plugin was disabled, asking for its intervention said "unknown
    intervention"; in the same session the kept entry ran the plugin's code again."""
    from twinviewer.interventions.intervention import InterventionError
    from twinviewer.interventions.library import LIBRARY, available, get_intervention
    from twinviewer.physiology.presets import PRESETS

    folder = _folder(tmp_path, "tv-bad-drug", CODE, _manifest("raise", "fine"))
    plugin_registry(folder, entry_points=[])
    assert {"raise_drug", "fine_drug"} <= set(available())
    preset = PRESETS["healthy"]
    ensemble = np.tile(preset.vector(), (4, 1))
    with pytest.raises(InterventionError, match="boom"):
        LIBRARY["raise_drug"].apply(preset.model, ensemble, {"fall": 20.0})
    # same session: the other intervention of the disabled plugin is not run, and says why
    with pytest.raises(InterventionError, match="intervention 'fine_drug' is not available: "
                       "plugin 'tv-bad-drug' is disabled because its intervention 'raise_drug'"
                       ".*boom from raise_drug \\('twinviewer plugins enable tv-bad-drug' "
                       "enables it again\\)"):
        LIBRARY["fine_drug"].apply(preset.model, ensemble, {"fall": 20.0})
    assert not {"raise_drug", "fine_drug"} & set(available())
    # a new session (the disabling remembered): asked for by name
    for name in ("raise_drug", "fine_drug"):
        LIBRARY.pop(name, None)
    reg2 = plugin_registry(folder, entry_points=[], approve=False)
    assert reg2.plugins["tv-bad-drug"].status == DISABLED
    with pytest.raises(InterventionError, match="intervention 'raise_drug' is not available: "
                       "plugin 'tv-bad-drug' is disabled because its intervention 'raise_drug'"
                       ".*boom from raise_drug"):
        get_intervention("raise_drug")
    reg2.disable("tv-bad-drug")  # the user's own reason does not name the plugin
    with pytest.raises(InterventionError, match="intervention 'fine_drug' is not available: plugin "
                       "'tv-bad-drug' is disabled because you disabled it"):
        get_intervention("fine_drug")
    other = _folder(tmp_path / "new", "tv-new-drug", CODE, _manifest("fine").replace(
        "tv_bad_drug", "tv_new_drug"))
    plugin_registry(other, entry_points=[], approve=False)
    with pytest.raises(InterventionError, match="intervention 'fine_drug' is not available: "
                       "plugin 'tv-new-drug' is new: approve it to enable it"):
        get_intervention("fine_drug")
    with pytest.raises(InterventionError, match="unknown intervention 'nobody_drug'"):
        get_intervention("nobody_drug")


def test_whatif_with_a_nan_plugin_intervention_names_it_and_exits_2(plugin_registry,
                                                                     tmp_path, capsys):
    from twinviewer import cli

    reg = plugin_registry(_folder(tmp_path, "tv-bad-drug", CODE, _manifest("nan")),
                          entry_points=[])
    rc = cli.main(["whatif", "--preset", "healthy", "--members", "8", "-i", "nan_drug"])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "plugin 'tv-bad-drug': intervention 'nan_drug'" in err
    assert "SYS.R_AR" in err and "milder" not in err
    assert reg.plugins["tv-bad-drug"].status == DISABLED


def test_an_enabled_plugins_interventions_are_listed_beside_the_builtins(plugin_registry,
                                                                         tmp_path, capsys):
    """review12 #3: a plugin intervention joined the library only when looked up by name, so
    every list built from the library (the What-if step's, `whatif --list`) missed it."""
    from twinviewer import cli
    from twinviewer.interventions.library import CORE_INTERVENTIONS, available

    plugin_registry(_folder(tmp_path, "tv-bad-drug", CODE, _manifest("fine")))
    names = list(available())
    assert names[:len(CORE_INTERVENTIONS)] == [n for n in names if n in CORE_INTERVENTIONS]
    assert "fine_drug" in names
    assert "ivabradine" in names  # the bundled example plugin, installed and approved
    assert cli.main(["whatif", "--list"]) == 0
    out = capsys.readouterr().out
    assert "fine_drug: fine_drug" in out and "ivabradine: " in out


@pytest.mark.parametrize("anyway", [False, True])
def test_plugins_approve_refuses_what_plugins_check_rejects(plugin_registry, tmp_path,
                                                            monkeypatch, capsys, anyway):
    """review12 #11: `plugins approve` approved a plugin that `plugins check` rejects, without
    a word. It now runs the same checks first: refused (exit 1) with the problems, unless
    ``--anyway``, which approves it with a warning."""
    import importlib.metadata as md
    import textwrap

    from tests.plugins.helpers import installed
    from twinviewer import cli
    from twinviewer.plugins.registry import ENABLED, NEEDS_APPROVAL

    site = tmp_path / "site"
    installed(site, "tv-nan-inst", "tv_nan_inst", 'name = "tv-nan-inst"\nversion = "0.1"\n'
              'api_version = 1\n' + _manifest("nan").replace("tv_bad_drug:", "tv_nan_inst.d:"))
    (site / "tv_nan_inst" / "d.py").write_text(textwrap.dedent(CODE))
    monkeypatch.syspath_prepend(str(site))
    eps = [ep for ep in md.entry_points(group="twinviewer.plugins")
           if str(ep.dist.locate_file("")).startswith(str(site))]
    reg = plugin_registry(entry_points=eps, approve=False)
    assert reg.plugins["tv-nan-inst"].status == NEEDS_APPROVAL
    rc = cli.main(["plugins", "approve", "tv-nan-inst", *(["--anyway"] if anyway else [])])
    err = capsys.readouterr().err
    assert "PROBLEM: plugin 'tv-nan-inst': intervention 'nan_drug'" in err
    assert "not finite" in err
    if anyway:
        assert rc == 0, err
        assert "fails its checks (above) and is approved regardless" in err
        assert reg.plugins["tv-nan-inst"].status == ENABLED
    else:
        assert rc == 1, err
        assert "fails its checks" in err and "not approved" in err and "--anyway" in err
        assert reg.plugins["tv-nan-inst"].status == NEEDS_APPROVAL
        assert reg.store.approved("tv-nan-inst") is None
    for mod in ("tv_nan_inst", "tv_nan_inst.d"):
        sys.modules.pop(mod, None)


def test_plugins_check_names_the_interventions_budget_of_the_app(tmp_path, monkeypatch):
    """review14 #8: the check said "did not finish within 30 s" where the app allows 10 s."""
    from twinviewer.plugins.cli import check_folder

    monkeypatch.setenv("TWINVIEWER_PLUGIN_BUDGETS", "interventions=1")
    code = CODE + """
    def _spin(ctx, P, s):
        while True: pass

    SPIN = mk("spin_drug", _spin)
    """
    manifest = '[[contributions.interventions]]\nname = "spin_drug"\nref = "tv_spin:SPIN"\n'
    out = check_folder(_folder(tmp_path, "tv-spin", code, manifest))
    assert out["problems"] == [
        "plugin 'tv-spin': intervention 'spin_drug' (tv_spin:SPIN): its transform on "
        "a healthy twin with its default settings did not finish within 1 s (the "
        "interventions' time budget, as in the app)"]
