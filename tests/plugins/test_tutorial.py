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
