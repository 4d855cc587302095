"""Plot axes whose tick numbers are the plotted values, never rescaled by an SI prefix.

Every axis of the GUI carries its unit in its title ("LV volume (mL)", "% change of MAP per
+1 %"), so pyqtgraph's automatic SI prefix can only mislead. pyqtgraph 0.14 scales a unitless
axis whose largest |value| is below 1 by 1000 (0.65 shown as 650), and
``AxisItem.enableAutoSIPrefix(False)`` does not undo that: it recomputes the scale once, from
the axis' current range, and then freezes it (pyqtgraph issue #2899). The Explain step's
elasticity axis read 0 … 500 under bars of +0.79 (newuser17 F1). An axis with no range in
which a prefix is enabled (``setSIPrefixEnableRanges(())``, pyqtgraph ≥ 0.14) gets scale 1.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyqtgraph as pg

#: The sides of a plot that can carry an axis.
SIDES = ("left", "bottom", "right", "top")


def plain_axis(axis: pg.AxisItem) -> pg.AxisItem:
    """Show ``axis``' values as they are: no SI-prefix scaling, now or after its range or
    title changes.

    Parameters
    ----------
    axis
        A pyqtgraph axis; its title should carry the unit.

    Returns
    -------
    pg.AxisItem
        ``axis``, changed in place.

    Examples
    --------
    >>> import pyqtgraph as pg
    >>> ax = pg.AxisItem("top")
    >>> ax.setLabel("% change of MAP per +1 %"); ax.setRange(-0.39, 0.85)
    >>> ax.autoSIPrefixScale  # pyqtgraph 0.14: 0.85 would be shown as 850
    1000.0
    >>> plain_axis(ax).autoSIPrefixScale
    1.0
    >>> ax.setLabel("% change of CO per +1 %"); ax.setRange(-0.2, 0.3)
    >>> ax.autoSIPrefixScale, ax.labelString().endswith("per +1 % </span>")
    (1.0, True)
    """
    if hasattr(axis, "setSIPrefixEnableRanges"):  # pyqtgraph ≥ 0.14 (scales values < 1)
        axis.setSIPrefixEnableRanges(())  # no range where a prefix is used: scale 1
    # off: later range and title changes leave the scale computed here (1) as it is
    axis.enableAutoSIPrefix(False)
    return axis


def plain_axes(plot: pg.PlotItem, sides: Iterable[str] = SIDES) -> pg.PlotItem:
    """:func:`plain_axis` on each of ``plot``'s axes on ``sides`` (all four by default).

    Examples
    --------
    >>> import pyqtgraph as pg
    >>> p = plain_axes(pg.PlotItem())
    >>> [p.getAxis(s).autoSIPrefix for s in SIDES]
    [False, False, False, False]
    """
    for side in sides:
        plain_axis(plot.getAxis(side))
    return plot
