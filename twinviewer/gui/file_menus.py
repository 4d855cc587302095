"""File → Open sample twin and File → Export, populated from the registry: the core's sample
twins and writers and the plugins'. A plugin's sample or writer that fails disables its plugin
with a message naming it; the open twin is untouched."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from twinviewer.plugins.registry import CORE, get_registry

#: Shortcuts of core entries (kept when the menus are refilled).
SHORTCUTS = {("writers", "pdf_report"): "Ctrl+R"}


def _fill(window, menu: QMenu, kind: str, run) -> None:
    menu.clear()
    entries = get_registry().contributions(kind)
    for c in entries:
        label = c.display_name + ("" if c.plugin == CORE else f" (plugin {c.plugin})")
        a = QAction(f"{label}…", menu)
        a.setData(c.name)
        sc = SHORTCUTS.get((kind, c.name)) if c.plugin == CORE else None
        if sc:
            a.setShortcut(QKeySequence(sc))
        a.triggered.connect(lambda _=False, n=c.name: run(window, n))
        menu.addAction(a)
    if not entries:
        menu.addAction("(none installed)").setEnabled(False)


def add_sample_menu(window, menu: QMenu) -> QMenu:
    """File → Open sample twin: one entry per registry sample (refilled when opened)."""
    sub = menu.addMenu("Open s&ample twin")
    sub.aboutToShow.connect(lambda: _fill(window, sub, "samples", open_sample))
    _fill(window, sub, "samples", open_sample)
    return sub


def add_export_menu(window, menu: QMenu) -> QMenu:
    """File → Export: one entry per registry writer (refilled when opened)."""
    sub = menu.addMenu("E&xport twin")
    sub.aboutToShow.connect(lambda: _fill(window, sub, "writers", export))
    _fill(window, sub, "writers", export)
    return sub


def open_sample(window, name: str) -> None:
    """Open sample twin ``name`` (after asking to save unsaved work), in a worker."""
    reg = get_registry()
    c = reg.find("samples", name)
    if c is None:
        window.state.error(f"no enabled plugin provides the sample twin {name!r}")
        return
    if not window.maybe_save("opening a sample twin"):
        return
    if c.plugin == CORE and name == "demo_heart":
        window.load_demo()  # the same twin, prepared in parallel workers with progress
        return
    from twinviewer.plugins.outputs import sample_twin

    make = reg.guarded("samples", name)
    shown = window.state.twin

    def done(twin) -> None:
        if window.state.twin is not shown:
            return  # the user opened another twin meanwhile
        if twin.anatomy is None:  # shown on the base heart, as a virtual patient is
            from twinviewer.gui.heart_anatomy import initial_anatomy

            twin = replace(twin, anatomy=initial_anatomy(name, getattr(shown, "anatomy",
                                                                        None)))
        from twinviewer.io import audit_log

        audit_log(twin).record(twin, "create", {"sample": name, "plugin": c.plugin})
        window.study_path = None
        window.show_twin(twin)

    window.state.run_job(f"Opening the sample twin {c.display_name}",
                         lambda p, cancel: sample_twin(make), done)


def export(window, name: str, path: str | Path | None = None) -> Path | None:
    """Write the open twin with writer ``name`` (asks for the file when ``path`` is None).

    The core's PDF report is written by ``twinviewer report`` in a separate process
    (:func:`~twinviewer.gui.twin_file_actions.export_report`); other writers run in a worker
    thread on the document as it stands. Returns the path the job will write.
    """
    from twinviewer.gui import file_dialogs, twin_file_actions

    state = window.state
    reg = get_registry()
    c = reg.find("writers", name)
    if c is None:
        state.error(f"no enabled plugin provides the writer {name!r}")
        return None
    if c.plugin == CORE and name == "pdf_report":
        return twin_file_actions.export_report(window, state, path)
    twin = state.session.twin
    if twin is None:
        state.warn("There is no twin to export.")
        return None
    suffixes = list(c.extra.get("suffixes", []))
    if path is None:
        path, _ = file_dialogs.get_save_file_name(
            window, f"Export {c.display_name}",
            twin_file_actions._default_name(twin, suffixes[0] if suffixes else ""),
            f"{c.display_name} ({' '.join('*' + s for s in suffixes)})")
        if not path:
            return None
    path = Path(path)
    doc = twin_file_actions.current_document(state)
    write = reg.guarded("writers", name)

    def done(_result) -> None:
        if state.session.twin is twin:
            state.session.record("export", {"format": name, "plugin": c.plugin})
        state.info(f"{c.display_name} written to {path.name}")

    state.run_job(f"Writing {path.name}", lambda p, cancel: write(doc, path), done)
    return path
