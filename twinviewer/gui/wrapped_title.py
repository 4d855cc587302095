"""A plot whose title wraps to the plot's width instead of widening the plot.

pyqtgraph gives a plot title (a ``LabelItem``) a minimum width of its text's, and the plot's
layout honours it: a title longer than a narrow step column made the Timeline's plot wider
than its widget, so its right part, the newest visit, was cut off (newuser17b G8).
"""

from __future__ import annotations

import pyqtgraph as pg

#: The title row's height for one line, as pyqtgraph sets it (px).
ONE_LINE = 30


class WrappedTitlePlot(pg.PlotWidget):
    """A ``PlotWidget`` whose title wraps onto more lines when the plot is narrower.

    Examples
    --------
    >>> plot = WrappedTitlePlot()  # doctest: +SKIP
    >>> plot.setTitle("posterior median and 90 % interval per visit")  # doctest: +SKIP
    """

    def setTitle(self, title: str | None = None, **args) -> None:  # noqa: N802 (Qt's name)
        item = self.getPlotItem()
        item.setTitle(title, **args)
        if not getattr(self, "_follows", False):  # an axis grows: its column takes room
            item.getViewBox().sigResized.connect(lambda *_: self.fit_title())
            self._follows = True
        self._fitted = None
        self.fit_title()

    def resizeEvent(self, ev) -> None:  # noqa: N802
        self.fit_title()  # first: the resize lays the plot out in the widget's new size
        super().resizeEvent(ev)

    def fit_title(self) -> None:
        """Wrap the title to the width of its column (the widget less the side axes), one
        line when it fits."""
        item = self.__dict__.get("plotItem")  # None while pg.PlotWidget.__init__ runs
        if item is None or not item.titleLabel.isVisible():
            return
        sides = sum(item.getAxis(k).width() for k in ("left", "right")
                    if item.getAxis(k).isVisible())
        room = max(int(self.viewport().width() - sides) - 8, 60)
        label = item.titleLabel
        if getattr(self, "_fitted", None) == (room, label.text):
            return  # nothing changed: no re-layout (sigResized would call again)
        self._fitted = (room, label.text)
        text = label.item
        text.setTextWidth(-1)
        if text.boundingRect().width() > room:
            text.setTextWidth(room)
        label.updateMin()
        height = max(ONE_LINE, int(text.boundingRect().height()) + 2)
        label.setMaximumHeight(height)
        item.layout.setRowFixedHeight(0, height)
        # the plot keeps a geometry clamped to its old minimum width until laid out again
        item.setGeometry(self.range)
