"""review15 #4: a plugin intervention whose transform returned None (it forgot `return P`), a
matrix of the wrong shape, or strings/objects reached the user as NumPy's words ("ufunc
'isfinite' not supported …", "operands could not be broadcast …") in `twinviewer whatif` and the
What-if step, did not name the plugin and left it enabled (docs/plugins.md §8). Its result is
now judged like a raise or a NaN: named, and the plugin disabled. A nested list of numbers of
the right shape is accepted (converted to floats), as the docs say."""

from __future__ import annotations

import numpy as np
import pytest

from tests.plugins.helpers import contribution_folder
from twinviewer.plugins.registry import DISABLED, ENABLED, PluginError

#: Plug-in drugs that each lower SYS.R_AR by 20 % but hand back the wrong thing.
CODE = """
    import numpy as np

    from twinviewer.interventions.intervention import Intervention, Setting

    def _lower(ctx, P):
        P[:, ctx.col("SYS.R_AR")] *= 0.8
        return P

    def _none(ctx, P, s):
        P[:, ctx.col("SYS.R_AR")] *= 0.8  # forgot to return P

    def _shape(ctx, P, s):
        return _lower(ctx, P)[:, :3]

    def _object(ctx, P, s):
        return _lower(ctx, P).astype(object)

    def _strings(ctx, P, s):
        return _lower(ctx, P).astype(str)

    def _ragged(ctx, P, s):
        return [list(row) for row in _lower(ctx, P)[:-1]] + [[1.0]]

    def _list(ctx, P, s):
        return _lower(ctx, P).tolist()

    def mk(name, fn):
        return Intervention(name=name, title=name, settings=(
            Setting("fall", "%", 20.0, (0.0, 50.0), "x (UNSOURCED)", label="Fall"),),
            description="test", evidence=(), assumptions=("test",), transform=fn,
            parameters=("SYS.R_AR",), main_setting="fall")

    NONE, SHAPE, OBJECT, STRINGS, RAGGED, LIST = (
        mk("none_drug", _none), mk("shape_drug", _shape), mk("object_drug", _object),
        mk("strings_drug", _strings), mk("ragged_drug", _ragged), mk("list_drug", _list))
    """

#: What each bad result is called (the ensemble has 4 members of the 53 parameters).
BAD = {
    "none": "returned None (expected the (N, P) parameter matrix, here (4, 53): did it "
            "`return P`?)",
    "shape": "returned shape (4, 3) (expected the (N, P) parameter matrix, here (4, 53))",
    "object": "returned an array of Python objects (dtype object) (expected the (N, P) "
              "parameter matrix of numbers, here (4, 53))",
    "strings": "returned an array of strings (dtype <U32) (expected the (N, P) parameter "
               "matrix of numbers, here (4, 53))",
    "ragged": "returned a list that is not a matrix of numbers",
}


def _folder(tmp_path, *names: str):
    tables = "".join(f'\n[[contributions.interventions]]\nname = "{n}_drug"\n'
                     f'ref = "tv_bad_result:{n.upper()}"\n' for n in names)
    return contribution_folder(tmp_path, "tv-bad-result", CODE, tables)


def _healthy(n: int = 4):
    from twinviewer.physiology.presets import PRESETS

    preset = PRESETS["healthy"]
    return preset.model, np.tile(preset.vector(), (n, 1))


@pytest.mark.parametrize("kind", list(BAD))
def test_a_transform_that_returns_no_parameter_matrix_names_and_disables_its_plugin(
        plugin_registry, tmp_path, kind):
    from twinviewer.interventions.intervention import InterventionError
    from twinviewer.interventions.library import get_intervention

    reg = plugin_registry(_folder(tmp_path, kind), entry_points=[])
    model, ensemble = _healthy()
    with pytest.raises(InterventionError) as err:
        get_intervention(f"{kind}_drug").apply(model, ensemble, {"fall": 20.0})
    msg = str(err.value)
    assert msg.startswith(f"plugin 'tv-bad-result': intervention '{kind}_drug' "
                          f"(tv_bad_result:{kind.upper()}), its transform {BAD[kind]}"), msg
    assert msg.endswith("; plugin 'tv-bad-result' is disabled"), msg
    for numpy_words in ("ufunc", "broadcast", "could not convert", "milder"):
        assert numpy_words not in msg
    assert reg.plugins["tv-bad-result"].status == DISABLED
    assert BAD[kind] in reg.store.disabled("tv-bad-result")


