"""The heart's own axes from its meshes, and the standard cardiac views (numpy only).

The LV long axis is the principal axis (largest-variance direction) of the LV blood pool's
vertices, pointed from apex to base (towards the atria/great vessels). The four-chamber plane
holds the long axis and the direction to the RV centre; the two-chamber plane holds the long
axis and is perpendicular to it; short-axis planes are perpendicular to the long axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CardiacFrame:
    """Centre (mm, LPS) and unit axes of the heart.

    Attributes
    ----------
    centre : (3,) LV blood-pool centroid
    long_axis : (3,) unit vector apex → base
    septal : (3,) unit vector from LV towards RV, perpendicular to ``long_axis``
    size : float, extent of the heart (mm), for camera distance
    """

    centre: np.ndarray
    long_axis: np.ndarray
    septal: np.ndarray
    size: float

    @property
    def four_chamber_normal(self) -> np.ndarray:
        return np.cross(self.long_axis, self.septal)

    def view(self, name: str) -> dict[str, np.ndarray]:
        """Camera for a standard view: ``{'position', 'focal_point', 'view_up', 'normal'}``;
        ``normal`` is the image plane's normal (the direction the camera looks from)."""
        d = 3.0 * self.size
        if name == "anterior":
            return anterior_view(self.centre, self.size)
        if name == "short_axis":  # seen from the apex, anterior up
            normal = -self.long_axis
            up = self.four_chamber_normal
        elif name == "four_chamber":
            # base up, apex down, the patient's left on the screen's right: superior stays
            # up as in the anterior view and a CT/MR reformat. Apex up (the apical echo
            # view) put the aortic arch below the ventricles on the start screenshot
            # (review 7 #8, review 8 #7)
            normal = self.four_chamber_normal
            up = self.long_axis
        elif name == "two_chamber":
            normal = -self.septal
            up = self.long_axis
        else:
            raise ValueError(f"unknown cardiac view {name!r}; use anterior, short_axis, "
                             f"four_chamber or two_chamber")
        return {"position": self.centre + d * normal, "focal_point": self.centre,
                "view_up": up, "normal": normal}


#: The patient's superior and anterior directions in the anatomy's LPS world (x towards the
#: patient's left, y posterior, z superior: DICOM's patient coordinates, which every
#: anatomy's meshes use).
SUPERIOR = np.array([0.0, 0.0, 1.0])
ANTERIOR = np.array([0.0, -1.0, 0.0])


def anterior_view(centre: np.ndarray, size: float) -> dict[str, np.ndarray]:
    """The anatomical default camera: the heart seen from the front of the patient, superior
    up, the patient's left on the screen's right (a standard anterior view, as in an
    anatomy atlas or a frontal chest radiograph): the aortic arch on top, the apex low on
    the right.

    Examples
    --------
    >>> cam = anterior_view(np.zeros(3), 100.0)
    >>> cam["view_up"].tolist(), cam["position"].tolist()
    ([0.0, 0.0, 1.0], [0.0, -300.0, 0.0])
    >>> # screen right = direction of projection × view-up = the patient's left (+x)
    >>> np.cross(cam["focal_point"] - cam["position"], cam["view_up"]).tolist()
    [300.0, 0.0, 0.0]
    """
    centre = np.asarray(centre, float)
    return {"position": centre + 3.0 * size * ANTERIOR, "focal_point": centre,
            "view_up": SUPERIOR.copy(), "normal": ANTERIOR.copy()}


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    if n == 0:
        raise ValueError("degenerate direction")
    return v / n


def cardiac_frame(anatomy, phase: int | None = None) -> CardiacFrame:
    """The :class:`CardiacFrame` of an anatomy (needs an LV blood pool mesh).

    Raises
    ------
    ValueError
        If the anatomy has no LV blood pool mesh.
    """
    s = anatomy.structures.get("lv_blood") if anatomy is not None else None
    if s is None or not s.meshes:
        raise ValueError("no LV blood pool mesh: cannot derive the cardiac axes")
    phase = phase if phase in s.meshes else min(s.meshes)
    pts = s.meshes[phase].points
    centre = pts.mean(axis=0)
    _, _, vt = np.linalg.svd(pts - centre, full_matrices=False)
    axis = vt[0]
    # extent of every mesh of every phase, without stacking them (a heart switch's share)
    meshes = [m.points for st in anatomy.structures.values() for m in st.meshes.values()]
    lo = np.min([p.min(axis=0) for p in meshes], axis=0)
    hi = np.max([p.max(axis=0) for p in meshes], axis=0)
    size = float(np.linalg.norm(hi - lo))
    base_refs = [anatomy.structures[k] for k in ("la", "aorta", "ra")
                 if k in anatomy.structures and anatomy.structures[k].meshes]
    if base_refs:
        ref = np.mean([next(iter(b.meshes.values())).points.mean(axis=0) for b in base_refs],
                      axis=0)
    else:  # no atria: the base is the wider end of the cavity
        proj = (pts - centre) @ axis
        ref = centre + axis * (1 if np.ptp(pts[proj > 0], axis=0).sum() >
                               np.ptp(pts[proj < 0], axis=0).sum() else -1)
    if np.dot(ref - centre, axis) < 0:
        axis = -axis
    rv = anatomy.structures.get("rv_blood")
    if rv is not None and rv.meshes:
        to_rv = next(iter(rv.meshes.values())).points.mean(axis=0) - centre
    else:
        to_rv = np.cross(axis, [0.0, 0.0, 1.0]) if abs(axis[2]) < 0.9 else np.array([1., 0, 0])
    septal = _unit(to_rv - np.dot(to_rv, axis) * axis)
    return CardiacFrame(centre, _unit(axis), septal, size)
