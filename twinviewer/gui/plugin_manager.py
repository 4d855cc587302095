"""The plugin manager: installed plugins, what they contribute, their status; approve, enable,
disable; check a plugin folder. Decisions are stored in the user's configuration by the
registry."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtCore import QProcess
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from twinviewer.plugins.registry import CORE, PluginError, Registry, get_registry

COLUMNS = ("Plugin", "Version", "Status", "Contributes", "Message")


def check_command(folder: str | Path) -> list[str]:
    """The command line of ``twinviewer plugins check FOLDER --json`` (installed or bundled).

    Examples
    --------
    >>> check_command("/tmp/my-plugin")[-3:]
    ['check', '/tmp/my-plugin', '--json']
    """
    if getattr(sys, "frozen", False):  # PyInstaller bundle: the executable is the CLI
        return [sys.executable, "plugins", "check", str(folder), "--json"]
    return [sys.executable, "-m", "twinviewer.cli", "plugins", "check", str(folder), "--json"]


def check_result(code: int, out: str) -> dict | None:
    """The JSON result of a ``plugins check --json`` run (None if the check could not run).

    Examples
    --------
    >>> check_result(1, '{"plugin": "p", "ok": false, "problems": ["x"]}')["problems"]
    ['x']
    >>> check_result(2, "") is None
    True
    """
    try:
        res = json.loads(out) if code in (0, 1) else None
    except ValueError:
        res = None
    return res if isinstance(res, dict) else None


def check_summary(code: int, out: str, err: str, folder: str | Path) -> str:
    """The result of a ``plugins check`` run, in words, one line per contribution/problem."""
    res = check_result(code, out)
    if res is None:
        last = (err or out).strip().splitlines()
        return f"{Path(folder).name}: the check could not run: " + \
            (last[-1] if last else f"exit code {code}")
    lines = list(res.get("contributions", []))
    lines += [f"PROBLEM: {p}" for p in res.get("problems", [])]
    lines.append(f"{res.get('plugin')}: {'passes' if res.get('ok') else 'fails'} its checks")
    return "\n".join(lines)


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
        anyway = QPushButton("Approve anyway")
        anyway.setToolTip("Approve the selected plugin although its checks (those of "
                          "'twinviewer plugins approve') fail; the first failure in use "
                          "disables it")
        anyway.setVisible(False)  # offered only after the checks of an approval failed
        anyway.clicked.connect(lambda _=False: self.approve_anyway())
        row.addWidget(anyway)
        self.buttons["anyway"] = anyway
        self._refused: str | None = None  # the plugin whose checks failed at Approve
        check = QPushButton("Check a folder…")
        check.setToolTip("Run 'twinviewer plugins check' on a plugin project folder: its "
                         "manifest, imports and contracts, in a separate process; nothing "
                         "is installed or approved")
        check.clicked.connect(lambda _=False: self.choose_folder())
        row.addWidget(check)
        self.buttons["check"] = check
        row.addStretch(1)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        row.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addWidget(self.status)
        self.results = QPlainTextEdit()
        self.results.setReadOnly(True)
        self.results.setMaximumHeight(120)
        self.results.setVisible(False)  # shown with a check's results
        lay.addWidget(self.results)
        lay.addLayout(row)
        self.process: QProcess | None = None
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
        self.buttons["approve"].setEnabled(status == "needs approval" and self.process is None)
        refused = self._refused is not None and name == self._refused and \
            status == "needs approval"
        self.buttons["anyway"].setVisible(refused)
        self.buttons["anyway"].setEnabled(refused and self.process is None)
        self.buttons["enable"].setEnabled(status == "disabled")
        self.buttons["disable"].setEnabled(name not in (None, CORE) and status != "disabled")

    def act(self, action: str) -> None:
        """Approve, enable or disable the selected plugin; errors go to the status line.

        Approve first runs the checks ``twinviewer plugins approve`` runs
        (:func:`~twinviewer.plugins.cli.approval_folder` checked by ``plugins check``, in a
        separate process): the plugin is approved if they pass; if not, the problems are
        shown and it stays unapproved until "Approve anyway"."""
        name = self.selected()
        if name is None:
            return
        if action == "approve":
            from twinviewer.plugins.cli import approval_folder

            try:
                folder = approval_folder(self.registry, name)
            except PluginError as exc:
                self.status.setText(str(exc))
                return
            if folder is not None:
                self._refused = None
                self.check_folder(folder, then=lambda code, out, text: self._approve_checked(
                    name, code, out, text))
                if self.process is not None:
                    self.status.setText(f"{name}: checking it before approval (as "
                                        "'twinviewer plugins approve' does) …")
                    self._update_buttons()
                return
        self._do(name, action)

    def _approve_checked(self, name: str, code: int, out: str, text: str) -> None:
        res = check_result(code, out)
        if res is not None and res.get("ok"):
            self._do(name, "approve", prefix="passes its checks; ")
            return
        self._refused = name
        self.status.setText(
            f"{name} fails its checks (above), so it is not approved: fix it, or approve it "
            "regardless with \"Approve anyway\" (the first failure in use disables it)"
            if res is not None else
            f"{name}: its checks could not run ({text.splitlines()[-1]}), so it is not "
            "approved; \"Approve anyway\" approves it unchecked")
        self.refresh()
        self.select(name)

    def approve_anyway(self) -> None:
        """Approve the plugin whose checks failed at Approve, as ``plugins approve --anyway``."""
        name = self._refused
        if name is None:
            return
        self._refused = None
        self._do(name, "approve", prefix="approved although its checks fail; ")

    def _do(self, name: str, action: str, prefix: str = "") -> None:
        try:
            rec = getattr(self.registry, action)(name)
            rec = rec or self.registry.record(name)
            self.status.setText(f"{name}: {prefix}{rec.status}"
                                + (f" — {rec.message}" if rec.message else ""))
        except PluginError as exc:
            self.status.setText(str(exc))
        self.refresh()
        self.select(name)


    def choose_folder(self) -> None:
        """Ask for a plugin folder and check it."""
        from twinviewer.gui import file_dialogs

        folder = file_dialogs.get_existing_directory(self, "Check a plugin folder")
        if folder:
            self.check_folder(folder)

    def check_folder(self, folder: str | Path, then=None) -> None:
        """Run the same check as ``twinviewer plugins check FOLDER`` in a separate process
        (a crashing or hanging plugin cannot take the app down) and show its results; then
        call ``then(exit code, JSON output, summary)`` if given."""
        if self.process is not None:
            return  # one check at a time
        folder = Path(folder)
        cmd = check_command(folder)
        proc = QProcess(self)
        self.process = proc
        self.buttons["check"].setEnabled(False)
        self.status.setText(f"Checking {folder} …")

        def finished(code: int, _status=None) -> None:
            out = bytes(proc.readAllStandardOutput()).decode("utf-8", "replace")
            err = bytes(proc.readAllStandardError()).decode("utf-8", "replace")
            text = check_summary(code, out, err, folder)
            self.results.setPlainText(text)
            self.results.setVisible(True)
            self.status.setText(text.splitlines()[-1])
            self.buttons["check"].setEnabled(True)
            self.process = None
            proc.deleteLater()
            if then is not None:
                then(code, out, text)
            else:
                self._update_buttons()

        proc.finished.connect(finished)
        proc.errorOccurred.connect(
            lambda e: finished(-1) if e == QProcess.ProcessError.FailedToStart else None)
        proc.start(cmd[0], cmd[1:])


def open_plugin_manager(parent: QWidget | None = None) -> None:
    """Show the plugin manager (modal)."""
    PluginManagerDialog(parent=parent).exec()
    view = getattr(parent, "view3d", None)
    if view is not None:  # an approved or disabled plugin's overlays come or go at once
        from twinviewer.gui.overlay_menu import fill_overlay_box

        fill_overlay_box(view)
