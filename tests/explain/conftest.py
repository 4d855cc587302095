import pytest

from twinviewer.physiology import get_preset, simulate


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Validation results are cached per test, never in the user's cache."""
    monkeypatch.setenv("TWINVIEWER_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def regazzoni():
    """(model, base vector, periodic state of the base) of the Regazzoni 2022 loop."""
    preset = get_preset("regazzoni2022")
    base = preset.vector()
    res = simulate(preset.model, base)
    return preset.model, base, res.final_state[0]
