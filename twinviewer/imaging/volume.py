"""Build a (gated) image volume from a series' geometry: positions, orientation, spacing.

Geometry comes only from ImagePositionPatient, ImageOrientationPatient and PixelSpacing;
slices are sorted along the slice normal and the spacing is measured from the positions
(SliceThickness is not spacing). Never silent: unevenly spaced slices — a missing or
unreadable slice, say — are refused naming the two slices around the gap; nothing is
interpolated. The volume's size is checked against :data:`MAX_VOLUME_BYTES` before it is
allocated, and every voxel of a floating-point result is checked finite.

Storage: CT-like series (rescale slope 1, whole-number intercept, integer pixels of at most
16 bits) are stored as int16 — exact, half the memory of float32 and the fastest to fill;
anything else, or a slice whose values would not fit, is stored as float32. Uncompressed
little-endian slices are read straight from the file (the pixel element at the end of the
file is located and checked: tag, VR, length); everything else goes through pydicom's
decoders. Threads read and convert slices in parallel (file reads, the decoders and numpy
release the GIL).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from twinviewer.core.anatomy import ImageVolume
from twinviewer.imaging.dicom_stack import pixel_array, pydicom
from twinviewer.imaging.errors import (
    ImagingError,
    bounded,
    private_warnings,
    safe_detail,
    shown,
)
from twinviewer.imaging.series import (
    Cancel,
    FrameRef,
    Progress,
    SeriesInfo,
    group_by_phase,
    n_workers,
)

ORIENTATION_TOL = 1e-3  # direction cosine difference counted as a different orientation
UNEVEN_TOL = 0.01  # relative spacing deviation tolerated; beyond it the series is refused
MAX_VOLUME_BYTES = 4 * 1024**3  # largest image built (a 20-phase 512² × 300 CT in int16: 3 GB)
MAX_ABS_VALUE = 1e7  # |voxel| after rescale: beyond this a value is nonsense, not signal
ES_FRACTION = 0.40  # assumed end-systole as a fraction of the R-R interval without labels


@dataclass
class LoadedVolume:
    """A built image with what later steps need to relate other objects to it."""

    image: ImageVolume
    series_uid: str
    frame_of_reference_uid: str = ""
    sop_phase: dict[str, int] = field(default_factory=dict)  # de-identified SOP UID -> phase
    notes: list[str] = field(default_factory=list)
    # SOP UIDs of the phases left out (files of them could not be used): a segmentation of
    # those phases is not put on a phase that was imported
    left_out: frozenset[str] = frozenset()


def _check_orientation(frames: list[FrameRef], uid_label: str, w) -> np.ndarray:
    ref = frames[0]
    ori = np.array([f.orientation for f in frames])
    size = np.array([(f.rows, f.cols, *f.pixel_spacing) for f in frames])
    bad = np.flatnonzero(np.abs(ori - ref.orientation).max(axis=1) > ORIENTATION_TOL)
    if bad.size:
        f = frames[bad[0]]
        raise ImagingError(
            f"{w(f.path)}: orientation {np.round(f.orientation, 4).tolist()} differs from "
            f"{np.round(ref.orientation, 4).tolist()} in {w(ref.path)} within series "
            f"{uid_label}; mixed orientations cannot form one volume")
    bad = np.flatnonzero((size[:, :2] != size[0, :2]).any(axis=1)
                         | ~np.isclose(size[:, 2:], size[0, 2:], rtol=1e-4).all(axis=1))
    if bad.size:
        f = frames[bad[0]]
        raise ImagingError(
            f"{w(f.path)}: {f.rows}×{f.cols} pixels of {f.pixel_spacing} mm differ from "
            f"{ref.rows}×{ref.cols} of {ref.pixel_spacing} mm in {w(ref.path)}")
    row, col = ref.orientation[:3], ref.orientation[3:]
    normal = np.cross(row, col)
    if not (abs(np.linalg.norm(normal) - 1) < 1e-2 and abs(row @ col) < 1e-2):
        raise ImagingError(f"{w(ref.path)}: ImageOrientationPatient "
                           f"{ref.orientation.tolist()} is not two orthonormal directions")
    return normal / np.linalg.norm(normal)


def _depths(g: list[FrameRef], normal: np.ndarray) -> set[float]:
    return {round(float(f.position @ normal), 2) for f in g}


def _short_phases(groups: list[list[FrameRef]], normal: np.ndarray) -> list[int] | None:
    """Indices of the phases lacking slices that the others have, if the timing tags split
    the frames into phases of distinct positions that all sit on the fullest phase's
    positions (a missing file, not wrong timing); else None."""
    depths = [_depths(g, normal) for g in groups]
    if len(groups) < 2 or any(len(d) != len(g) for d, g in zip(depths, groups, strict=True)):
        return None
    full = max(depths, key=len)
    if any(not d <= full for d in depths) or any(d != full for d in depths
                                                if len(d) == len(full)):
        return None
    if len(groups) > -(-sum(map(len, groups)) // len(full)):
        return None  # more phases than the frames fill: slices of one phase timed as another
    return [i for i, d in enumerate(depths) if len(d) < len(full)]


def _phases(frames: list[FrameRef], normal: np.ndarray, w) -> list[list[FrameRef]]:
    d = np.round(np.array([f.position @ normal for f in frames]), 2)
    if len(np.unique(d)) == len(frames):
        return [frames]  # every position distinct: one phase whatever the timing tags say
    groups = group_by_phase(frames)
    sizes = {len(g) for g in groups}
    short = _short_phases(groups, normal) if len(sizes) > 1 else None
    if short:  # the timing is right: files are missing
        full = max(len(g) for g in groups)
        ref = next(g for g in groups if len(g) == full)
        lacking = [sorted(_depths(ref, normal) - _depths(groups[i], normal)) for i in short]
        raise ImagingError(
            f"{w(groups[short[0]][0].path)}: phase {short[0]} (counted from 0, of "
            f"{len(groups)}) has {len(groups[short[0]])} of the {full} slices the other phases "
            f"have (missing at {', '.join(f'{x:g}' for x in lacking[0][:3])} mm along the "
            f"slice normal)" + (f", and {len(short) - 1} more phase(s) lack slices"
                                if len(short) > 1 else "")
            + ": a file of this series is missing from the folder or was skipped as "
              "unreadable (see the skipped files)")
    if len(groups) == 1 or len(sizes) > 1:
        dup = next(f for f, dd in zip(frames, d, strict=True) if (d == dd).sum() > 1)
        raise ImagingError(
            f"{w(dup.path)}: several slices share position {np.round(dup.position, 2).tolist()} "
            f"and the timing tags (TemporalPositionIdentifier/TriggerTime/CardiacPhase) do not "
            f"split them into phases of equal size ({sorted(len(g) for g in groups)})")
    return groups


def left_out_frames(series: SeriesInfo) -> list[FrameRef]:
    """The frames of the phases :func:`load_volume` leaves out of a series some of whose
    files could not be used (``series.damaged``): the phases those files leave incomplete.
    Empty for an intact series, or one that :func:`load_volume` refuses whole.

    Examples
    --------
    >>> left_out_frames(SeriesInfo("", "", "CT", "", "image", []))
    []
    """
    frames = series.frames
    if not series.damaged or not frames:
        return []
    try:
        normal = _check_orientation(frames, repr(series.description), series.where)
        groups = group_by_phase(frames)
        short = _short_phases(groups, normal)
    except ImagingError:
        return []
    if not short or len(short) == len(groups) or len(groups) < 2:
        return []
    return [f for i in sorted(short) for f in groups[i]]


def _complete_phases(series: SeriesInfo, frames: list[FrameRef], normal: np.ndarray,
                     label: str, notes: list[str]) -> list[list[FrameRef]]:
    """The phases of a series some of whose files could not be used (``series.damaged``):
    the phases those files leave incomplete are left out, and said so in ``notes``, when
    complete phases remain; else the series is refused naming the first file and why."""
    first = series.damaged[0].removeprefix("skipped ")
    groups = group_by_phase(frames)
    short = _short_phases(groups, normal)
    if short is None or len(short) == len(groups) or len(groups) < 2:
        raise ImagingError(
            f"series {label}: refused, {len(series.damaged)} of its files could not be used "
            f"and the volume would be incomplete: {first}")
    kept = [g for i, g in enumerate(groups) if i not in short]
    if not short:  # e.g. a damaged second copy of an instance: nothing is missing
        notes.append(f"series {label}: {len(series.damaged)} file(s) could not be used "
                     f"({first}); every phase is complete without them")
        return kept
    notes.append(
        f"series {label}: {len(series.damaged)} file(s) could not be used ({first}"
        + (f"; {len(series.damaged) - 1} more" if len(series.damaged) > 1 else "")
        + f"): phase(s) {', '.join(map(str, short))} (counted from 0, of {len(groups)}) "
          f"lack their slices and are left out; the other {len(kept)} phase(s) are imported")
    return kept


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
                    f"{ES_FRACTION:.0%} R-R {ED_ES_ASSUMED}")


#: Ends the timing note of :func:`ed_es_indices` while ED/ES rest on timing alone.
ED_ES_ASSUMED = "(assumed; labels override)"


def timing_settled(notes: list[str], by: str, agrees: bool) -> list[str]:
    """``notes`` with the timing-based ED/ES note no longer saying "assumed" once ``by``
    (the segmented LV volume, imported meshes) has set ED/ES, so the two notes agree.

    Examples
    --------
    >>> timing_settled(["ED/ES from TriggerTime: ... R-R (assumed; labels override)"],
    ...                "the LV blood volume", agrees=False)
    ['ED/ES from TriggerTime: ... R-R (timing only; replaced by the LV blood volume)']
    """
    said = f"(timing only; {'confirmed' if agrees else 'replaced'} by {by})"
    return [n.replace(ED_ES_ASSUMED, said) for n in notes]


_PIXEL_TAG = b"\xe0\x7f\x10\x00"  # (7FE0,0010) little endian


def _read_native(path: Path, f: FrameRef, n_frames: int) -> np.ndarray | None:
    """The pixels of an uncompressed little-endian file read straight from its end, or None
    if the file is not laid out so (compressed, big endian, trailing elements, padding).

    The PixelData element must end the file, with the exact length the header implies;
    its tag, VR (explicit: OB/OW; or implicit) and length are checked before reading.
    """
    if f.float_pixels or f.bits_allocated not in (8, 16, 32) or (
            f.signed and f.bits_stored != f.bits_allocated):
        return None  # sign extension of packed bits, float pixel data: pydicom's job
    item = f.bits_allocated // 8
    n = f.rows * f.cols * n_frames * item
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, 2)
            if size < n + 12:
                return None
            fh.seek(size - n - 12)
            head = fh.read(12)
            length = int.from_bytes(head[8:], "little")
            explicit = head[:4] == _PIXEL_TAG and head[4:6] in (b"OW", b"OB") and \
                head[6:8] == b"\0\0"
            implicit = head[4:8] == _PIXEL_TAG
            if not ((explicit and length == n) or
                    (implicit and length == n and not explicit)):
                return None
            dtype = np.dtype(f"<{'i' if f.signed else 'u'}{item}")
            a = np.fromfile(fh, dtype, count=n // item)
    except OSError:
        return None
    if a.size * item != n:
        return None
    if not f.signed and f.bits_stored < f.bits_allocated:
        a &= dtype.type((1 << f.bits_stored) - 1)  # bits above BitsStored are not pixel data
    return a.reshape((n_frames, f.rows, f.cols) if n_frames > 1 else (f.rows, f.cols))


def _check_native_length(path: Path, where: str) -> None:
    """Refuse uncompressed pixel data whose length is not what Rows × Columns × frames ×
    BitsAllocated say (pydicom would silently drop or pad the difference)."""
    with bounded(path) as fh:
        ds = pydicom.dcmread(fh, defer_size=4096)
        meta = getattr(ds, "file_meta", None)
        ts = meta.get("TransferSyntaxUID") if meta is not None else None
        if ts is None or not ts.is_transfer_syntax or ts.is_encapsulated:
            return
        for tag in (0x7FE00010, 0x7FE00008, 0x7FE00009):  # Pixel, Float, Double Float
            if tag in ds:
                item = ds.get_item(tag)  # raw (deferred) when large, read when small
                length = item.length if hasattr(item, "length") else len(item.value or b"")
                break
        else:
            raise ImagingError(f"{where}: no pixel data")
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        bits = 64 if tag == 0x7FE00009 else 32 if tag == 0x7FE00008 else int(ds.BitsAllocated)
        expected = int(ds.Rows) * int(ds.Columns) * frames * bits // 8
        if length not in (expected, expected + 1):
            raise ImagingError(f"{where}: pixel data hold {length} bytes, Rows × Columns × "
                               f"frames × bits say {expected}: the header or the pixel data "
                               "are damaged")


def _read_pixels(path: Path, where: str = "") -> np.ndarray:
    """Pixel array of one file; only the pixels leave this function (nothing identifying).

    pydicom's direct reader (``pydicom.pixels.pixel_array``) decodes without building a
    Dataset; only when it fails is the header read, to say why. The length of uncompressed
    pixel data is checked first. Any exception becomes an :class:`ImagingError` naming the
    file as ``where`` (default its name).
    """
    where = where or shown(path, None)
    try:
        _check_native_length(path, where)
        with bounded(path) as fh:
            return pixel_array(fh)
    except ImagingError:
        raise
    except Exception as exc:  # noqa: BLE001 - pydicom raises many kinds; find out which
        first = exc
    try:
        with bounded(path) as fh:
            ds = pydicom.dcmread(fh, stop_before_pixels=True)
        meta = getattr(ds, "file_meta", None)
        ts = meta.get("TransferSyntaxUID") if meta is not None else None
        name = f"{ts.name} ({ts})" if ts is not None else "unknown transfer syntax"
    except Exception as exc:  # noqa: BLE001
        raise ImagingError(f"{where}: unreadable or truncated DICOM "
                           f"({safe_detail(exc)})") from None
    raise ImagingError(f"{where}: cannot decode pixel data with transfer syntax {name} "
                       f"(or the pixel data are truncated): {safe_detail(first)}") from None


class _Overflow(Exception):
    """A slice's values do not fit the int16 storage chosen from the header."""


