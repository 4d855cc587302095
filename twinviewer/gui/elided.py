"""A combo box and a label that elide their text with "…" when narrower than it.

Qt's combo box clips a long current text at its edge ("Heart failure with reduc") and a
label with a small minimum width shows its first letters ("cu" for the slices' cursor
position at 1280×720); these draw the text elided and say it whole in their tooltip. Their
width does not follow the text, so a long text never widens a narrow column.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QStyle,
    QStyleOptionComboBox,
    QStylePainter,
    QWidget,
)


class ElidedComboBox(QComboBox):
    """A ``QComboBox`` ``chars`` characters wide whose current text is elided to fit.

    Examples
    --------
    >>> from PySide6.QtWidgets import QApplication
    >>> app = QApplication.instance() or QApplication([])
    >>> box = ElidedComboBox(chars=10)
    >>> box.addItem("Heart failure with reduced ejection fraction prior")
    >>> box.sizeHint().width() < box.fontMetrics().horizontalAdvance(box.currentText())
    True
    >>> box.toolTip()
    'Heart failure with reduced ejection fraction prior'
    """

    def __init__(self, parent: QWidget | None = None, *, chars: int = 20,
                 tooltip: bool = True) -> None:
        super().__init__(parent)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(chars)
        if tooltip:  # the whole entry on hover (a caller with its own tooltip says False)
            self.currentTextChanged.connect(self.setToolTip)

    def showPopup(self) -> None:  # noqa: N802 - Qt naming
        """Open the list as wide as its longest entry: no entry is cut there."""
        view = self.view()
        view.setMinimumWidth(view.sizeHintForColumn(0) + 2 * view.frameWidth() + 8)
        super().showPopup()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt naming
        painter = QStylePainter(self)
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, opt)
        field = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt,
                                            QStyle.SubControl.SC_ComboBoxEditField, self)
        opt.currentText = self.fontMetrics().elidedText(
            opt.currentText, Qt.TextElideMode.ElideRight, field.width() - 2)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, opt)


class ElidedLabel(QLabel):
    """A one-line label drawn elided to its width; :meth:`text` and the tooltip stay whole.

    Examples
    --------
    >>> from PySide6.QtWidgets import QApplication
    >>> app = QApplication.instance() or QApplication([])
    >>> label = ElidedLabel("cursor (12, -40, 118) mm LPS")
    >>> label.text(), label.toolTip() == label.text(), label.minimumSizeHint().width() < 40
    ('cursor (12, -40, 118) mm LPS', True, True)
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setToolTip(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt naming
        super().setText(text)
        self.setToolTip(text)

    def minimumSizeHint(self):  # noqa: N802 - Qt naming
        hint = super().minimumSizeHint()
        hint.setWidth(min(hint.width(), 10))
        return hint

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt naming
        painter = QPainter(self)
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight,
                                              rect.width())
        painter.drawText(rect, int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), shown)
