"""A row of controls that wraps onto further lines when its column is narrow.

Qt's own flow-layout example (doc.qt.io, "Flow Layout Example") in Python: step pages at
1280×720 are ~350 px wide, and a row of buttons and spin boxes laid out in one
``QHBoxLayout`` made the page scroll sideways. A ``FlowLayout`` keeps each control at its
size hint and starts a new line instead.
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QSizePolicy, QWidget


class FlowLayout(QLayout):
    """Lay widgets left to right, wrapping to a new line when the width runs out.

    Examples
    --------
    >>> row = FlowLayout()            # doctest: +SKIP
    >>> row.addWidget(QPushButton("Calibrate"))  # doctest: +SKIP
    """

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self.setContentsMargins(QMargins(0, 0, 0, 0))
        self.setSpacing(spacing)

    # -- the QLayout interface -------------------------------------------------------------
    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt naming
        self._items.append(item)

    def addStretch(self, _stretch: int = 0) -> None:  # noqa: N802 - QHBoxLayout's API
        """Accepted for drop-in use in place of ``QHBoxLayout``; a flow has no stretch."""

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt naming
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt naming
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 - Qt naming
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt naming
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt naming
        return self._do_layout(QRect(0, 0, width, 0), test_only=True)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt naming
        super().setGeometry(rect)
        self._do_layout(rect, test_only=False)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt naming
        """One line: every control side by side (what the row would like)."""
        w = h = 0
        for item in self._items:
            s = item.sizeHint()
            w += s.width() + (self._gap(item, Qt.Orientation.Horizontal) if w else 0)
            h = max(h, s.height())
        m = self.contentsMargins()
        return QSize(w + m.left() + m.right(), h + m.top() + m.bottom())

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt naming
        """The widest single control: the row never needs more than that."""
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    # -- placement -------------------------------------------------------------------------
    def _gap(self, item: QLayoutItem, orientation: Qt.Orientation) -> int:
        if self.spacing() >= 0:
            return self.spacing()
        widget = item.widget()
        style = widget.style() if widget is not None else QWidget().style()
        return style.layoutSpacing(QSizePolicy.ControlType.PushButton,
                                   QSizePolicy.ControlType.PushButton, orientation)

    def _do_layout(self, rect: QRect, test_only: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, line_h = area.x(), area.y(), 0
        for item in self._items:
            if item.isEmpty():
                continue  # hidden controls take no room
            hint = item.sizeHint()
            w = min(hint.width(), area.width()) if area.width() > 0 else hint.width()
            gap_x = self._gap(item, Qt.Orientation.Horizontal)
            gap_y = self._gap(item, Qt.Orientation.Vertical)
            if x + w > area.right() + 1 and line_h > 0:
                x, y = area.x(), y + line_h + gap_y
                line_h = 0
            if not test_only:
                item.setGeometry(QRect(QPoint(x, y), QSize(w, hint.height())))
            x += w + gap_x
            line_h = max(line_h, hint.height())
        return y + line_h - rect.y() + m.bottom()


def labelled(text: str, widget: QWidget) -> QWidget:
    """A label and its control kept together on one line of a :class:`FlowLayout`.

    Examples
    --------
    >>> row.addWidget(labelled("N", spin))  # doctest: +SKIP
    """
    from PySide6.QtWidgets import QHBoxLayout, QLabel

    pair = QWidget()
    lay = QHBoxLayout(pair)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(QLabel(text))
    lay.addWidget(widget, 1)
    return pair


def compact(combo, chars: int = 12):
    """Let a combo box shrink to ``chars`` characters (its list still shows full texts).

    Examples
    --------
    >>> compact(QComboBox(), 10)  # doctest: +SKIP
    """
    from PySide6.QtWidgets import QComboBox

    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    combo.view().setTextElideMode(Qt.TextElideMode.ElideNone)
    return combo
