"""What a pyqtgraph axis draws: its tick numbers and where they are (newuser17 F1)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtGui import QImage, QPainter


def drawn_ticks(axis: pg.AxisItem) -> list[tuple[float, float]]:
    """(number written, its scene x) for each tick label the axis paints."""
    img = QImage(16, 16, QImage.Format.Format_ARGB32)
    painter = QPainter(img)
    try:
        _axis, _ticks, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [(float(text.replace("−", "-")), axis.mapToScene(rect.center()).x())
            for rect, _flags, text in texts]


def assert_ticks_at_their_values(plot: pg.PlotItem, bars: list[float]) -> None:
    """Each number the top axis of the bar chart ``plot`` draws sits where that value is on
    the plot, and the numbers are of the bars' size (``bars``: their values)."""
    top = plot.getAxis("top")
    ticks = drawn_ticks(top)
    assert len(ticks) >= 2, ticks
    px_per_unit = abs(plot.vb.mapViewToScene(QPointF(1.0, 0)).x()
                      - plot.vb.mapViewToScene(QPointF(0.0, 0)).x())
    for value, x in ticks:
        at = plot.vb.mapViewToScene(QPointF(value, 0)).x()
        # a label is centred on its tick: within 2 px of where its value is on the plot
        assert abs(at - x) <= 2.0, (f"tick '{value:g}' drawn at x={x:.0f}, the value "
                                    f"{value:g} is at x={at:.0f} (1 unit = {px_per_unit:.0f} px)")
    # the numbers are the bars' scale: the ticks span no more than the bars' range
    lo, hi = min(0.0, *bars), max(0.0, *bars)
    assert all(lo - (hi - lo) <= v <= hi + (hi - lo) for v, _ in ticks), (ticks, bars)
    assert "(x" not in top.labelString()  # no hidden factor in the title either
