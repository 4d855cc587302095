"""The plot tabs not on show at start (the RV loop, the Wiggers diagram) are built when first
shown, and then show exactly what a panel built at once shows: the same items, names, data,
titles and texts (issue 15 item 4)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest

pytest.importorskip("pytestqt")

from tests.personalize.test_curve_calibration import _anatomy_from  # noqa: E402
from twinviewer.gui import cycle  # noqa: E402
from twinviewer.gui.plots import PVLoopPanel, WiggersPanel  # noqa: E402
from twinviewer.gui.plots_column import PlotsColumn  # noqa: E402
from twinviewer.gui.state import TwinState  # noqa: E402
from twinviewer.twins import simulate_twin, twin_from_preset  # noqa: E402


@pytest.fixture(scope="module")
def twin_and_results():
    twin = twin_from_preset("healthy", n=16)
    res = simulate_twin(twin)
    # measured LV and RV volumes: the measured items are drawn too
    anatomy = _anatomy_from(res, 0, np.random.default_rng(1))[0]
    return twin_from_preset("healthy", n=16, anatomy=anatomy), res


def _state(twin, res) -> TwinState:
    st = TwinState()
    st.session.set_twin(twin)
    st.session.set_results(res)
    return st


def _data(it) -> list:
    """What an item shows, as arrays and values (its class decides which)."""
    if isinstance(it, pg.FillBetweenItem):
        return [a for c in it.curves for a in c.getData()]
    if isinstance(it, pg.ErrorBarItem):
        return [it.opts[k] for k in ("x", "y", "top", "bottom")]
    if isinstance(it, pg.InfiniteLine):
        return [it.value()]
    if isinstance(it, pg.LinearRegionItem):
        return list(it.getRegion())
    if hasattr(it, "getData"):
        return [a for a in it.getData() if a is not None]
    return []


def _shown(plot: pg.PlotItem) -> list[tuple]:
    """``(class, name, z, data)`` of each item of ``plot``, in the plot's order."""
    return [(type(it).__name__, it.name() if hasattr(it, "name") else None, it.zValue(),
             _data(it)) for it in plot.items]


def _assert_same(lazy: pg.PlotItem, eager: pg.PlotItem) -> None:
    a, b = _shown(lazy), _shown(eager)
    assert len(a) == len(b) >= 2  # the ECG row: its trace and the cursor
    for (ka, na, za, da), (kb, nb, zb, db) in zip(a, b, strict=True):
        assert (ka, na, za) == (kb, nb, zb)
        assert len(da) == len(db)
        for x, y in zip(da, db, strict=True):
            np.testing.assert_array_equal(np.asarray(x, float), np.asarray(y, float))
    assert lazy.titleLabel.text == eager.titleLabel.text
    assert lazy.isVisible() == eager.isVisible()


def test_hidden_tabs_are_built_when_first_shown_and_show_what_an_eager_panel_shows(
        qtbot, twin_and_results):
    twin, res = twin_and_results
    eager_state = _state(twin, res)
    pv_e, wig_e = PVLoopPanel(eager_state), WiggersPanel(eager_state)
    for panel in (pv_e, wig_e):
        qtbot.addWidget(panel)
        panel.ensure_built()

    st = TwinState()  # the window's order: the panels first, the twin and results later
    col = PlotsColumn()
    qtbot.addWidget(col)
    pv, wig = PVLoopPanel(st), WiggersPanel(st)
    col.add(pv, pv.title)
    col.add(wig, wig.title)
    col.resize(380, 640)  # short: tabs, the PV loops' on show
    col.show()
    qtbot.waitExposed(col)
    st.session.set_twin(twin)
    st.session.set_results(res)
    st.session.set_time(0.3)
    eager_state.session.set_time(0.3)
    qtbot.waitUntil(lambda: pv.markers.get("LV") is not None)
    qtbot.wait(20)
    # nothing of the hidden tabs is built, and their texts are those of the eager panel
    assert list(pv.plots) == ["LV"] and not wig.built and not wig.cursors
    assert pv.status.text() == pv_e.status.text()
    assert pv.status.toolTip() == pv_e.status.toolTip()  # the RV's measured text included
    _assert_same(pv.plots["LV"], pv_e.plots["LV"])

    pv.tabs.setCurrentIndex(1)  # the RV loop's tab
    qtbot.wait(20)
    assert list(pv.plots) == ["LV", "RV"]
    for side in ("LV", "RV"):
        _assert_same(pv.plots[side], pv_e.plots[side])
    np.testing.assert_array_equal(pv.markers["RV"].getData(), pv_e.markers["RV"].getData())

    col.show_panel(wig)  # the Wiggers diagram's tab
    qtbot.waitUntil(lambda: wig.built and wig.glw.isVisible())
    for name in ("p_ecg", "p_press", "p_vol", "p_rvol", "p_flow"):
        _assert_same(getattr(wig, name), getattr(wig_e, name))
    assert wig.key.text() == wig_e.key.text() and wig.key.toolTip() == wig_e.key.toolTip()
    assert [c.value() for c in wig.cursors] == pytest.approx(
        [c.value() for c in wig_e.cursors])
    assert wig.period == wig_e.period


