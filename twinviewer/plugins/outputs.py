"""What overlay, writer and sample contributions are, and the checks of what they return.

* **overlay**: an :class:`Overlay` — a title, a unit and ``values(context) -> (n,) array`` (or
  ``None``: this structure is not coloured), one finite value per surface point of the 3D
  view's structure described by an :class:`OverlayContext`.
* **writer**: ``write(document, path) -> None`` writing the open twin's
  :class:`~twinviewer.io.twinfile.TwinDocument` to ``path`` (the manifest gives its
  ``suffixes``); it writes nothing identifying.
* **sample**: ``make() -> Twin``, a twin to open (File → Open sample twin).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from twinviewer.core.twin import Twin


@dataclass(frozen=True)
class OverlayContext:
    """What an overlay colours: one structure of the 3D view at the current time.

    Attributes
    ----------
    structure
        Vocabulary key of the structure (``"lv_blood"``, ``"lv_myocardium"``, …).
    points
        ``(n, 3)`` positions of its surface points now, patient LPS mm.
    reference_points
        ``(n, 3)`` the same points at end-diastole (moving anatomy), else ``None``.
    results
        The twin's ensemble results (:class:`~twinviewer.physiology.simulate.Results`) or
        ``None`` while they are computed.
    time
        Fraction of the beat shown, in [0, 1).
    percentile
        Which percentile of the ensemble the view shows (5, 50 or 95).
    model
        The twin's model (:class:`~twinviewer.physiology.model.ModelSpec`) or ``None``.
    """

    structure: str
    points: np.ndarray
    reference_points: np.ndarray | None = None
    results: Any = None
    time: float = 0.0
    percentile: float = 50.0
    model: Any = None


@dataclass(frozen=True)
class Overlay:
    """A colouring of the 3D view's surfaces.

    Parameters
    ----------
    title
        Shown in the view's choice and on the colour bar (with the unit).
    unit
        Unit of the values (``"mm"``, ``"mmHg"``, ``"1"`` for a dimensionless ratio).
    values
        ``values(context) -> (n,) array | None`` (see :class:`OverlayContext`).
    limits
        Fixed colour limits ``(low, high)`` in ``unit``, so colours stay comparable over the
        beat; ``None``: from the values seen while it is shown.

    Examples
    --------
    >>> o = Overlay("Height", "mm", lambda ctx: ctx.points[:, 2], limits=(0.0, 100.0))
    >>> overlay_values(o, OverlayContext("lv_blood", np.zeros((4, 3)))).tolist()
    [0.0, 0.0, 0.0, 0.0]
    """

    title: str
    unit: str
    values: Callable[[OverlayContext], np.ndarray | None]
    limits: tuple[float, float] | None = None

    @property
    def label(self) -> str:
        """Title and unit, e.g. ``'Wall motion from ED (mm)'``."""
        return f"{self.title} ({self.unit})" if self.unit and self.unit != "1" else self.title


def overlay_values(overlay: Overlay, ctx: OverlayContext) -> np.ndarray | None:
    """``overlay.values(ctx)`` checked: ``None`` or one finite float per point.

    Raises
    ------
    ValueError
        Naming what is wrong (shape, NaN or infinite values).
    """
    v = overlay.values(ctx)
    if v is None:
        return None
    n = len(ctx.points)
    try:
        raw = np.asarray(v)
    except (TypeError, ValueError) as exc:  # e.g. a ragged list
        raise ValueError(f"overlay {overlay.title!r} returned a {type(v).__name__} that is "
                         f"not an array of numbers ({exc}); expected ({n},)") from None
    if raw.dtype.kind not in "biuf":  # a 0/1 mask may be booleans; "1.5" is a bug
        raise ValueError(f"overlay {overlay.title!r} returned {type(v).__name__} of dtype "
                         f"{raw.dtype} for {ctx.structure}; expected ({n},) numbers")
    v = raw.astype(float)
    if v.shape != (n,):
        raise ValueError(f"overlay {overlay.title!r} returned shape {v.shape} for "
                         f"{ctx.structure} ({n} points); expected ({n},)")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"overlay {overlay.title!r} returned {int((~np.isfinite(v)).sum())} "
                         f"NaN or infinite value(s) on {ctx.structure}")
    return v


def declaration_problems(kind: str, obj: Any) -> list[str]:
    """Problems with a loaded overlay, writer or sample object (before it is used)."""
    if kind == "overlays":
        if not isinstance(obj, Overlay):
            return [f"an overlay must be a twinviewer.plugins.outputs.Overlay, got "
                    f"{type(obj).__name__}"]
        from twinviewer.core.units import dimension

        problems = [] if callable(obj.values) else ["the overlay's values is not callable"]
        if not obj.title:
            problems.append("the overlay has no title")
        try:
            if not obj.unit:
                raise ValueError("empty")
            dimension(obj.unit)
        except Exception as exc:  # UnitError or anything a malformed unit raises
            problems.append(f"the overlay's unit {obj.unit!r} is not understood ({exc})")
        if obj.limits is not None:
            lo, hi = (float(x) for x in obj.limits)
            if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
                problems.append(f"the overlay's limits {obj.limits} are not a finite range")
        return problems
    if not callable(obj):
        return [f"a {kind[:-1]} must be callable"]
    return []


def sample_twin(make: Callable[[], Twin]) -> Twin:
    """Call a sample's ``make()`` and check it returned a twin.

    Raises
    ------
    ValueError
        When it returned something else, or a twin without an ensemble of its parameters.
    """
    twin = make()
    if not isinstance(twin, Twin):
        raise ValueError(f"a sample must return a Twin, got {type(twin).__name__}")
    ens = np.asarray(twin.ensemble)
    if ens.ndim != 2 or ens.shape[1] != len(np.asarray(twin.params)) or not ens.size \
            or not np.all(np.isfinite(ens)):
        raise ValueError(f"sample twin {twin.pseudonym!r}: its ensemble is not a finite "
                         f"(members, parameters) matrix (shape {ens.shape})")
    return twin
