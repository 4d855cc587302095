"""A pyvista plotter in a native child window (VTK draws straight into its own X/Win32 window).

pyvistaqt's ``QtInteractor`` is a ``QOpenGLWidget``: VTK renders into a framebuffer object and
Qt then composes the *whole* top-level window through OpenGL on every repaint of any widget
in it. Under software OpenGL (Mesa llvmpipe, the machines this viewer is tested on) that costs
~19 ms of CPU for a status-bar label alone, and a playback frame repaints the plots too.

:class:`NativeInteractor` is the same pyvista ``BasePlotter`` on VTK's own
``QVTKRenderWindowInteractor`` with a ``QWidget`` base (``WA_PaintOnScreen``, a native window
whose GL context VTK owns): a 3D frame is one VTK render and a buffer swap into that window,
and the rest of the window stays on Qt's raster backing store (no GL composition).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import vtkmodules.qt

vtkmodules.qt.QVTKRWIBase = "QWidget"  # before the import below reads it
vtkmodules.qt.PyQtImpl = "PySide6"

from pyvista.plotting import BasePlotter  # noqa: E402
from pyvista.plotting.render_window_interactor import RenderWindowInteractor  # noqa: E402
from vtkmodules.qt.QVTKRenderWindowInteractor import (  # noqa: E402
    QVTKRenderWindowInteractor,
)
from vtkmodules.vtkRenderingCore import vtkRenderWindow  # noqa: E402


@contextlib.contextmanager
def _no_base_plotter_init() -> Iterator[None]:
    """PySide6's ``QWidget.__init__`` continues the cooperative ``super()`` chain into
    ``BasePlotter.__init__`` without arguments; hold it back (as pyvistaqt does)."""
    init = BasePlotter.__init__
    BasePlotter.__init__ = lambda *a, **k: None
    try:
        yield
    finally:
        BasePlotter.__init__ = init


def _render_window() -> vtkRenderWindow:
    """A render window that draws through Qt's own X connection (on X11), not one of its own
    per window. (VTK's GLX loader still keeps one connection per process: if the X server
    stops before the process ends, Xlib exits with status 1; see tests/conftest.py.)"""
    from PySide6.QtWidgets import QApplication

    native = QApplication.instance().nativeInterface()
    display = getattr(native, "display", None)  # QNativeInterface.QX11Application
    if display is None or not display():
        return vtkRenderWindow()
    # the X11 class itself: the generic factory probes the display with a connection of
    # its own as it picks a class
    from vtkmodules.vtkRenderingOpenGL2 import vtkXOpenGLRenderWindow

    rw = vtkXOpenGLRenderWindow()
    rw.SetDisplayId(f"_{display():016x}_p_void")  # VTK's form of a void*
    return rw


class NativeInteractor(QVTKRenderWindowInteractor, BasePlotter):
    """pyvista plotter embedded as a native child widget.

    Parameters
    ----------
    parent : QWidget, optional
    multi_samples : int, default: 0
        MSAA samples of the render window.

    Examples
    --------
    >>> p = NativeInteractor()  # doctest: +SKIP
    >>> _ = p.add_mesh(pyvista.Sphere())  # doctest: +SKIP
    """

    def __init__(self, parent=None, multi_samples: int = 0) -> None:
        with _no_base_plotter_init():
            QVTKRenderWindowInteractor.__init__(self, parent, rw=_render_window())
        BasePlotter.__init__(self)
        self.interactor = self  # pyvistaqt's name for the widget
        self.ren_win = self.GetRenderWindow()
        self.ren_win.SetMultiSamples(multi_samples)
        for renderer in self.renderers:
            renderer.view_isometric()
            self.ren_win.AddRenderer(renderer)
        self._off_screen = False
        self.iren = RenderWindowInteractor(self, interactor=self.ren_win.GetInteractor())
        self.iren.interactor.RemoveObservers("MouseMoveEvent")
        self.iren.initialize()
        self.enable_trackball_style()
        self._observers: dict = {}
        self.iren.add_observer("KeyPressEvent", self.key_press_event)
        self.reset_key_events()
        self._first_time = False  # BasePlotter renders only after this is False
        self._closed = False

    def render(self) -> None:
        """Render now (no-op before the widget is shown or after it is closed)."""
        if self._closed or not self.isVisible():
            return
        self._rendered = True
        BasePlotter.render(self)

    def paintEvent(self, ev) -> None:  # noqa: N802 - Qt naming
        if not self._closed:
            self._rendered = True
            super().paintEvent(ev)

    def close(self) -> None:
        """Release the render window (the widget itself is deleted with its parent)."""
        if self._closed:
            return
        self._closed = True
        BasePlotter.close(self)
        QVTKRenderWindowInteractor.close(self)
