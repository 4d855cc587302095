"""A virtual heart opened from the Teach step is shown on its own disease anatomy: the demo
heart at once, then the demo heart deformed to the heart's model (issue 17 item 2)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.slow  # builds the hfref anatomy when the cache has none (~8 s CPU)
def test_hfref_from_the_teach_step_shows_its_dilated_lv(make_twin_window, qtbot):
    from tests.gui.conftest import wait_jobs
    from twinviewer.physiology import simulate
    from twinviewer.teaching.hearts import heart
    from twinviewer.teaching.predictions import cached

    h = heart("healthy")  # the healthy virtual heart's LV (the biv-me demo LV is larger)
    healthy_edv = float(simulate(h.model, h.vector()[None, :]).metrics["LVEDV"][0])
    w = make_twin_window(load_demo=True)
    w.show_step("Teach")
    panel = w.panels["Teaching controls"]
    panel.heart_box.setCurrentIndex(panel.heart_box.findData("hfref"))
    wait_jobs(qtbot, w.state)
    panel.open_in_workflow()
    twin = w.state.twin
    assert twin.origin == "preset:hfref" and w.state.results is cached("hfref")
    _nothing_shown_as_measured(w, qtbot)  # the demo heart standing in: not this heart's data
    wait_jobs(qtbot, w.state, timeout=240_000)  # the anatomy, built in a worker
    a = w.state.twin.anatomy
    assert a.pseudonym == "virtual-hfref"
    assert w.state.results is cached("hfref")  # same predictions, not re-simulated
    assert not w.state.session.dirty  # a computed anatomy is not the user's work
    assert w.view3d.anatomy is a  # the 3D view shows it
    ed = max(m.volume_ml() for m in a.structures["lv_blood"].meshes.values())
    lvedv = float(np.median(w.state.results.metrics["LVEDV"]))
    assert ed == pytest.approx(lvedv, rel=0.05)
    assert ed > 1.3 * healthy_edv  # dilated, unlike the healthy heart
    _nothing_shown_as_measured(w, qtbot)  # its meshes hold the model's volumes: predicted


def _nothing_shown_as_measured(w, qtbot) -> None:
    """No measured volume curve (circles) in the Wiggers diagram or the PV loop, and no
    image measurement, under a virtual heart (gui4 / teach4: they showed the deformed
    meshes' volumes, or the demo's, as "measured (segmentation)")."""
    from twinviewer.gui.plots import MEASURED_LABEL

    a = w.state.twin.anatomy
    assert a.predicted and a.measurements == []
    wig, pv = w.panels["Wiggers diagram"], w.panels["PV loops"]
    wig.ensure_built()  # a tab not shown yet
    wig.set_results(w.state.results)  # the panels redraw soon after a twin change: now
    pv.set_results(w.state.results)
    for plot in (wig.p_vol, wig.p_rvol):
        assert MEASURED_LABEL not in [it.name() for it in plot.listDataItems()]
    assert "measured" not in pv.status.text()
