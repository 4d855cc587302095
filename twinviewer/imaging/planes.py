"""Names of image planes and cardiac views (no DICOM reader: the viewer names its slice
panes at start-up without importing pydicom; :mod:`twinviewer.imaging.assembly` uses them to
assemble studies).
"""

from __future__ import annotations

import math
import re

import numpy as np

_VIEWS = (("2CH", r"2\s*-?ch|two.?chamber|vla"), ("3CH", r"3\s*-?ch|three.?chamber|lvot"),
          ("4CH", r"4\s*-?ch|four.?chamber|hla"), ("RVOT", r"rvot"),
          ("SA", r"\bsa\b|_sa_|sax|short.?axis"))
_PATIENT_PLANES = ("sagittal", "coronal", "axial")  # plane whose normal is LPS x, y, z
_VIEW_TITLES = {"SA": "short axis", "2CH": "2-chamber", "3CH": "3-chamber",
                "4CH": "4-chamber", "RVOT": "RVOT"}


def plane_name(normal) -> str:
    """Patient-axis name of a plane from its normal (LPS): within 10° of an axis, else oblique.

    Examples
    --------
    >>> plane_name([0.0, 0.0, 1.0]), plane_name([0.9, 0.1, 0.4])
    ('axial', 'oblique')
    """
    n = np.abs(np.asarray(normal, dtype=float))
    n = n / (np.linalg.norm(n) or 1.0)
    axis = int(np.argmax(n))
    return _PATIENT_PLANES[axis] if n[axis] > math.cos(math.radians(10)) else "oblique"


def pane_titles(affine, description: str = "") -> tuple[str, str, str]:
    """Display names of the three index planes of an image (slice ``k``, row ``j``, column
    ``i``), by their orientation relative to the heart where known, else to the patient.

    The slice plane of a stack the assembly read from a short-axis (or other named cardiac
    view) series is named for that view (the stack's description names its series, see
    :func:`~twinviewer.imaging.assembly.view_of`); every other plane is named by its normal:
    axial, coronal, sagittal or oblique.

    Parameters
    ----------
    affine : (4, 4) array
        ``ImageVolume.affine``: ``(k, j, i, 1)`` to patient LPS mm.
    description : str
        ``ImageVolume.description`` (the stack's series description).

    Examples
    --------
    >>> pane_titles(np.diag([1.0, 1.0, 1.0, 1.0])[[2, 1, 0, 3]], "CT angio")
    ('axial', 'coronal', 'sagittal')
    >>> pane_titles(np.diag([1.0, 1.0, 1.0, 1.0])[[2, 1, 0, 3]], "cine_retro_sa_1 (+5 series)")
    ('short axis', 'coronal', 'sagittal')
    """
    a = np.asarray(affine, dtype=float)[:3, :3]
    titles = [plane_name(np.cross(a[:, (k + 1) % 3], a[:, (k + 2) % 3])) for k in range(3)]
    desc = description.lower()
    for view, pattern in _VIEWS:
        if re.search(pattern, desc):
            titles[0] = _VIEW_TITLES.get(view, view)
            break
    return titles[0], titles[1], titles[2]
