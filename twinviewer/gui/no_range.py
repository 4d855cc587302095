"""Plot items that change every playback frame without re-ranging their view."""

from __future__ import annotations


class NoRangeUpdate:
    """Mixin for an item that changes every playback frame (time cursor, "now" dot, a slice's
    contours): added with ``ignoreBounds=True`` it is left out of the view's auto-range, and
    it does not tell the view its bounds changed. pyqtgraph re-scans every item's bounds on
    each such notice (a fifth of a frame's plot work).

    Examples
    --------
    >>> class Cursor(NoRangeUpdate):  # in use: ``class TimeCursor(NoRangeUpdate, InfiniteLine)``
    ...     pass
    >>> Cursor().informViewBoundsChanged() is None
    True
    """

    def informViewBoundsChanged(self) -> None:  # noqa: N802 - pyqtgraph naming
        """Nothing: the item is not among the view's range items."""
