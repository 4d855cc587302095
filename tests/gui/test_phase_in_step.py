"""The 3D view, the slices, the long-axis views and the model's time show one image phase at
every time (review9 #17: paused at t = 0 the 3D corner read "image phase 24 ED" while the
slices' Phase box read "0 (0 ms)": the 3D view kept the phase it drew before the
predictions arrived)."""

from __future__ import annotations

import pytest

from twinviewer.gui import cycle


@pytest.fixture()
def window(make_twin_window):
    return make_twin_window(load_demo=True)


def _phases(w) -> dict[str, int]:
    anatomy = w.state.twin.anatomy
    return {"model": cycle.image_phase_at(anatomy, w.state.results, w.state.time),
            "3D": w.view3d.phase, "slices": w.slices.phase,
            "phase box": w.slices.phase_box.currentData(),
            "long axis": w.long_axis.mesh_phase()}


def test_views_agree_on_the_image_phase_at_every_time(window, qtbot):
    w = window
    img = w.state.twin.anatomy.image
    assert img.n_phases > 2 and img.ed_index != 0  # the demo: ED is its last phase
    # paused at t = 0 as loaded, the predictions arriving after the anatomy
    assert w.state.time == 0.0
    at_start = _phases(w)
    assert len(set(at_start.values())) == 1, at_start
    assert at_start["3D"] == 0  # trigger time 0 ms is nearest to the beat's start
    assert f"image phase {at_start['3D']}" in w.view3d.status_text()
    assert "image phase 24" not in w.view3d.status_text()
    es_t = cycle.time_of_phase(w.state.twin.anatomy, w.state.results, img.es_index)
    for f in (es_t / 2, es_t, 0.5, 0.97, 0.999, 0.0):  # mid-systole, ES, diastole, the wrap
        w.state.session.set_time(f)
        qtbot.wait(10)
        seen = _phases(w)
        assert len(set(seen.values())) == 1, (f, seen)
        assert f"image phase {seen['3D']}" in w.view3d.status_text(), (f, seen)
    w.state.session.set_time(es_t)
    assert w.view3d.phase == img.es_index
