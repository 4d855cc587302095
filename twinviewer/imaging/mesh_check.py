"""Checks of a surface read from a file, before anything is computed from it.

A point with a NaN or infinite coordinate, a triangle that points past the point list or a
surface whose every triangle has no area would otherwise surface much later as a NaN volume or
uncertainty far from the file that caused it; here it is refused naming the file.
"""

from __future__ import annotations

import numpy as np

from twinviewer.imaging.errors import ImagingError


def refuse_bad_surface(points: np.ndarray, faces: np.ndarray | None, name: str) -> None:
    """Raise :class:`ImagingError` naming ``name`` if the surface cannot be a mesh.

    Parameters
    ----------
    points : ndarray
        ``(n, 3)`` coordinates (mm).
    faces : ndarray or None
        ``(m, 3)`` triangles, indices into ``points`` (None: check the points only).
    name : str
        The file name, for the message.

    Examples
    --------
    >>> p = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0.0]])
    >>> refuse_bad_surface(p, np.array([[0, 1, 2]]), "ok.vtk")
    >>> p[1, 0] = np.nan
    >>> refuse_bad_surface(p, np.array([[0, 1, 2]]), "bad.vtk")
    Traceback (most recent call last):
    ...
    twinviewer.imaging.errors.ImagingError: bad.vtk: 1 point is not finite (NaN)
    """
    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or points.shape[0] == 0 or points.shape[1] != 3:
        raise ImagingError(f"{name}: no points in the file")
    bad = ~np.isfinite(points).all(axis=1)
    if bad.any():
        nan = int(np.isnan(points[bad]).any(axis=1).sum())
        kinds = ", ".join(k for k, n in (("NaN", nan), ("infinite", int(bad.sum()) - nan)) if n)
        n = int(bad.sum())
        raise ImagingError(f"{name}: {n} point{'s are' if n != 1 else ' is'} not finite "
                           f"({kinds})")
    if faces is None:
        return
    faces = np.asarray(faces)
    if faces.ndim != 2 or faces.shape[0] == 0:
        raise ImagingError(f"{name}: no surface triangles in the file")
    if faces.min() < 0 or faces.max() >= len(points):
        raise ImagingError(f"{name}: a triangle refers to a point that is not in the file "
                           f"(index {int(faces.min()) if faces.min() < 0 else int(faces.max())}"
                           f", {len(points)} points)")
    tri = points[faces[:, :3]]
    area = np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    if not (area > 0).any():
        raise ImagingError(f"{name}: all {len(faces)} triangles have zero area (degenerate "
                           "surface)")


__all__ = ["refuse_bad_surface"]