def _storage(frames: list[FrameRef]) -> tuple[type, bool]:
    """Storage dtype, and whether each slice's range must be checked to fit it."""
    ints = all(not f.float_pixels and f.bits_stored <= 16 and f.slope == 1.0
               and float(f.intercept).is_integer() for f in frames)
    if not ints:
        return np.float32, False
    lo = min((-(1 << (f.bits_stored - 1)) if f.signed else 0) + f.intercept for f in frames)
    hi = max(((1 << (f.bits_stored - 1)) - 1 if f.signed else (1 << f.bits_stored) - 1)
             + f.intercept for f in frames)
    return np.int16, not (lo >= -32768 and hi <= 32767)


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
        ``image.array`` is ``(phases, z, y, x)`` after rescale slope/intercept: int16 for
        integer CT-like data that fit, else float32 (see the module docstring).

    Raises
    ------
    ImagingError
        Naming the slice (relative to the chosen folder): mixed orientations, duplicate
        positions, inconsistent phases, a missing or unreadable slice (uneven spacing),
        in-plane shifted slices, a volume above :data:`MAX_VOLUME_BYTES`, undecodable,
        truncated or non-finite pixel data.

    Examples
    --------
    >>> from twinviewer.imaging.series import scan_folder  # doctest: +SKIP
    >>> lv = load_volume(scan_folder(folder, key).images()[0])  # doctest: +SKIP
    >>> lv.image.array.dtype, lv.image.spacing  # doctest: +SKIP
    (dtype('int16'), (0.5, 0.35, 0.35))
    """
    private_warnings()
    frames = series.frames
    if not frames:
        raise ImagingError(f"series {series.description!r}: no image frames")
    w = series.where
    label = repr(series.description) or series.series_uid
    normal = _check_orientation(frames, label, w)
    notes: list[str] = []
    left_out: frozenset[str] = frozenset()
    if series.damaged:
        phases = _complete_phases(series, frames, normal, label, notes)
        kept = {id(f) for g in phases for f in g}
        left_out = frozenset(f.sop_uid for f in frames if id(f) not in kept and f.sop_uid)
    else:
        phases = _phases(frames, normal, w)
    for g in phases:
        g.sort(key=lambda f: f.position @ normal)
    d0 = np.array([f.position @ normal for f in phases[0]])
    for g in phases[1:]:
        d = np.array([f.position @ normal for f in g])
        if not np.allclose(d, d0, atol=0.01):
            bad = g[int(np.argmax(np.abs(d - d0)))]
            raise ImagingError(f"{w(bad.path)}: slice positions of this phase differ from the "
                               f"first phase's in series {label}")
    # In-plane offsets must not drift (gantry tilt / sheared stacks are not supported).
    pos = np.array([f.position for f in phases[0]])
    inplane = (pos - pos[0]) - np.outer((pos - pos[0]) @ normal, normal)
    if np.abs(inplane).max() > 0.05 * min(phases[0][0].pixel_spacing):
        raise ImagingError(f"{w(phases[0][-1].path)}: slice positions are offset in-plane "
                           f"from {w(phases[0][0].path)} (tilted gantry or sheared stack) in "
                           f"{label}")
    if len(d0) > 1:
        gaps = np.diff(d0)
        if gaps.min() < 1e-3:
            raise ImagingError(f"{w(phases[0][int(np.argmin(gaps)) + 1].path)}: duplicate "
                               f"slice position in series {label}")
        dz = float(np.median(gaps))
        if np.abs(gaps - dz).max() > UNEVEN_TOL * dz:
            at = int(np.argmax(np.abs(gaps - dz)))
            missing = int(round(gaps[at] / dz)) - 1
            why = (f"about {missing} slice(s) missing or unreadable (see the skipped files)"
                   if missing >= 1 else "uneven slice spacing")
            raise ImagingError(
                f"series {label}: gap of {gaps[at]:.2f} mm between {w(phases[0][at].path)} "
                f"and {w(phases[0][at + 1].path)} (median spacing {dz:.2f} mm): {why}; "
                "refused rather than filled by interpolation")
    else:
        dz = float(series.slice_thickness_mm or 1.0)
        notes.append(f"series {label}: a single slice; its thickness "
                     + ("from SliceThickness" if series.slice_thickness_mm else
                        "is unknown and taken as 1 mm"))

    ny, nx = frames[0].rows, frames[0].cols
    nz = len(d0)
    dtype, check_range = _storage(frames)
    nbytes = len(phases) * nz * ny * nx * np.dtype(dtype).itemsize
    if nbytes > MAX_VOLUME_BYTES:
        raise ImagingError(f"series {label}: {len(phases)} × {nz} × {ny} × {nx} voxels "
                           f"({nbytes / 1024**3:.1f} GiB) exceed the "
                           f"{MAX_VOLUME_BYTES / 1024**3:.0f} GiB limit of one image")
    where: dict[Path, list[tuple[int, int, FrameRef]]] = {}
    sop_phase: dict[str, int] = {}
    for p, g in enumerate(phases):
        for k, f in enumerate(g):
            where.setdefault(f.path, []).append((p, k, f))
            sop_phase[f.sop_uid] = p
    paths = list(where)
    n_frames_of = {path: 1 + max((f.frame or 0) for _, _, f in refs)
                   for path, refs in where.items()}

    def fill(path: Path, arr: np.ndarray) -> None:
        try:
            _fill(path, arr)
        except ImagingError as exc:
            p, k, _ = where[path][0]  # name the gap a bad file would leave, not only the file
            raise ImagingError(f"{exc} (phase {p} counted from 0, slice {k + 1} of {nz}; the image "
                               "would have a gap, so it is not imported)") from None
        except _Overflow:
            raise
        except Exception as exc:  # noqa: BLE001 - numpy/decoder errors on hostile data
            raise ImagingError(f"{w(path)}: cannot read the pixel data "
                               f"({safe_detail(exc)})") from None

    def _fill(path: Path, arr: np.ndarray) -> None:
        refs = where[path]
        multi = refs[0][2].frame is not None
        px = _read_native(path, refs[0][2], n_frames_of[path]) if not multi or \
            n_frames_of[path] > 1 else None
        if px is None:
            px = _read_pixels(path, w(path))
        for p, k, f in refs:
            if px.ndim == 3:
                if (f.frame or 0) >= px.shape[0]:
                    raise ImagingError(f"{w(path)}: frame {(f.frame or 0) + 1} of "
                                       f"{px.shape[0]} is missing from the pixel data")
                frame = px[f.frame or 0]
            elif px.ndim == 2 and not f.frame:
                frame = px
            else:
                raise ImagingError(f"{w(path)}: pixel data of shape {px.shape} do not match "
                                   f"the header")
            if frame.shape != (ny, nx):
                raise ImagingError(f"{w(path)}: pixel array {frame.shape} does not match "
                                   f"Rows×Columns {ny}×{nx}")
            out = arr[p, k]
            if arr.dtype == np.int16:
                if check_range and frame.size and not (
                        int(frame.max()) + f.intercept <= 32767 and (
                            frame.dtype.kind == "u" and f.intercept >= -32768
                            or int(frame.min()) + f.intercept >= -32768)):
                    raise _Overflow
                if f.intercept:
                    np.add(frame, np.int32(f.intercept), out=out, casting="unsafe")
                else:
                    out[...] = frame
                continue
            if f.slope == 1.0:
                out[...] = frame
            else:  # float32 scalars keep numpy from a float64 round trip
                np.multiply(frame, np.float32(f.slope), out=out, casting="unsafe")
            if f.intercept:
                np.add(out, np.float32(f.intercept), out=out)
            if not np.isfinite(out).all() or np.abs(out).max() > MAX_ABS_VALUE:
                raise ImagingError(f"{w(path)}: pixel values are not finite or exceed "
                                   f"±{MAX_ABS_VALUE:g} after rescale (slope {f.slope:g}, "
                                   f"intercept {f.intercept:g})")

    def read_all(dtype: type) -> np.ndarray:
        arr = np.empty((len(phases), nz, ny, nx), dtype)
        with ThreadPoolExecutor(n_workers()) as pool:
            futures = [pool.submit(fill, path, arr) for path in paths]
            try:
                for n, fut in enumerate(futures):
                    if cancel is not None and cancel():
                        raise ImagingError(f"series {label}: import cancelled")
                    fut.result()
                    if progress is not None and n % 16 == 0:
                        progress(n / len(futures), f"reading {label}: {n}/{len(futures)} "
                                 f"files")
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
        return arr

    try:
        arr = read_all(dtype)
    except _Overflow:
        arr = read_all(np.float32)
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
    if series.burned_in:
        notes.append(f"series {label}: BurnedInAnnotation is YES (kept on request): the "
                     "pixels may show patient text")
    image = ImageVolume(arr, affine, (dz, *ref.pixel_spacing), list(times), ed, es,
                        series.modality, series.description, series.slice_thickness_mm)
    return LoadedVolume(image, series.series_uid, "", sop_phase, notes, left_out)
