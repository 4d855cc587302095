"""review11 #2: a plugin intervention whose transform raises crashed `twinviewer whatif` with a
traceback and stayed enabled; `twinviewer plugins check` passed it (and a NaN one, and a
hanging one) without ever calling the transform."""

from __future__ import annotations

import numpy as np
import pytest

from tests.plugins.helpers import contribution_folder as _folder
from twinviewer.plugins.registry import DISABLED

CODE = """
    import numpy as np

    from twinviewer.interventions.intervention import Intervention, Setting

    def _raise(ctx, P, s):
        raise RuntimeError("boom from raise_drug")

    def _nan(ctx, P, s):
        P[:, ctx.col("SYS.R_AR")] = np.nan
        return P

    def _fine(ctx, P, s):
        P[:, ctx.col("SYS.R_AR")] *= 1 - s["fall"] / 100
        return P

    def mk(name, fn):
        return Intervention(name=name, title=name, settings=(
            Setting("fall", "%", 20.0, (0.0, 50.0), "x (UNSOURCED)", label="Fall"),),
            description="test", evidence=(), assumptions=("test",), transform=fn,
            parameters=("SYS.R_AR",), main_setting="fall")

    RAISE, NAN, FINE = mk("raise_drug", _raise), mk("nan_drug", _nan), mk("fine_drug", _fine)
    """


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
