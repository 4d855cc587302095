"""The plugin manager: installed plugins, what they contribute, their status; approve, enable,
disable. Decisions are stored in the user's configuration by the registry."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from twinviewer.plugins.registry import CORE, PluginError, Registry, get_registry

COLUMNS = ("Plugin", "Version", "Status", "Contributes", "Message")


class PluginManagerDialog(QDialog):
    """Table of plugins with Approve / Enable / Disable for the selected one.

    Examples
    --------
    >>> PluginManagerDialog().exec()  # doctest: +SKIP
    """

    def __init__(self, registry: Registry | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Plugins")
        self.resize(900, 360)
        self.registry = registry or get_registry()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.status = QLabel("A new or changed plugin runs only after you approve it.")
        self.status.setWordWrap(True)
        self.buttons = {}
        row = QHBoxLayout()
        for label, action in (("Approve", "approve"), ("Enable", "enable"),
                              ("Disable", "disable")):
            b = QPushButton(label)
            b.clicked.connect(lambda _=False, a=action: self.act(a))
            row.addWidget(b)
            self.buttons[action] = b
        row.addStretch(1)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        row.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addWidget(self.status)
        lay.addLayout(row)
        self.refresh()

    def refresh(self) -> None:
        """Fill the table from the registry."""
        recs = sorted(self.registry.plugins.values(), key=lambda r: (r.name != CORE, r.name))
        self.table.setRowCount(len(recs))
        for i, rec in enumerate(recs):
            m = rec.manifest
            kinds: dict[str, int] = {}
            for c in (m.contributions if m else ()):
                kinds[c.kind] = kinds.get(c.kind, 0) + 1
            cells = (rec.name, m.version if m else "", rec.status,
                     ", ".join(f"{n} {k}" for k, n in kinds.items()),
                     rec.message if rec.name != CORE else "built in")
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()
        self._update_buttons()

    def selected(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.table.item(rows[0].row(), 0).text() if rows else None

    def select(self, name: str) -> None:
        for i in range(self.table.rowCount()):
            if self.table.item(i, 0).text() == name:
                self.table.selectRow(i)

    def _update_buttons(self) -> None:
        name = self.selected()
        status = self.registry.plugins[name].status if name in self.registry.plugins else ""
        self.buttons["approve"].setEnabled(status == "needs approval")
        self.buttons["enable"].setEnabled(status == "disabled")
        self.buttons["disable"].setEnabled(name not in (None, CORE) and status != "disabled")

    def act(self, action: str) -> None:
        """Approve, enable or disable the selected plugin; errors go to the status line."""
        name = self.selected()
        if name is None:
            return
        try:
            rec = getattr(self.registry, action)(name)
            rec = rec or self.registry.record(name)
            self.status.setText(f"{name}: {rec.status}" + (f" — {rec.message}" if rec.message
                                                           else ""))
        except PluginError as exc:
            self.status.setText(str(exc))
        self.refresh()
        self.select(name)


def open_plugin_manager(parent: QWidget | None = None) -> None:
    """Show the plugin manager (modal)."""
    PluginManagerDialog(parent=parent).exec()
