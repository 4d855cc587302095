"""review11 #9: `twinviewer report` without a display printed VTK's raw
"vtkXOpenGLRenderWindow.:1452 WARN| bad X server connection. DISPLAY=" on the terminal."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import numpy as np
from twinviewer.core.anatomy import Anatomy, Structure, SurfaceMesh
from twinviewer.report.pdf import _render_3d
pts = np.array([[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10]], float)
faces = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]], np.int32)
a = Anatomy("virtual-x")
a.structures["lv_blood"] = Structure("lv_blood", "LV blood pool", "#c00000")
a.structures["lv_blood"].meshes[0] = SurfaceMesh(pts, faces, np.ones(4))
s, u, why = _render_3d(a, 0, (0.0, 2.0))
print("rendered" if s is not None else "not rendered: " + why)
"""


def test_the_reports_3d_snapshot_without_a_display_prints_no_vtk_warning():
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() in ("rendered",) or out.stdout.startswith("not rendered: ")
    assert "WARN|" not in out.stderr and "bad X server" not in out.stderr, out.stderr
