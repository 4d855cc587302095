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
