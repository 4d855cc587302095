"""PySide6 user interface. The only package allowed to import Qt."""

from twinviewer.gui._lazy_imports import defer_module

# pyvista (0.49) imports matplotlib.pyplot at import time but uses it only inside functions
# (a colour cycler, charts); the viewer draws with VTK and pyqtgraph. Deferring it saves
# about a second of start-up CPU; it loads on first attribute use.
defer_module("matplotlib.pyplot")
