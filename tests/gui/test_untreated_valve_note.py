"""Adding a valve replacement to a twin whose native aortic valve is neither stenotic nor
more than mildly regurgitant warns (amber) and adds the scenario; M-TEER on a valve without
MR is still refused (red). review14b #5."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from twinviewer.gui.scenario_panel import NOTE_COLOUR  # noqa: E402


def _add(panel, name, **settings) -> bool:
    panel.select_intervention(name)
    for k, v in settings.items():
        panel.set_setting(k, v)
    return panel.add_scenario()


@pytest.mark.parametrize("name, settings", [("tavi_sapien3", {"size": 23.0}),
                                            ("tavi_evolut_r", {}), ("savr_perimount", {}),
                                            ("tavi", {})])
def test_a_prosthesis_in_a_normal_valve_is_added_with_a_note(make_scenario_panel, name, settings):
    state, panel = make_scenario_panel("hfref")
    assert _add(panel, name, **settings)
    assert len(state.session.scenarios) == 1  # warned, not refused
    text = panel.error_label.text()
    assert text.startswith("Note: The native aortic valve is neither stenotic nor more than "
                           "mildly regurgitant (AVA "), text
    assert "mean gradient" in text.split(";")[0]  # graded with the twin's own baseline run
    assert "not refused as the mitral clip is" in text
    assert NOTE_COLOUR in panel.error_label.styleSheet()


def test_the_note_names_the_size_and_its_eoa(make_scenario_panel):
    _state, panel = make_scenario_panel("hfref")
    assert _add(panel, "tavi_sapien3", size=23.0)
    assert ("TAVI with SAPIEN 3 by size 23 mm (EOA 1.45 cm²) is a smaller orifice, so the "
            "aortic gradient rises") in panel.error_label.text()


def test_no_note_where_the_valve_is_stenotic(make_scenario_panel):
    state, panel = make_scenario_panel("severe_as")
    assert _add(panel, "tavi_sapien3", size=23.0)
    assert panel.error_label.text() == ""


def test_the_clip_is_still_refused_in_red(make_scenario_panel):
    state, panel = make_scenario_panel("hfref")
    assert _add(panel, "tavi_sapien3", size=23.0)
    assert not _add(panel, "mitral_teer")
    assert "no regurgitation to repair" in panel.error_label.text()
    assert "#b00020" in panel.error_label.styleSheet()
    assert len(state.session.scenarios) == 1


@pytest.fixture(scope="module")
def hfref_window(qapp, tmp_path_factory):
    from tests.gui.conftest import window_at_1280

    yield from window_at_1280(qapp, tmp_path_factory, "hfref", "virtual-fix15b")


def test_the_note_and_a_refusal_are_in_view_at_1280x720(hfref_window, qtbot):
    """Both were in the editor's scroll area, below its fold at 1280×720 (only the status
    bar's first line showed): now under the actions, with lines enough to read."""
    w = hfref_window
    w.show_step("What-if")
    panel = w.panels["What-if scenarios"]
    for name, ok in (("tavi_sapien3", True), ("mitral_teer", False)):
        assert _add(panel, name) is ok
        qtbot.wait(50)
        box = panel.message_box
        assert box.isVisible() and not panel.editor_scroll.isAncestorOf(box)
        top = box.mapTo(w, box.rect().topLeft()).y()
        assert 0 < top and top + box.height() <= w.height()
        lines = panel.error_label.fontMetrics().lineSpacing()
        assert box.height() >= 4 * lines, (name, box.height())
    panel.select_intervention("beta_blocker")  # another choice clears it
    assert not panel.message_box.isVisible()
