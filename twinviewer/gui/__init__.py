"""PySide6 user interface. The only package allowed to import Qt."""

from twinviewer.gui import colour_tables
from twinviewer.gui._lazy_imports import (
    MATPLOTLIB_FOR_PYVISTA,
    defer_family,
    defer_module,
    faster_vtk_module_lookup,
    lighter_pyside_import_hook,
    mirror_qt_lazily,
    serve_items,
)

# pyvista (0.49) imports matplotlib at import time but uses it only inside functions (named
# colour maps, a colour cycler, charts); the viewer draws with VTK and pyqtgraph. Deferring
# it saves about a second of start-up CPU; it loads on first use. pyvista gives every new
# mapper its theme's colour map by name: the viewer's colour maps come from numpy tables.
if defer_family("matplotlib", MATPLOTLIB_FOR_PYVISTA, "pyvista."):
    serve_items("matplotlib", "colormaps", colour_tables.table_colormap)
# pyvista's reader registry imports pooch (with requests, email, tarfile: ~0.1 s) to fetch
# files from URLs, inside one function; the viewer reads local files only
defer_module("pooch")

# Before anything else imports them: PySide's check of every module imported after it reads
# the file's bytes, pyqtgraph's copies of QtCore, QtGui and QtWidgets make only the classes
# it uses, and VTK finds its modules from one folder listing (about 0.4–0.6 s of start-up CPU
# together; see _lazy_imports).
lighter_pyside_import_hook()
mirror_qt_lazily()
faster_vtk_module_lookup()
