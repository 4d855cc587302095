"""docs/plugins.md, followed step by step: its files written out, checked, tested, run."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def _files(root: Path) -> Path:
    text = DOC.read_text(encoding="utf-8")
    for name, body in re.findall(r"```\w+ file=(\S+)\n(.*?)```", text, flags=re.S):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    (root / "my-heart" / "my_heart" / "__init__.py").write_text("")
    return root / "my-heart"


@pytest.mark.slow
def test_the_tutorial_plugin_passes_check_and_its_own_test(tmp_path, plugin_registry,
                                                            monkeypatch):
    from twinviewer.plugins.cli import check_folder

    project = _files(tmp_path)
    out = check_folder(project)
    assert out["ok"], out["problems"]
    assert out["contributions"] == ["model my_heart: ok", "preset my_heart_rest: ok"]
    monkeypatch.syspath_prepend(str(project))
    import pytest as _pytest

    assert _pytest.main(["-q", "-p", "no:cacheprovider", str(project / "tests")]) == 0
    # and it runs as a twin, in the worker, with the metrics its roles allow
    from twinviewer.twins import simulate_twin, twin_from_preset

    plugin_registry(project)
    r = simulate_twin(twin_from_preset("my_heart_rest", n=6))
    med, lo, hi = r.summary("LVEF")
    assert r.ok.all() and lo <= med <= hi and 30 < med < 80
    assert "LAP" not in r.metrics  # no atrium: not provided, not invented
    sys.modules.pop("my_heart", None)


def test_the_intervention_example_passes_check_and_acts_on_its_role(tmp_path, plugin_registry):
    """docs/plugins.md section 8: the vasodilator lowers whatever plays SYS.R_AR by its
    setting, refuses a setting out of range by its reason, and leaves the input alone."""
    import numpy as np

    from twinviewer.interventions.intervention import InterventionError
    from twinviewer.physiology.presets import PRESETS
    from twinviewer.plugins.cli import check_folder

    _files(tmp_path)
    project = tmp_path / "my-drug"
    (project / "my_drug" / "__init__.py").write_text("")
    out = check_folder(project)
    assert out["ok"], out["problems"]
    assert out["contributions"] == ["intervention my_vasodilator: ok"]
    reg = plugin_registry(project, entry_points=[])
    drug = reg.load("interventions", "my_vasodilator")
    preset = PRESETS["healthy"]
    P = np.tile(preset.vector(), (3, 1))
    before = P.copy()
    col = preset.model.index("SYS.R_AR")
    after = drug.apply(preset.model, P, {"fall": 25.0})
    np.testing.assert_allclose(after[:, col], 0.75 * before[:, col])
    np.testing.assert_array_equal(np.delete(after, col, 1), np.delete(before, col, 1))
    np.testing.assert_array_equal(P, before)
    with pytest.raises(InterventionError, match="above its maximum 50 %: no drug halves it"):
        drug.apply(preset.model, P, {"fall": 60.0})
    sys.modules.pop("my_drug", None)
    sys.modules.pop("my_drug.drug", None)


@pytest.mark.slow
def test_the_guides_whatif_on_my_heart_runs(tmp_path, plugin_registry, capsys):
    """docs/plugins.md section 8 (review16 #2): its `whatif` command on the tutorial's model
    and drug runs, acute; the default (regulated) response is refused with the real reason."""
    from twinviewer.interventions.cli import run_whatif

    _files(tmp_path)
    for name in ("my-heart/my_heart", "my-drug/my_drug"):
        (tmp_path / name / "__init__.py").write_text("")
    plugin_registry(tmp_path / "my-heart", tmp_path / "my-drug", entry_points=[])
    command = re.search(r"twinviewer whatif (--preset my_heart_rest .*)\n",
                        DOC.read_text(encoding="utf-8")).group(1)
    assert run_whatif([*command.split(), "--members", "8"]) == 0
    out = capsys.readouterr().out
    assert "My vasodilator 30 % [acute, unregulated]" in out
    assert "Not provided by this model (6): LVEDP, LAP" in out
    regulated = [a for a in command.split() if a not in ("--regulation", "acute")]
    assert run_whatif([*regulated, "--members", "8"]) == 2
    assert "right ventricular contractility (RV.EA)" in capsys.readouterr().err
    for mod in ("my_heart", "my_heart.model", "my_drug", "my_drug.drug"):
        sys.modules.pop(mod, None)


@pytest.mark.parametrize("project", ["my-heart", "my-drug"])
def test_each_example_ships_a_pyproject_that_installs_its_manifest(tmp_path, project):
    """review12 #11: section 8's my-drug had no pyproject.toml, and both asked for ``wheel``
    (not needed by setuptools 70.1+; offline, one more wheel to find). Each example's entry
    point names its package's manifest, the package ships it, and the build needs only
    setuptools >= 70.1, which builds wheels itself."""
    import tomllib

    _files(tmp_path)
    root = tmp_path / project
    py = tomllib.loads((root / "pyproject.toml").read_text())
    manifest = tomllib.loads(next(root.glob("*/twinviewer.toml")).read_text())
    assert py["build-system"]["requires"] == ["setuptools>=70.1"]
    assert py["project"]["name"] == manifest["name"] == project
    (package,) = py["tool"]["setuptools"]["packages"]
    assert (root / package / "twinviewer.toml").is_file()
    assert py["project"]["entry-points"]["twinviewer.plugins"] == {
        project: f"{package}:twinviewer.toml"}
    assert py["tool"]["setuptools"]["package-data"] == {package: ["twinviewer.toml"]}
    refs = [c["ref"] for kind in manifest["contributions"].values() for c in kind]
    assert all(r.startswith(f"{package}.") for r in refs)
