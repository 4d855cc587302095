"""Print the VTK modules the app can never import, as PyInstaller ``--exclude-module``
arguments (``packaging/build-bundle.sh`` reads them).

The app reaches VTK through pyvista (which maps each VTK class it may hand out to its
module, ``pyvista._vtk``, and imports a few modules for their rendering factories),
pyvistaqt and its own imports (``twinviewer.gui.view3d`` and the modules it loads).
Everything those load — with the modules each loaded VTK module imports itself — is kept;
the other modules (VTK-m accelerators, web, VR, AMR, most readers: 73 of 154 with
VTK 9.7) are left out, and so are the libraries no kept module links (``ldd``: the
``libviskores_*`` of VTK-m, …).

    .venv/bin/python packaging/vtk_unused.py
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import subprocess
import sys

#: Modules imported for their side effects (rendering factories, text, charts), beside
#: pyvista's class map (``pyvista/plotting/_rendering_imports.py``).
FACTORIES = ("vtkRenderingContextOpenGL2", "vtkRenderingFreeType", "vtkRenderingMatplotlib",
             "vtkRenderingVolumeOpenGL2", "vtkInteractionStyle", "vtkRenderingOpenGL2")


def used() -> set[str]:
    """The ``vtkmodules.vtk*`` modules loaded by everything the app can import from VTK."""
    import pyvista._vtk as pv_vtk

    names = (set(pv_vtk._CORE_MODULES) | set(pv_vtk._PLOTTING_MODULES)
             | set(pv_vtk._OPENGL_MODULES) | set(FACTORIES))
    for name in sorted(names):
        with contextlib.suppress(ImportError):  # optional ones (MathText) may be absent
            importlib.import_module(f"vtkmodules.{name}")
    for loader in getattr(pv_vtk, "_SPECIAL_LOADERS", {}).values():
        with contextlib.suppress(ImportError):
            loader()
    import pyvista  # noqa: F401
    import pyvistaqt  # noqa: F401
    import vtkmodules.qt.QVTKRenderWindowInteractor  # noqa: F401

    import twinviewer.gui.view3d  # noqa: F401
    return {k.split(".", 1)[1] for k in sys.modules if k.startswith("vtkmodules.vtk")}


def unused() -> list[str]:
    """The compiled ``vtkmodules.vtk*`` modules not in :func:`used`."""
    import vtkmodules

    here = os.path.dirname(vtkmodules.__file__)
    every = {f.split(".")[0] for f in os.listdir(here)
             if f.startswith("vtk") and f.endswith(".so")}
    return sorted(every - used())


def unused_libraries(modules: list[str]) -> list[str]:
    """The ``lib*.so`` files beside VTK's modules that no module outside ``modules`` links,
    directly or through another library (``ldd``), as the module names PyInstaller's
    ``--collect-submodules vtkmodules`` gives them (``libviskores_cont``, …): listed as
    "submodules", they would be collected whether linked or not."""
    import vtkmodules

    here = os.path.dirname(vtkmodules.__file__)
    kept = [f for f in os.listdir(here) if f.startswith("vtk") and ".cpython" in f
            and f.split(".")[0] not in modules]
    linked: set[str] = set()
    for name in kept:
        out = subprocess.run(["ldd", os.path.join(here, name)], capture_output=True,
                             text=True, check=True).stdout
        linked |= {os.path.basename(p) for p in re.findall(r"=> (\S+)", out)
                   if os.path.dirname(os.path.realpath(p)) == os.path.realpath(here)}
    return sorted(f.split(".")[0] for f in os.listdir(here)
                  if f.startswith("lib") and f.endswith(".so") and f not in linked)


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    left_out = unused()
    for name in left_out + unused_libraries(left_out):
        print(f"--exclude-module=vtkmodules.{name}")
