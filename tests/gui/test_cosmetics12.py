"""review12b #9: the Pause button drew "⏸" (U+23F8) as a box, which DejaVu and most desktop
fonts lack; every character of the Play/Pause label is in the button's font."""

from __future__ import annotations

from PySide6.QtGui import QFontMetrics

from twinviewer.gui.cine import CineBar
from twinviewer.gui.state import TwinState


def test_play_and_pause_labels_are_drawn_by_the_font(qtbot):
    bar = CineBar(TwinState())
    qtbot.addWidget(bar)
    fm = QFontMetrics(bar.play_button.font())
    for on in (True, False):
        bar.set_playing(on)
        text = bar.play_button.text()
        missing = [c for c in text if not c.isspace() and not fm.inFontUcs4(ord(c))]
        assert not missing, (text, missing)
    bar.set_playing(False)
