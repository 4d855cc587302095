"""What-ifs on a plug-in model (review16 #2): ``whatif --preset`` takes a plug-in's preset as
``simulate`` does; the regulated response is refused with the real reason (no right
ventricle for the reflex), the acute one runs and says which default metrics the model does
not provide."""

from __future__ import annotations

import pytest

from twinviewer.interventions.cli import run_whatif

pytest.importorskip("tv_single_ventricle")


def test_whatif_on_a_plugin_preset(plugin_registry, capsys):
    plugin_registry()
    argv = ["--preset", "teaching_single_ventricle", "--members", "8", "-i", "vasodilator"]
    assert run_whatif(argv) == 2
    err = capsys.readouterr().err
    assert "unknown preset" not in err and "no parameter 'LV.EA'" not in err
    assert "right ventricular contractility (RV.EA)" in err and "acute" in err

    assert run_whatif([*argv, "--regulation", "acute"]) == 0
    out = capsys.readouterr().out
    assert "Arterial vasodilator [acute, unregulated]" in out
    assert "Mean arterial pressure (mmHg)  baseline" in out
    assert "Not provided by this model (6): LVEDP, LAP," in out

    assert run_whatif([*argv, "--regulation", "acute", "--metrics", "CO,LVEDP"]) == 2
    assert "does not provide LVEDP" in capsys.readouterr().err


def test_an_unknown_preset_still_names_the_choices(plugin_registry, capsys):
    plugin_registry()
    assert run_whatif(["--preset", "no_such_heart", "-i", "vasodilator"]) == 2
    err = capsys.readouterr().err
    assert "unknown preset 'no_such_heart'" in err and "teaching_single_ventricle" in err


def test_whatif_on_a_twin_file_of_a_plugin_model(plugin_registry, capsys, tmp_path):
    """final16 #6: ``whatif PATIENT.twin`` on a twin of a plug-in model failed "unknown
    metric 'LVEDP'" after simulating (fix16e fixed only ``--preset``)."""
    from twinviewer.cli import main
    from twinviewer.io.twinfile import load_twin, save_twin
    from twinviewer.twins import twin_from_preset

    plugin_registry()
    path = tmp_path / "sv.twin"
    save_twin(path, twin_from_preset("teaching_single_ventricle", n=8, seed=1))
    argv = ["whatif", str(path), "-i", "vasodilator", "--regulation", "acute"]
    assert main(argv) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "Arterial vasodilator [acute, unregulated]" in out
    assert "Not provided by this model (6): LVEDP, LAP," in out
    assert len(load_twin(path).twin.scenarios) == 1

    assert main([*argv, "--metrics", "CO,LVEDP"]) == 2
    err = capsys.readouterr().err
    assert "does not provide LVEDP" in err and "it provides: HR" in err
