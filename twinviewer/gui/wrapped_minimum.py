"""A widget's minimum height that follows its width when a row in it wraps.

Qt does not carry a wrapping row's height-for-width into a widget's minimum height: a
splitter then gives the widget less than its rows need and the last child runs off its
bottom, under whatever lies below (review9b #7: the 3D render area ran 28 px under the cine
bar at 1280×720, its colour legend cut). :class:`WrappedMinimum` sets the minimum height
from the rows' height at the widget's current width each time the width changes.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget


def minimum_height_at(widget: QWidget, width: int) -> int:
    """The height ``widget``'s vertical layout needs at ``width`` px, rows wrapped.

    Each item counts its height-for-width when it has one (a wrapping row), else its
    minimum height; plus the layout's spacing and margins.

    Examples
    --------
    >>> from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget
    >>> app = QApplication.instance() or QApplication([])
    >>> w = QWidget(); lay = QVBoxLayout(w); lay.setContentsMargins(0, 0, 0, 0)
    >>> body = QLabel("x"); body.setMinimumHeight(100); lay.addWidget(body)
    >>> minimum_height_at(w, 300) >= 100
    True
    """
    lay = widget.layout()
    if lay is None:
        return widget.minimumSizeHint().height()
    m = lay.contentsMargins()
    inner = max(1, width - m.left() - m.right())
    heights = []
    for i in range(lay.count()):
        item = lay.itemAt(i)
        if item.isEmpty():
            continue
        if item.hasHeightForWidth():
            heights.append(item.heightForWidth(inner))
        else:
            heights.append(item.minimumSize().height())
    gaps = max(0, len(heights) - 1) * max(0, lay.spacing())
    return sum(heights) + gaps + m.top() + m.bottom()


class WrappedMinimum(QObject):
    """Keep ``widget``'s minimum height at what its rows need at its width.

    Examples
    --------
    >>> keeper = WrappedMinimum(some_widget)  # doctest: +SKIP
    """

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.widget = widget
        self._width = -1
        widget.installEventFilter(self)

    def update(self) -> None:
        """Set the minimum height for the widget's current width."""
        w = self.widget
        need = minimum_height_at(w, w.width())
        if need != w.minimumHeight():
            w.setMinimumHeight(need)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if obj is self.widget and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            if self.widget.width() != self._width:
                self._width = self.widget.width()
                self.update()
        return False


class WrappedLabelHeight(QObject):
    """Keep a word-wrapped label's minimum height at what its text needs at its width.

    A layout inside a scroll area does not always ask a wrapping label for its
    height-for-width after its text grows: the label is then squeezed and its last lines
    cut (the What-if step's live preview at 1280×720). Call :meth:`update` after each
    ``setText``; a resize refits it.

    Examples
    --------
    >>> from PySide6.QtWidgets import QApplication, QLabel
    >>> app = QApplication.instance() or QApplication([])
    >>> label = QLabel(); label.setWordWrap(True); label.resize(120, 10)
    >>> fit = WrappedLabelHeight(label)
    >>> label.setText("a long preview text that wraps over several lines " * 3)
    >>> fit.update()
    >>> label.minimumHeight() == label.heightForWidth(label.width())
    True
    """

    def __init__(self, label) -> None:
        super().__init__(label)
        self.label = label
        label.installEventFilter(self)

    def update(self) -> None:
        """Set the label's minimum height for its current width and text."""
        need = self.label.heightForWidth(self.label.width())
        if need > 0 and need != self.label.minimumHeight():
            self.label.setMinimumHeight(need)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if obj is self.label and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self.update()
        return False
