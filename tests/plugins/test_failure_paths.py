"""A plugin's own exception text may carry file paths (a study folder named after the patient,
the user's home); what is stored with its disabled state, and shown, has them replaced."""

from __future__ import annotations

import pytest

from tests.plugins.helpers import contribution_folder as _folder
from twinviewer.core.privacy import PATH_MARK
from twinviewer.plugins.registry import DISABLED, PluginError

READER = """
    def read(path):
        raise FileNotFoundError(2, "No such file or directory", str(path) + "/series 1")
    """
BROKEN_IMPORT = """
    raise RuntimeError("cannot open /home/ann/Doe_John/settings.ini nor ~/tv.cfg")
    """


def test_a_readers_exception_stores_and_shows_no_path(plugin_registry, tmp_path):
    folder = _folder(tmp_path, "tv-pathy-reader", READER, """
        [[contributions.readers]]
        name = "pathy"
        ref = "tv_pathy_reader:read"
        suffixes = [".pathy"]
        """)
    reg = plugin_registry(folder, entry_points=[])
    study = tmp_path / "Doe John 1957-03-02"
    with pytest.raises(PluginError) as err:
        reg.label_readers()[".pathy"](study / "heart.pathy")
    for text in (str(err.value), reg.store.disabled("tv-pathy-reader"),
                 reg.plugins["tv-pathy-reader"].message):
        assert "Doe John" not in text and str(tmp_path) not in text, text
        assert PATH_MARK in text and "FileNotFoundError" in text
    assert reg.plugins["tv-pathy-reader"].status == DISABLED


def test_an_import_failure_stores_no_path(plugin_registry, tmp_path):
    folder = _folder(tmp_path, "tv-pathy-import", BROKEN_IMPORT, """
        [[contributions.explainers]]
        name = "pathy"
        ref = "tv_pathy_import:explain"
        """)
    reg = plugin_registry(folder, entry_points=[])
    with pytest.raises(PluginError) as err:
        reg.load("explainers", "pathy")
    stored = reg.store.disabled("tv-pathy-import")
    for text in (str(err.value), stored):
        assert "Doe_John" not in text and "~/tv.cfg" not in text and "/home/ann" not in text
        assert f"cannot open {PATH_MARK} nor {PATH_MARK}" in text
