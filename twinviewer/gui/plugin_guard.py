"""Plugins that hang, in the GUI: panels built under a watchdog, hangs told to the user.

* At start, a plugin a previous session ended inside (its panel froze the GUI thread and the
  user closed the frozen window, or it crashed the process) is disabled with a message naming
  it (:func:`twinviewer.plugins.watchdog.culprits`).
* A plugin panel is built on the GUI thread under :class:`CallWatchdog` with the panels'
  budget: past it the user's work is autosaved (from the watchdog thread) and the build is
  interrupted where Python runs the plugin's code; the plugin is then disabled for the
  session. A constructor that runs a dialog keeps the GUI ticking: a timer tells the
  watchdog so (:meth:`CallWatchdog.beat`), and it is left alone. The timer beats only while
  a modal dialog is open (:func:`beats`): a panel that busy-loops calling
  ``QApplication.processEvents()`` also ticks the timer, but waits for nobody, so it is
  judged hung (review11b #12).
* Importing the panel's module is timed by :meth:`Registry.load` alone (its imports' budget,
  in a worker thread; the CLI's loads too); the watchdog only writes its marker for it, so a
  C loop in the import is still named at the next start (review10b #9: two timers raced).
* Whenever a plugin is disabled for hanging (:meth:`Registry.hung`, from any thread), a
  message names it and a non-modal box offers to keep it disabled.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from twinviewer.plugins.budget import budget
from twinviewer.plugins.registry import CORE, DISABLED, PluginError, get_registry
from twinviewer.plugins.watchdog import (
    CallWatchdog,
    PluginHangInterrupted,
    culprits,
    module_code,
)

log = logging.getLogger(__name__)


class _Bridge(QObject):
    """Carries a hang reported on any thread to the GUI thread."""

    hung = Signal(str, str)


def install(window) -> None:
    """Disable the plugins earlier sessions ended inside; watch plugin panels; tell hangs."""
    registry = get_registry()
    for c in culprits():
        name = str(c.get("plugin"))
        how = ("froze the window for more than its budget" if c.get("hung")
               else "did not return")
        msg = (f"plugin {name!r}: its {c.get('what')} {how} and the last session ended inside "
               f"it; the plugin is disabled (File → Plugins… or 'twinviewer plugins enable "
               f"{name}' turns it back on)")
        rec = registry.plugins.get(name)
        if rec is not None and name != CORE and rec.status != DISABLED:
            registry.disable(name, msg)
        # said once the window is up (the status bar and the log are connected after this)
        QTimer.singleShot(0, window, lambda msg=msg: _tell_culprit(window, msg))
    dog = window.plugin_watchdog = CallWatchdog(on_hang=lambda plugin, what: _autosave(window))
    # fires only while a guarded call runs an event loop of its own; beats only while that
    # loop is a modal dialog's (the user is being asked: the GUI is not frozen)
    beat = window._plugin_beat = QTimer(window)
    beat.setInterval(100)
    beat.timeout.connect(lambda: beats(dog))
    bridge = window._plugin_bridge = _Bridge(window)
    bridge.hung.connect(lambda name, msg: offer_keep_disabled(window, name, msg),
                        Qt.ConnectionType.QueuedConnection)
    registry.listeners.append(bridge.hung.emit)


def beats(dog: CallWatchdog) -> bool:
    """Tell ``dog`` the GUI thread is alive (:meth:`CallWatchdog.beat`) if a modal dialog is
    open: a guarded call that waits for the user. A call that spins its own event loop
    (``processEvents()`` in a busy loop) with no dialog open waits for nobody; it does not
    beat, so the watchdog judges it by its budget.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> dog = CallWatchdog(Path(tempfile.mkdtemp()))
    >>> beats(dog), dog.ticking()  # no dialog open
    (False, False)
    """
    if QApplication.activeModalWidget() is None:
        return False
    dog.beat()
    return True


def _tell_culprit(window, message: str) -> None:
    """In the log and in a non-modal box: a start-up message scrolls away in the log."""
    window.state.error(message)
    box = QMessageBox(QMessageBox.Icon.Warning, "A plugin was disabled", message + ".",
                      QMessageBox.StandardButton.Ok, window)
    box.setObjectName("plugin_culprit_box")
    box.setModal(False)
    box.show()


def _autosave(window) -> None:
    """Autosave now (watchdog thread: the GUI thread is stuck and changes nothing)."""
    controller = getattr(window, "autosave", None) or getattr(
        window.state, "_autosave_controller", None)
    if controller is not None:
        path = controller.autosave_now(force=True)
        log.warning("a plugin froze the window: %s",
                    f"work autosaved to {path}" if path else "no unsaved work to autosave")


def build_panel(window, spec) -> tuple[type, QWidget] | None:
    """Import plugin panel ``spec`` and build ``Panel(window.state, window)`` on the GUI
    thread, each under the watchdog (import: the imports' budget, build: the panels');
    ``None`` if it hung (the plugin is disabled for the session, the half-built widget
    removed). Other failures raise as they are."""
    registry = get_registry()
    dog: CallWatchdog | None = getattr(window, "plugin_watchdog", None)
    if dog is None:
        klass = registry.load("panels", spec.name)
        return klass, klass(window.state, window)
    before = set(window.findChildren(QWidget))
    what = f"panel {spec.name!r} ({spec.ref})"
    beat: QTimer | None = getattr(window, "_plugin_beat", None)
    try:
        # one owner of the import's time: Registry.load (a hang raises PluginHung there)
        with dog.guard(spec.plugin, f"import of {what}", None):
            klass = registry.load("panels", spec.name)
        if beat is not None:
            beat.start()
        with dog.guard(spec.plugin, what, budget("panels"), code=_plugin_code(klass)):
            return klass, klass(window.state, window)
    except PluginHangInterrupted as exc:
        for w in set(window.findChildren(QWidget)) - before:
            if w.parent() is window:
                w.hide()
                w.deleteLater()
        registry.hung(spec.plugin, str(exc))  # the listener names it to the user
        return None
    finally:
        if beat is not None:
            beat.stop()


def _plugin_code(klass: type):
    """The watchdog's test for the panel's own code: frames of its class's top package."""
    return module_code((getattr(klass, "__module__", "") or "").split(".")[0])


def offer_keep_disabled(window, name: str, message: str) -> QMessageBox | None:
    """Name the plugin that hung and offer to keep it disabled (non-modal, without taking
    the focus). Said as a warning (status bar, log): the box names it, and an error would
    also open the Log dock, re-laying out and repainting every plot at once (a 250–380 ms
    stall as a what-if Run's hanging step was stopped, plugrun13)."""
    window.state.warn(message)
    registry = get_registry()
    if name not in registry.plugins or name == CORE:
        return None
    box = QMessageBox(QMessageBox.Icon.Warning, "A plugin stopped answering",
                      f"{message}.\n\nKeep plugin {name!r} disabled next time too?",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, window)
    box.setObjectName("plugin_hang_box")
    # shown without taking the focus: the user is told, not interrupted, and the window
    # does not turn inactive (which repaints every widget)
    box.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)

    def answered(button) -> None:
        if box.standardButton(button) == QMessageBox.StandardButton.Yes:
            try:
                registry.keep_disabled(name)
            except PluginError as exc:
                window.state.error(str(exc))

    box.buttonClicked.connect(answered)
    box.setModal(False)
    box.show()
    return box