def test_a_tall_column_builds_both_panels_at_once(qtbot, twin_and_results):
    """Stacked (a tall column), both panels are on show: the Wiggers diagram is built."""
    st = _state(*twin_and_results)
    col = PlotsColumn()
    qtbot.addWidget(col)
    wig = WiggersPanel(st)
    col.add(PVLoopPanel(st), "PV loops")
    col.add(wig, wig.title)
    col.resize(380, 1100)
    col.show()
    qtbot.waitExposed(col)
    assert col.stacked and wig.built and len(wig.cursors) == 5


def test_results_arriving_while_hidden_are_drawn_on_build(qtbot, twin_and_results):
    """A hidden panel keeps the latest results (and period) and draws those when built."""
    twin, res = twin_and_results
    st = TwinState()
    wig = WiggersPanel(st)
    qtbot.addWidget(wig)
    st.session.set_twin(twin)
    st.session.set_results(res)
    qtbot.waitUntil(lambda: wig.results is res and not wig._redraw_pending)
    assert not wig.built and wig.period == cycle.beat_period_s(res) != 1.0
    wig.ensure_built()
    names = [it.name() for it in wig.p_press.listDataItems()]
    assert {"Aortic root", "LV", "LA"} <= set(names)


def _pixels_near(image, rgb, tol: int = 40) -> int:
    """How many pixels of a QImage are within ``tol`` of ``rgb`` in each channel."""
    from PySide6.QtGui import QImage

    img = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h = img.width(), img.height()
    a = np.frombuffer(img.constBits(), np.uint8, count=img.sizeInBytes())
    a = a.reshape(h, img.bytesPerLine())[:, :3 * w].reshape(h, w, 3).astype(int)
    return int((np.abs(a - np.asarray(rgb)).max(axis=2) <= tol).sum())


def test_export_of_the_plots_builds_the_tabs_not_shown(demo_window, tmp_path):
    """The demo window at its default size shows the PV loops' LV tab; exporting the plots
    builds and draws the others first (the curves are in the saved Wiggers image)."""
    from PySide6.QtGui import QImage

    from twinviewer.gui.plots import COLOURS

    w = demo_window
    pv, wig = w.panels["PV loops"], w.panels["Wiggers diagram"]
    assert not w.plots_column.stacked and not wig.built and list(pv.plots) == ["LV"]
    w.export_plots(str(tmp_path / "plots.png"))
    assert wig.built and list(pv.plots) == ["LV", "RV"]
    saved = QImage(str(tmp_path / "plots_wiggers_diagram.png"))
    assert not saved.isNull()
    # the LV pressure and volume curves, far more than the key's colour squares
    key = _pixels_near(wig.key.grab().toImage(), COLOURS["p_LV"])
    assert _pixels_near(saved, COLOURS["p_LV"]) > 5 * max(key, 20)
