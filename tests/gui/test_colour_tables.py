"""The 3D view's colour maps as numpy tables: the same bytes pyvista makes from matplotlib."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.gui.colour_tables import TABLES, TableColormap, colour_table, lookup_table
from twinviewer.gui.settings_dialog import COLORMAPS


def test_every_colour_map_the_settings_offer_has_a_table():
    assert set(COLORMAPS) <= set(TABLES)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_table_is_the_lookup_table_pyvista_makes_from_matplotlib(name):
    import matplotlib
    import pyvista as pv

    made = pv.LookupTable()
    made.apply_cmap(matplotlib.colormaps[name], 256)  # matplotlib's own colour map object
    assert np.array_equal(colour_table(name), np.asarray(made.values))
    assert np.array_equal(np.asarray(lookup_table(name).values), np.asarray(made.values))


@pytest.mark.parametrize("name", sorted(TABLES))
def test_table_colormap_gives_matplotlibs_bytes_where_pyvista_samples_it(name):
    import matplotlib

    x = np.concatenate([np.linspace(0.0, 1.0, 256), np.random.default_rng(1).random(500)])
    ours = (TableColormap(name)(x) * 255).astype(np.uint8)
    theirs = (np.asarray(matplotlib.colormaps[name](x)) * 255).astype(np.uint8)
    assert np.array_equal(ours, theirs)
    assert np.array_equal(TableColormap(name)(x, bytes=True), matplotlib.colormaps[name](
        x, bytes=True))


def test_an_unknown_colour_map_is_named_in_the_error():
    with pytest.raises(KeyError, match="'jet': not one of viridis"):
        colour_table("jet")
