"""Run-time hook for PySide6 in the TwinViewer bundle, in place of PyInstaller's own
(``pyi_rth_pyside6``, which ``rthooks.dat`` here overrides: a hook directory given with
``--additional-hooks-dir`` is searched before PyInstaller's).

It does what PyInstaller's does on Linux (one Qt binding; Qt's plugin and QML paths; the
embedded qt.conf, for which it imports ``PySide6.QtCore``), except in the app's helper process
(``twinviewer --process-worker``): that makes no window, and importing QtCore there cost
every helper start Qt's libraries. A job that needs Qt in the helper imports it itself, and
the helper inherits the plugin paths from the app that started it.
"""


def _rthook() -> None:
    import os
    import sys

    if sys.argv[1:2] == ["--process-worker"]:
        return
    from _pyi_rth_utils import qt as qt_rth_utils

    qt_rth_utils.ensure_single_qt_bindings_package("PySide6")
    qt = os.path.join(sys._MEIPASS, "PySide6", "Qt")
    os.environ["QT_PLUGIN_PATH"] = os.path.join(qt, "plugins")
    os.environ["QML2_IMPORT_PATH"] = os.path.join(qt, "qml")
    qt_rth_utils.create_embedded_qt_conf("PySide6", qt)


_rthook()
del _rthook
