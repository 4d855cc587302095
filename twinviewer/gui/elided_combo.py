"""A combo box that elides its current text with "…" when the box is narrower than it.

Qt's combo box clips a long current text at its edge ("Heart failure with reduc"); this one
draws it elided, and its tooltip names the whole entry. Its width follows
``setMinimumContentsLength``, so a long entry never widens a narrow step page.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QComboBox, QStyle, QStyleOptionComboBox, QStylePainter, QWidget


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