def test_a_nested_list_of_numbers_of_the_right_shape_is_accepted(plugin_registry, tmp_path):
    from twinviewer.interventions.library import get_intervention

    reg = plugin_registry(_folder(tmp_path, "list"), entry_points=[])
    model, ensemble = _healthy()
    out = get_intervention("list_drug").apply(model, ensemble, {"fall": 20.0})
    assert isinstance(out, np.ndarray) and out.dtype == float and out.shape == ensemble.shape
    j = model.index("SYS.R_AR")
    np.testing.assert_allclose(out[:, j], 0.8 * ensemble[:, j])
    assert reg.plugins["tv-bad-result"].status == ENABLED


def test_a_core_interventions_bad_result_is_refused_in_words():
    """The check is Intervention.apply's own, so it holds outside the plugin guard too."""
    from twinviewer.interventions.intervention import Intervention, InterventionError

    iv = Intervention(name="core_none", title="x", settings=(), description="x",
                      evidence=(), assumptions=("x",), transform=lambda ctx, P, s: None,
                      parameters=())
    model, ensemble = _healthy()
    with pytest.raises(InterventionError, match=r"^core_none: its transform returned None "
                       r"\(expected the \(N, P\) parameter matrix, here \(4, 53\): did it "
                       r"`return P`\?\)$"):
        iv.apply(model, ensemble)


def test_whatif_names_the_plugin_that_forgot_return_p(plugin_registry, tmp_path, capsys):
    """The reviewer's command: `whatif -s forgot_return` printed NumPy's "ufunc 'isfinite'"."""
    from twinviewer import cli

    reg = plugin_registry(_folder(tmp_path, "none", "shape"), entry_points=[])
    rc = cli.main(["whatif", "--preset", "healthy", "--members", "8", "-i", "none_drug"])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Traceback" not in err and "ufunc" not in err
    assert ("plugin 'tv-bad-result': intervention 'none_drug' (tv_bad_result:NONE), its "
            "transform returned None (expected the (N, P) parameter matrix, here (8, 53): did "
            "it `return P`?); plugin 'tv-bad-result' is disabled") in err
    assert reg.plugins["tv-bad-result"].status == DISABLED


def test_plugins_check_judges_the_result_as_the_app_does(tmp_path):
    from twinviewer.plugins.cli import check_folder

    out = check_folder(_folder(tmp_path, "list", "none", "strings"))
    assert out["contributions"] == ["intervention list_drug: ok"], out
    none, strings = out["problems"]
    what = "its transform on a healthy twin with its default settings "
    assert none.startswith("plugin 'tv-bad-result': intervention 'none_drug'"), none
    assert what + BAD["none"].replace("(4, 53)", "(8, 53)") in none
    assert what + BAD["strings"].replace("(4, 53)", "(8, 53)") in strings


@pytest.mark.parametrize("n, returns, got", [(1, "None", "NoneType"),
                                             (2, "'  '", "an empty text"),
                                             (3, "['a']", "list")])
def test_an_explainer_that_returns_no_paragraph_names_and_disables_its_plugin(
        plugin_registry, tmp_path, n, returns, got):
    """An explainer's None was shown as "not available (returned NoneType …)" without its
    plugin's name, and the plugin stayed enabled (docs/plugins.md §7)."""
    folder = contribution_folder(tmp_path, f"tv-mute{n}", f"""
        def explain(twin, metric, results):
            return {returns}
        """, f"""
        [[contributions.explainers]]
        name = "mute{n}"
        ref = "tv_mute{n}:explain"
        """)
    reg = plugin_registry(folder, entry_points=[])
    with pytest.raises(PluginError, match=f"^plugin 'tv-mute{n}': explainer 'mute{n}' "
                       rf"\(tv_mute{n}:explain\) returned {got}, not a paragraph of text; "
                       f"plugin 'tv-mute{n}' is disabled$"):
        reg.explainers()[f"mute{n}"](None, "MAP", None)
    assert reg.plugins[f"tv-mute{n}"].status == DISABLED
