"""Long-axis image planes (2CH, 4CH, RVOT …) as textured quads at their true 3D position.

Each :class:`~twinviewer.core.anatomy.ImagePlane` is one slice (``image.shape == (1, rows,
cols)``) with its own phases. :func:`plane_quad` places a rectangle on the slice's pixel
edges through the image affine (patient mm, the meshes' space); :func:`plane_textures` makes
one greyscale texture per phase, windowed once for the whole series so brightness does not
pump through the cycle; :func:`plane_phase_at` picks the phase nearest in time to the model's
beat, so the planes move in step with the cine and the meshes.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv


def plane_quad(plane) -> pv.PolyData:
    """A textured rectangle covering the plane's pixels (edges at ±half a pixel).

    Examples
    --------
    >>> from twinviewer.core.anatomy import ImagePlane, ImageVolume
    >>> img = ImageVolume(np.zeros((1, 1, 4, 6), np.float32), np.eye(4), (1, 1, 1))
    >>> plane_quad(ImagePlane("4CH", img)).bounds[2:4]  # rows run along y here
    (-0.5, 3.5)
    """
    img = plane.image
    _, rows, cols = img.shape
    kji = np.array([[0, -0.5, -0.5], [0, -0.5, cols - 0.5],
                    [0, rows - 0.5, cols - 0.5], [0, rows - 0.5, -0.5]])
    quad = pv.PolyData(img.index_to_patient(kji), faces=np.array([4, 0, 1, 2, 3]))
    # pyvista textures put array row 0 at the top (v = 1): row -0.5 edge -> v = 1
    quad.active_texture_coordinates = np.array([[0, 1], [1, 1], [1, 0], [0, 0]], float)
    return quad


def plane_textures(plane, low_high: tuple[float, float] | None = None) -> list[pv.Texture]:
    """One 8-bit greyscale texture per phase (window: 1st–99th percentile of all phases)."""
    arr = np.asarray(plane.image.array[:, 0], dtype=np.float32)
    lo, hi = low_high if low_high is not None else np.percentile(arr, [1.0, 99.0])
    scale = 255.0 / max(float(hi - lo), 1e-6)
    out = []
    for frame in arr:
        g = np.clip((frame - lo) * scale, 0, 255).astype(np.uint8)
        out.append(pv.Texture(np.repeat(g[:, :, None], 3, axis=2)))
    return out


def plane_phase_at(plane, fraction: float, period_ms: float | None) -> int:
    """The plane's phase nearest in time to ``fraction`` of a beat of ``period_ms``.

    Without usable trigger times the phases are spread evenly over the beat.

    Examples
    --------
    >>> from twinviewer.core.anatomy import ImagePlane, ImageVolume
    >>> img = ImageVolume(np.zeros((4, 1, 2, 2), np.float32), np.eye(4), (1, 1, 1),
    ...                   [0.0, 200.0, 400.0, 600.0])
    >>> plane_phase_at(ImagePlane("2CH", img), 0.26, 800.0)
    1
    """
    img = plane.image
    n = img.n_phases
    if n <= 1:
        return 0
    times = np.asarray(img.phase_times_ms, dtype=float)
    f = float(fraction) % 1.0
    if times.size == n and np.isfinite(times).all() and period_ms:
        t = f * period_ms
        dist = np.abs((times - t + period_ms / 2) % period_ms - period_ms / 2)
        return int(np.argmin(dist))
    return int(round(f * n)) % n
