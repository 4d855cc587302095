"""What a user reads at 1280×720 is whole (review9b #5–#7): no step page scrolls sideways
with the longest prior name, table headers are not cut, no code names in Explain."""

from __future__ import annotations

import pytest

from tests.gui.conftest import window_at_1280
from twinviewer.personalize.disease import DISEASE_PRIORS, prior_title


@pytest.fixture(scope="module")
def hfref_window(qapp, tmp_path_factory):
    """One main window at 1280×720 on an HFrEF twin (its auto prior: the longest name)."""
    yield from window_at_1280(qapp, tmp_path_factory, "hfref", "virtual-hfref")


def _longest_prior() -> str:
    return max((prior_title(p) for p in DISEASE_PRIORS), key=len)


def test_no_step_page_scrolls_sideways_with_the_longest_prior_name(hfref_window, qtbot):
    """review9b #6: the Calibrate page scrolled 46 px sideways at 1280×720 when the prior
    box named the HFrEF prior; the name is elided in the box and whole in its tooltip."""
    w = hfref_window
    w.show_step("Calibrate")
    panel = w.panels["Calibration"]
    box = panel.prior
    assert _longest_prior() in box.itemText(0)  # the auto entry names the HFrEF prior
    for index in (0, box.findText(_longest_prior())):
        box.setCurrentIndex(index)
        assert box.currentText() in box.toolTip()
        for step in w.steps:
            w.show_step(step)
            page = w.step_pages[step]
            qtbot.waitUntil(lambda p=page: p.widget() is not None and p.widget().isVisible())
            qtbot.wait(20)
            bar = page.horizontalScrollBar()
            assert bar.maximum() == 0 and not bar.isVisible(), \
                (step, box.currentText(), page.widget().minimumSizeHint().width(),
                 page.viewport().width())


def test_the_fit_table_header_shows_its_wrapped_titles(hfref_window, qtbot):
    """"Measured ± 1 SD (source)" wrapped onto three lines in a two-line header (cut)."""
    from twinviewer.gui.table_fit import header_height_needed

    w = hfref_window
    w.show_step("Calibrate")
    table = w.panels["Calibration"].fit_table
    qtbot.waitUntil(table.isVisible)
    qtbot.wait(50)
    assert table.horizontalHeader().height() >= header_height_needed(table)
    assert table.horizontalScrollBar().maximum() == 0


def test_whatif_empty_hint_is_whole(hfref_window, qtbot):
    """The hint of the empty results table was its one-line header, cut at 1280×720
    ("…enarios on the ensemble to compare them with the ba…"); it is a wrapped line that
    gets the height its width needs, inside the panel."""
    from PySide6.QtCore import QRect

    from twinviewer.gui.scenario_panel import EMPTY_HINT

    w = hfref_window
    w.show_step("What-if")
    panel = w.panels["What-if scenarios"]
    panel.tabs.setCurrentIndex(0)
    qtbot.waitUntil(lambda: panel.empty_hint.isVisible())
    qtbot.wait(30)
    hint = panel.empty_hint
    assert hint.text() == EMPTY_HINT and hint.wordWrap()
    assert hint.height() >= hint.heightForWidth(hint.width()), \
        (hint.height(), hint.heightForWidth(hint.width()))
    shown = QRect(hint.mapTo(panel, hint.rect().topLeft()), hint.size())
    assert panel.rect().contains(shown)
    assert hint.visibleRegion().boundingRect().size() == hint.size()
    assert not panel.notes_box.isVisible()  # the results' footnote waits for results
    header = panel.result_table.horizontalHeader()
    assert header.fontMetrics().horizontalAdvance(
        panel.result_table.horizontalHeaderItem(0).text()) <= header.width()
    # the intervention box elides a long name and says it whole in its tooltip
    box = panel.intervention_box
    assert box.toolTip() == box.currentText()


def test_explain_tabs_and_bar_labels_are_whole(hfref_window, qtbot):
    """At 1280×720 the fourth tab's title was behind scroll arrows ("When not to") and the
    longest bar labels ran past the plot's edge; short titles (the question in the tooltip),
    labels elided to the plot's width (whole in their tooltip)."""
    import pyqtgraph as pg

    w = hfref_window
    w.show_step("Explain")
    panel = w.panels["Explain"]
    qtbot.waitUntil(lambda: panel.explanation is not None, timeout=120_000)
    qtbot.wait(100)
    bar = panel.tabs.tabBar()
    right = max(bar.tabRect(i).right() for i in range(bar.count()))
    assert right <= bar.width(), (right, bar.width())
    assert panel.tabs.tabToolTip(2) == "When not to trust it"
    plot = panel.elastic_plot.getPlotItem()
    labels = [i for i in plot.items if isinstance(i, pg.TextItem)]
    assert labels
    room = plot.vb.width()
    for label in labels:
        assert label.textItem.boundingRect().width() <= room + 2, label.toolTip()
        plain = label.textItem.toPlainText()  # the name elided, its state tag kept whole
        name = plain.split("… [")[0] if "… [" in plain else plain.rstrip("…")
        assert label.toolTip().startswith(name)
