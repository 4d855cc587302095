"""The column of always-visible plots right of the 3D view: stacked when tall, tabs when short.

The PV loop needs a plot area of at least 300 × 300 px and each row of the Wiggers diagram
about 60 px to be read; both stacked need a column of about :data:`STACK_AT` px. A shorter
column (1280×720 leaves ~640 px) shows them as two tabs, each with the column's whole height;
a taller one stacks them in a splitter the user can move. The panels are moved, not copied:
their curves, cursors and signal connections stay as they are.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QStackedLayout, QTabWidget, QWidget

#: Column height (px) from which the PV loops and the Wiggers diagram are stacked.
STACK_AT = 960
_HYSTERESIS = 24  # px: a column near the threshold does not flip back and forth


class PlotsColumn(QWidget):
    """Holds the plot panels in a vertical :class:`QSplitter` (``split``) or, when the column
    is shorter than :data:`STACK_AT`, in a :class:`QTabWidget` (``tabs``).

    Examples
    --------
    >>> col = PlotsColumn()  # doctest: +SKIP
    >>> col.add(pv_panel, "PV loops"); col.add(wiggers_panel, "Wiggers diagram")  # doctest: +SKIP
    >>> col.resize(380, 640); col.stacked  # doctest: +SKIP
    False
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("plots_column")
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.setChildrenCollapsible(False)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("plots_tabs")
        self.tabs.setDocumentMode(True)
        self._layout = QStackedLayout(self)
        self._layout.addWidget(self.tabs)
        self._layout.addWidget(self.split)
        self.panels: list[tuple[QWidget, str]] = []
        self.stacked = False
        self.extra: QWidget | None = None  # a step's own plots, first tab (show_extra)
        self._stacked_before = False

    def add(self, panel: QWidget, title: str) -> None:
        """Add a plot panel (below / after the others)."""
        self.panels.append((panel, title))
        if self.stacked:
            self.split.addWidget(panel)
        else:
            self.tabs.addTab(panel, title)

    def show_panel(self, panel: QWidget) -> None:
        """Bring ``panel`` into view (its tab, when the column shows tabs)."""
        if not self.stacked:
            self.tabs.setCurrentWidget(panel)

    def set_stacked(self, stacked: bool) -> None:
        """Stack the panels in the splitter (True) or show them as tabs (False)."""
        if stacked == self.stacked:
            return
        current = self.tabs.currentWidget()
        self.stacked = stacked
        for n, (panel, title) in enumerate(self.panels):
            if stacked:
                self.split.insertWidget(n, panel)
            else:
                self.tabs.addTab(panel, title)
        if not stacked and current is not None:
            self.tabs.setCurrentWidget(current)
        for panel, _title in self.panels:
            # as tabs, only the current page: showing them all painted the Wiggers panel
            # under the current tab (seen once a stacked column went back to tabs)
            panel.setVisible(stacked or panel is self.tabs.currentWidget())
        self._layout.setCurrentWidget(self.split if stacked else self.tabs)

    def show_extra(self, widget: QWidget, title: str) -> None:
        """Show a step's own plots (``widget``) as the first tab, in front, with the open
        twin's plots as the other tabs (the column shows tabs while it is there): e.g. the
        lesson heart's loop while the Teach step is chosen (review14 #9)."""
        if self.extra is widget:
            self.tabs.setCurrentWidget(widget)
            return
        self.hide_extra()
        self._stacked_before = self.stacked
        self.set_stacked(False)
        self.extra = widget
        self.tabs.insertTab(0, widget, title)
        self.tabs.setCurrentIndex(0)
        widget.setVisible(True)  # not show(): a panel may define its own (LoopView)

    def hide_extra(self) -> QWidget | None:
        """Take the step's own plots out (returned, unparented); the column goes back to
        stacking the open twin's plots if it did before."""
        widget, self.extra = self.extra, None
        if widget is None:
            return None
        self.tabs.removeTab(self.tabs.indexOf(widget))
        widget.setParent(None)
        self.set_stacked(self._stacked_before)
        return widget

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        h = event.size().height()
        if self.extra is not None:  # tabs while a step's own plots are shown
            self._stacked_before = h >= STACK_AT
        elif not self.stacked and h >= STACK_AT + _HYSTERESIS:
            self.set_stacked(True)
        elif self.stacked and h < STACK_AT - _HYSTERESIS:
            self.set_stacked(False)
        super().resizeEvent(event)
