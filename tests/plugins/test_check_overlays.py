"""review15 #7: `twinviewer plugins check` and `approve` passed an overlay that returns NaN:
they looked only at its declaration. The check now colours the test spheres with it
(:func:`twinviewer.testing.check_overlay`) in a worker process within the overlays' time
budget, and names what it found; and an overlay's values that are not numbers (strings,
objects) are refused in words, as its NaN and wrong shape are."""

from __future__ import annotations

import numpy as np
import pytest

from tests.plugins.helpers import contribution_folder
from twinviewer.plugins.outputs import Overlay, OverlayContext, overlay_values

CODE = """
    import time

    import numpy as np

    from twinviewer.plugins.outputs import Overlay

    def _nan(ctx):
        v = np.ones(len(ctx.points))
        v[::7] = np.nan
        return v

    def _sleep(ctx):
        time.sleep(30)  # finite: a guard that failed fails the test, it does not hang it
        return np.ones(len(ctx.points))

    def _raise(ctx):
        raise RuntimeError("boom from the overlay")

    FINE = Overlay("Height", "mm", lambda ctx: ctx.points[:, 2])
    NAN = Overlay("NaN overlay", "mm", _nan)
    SLEEP = Overlay("Slow overlay", "mm", _sleep)
    RAISE = Overlay("Raising overlay", "mm", _raise)
    STRINGS = Overlay("Text overlay", "mm", lambda ctx: ctx.points[:, 2].astype(str))
    """


def _folder(tmp_path, *names: str):
    tables = "".join(f'\n[[contributions.overlays]]\nname = "{n}_overlay"\n'
                     f'ref = "tv_overlays:{n.upper()}"\n' for n in names)
    return contribution_folder(tmp_path, "tv-overlays", CODE, tables)


def test_plugins_check_colours_the_test_spheres_with_each_overlay(tmp_path):
    from twinviewer.plugins.cli import check_folder

    out = check_folder(_folder(tmp_path, "fine", "nan", "raise", "strings"))
    assert not out["ok"]
    assert out["contributions"] == ["overlay fine_overlay: ok"], out
    nan = [p for p in out["problems"] if "'nan_overlay'" in p]
    assert nan[0] == ("plugin 'tv-overlays': overlay 'nan_overlay' (tv_overlays:NAN): on "
                      "lv_blood (162 points, at 0 of the beat): ValueError: overlay 'NaN "
                      "overlay' returned 24 NaN or infinite value(s) on lv_blood"), nan
    assert any("on aorta (54 points, at 0.6 of the beat)" in p for p in nan), nan
    assert any("'raise_overlay'" in p and "RuntimeError: boom from the overlay" in p
               for p in out["problems"]), out
    assert any("'strings_overlay'" in p and "of dtype <U32 for lv_blood; expected (162,) "
               "numbers" in p for p in out["problems"]), out


def test_plugins_check_stops_an_overlay_past_its_budget(tmp_path, monkeypatch):
    from twinviewer.plugins.cli import check_folder

    monkeypatch.setenv("TWINVIEWER_PLUGIN_BUDGETS", "overlays=1")
    out = check_folder(_folder(tmp_path, "sleep"))
    assert out["problems"] == [
        "plugin 'tv-overlays': overlay 'sleep_overlay' (tv_overlays:SLEEP): its values on 3 "
        "test spheres did not finish within 1 s (the overlays' time budget, as in the app)"]


def test_plugins_check_command_fails_a_nan_overlay(tmp_path, capsys):
    """The reviewer's command: `twinviewer plugins check plug/bad-overlay` said "passes"."""
    from twinviewer import cli

    rc = cli.main(["plugins", "check", str(_folder(tmp_path, "nan"))])
    out = capsys.readouterr()
    assert rc == 1, out
    assert "PROBLEM: plugin 'tv-overlays': overlay 'nan_overlay'" in out.out
    assert "NaN or infinite value(s) on lv_blood" in out.out
    assert "tv-overlays: fails its checks" in out.out and "passes" not in out.out


@pytest.mark.parametrize("values, problem", [
    (lambda c: c.points[:, 2].astype(str), "returned ndarray of dtype <U32 for lv_blood; "
                                           "expected (5,) numbers"),
    (lambda c: c.points[:, 2].astype(object), "returned ndarray of dtype object"),
    (lambda c: [1.0, [2.0]], "returned a list that is not an array of numbers"),
])
def test_overlay_values_that_are_not_numbers_are_refused_in_words(values, problem):
    ctx = OverlayContext("lv_blood", np.zeros((5, 3)))
    with pytest.raises(ValueError, match="overlay 'Height' ") as err:
        overlay_values(Overlay("Height", "mm", values), ctx)
    assert problem in str(err.value)


def test_overlay_values_may_be_a_list_or_a_mask():
    ctx = OverlayContext("lv_blood", np.arange(15.0).reshape(5, 3))
    as_list = overlay_values(Overlay("Height", "mm", lambda c: c.points[:, 2].tolist()), ctx)
    assert as_list.dtype == float and as_list.tolist() == [2.0, 5.0, 8.0, 11.0, 14.0]
    mask = overlay_values(Overlay("Scar", "1", lambda c: c.points[:, 2] > 6), ctx)
    assert mask.tolist() == [0.0, 0.0, 1.0, 1.0, 1.0]
