"""A step's panels as folded sections, one open at a time (an accordion).

The Teach step holds four tools (a lesson, the sliders, diagnose, side by side); stacked open
they made a column ~4 300 px tall at 1280×720 (review14 #9). As sections, each tool's header
is one line and only the chosen tool is open, so a lesson or the sliders fit the window
without scrolling; every tool is one click away.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QSizePolicy, QToolButton, QVBoxLayout, QWidget


class StepSections(QWidget):
    """``panels`` (``(title, widget)`` pairs) under one-line headers; :meth:`open` shows one
    and folds the others, and emits ``opened(widget)``.

    Examples
    --------
    >>> s = StepSections([("Lessons", QWidget()), ("Sliders", QWidget())])  # doctest: +SKIP
    >>> s.open(1); s.current is s.panels[1]  # doctest: +SKIP
    True
    """

    opened = Signal(object)

    def __init__(self, panels: list[tuple[str, QWidget]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panels = [panel for _title, panel in panels]
        self.heads: list[QToolButton] = []
        self.current: QWidget | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for n, (title, panel) in enumerate(panels):
            head = QToolButton()
            head.setText(title)
            head.setCheckable(True)
            head.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            head.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            head.setStyleSheet("QToolButton { font-weight: bold; text-align: left; }")
            head.setToolTip(f"Open “{title}” (the other tools fold; nothing is lost)")
            head.clicked.connect(lambda _checked=False, k=n: self.open(k))
            self.heads.append(head)
            lay.addWidget(head)
            lay.addWidget(panel, 1)
        lay.addStretch(0)
        if self.panels:
            self.open(0)

    def open(self, which: int | QWidget) -> None:
        """Open section ``which`` (its index or its panel) and fold the others."""
        index = which if isinstance(which, int) else self.panels.index(which)
        for n, (head, panel) in enumerate(zip(self.heads, self.panels, strict=True)):
            here = n == index
            head.setChecked(here)
            head.setArrowType(Qt.ArrowType.DownArrow if here else Qt.ArrowType.RightArrow)
            panel.setVisible(here)
        changed = self.current is not self.panels[index]
        self.current = self.panels[index]
        if changed:
            self.opened.emit(self.current)
