"""Build a (gated) image volume from a series' geometry: positions, orientation, spacing.

Geometry comes only from ImagePositionPatient, ImageOrientationPatient and PixelSpacing;
slices are sorted along the slice normal and the spacing is measured from the positions
(SliceThickness is not spacing). Slices that are unevenly spaced — a missing slice, say — are
resampled onto a uniform grid by linear interpolation along the normal and a note says so;
a gap wider than :data:`MAX_GAP` median spacings is refused.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
from pydicom.pixels import pixel_array

from twinviewer.core.anatomy import ImageVolume
from twinviewer.imaging.errors import ImagingError
from twinviewer.imaging.series import (
    Cancel,
    FrameRef,
    Progress,
    SeriesInfo,
    group_by_phase,
    n_workers,
)

ORIENTATION_TOL = 1e-3  # direction cosine difference counted as a different orientation
MAX_GAP = 3.0  # refuse a gap wider than this many median slice spacings
UNEVEN_TOL = 0.01  # relative spacing deviation tolerated without resampling
ES_FRACTION = 0.40  # assumed end-systole as a fraction of the R-R interval without labels


@dataclass
class LoadedVolume:
    """A built image with what later steps need to relate other objects to it."""

    image: ImageVolume
    series_uid: str
    frame_of_reference_uid: str = ""
    sop_phase: dict[str, int] = field(default_factory=dict)  # de-identified SOP UID -> phase
    notes: list[str] = field(default_factory=list)


def _check_orientation(frames: list[FrameRef], uid_label: str) -> np.ndarray:
    ref = frames[0]
    for f in frames[1:]:
        if np.abs(f.orientation - ref.orientation).max() > ORIENTATION_TOL:
            raise ImagingError(
                f"{f.path}: orientation {np.round(f.orientation, 4).tolist()} differs from "
                f"{np.round(ref.orientation, 4).tolist()} in {ref.path} within series "
                f"{uid_label}; mixed orientations cannot form one volume")
        if (f.rows, f.cols) != (ref.rows, ref.cols) or \
                not np.allclose(f.pixel_spacing, ref.pixel_spacing, rtol=1e-4):
            raise ImagingError(
                f"{f.path}: {f.rows}×{f.cols} pixels of {f.pixel_spacing} mm differ from "
                f"{ref.rows}×{ref.cols} of {ref.pixel_spacing} mm in {ref.path}")
    row, col = ref.orientation[:3], ref.orientation[3:]
    normal = np.cross(row, col)
    if not (abs(np.linalg.norm(normal) - 1) < 1e-2 and abs(row @ col) < 1e-2):
        raise ImagingError(f"{ref.path}: ImageOrientationPatient {ref.orientation.tolist()} "
                           "is not two orthonormal directions")
    return normal / np.linalg.norm(normal)


def _phases(frames: list[FrameRef], normal: np.ndarray) -> list[list[FrameRef]]:
    d = np.round(np.array([f.position @ normal for f in frames]), 2)
    if len(np.unique(d)) == len(frames):
        return [frames]  # every position distinct: one phase whatever the timing tags say
    groups = group_by_phase(frames)
    sizes = {len(g) for g in groups}
    if len(groups) == 1 or len(sizes) > 1:
        dup = next(f for f, dd in zip(frames, d, strict=True) if (d == dd).sum() > 1)
        raise ImagingError(
            f"{dup.path}: several slices share position {np.round(dup.position, 2).tolist()} "
            f"and the timing tags (TemporalPositionIdentifier/TriggerTime/CardiacPhase) do not "
            f"split them into phases of equal size ({sorted(len(g) for g in groups)})")
    return groups


def _phase_time(g: list[FrameRef]) -> tuple[float, float]:
    trig = np.nanmedian([f.trigger_ms for f in g]) if any(
        not math.isnan(f.trigger_ms) for f in g) else math.nan
    pct = np.nanmedian([f.nominal_pct for f in g]) if any(
        not math.isnan(f.nominal_pct) for f in g) else math.nan
    return float(trig), float(pct)


def ed_es_from_timing(times_ms: list[float], pcts: list[float],
                      rr_ms: float | None) -> tuple[int, int, str]:
    """ED/ES phase indices from timing alone, with the assumption used.

    ED is the phase nearest 0 % of the R-R interval (the R wave); ES the phase nearest
    :data:`ES_FRACTION` of R-R. Labels, where present, override this (largest / smallest LV).
    """
    n = len(times_ms)
    if n == 1:
        return 0, 0, "single phase: ED and ES are the same image"
    if not all(math.isnan(p) for p in pcts):
        frac = np.array([p / 100.0 if not math.isnan(p) else np.inf for p in pcts])
        how = "NominalPercentageOfCardiacPhase"
    elif not all(math.isnan(t) for t in times_ms):
        t = np.array(times_ms)
        rr = rr_ms or float(np.nanmax(t) * n / (n - 1)) or 1.0
        frac = np.where(np.isnan(t), np.inf, t / rr)
        how = f"TriggerTime over R-R {rr:.0f} ms" + ("" if rr_ms else " (R-R estimated)")
    else:
        frac = np.arange(n) / n
        how = "phase order (no timing tags)"
    cyc = lambda target: np.minimum(np.abs(frac - target), np.abs(frac - target - 1))  # noqa: E731
    ed, es = int(np.argmin(cyc(0.0))), int(np.argmin(cyc(ES_FRACTION)))
    return ed, es, (f"ED/ES from {how}: ED = phase nearest 0 % R-R, ES = phase nearest "
                    f"{ES_FRACTION:.0%} R-R (assumed; labels override)")


def _read_pixels(path: Path) -> np.ndarray:
    """Pixel array of one file; only the pixels leave this function (nothing identifying).

    pydicom's direct reader (``pydicom.pixels.pixel_array``) decodes without building a
    Dataset, three times faster than ``dcmread(...).pixel_array``; only when it fails is the
    header read, to say why.
    """
    try:
        return pixel_array(path)
    except Exception as exc:  # pydicom raises many kinds; find out which problem it is
        first = exc
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
    except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise ImagingError(f"{path}: unreadable or truncated DICOM ({type(exc).__name__}: "
                           f"{exc})") from exc
    meta = getattr(ds, "file_meta", None)
    ts = meta.get("TransferSyntaxUID") if meta is not None else None
    name = f"{ts.name} ({ts})" if ts is not None else "unknown transfer syntax"
    raise ImagingError(f"{path}: cannot decode pixel data with transfer syntax {name} "
                       f"(or the pixel data are truncated): {type(first).__name__}: "
                       f"{first}") from first


def load_volume(series: SeriesInfo, *, progress: Progress | None = None,
                cancel: Cancel | None = None) -> LoadedVolume:
    """Read a series into an :class:`~twinviewer.core.anatomy.ImageVolume`.

    Parameters
    ----------
    series : SeriesInfo
        From :func:`twinviewer.imaging.series.scan_folder` (kind ``'image'``).
    progress, cancel : callable, optional
        Progress callback and cancel query.

    Returns
    -------
    LoadedVolume
        ``image.array`` is ``(phases, z, y, x)`` float32 after rescale slope/intercept.

    Raises
    ------
    ImagingError
        Mixed orientations, duplicate positions, inconsistent phases, a gap of missing
        slices wider than ``MAX_GAP`` spacings, in-plane shifted slices, undecodable files.
    """
    frames = series.frames
    if not frames:
        raise ImagingError(f"series {series.description!r}: no image frames")
    label = repr(series.description) or series.series_uid
    normal = _check_orientation(frames, label)
    phases = _phases(frames, normal)
    notes: list[str] = []
    for g in phases:
        g.sort(key=lambda f: f.position @ normal)
    d0 = np.array([f.position @ normal for f in phases[0]])
    for g in phases[1:]:
        d = np.array([f.position @ normal for f in g])
        if not np.allclose(d, d0, atol=0.01):
            bad = g[int(np.argmax(np.abs(d - d0)))]
            raise ImagingError(f"{bad.path}: slice positions of this phase differ from the "
                               f"first phase's in series {label}")
    # In-plane offsets must not drift (gantry tilt / sheared stacks are not supported).
    pos = np.array([f.position for f in phases[0]])
    inplane = (pos - pos[0]) - np.outer((pos - pos[0]) @ normal, normal)
    if np.abs(inplane).max() > 0.05 * min(phases[0][0].pixel_spacing):
        raise ImagingError(f"{phases[0][-1].path}: slice positions are offset in-plane from "
                           f"{phases[0][0].path} (tilted gantry or sheared stack) in {label}")
    if len(d0) > 1:
        gaps = np.diff(d0)
        if gaps.min() < 1e-3:
            raise ImagingError(f"{phases[0][int(np.argmin(gaps)) + 1].path}: duplicate slice "
                               f"position in series {label}")
        dz = float(np.median(gaps))
        if gaps.max() > MAX_GAP * dz:
            at = int(np.argmax(gaps))
            raise ImagingError(
                f"series {label}: gap of {gaps[at]:.2f} mm between {phases[0][at].path} and "
                f"{phases[0][at + 1].path} (median spacing {dz:.2f} mm): too many missing slices")
    else:
        dz = float(series.slice_thickness_mm or 1.0)
        gaps = np.array([dz])
    uneven = bool(np.abs(gaps - dz).max() > UNEVEN_TOL * dz)

    ny, nx = frames[0].rows, frames[0].cols
    nz = len(d0)
    arr = np.empty((len(phases), nz, ny, nx), np.float32)
    where: dict[Path, list[tuple[int, int, FrameRef]]] = {}
    sop_phase: dict[str, int] = {}
    for p, g in enumerate(phases):
        for k, f in enumerate(g):
            where.setdefault(f.path, []).append((p, k, f))
            sop_phase[f.sop_uid] = p
    paths = list(where)

    def fill(path: Path) -> None:
        px = _read_pixels(path)
        for p, k, f in where[path]:
            frame = px if px.ndim == 2 else px[f.frame or 0]
            if frame.shape != (ny, nx):
                raise ImagingError(f"{path}: pixel array {frame.shape} does not match "
                                   f"Rows×Columns {ny}×{nx}")
            out = arr[p, k]
            if f.slope == 1.0:
                out[...] = frame
            else:  # float32 scalars keep numpy from a float64 round trip
                np.multiply(frame, np.float32(f.slope), out=out, casting="unsafe")
            if f.intercept:
                np.add(out, np.float32(f.intercept), out=out)

    with ThreadPoolExecutor(n_workers()) as pool:
        futures = [pool.submit(fill, path) for path in paths]
        for n, fut in enumerate(futures):
            if cancel is not None and cancel():
                for f in futures:
                    f.cancel()
                raise ImagingError(f"series {label}: import cancelled")
            fut.result()
            if progress is not None and n % 16 == 0:
                progress(n / len(futures), f"reading {label}: {n}/{len(futures)} files")

    if uneven:
        target = d0[0] + dz * np.arange(int(round((d0[-1] - d0[0]) / dz)) + 1)
        idx = np.clip(np.searchsorted(d0, target, side="right") - 1, 0, nz - 2)
        w = ((target - d0[idx]) / (d0[idx + 1] - d0[idx])).astype(np.float32)
        w = np.clip(w, 0, 1)[None, :, None, None]
        arr = (1 - w) * arr[:, idx] + w * arr[:, idx + 1]
        notes.append(f"series {label}: slice spacing uneven ({gaps.min():.2f}–{gaps.max():.2f} "
                     f"mm; missing slices?); resampled to {len(target)} slices at {dz:.2f} mm "
                     "by linear interpolation along the slice normal")
    ref = phases[0][0]
    row, col = ref.orientation[:3], ref.orientation[3:]
    affine = np.eye(4)
    affine[:3, 0] = normal * dz
    affine[:3, 1] = col * ref.pixel_spacing[0]
    affine[:3, 2] = row * ref.pixel_spacing[1]
    affine[:3, 3] = ref.position
    times, pcts = zip(*(_phase_time(g) for g in phases), strict=True)
    ed, es, how = ed_es_from_timing(list(times), list(pcts), series.nominal_interval_ms)
    if len(phases) > 1:
        notes.append(f"series {label}: {len(phases)} phases; {how}")
    image = ImageVolume(arr, affine, (dz, *ref.pixel_spacing), list(times), ed, es,
                        series.modality, series.description, series.slice_thickness_mm)
    return LoadedVolume(image, series.series_uid, "", sop_phase, notes)
