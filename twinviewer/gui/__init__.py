"""PySide6 user interface. The only package allowed to import Qt."""

from twinviewer.gui import colour_tables
from twinviewer.gui._lazy_imports import MATPLOTLIB_FOR_PYVISTA, defer_family, serve_items

# pyvista (0.49) imports matplotlib at import time but uses it only inside functions (named
# colour maps, a colour cycler, charts); the viewer draws with VTK and pyqtgraph. Deferring
# it saves about a second of start-up CPU; it loads on first use. pyvista gives every new
# mapper its theme's colour map by name: the viewer's colour maps come from numpy tables.
if defer_family("matplotlib", MATPLOTLIB_FOR_PYVISTA, "pyvista."):
    serve_items("matplotlib", "colormaps", colour_tables.table_colormap)
