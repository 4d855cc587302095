"""The 3D view's VTK renderer in a native child window (VTK draws straight into its own X/Win32
window).

pyvistaqt's ``QtInteractor`` is a ``QOpenGLWidget``: VTK renders into a framebuffer object and
Qt then composes the *whole* top-level window through OpenGL on every repaint of any widget
in it. Under software OpenGL (Mesa llvmpipe, the machines this viewer is tested on) that costs
~19 ms of CPU for a status-bar label alone, and a playback frame repaints the plots too.

:class:`NativeInteractor` is VTK's own ``QVTKRenderWindowInteractor`` with a ``QWidget`` base
(``WA_PaintOnScreen``, a native window whose GL context VTK owns) and one renderer: plain VTK,
no pyvista plotter, whose import cost ~0.2 s of every start (the scene's pieces are made by
:mod:`twinviewer.gui.view3d_scene`): a 3D frame is one VTK render and a buffer swap into
that window, and the rest of the window stays on Qt's raster backing store (no GL composition).

**Drawing ahead** (:meth:`NativeInteractor.render_ahead`). Mesa's llvmpipe rasterises a flushed
frame in its own threads while the caller goes on; only the buffer swap waits for them. A
playback frame therefore draws the 3D scene first, without the swap, and flushes it; the 2D
views update and paint while llvmpipe rasterises; the paint of this widget then only shows the
finished frame (the swap). On two cores that overlaps the GUI thread's Python/Qt work with the
rasterisation instead of running them one after the other (docs/notes/render7.md).
"""

from __future__ import annotations

import ctypes

import vtkmodules.qt

vtkmodules.qt.QVTKRWIBase = "QWidget"  # before the import below reads it
vtkmodules.qt.PyQtImpl = "PySide6"

from vtkmodules.qt.QVTKRenderWindowInteractor import (  # noqa: E402
    QVTKRenderWindowInteractor,
)
from vtkmodules.vtkInteractionStyle import vtkInteractorStyleTrackballCamera  # noqa: E402
from vtkmodules.vtkRenderingCore import vtkRenderer, vtkRenderWindow  # noqa: E402


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


_FLUSH: list = []  # [glFlush or None], loaded at the first frame drawn ahead


def _gl_flush():
    """``glFlush`` of the current GL context, or None where libGL cannot be loaded (then a
    frame drawn ahead is rasterised at the swap, as without drawing ahead)."""
    if not _FLUSH:
        import sys

        names = ("opengl32",) if sys.platform == "win32" else ("libGL.so.1", "libGL.so")
        for name in names:
            try:
                _FLUSH.append(ctypes.CDLL(name).glFlush)
                break
            except (OSError, AttributeError):
                continue
        else:
            _FLUSH.append(None)
    return _FLUSH[0]


class NativeInteractor(QVTKRenderWindowInteractor):
    """A VTK render window with one renderer, embedded as a native child widget.

    Parameters
    ----------
    parent : QWidget, optional
    multi_samples : int, default: 0
        MSAA samples of the render window.

    Examples
    --------
    >>> p = NativeInteractor()  # doctest: +SKIP
    >>> p.renderer.AddActor(actor); p.render()  # doctest: +SKIP
    """

    def __init__(self, parent=None, multi_samples: int = 0) -> None:
        super().__init__(parent, rw=_render_window())
        self.interactor = self  # pyvistaqt's name for the widget
        self.ren_win = self.render_window = self.GetRenderWindow()
        self.ren_win.SetMultiSamples(multi_samples)
        self.renderer = vtkRenderer()
        self.renderer.SetTwoSidedLighting(True)  # as pyvista's renderer
        self.renderer.SetAutomaticLightCreation(False)
        self.ren_win.AddRenderer(self.renderer)
        iren = self.ren_win.GetInteractor()
        iren.Initialize()
        self._style = vtkInteractorStyleTrackballCamera()
        iren.SetInteractorStyle(self._style)
        iren.AddObserver("KeyPressEvent", self._on_key)
        self._closed = False
        # a frame drawn ahead and not yet shown: None, "fresh" (show it at the next paint) or
        # "stale" (the scene changed after it was drawn: the paint renders again)
        self._ahead: str | None = None
        self._drawing_ahead = False
        self.ren_win.AddObserver("StartEvent", self._on_render_start)

    @property
    def camera(self):
        """The renderer's active camera (``vtkCamera``)."""
        return self.renderer.GetActiveCamera()

    def _on_key(self, iren, _event) -> None:
        """Up/Down zoom in and out, ``v`` an isometric view (pyvista's keys)."""
        key = iren.GetKeySym()
        cam = self.camera
        if key in ("Up", "Down"):
            cam.Zoom(1.05 if key == "Up" else 0.95)
        elif key == "v":
            focal = cam.GetFocalPoint()
            dist = cam.GetDistance()
            cam.SetPosition(*(f + dist / 3 ** 0.5 for f in focal))
            cam.SetViewUp(0.0, 0.0, 1.0)
            self.renderer.ResetCamera()
        else:
            return
        self.render()

    def _on_render_start(self, *_args) -> None:
        if not self._drawing_ahead:  # any other render draws (and shows) the scene anew
            self._ahead = None

    def render_ahead(self) -> bool:
        """Draw the scene now and show it at the next paint (see the module's docstring).

        Returns False, drawing nothing, if the widget is hidden or closed, or if a frame drawn
        ahead is still waiting to be shown (the scene changed twice before one paint: the
        paint renders it once, as :meth:`discard_ahead`).

        Examples
        --------
        >>> p.render_ahead()  # doctest: +SKIP
        True
        """
        if self._closed or not self.isVisible() or self._ahead is not None:
            if self._ahead == "fresh":
                self._ahead = "stale"
            return False
        rw = self.ren_win
        self._drawing_ahead = True
        rw.SetSwapBuffers(False)
        try:
            rw.Render()
            flush = _gl_flush()
            if flush is not None:
                flush()  # hand the frame to the rasteriser's threads now, not at the swap
        finally:
            rw.SetSwapBuffers(True)
            self._drawing_ahead = False
        self._ahead = "fresh"
        self.update()
        return True

    def discard_ahead(self) -> None:
        """The scene changed: a frame drawn ahead is out of date (the next paint renders)."""
        if self._ahead == "fresh":
            self._ahead = "stale"

    def render(self) -> None:
        """Render now (no-op before the widget is shown or after it is closed)."""
        if self._closed or not self.isVisible():
            return
        self.ren_win.Render()

    def paintEvent(self, ev) -> None:  # noqa: N802 - Qt naming
        if self._closed:
            return
        ahead, self._ahead = self._ahead, None
        if ahead == "fresh":
            self.ren_win.Frame()  # the frame drawn ahead: copy to the window and swap
        else:
            super().paintEvent(ev)

    def resizeEvent(self, ev) -> None:  # noqa: N802 - Qt naming
        self.discard_ahead()  # drawn at the old size
        super().resizeEvent(ev)

    def close(self) -> None:
        """Release the render window (the widget itself is deleted with its parent)."""
        if self._closed:
            return
        self._closed = True
        self.ren_win.Finalize()
        QVTKRenderWindowInteractor.close(self)
