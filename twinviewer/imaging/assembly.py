"""Assemble the series of a study into one 4D stack plus long-axis planes.

A cine MR exam stores its short-axis (SA) slices one per series (Siemens) or many per series
(GE, Philips), and its long-axis views (2CH, 3CH, 4CH, RVOT...) as further series. This module
decides, from header geometry alone (:class:`~twinviewer.imaging.series.SeriesInfo` frames):

- which series belong to one patient and study (two patients are never merged),
- which series form the stack: those whose planes are parallel (within
  :data:`PARALLEL_DEG`) and together give the most distinct slice positions, with identical
  orientation and pixel grid; slices ordered by position along the normal,
- how phases match across slices: by TriggerTime as a fraction of each series' R-R interval
  (NominalInterval, else estimated), never by file or instance order,
- what is left: every other series becomes an :class:`~twinviewer.core.anatomy.ImagePlane` at
  its true position,
- which of two series at one slice position (a slice acquired again, routine in cine MR) goes
  into the stack: the later acquisition (SeriesTime/AcquisitionTime, else SeriesNumber)
  unless the user chose the other; the one left out is named in the notes
  (:class:`Repeat`).

A missing slice or phase, inconsistent trigger times or a mixed grid is refused with the gap or
the difference named: the stack is never interpolated across a gap.

Examples
--------
>>> plan = plan_stack(scan)                          # doctest: +SKIP
>>> study = assemble_study(scan)                     # doctest: +SKIP
>>> study.loaded.image.array.shape                   # doctest: +SKIP
(25, 6, 144, 128)
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from twinviewer.core.anatomy import ImagePlane, ImageVolume
from twinviewer.imaging.errors import ImagingError, shown
from twinviewer.imaging.planes import _VIEWS, pane_titles, plane_name  # noqa: F401 - as before
from twinviewer.imaging.series import (
    Cancel,
    FolderScan,
    FrameRef,
    Progress,
    SeriesInfo,
    named,
    series_name,
)
from twinviewer.imaging.volume import LoadedVolume, ed_es_from_timing, load_volume

PARALLEL_DEG = 20.0  # planes closer than this to parallel are candidates for one stack
ORIENTATION_TOL = 1e-3  # direction-cosine difference that counts as a different orientation
POSITION_TOL_MM = 0.1  # slices closer than this along the normal share a position
GAP_FACTOR = 1.5  # a spacing this many times the median means a missing slice
PHASE_TOL = 0.5  # trigger fractions may differ by this many phase intervals across slices


def _normal(f: FrameRef) -> np.ndarray:
    n = np.cross(f.orientation[:3], f.orientation[3:])
    return n / (np.linalg.norm(n) or 1.0)


def view_of(series: SeriesInfo) -> str:
    """Display name of a series' view: from its description (2CH, 3CH, 4CH, RVOT, SA), else
    from its normal (axial, coronal, sagittal, oblique).

    Examples
    --------
    >>> view_of(SeriesInfo("", "", "MR", "cine_trufi_retro_4ch", "image"))
    '4CH'
    """
    desc = series.description.lower()
    for name, pattern in _VIEWS:
        if re.search(pattern, desc):
            return name
    if not series.frames:
        return ""
    return plane_name(_normal(series.frames[0]))


def unique_views(series: list[SeriesInfo]) -> dict[str, str]:
    """Each series' view name (:func:`view_of`), made unique: a view that two series share
    (two RVOT planes) is told apart by its orientation ('RVOT (coronal)', 'RVOT
    (oblique)') and, failing that, by its series description.

    Examples
    --------
    >>> a = SeriesInfo("", "1", "MR", "cine_rvot", "image")
    >>> b = SeriesInfo("", "2", "MR", "cine_rvot_cor", "image")
    >>> unique_views([a, b])
    {'1': 'RVOT (cine_rvot)', '2': 'RVOT (cine_rvot_cor)'}
    """
    views = {s.series_uid: view_of(s) for s in series}
    counts = Counter(views.values())
    out = {}
    for s in series:  # short-axis slices are one stack's members: they share "SA"
        v = views[s.series_uid]
        if v and v != "SA" and counts[v] > 1 and s.frames:
            v = f"{v} ({plane_name(_normal(s.frames[0]))})"
        out[s.series_uid] = v
    counts = Counter(out.values())
    for s in series:
        v = out[s.series_uid]
        if v and v != "SA" and counts[v] > 1:
            out[s.series_uid] = f"{views[s.series_uid]} ({s.description})"
    return out






@dataclass
class SeriesRow:
    """One line of the series picker (no identifiers: UIDs and pseudonym are de-identified)."""

    series_uid: str
    study_uid: str
    patient: str
    modality: str
    description: str
    view: str
    n_phases: int
    n_slices: int
    rows: int
    cols: int
    n_files: int
    role: str = ""  # 'stack', 'plane', 'repeated', 'segmentation', or '' until planned
    burned_in: bool = False  # BurnedInAnnotation = YES (listed only when the scan kept it)
    role_detail: str = ""  # the role in words, e.g. 'long-axis 4CH' (see series_roles)
    series_number: int | None = None

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    def summary(self) -> str:
        """One listing line with the (de-identified) UID to pass as ``--series``.

        >>> row = SeriesRow("2.25.1", "2.25.2", "TW-1", "MR", "cine", "SAX", 25, 6, 144, 128, 150)
        >>> row.summary().split("  ")[3:]
        ['25 phase(s) × 6 slice(s) × 144 × 128', '(150 file(s))', 'patient TW-1', 'series 2.25.1']
        """
        if self.role == "segmentation":
            shape = f"{self.n_files} file(s)"
        else:
            shape = (f"{self.n_phases} phase(s) × {self.n_slices} slice(s) × {self.rows} × "
                     f"{self.cols}  ({self.n_files} file(s))")
        mark = "  [BURNED-IN ANNOTATION: may show patient text]" if self.burned_in else ""
        view = f"  {self.view}" if self.view else ""
        # the SeriesNumber as the import notes name the series (series.named)
        number = f" (#{self.series_number})" if self.series_number is not None else ""
        return (f"{self.modality:<3} {self.description!r}{number}{view}  {shape}  patient "
                f"{self.patient}  series {self.series_uid}{mark}")


def _phases_per_position(frames: list[FrameRef], normal: np.ndarray) -> int:
    # Many slices in one series (GE, Philips): each slice is acquired at its own trigger
    # times, so the distinct times outnumber the phases; count the frames at each position.
    d = _positions(frames, normal)
    order = np.argsort(d)
    cluster = np.concatenate([[0], np.cumsum(np.diff(d[order]) > POSITION_TOL_MM)])
    return int(np.bincount(cluster).max()) if len(d) else 0


def _positions(frames: list[FrameRef], normal: np.ndarray) -> np.ndarray:
    return np.array([f.position @ normal for f in frames])


def _n_positions(frames: list[FrameRef], normal: np.ndarray) -> int:
    d = np.sort(_positions(frames, normal))
    return int(1 + (np.diff(d) > POSITION_TOL_MM).sum()) if len(d) else 0


def series_table(scan: FolderScan) -> list[SeriesRow]:
    """Picker rows for every series found, image series first, largest first."""
    rows = []
    views = unique_views([s for s in scan.series if s.kind == "image" and s.frames])
    for s in scan.series:
        if s.kind == "image" and s.frames:
            f = s.frames[0]
            kept = dedupe(s.frames)[0]
            ns = _n_positions(kept, _normal(f))
            phases = s.n_phases if ns <= 1 else _phases_per_position(kept, _normal(f))
            rows.append(SeriesRow(s.series_uid, s.study_uid, s.patient, s.modality,
                                  s.description, views[s.series_uid], phases, ns, f.rows,
                                  f.cols,
                                  len(s.files), burned_in=s.burned_in,
                                  series_number=s.series_number))
        else:
            rows.append(SeriesRow(s.series_uid, s.study_uid, s.patient, s.modality,
                                  s.description, "", 0, 0, 0, 0, len(s.files),
                                  "segmentation" if s.kind == "seg" else "",
                                  role_detail="segmentation" if s.kind == "seg" else "",
                                  series_number=s.series_number))
    return rows


def dedupe(frames: list[FrameRef]) -> tuple[list[FrameRef], int]:
    """Frames without repeats of one instance (same SOP Instance UID and frame number, e.g. the
    same image stored in two transfer syntaxes); returns the frames kept and the number dropped."""
    seen: set[tuple[str, int | None]] = set()
    out = []
    for f in frames:
        k = (f.sop_uid, f.frame)
        if f.sop_uid and k in seen:
            continue
        seen.add(k)
        out.append(f)
    return out, len(frames) - len(out)


def patients(scan: FolderScan) -> dict[str, list[SeriesInfo]]:
    """Image series by patient pseudonym."""
    out: dict[str, list[SeriesInfo]] = {}
    for s in scan.images():
        if s.frames:
            out.setdefault(s.patient, []).append(s)
    return out


@dataclass
class Repeat:
    """Two or more series at one slice position of the stack: which one was used and why.

    ``position_mm`` is the slice's position along the stack normal; ``slice_index`` counts
    from 0 in slice order; ``chosen_by`` says why ``used`` won ('acquired later
    (SeriesTime)', 'higher SeriesNumber' or 'chosen by the user').
    """

    position_mm: float
    slice_index: int
    used: SeriesInfo
    left_out: list[SeriesInfo]
    chosen_by: str

    def note(self) -> str:
        """The import note, e.g. ``"slice at 36.0 mm: series 'sa_3' (#12) (later) used, ..."``.
        """
        chosen = "(chosen)" if self.chosen_by == "chosen by the user" else "(later)"
        other = "" if chosen == "(chosen)" else " (earlier)"
        left = ", ".join(f"series {named(s)}{other}" for s in self.left_out)
        ask = " or ".join(s.series_uid for s in self.left_out)
        return (f"slice at {self.position_mm:.1f} mm (slice {self.slice_index} from 0): the "
                f"slice was acquired more than once; series {named(self.used)} {chosen} used "
                f"({self.chosen_by}), {left} left out (use it instead with --series {ask}, "
                "or choose its row in the series picker)")

    def to_dict(self) -> dict:
        return {"position_mm": self.position_mm, "slice": self.slice_index,
                "used": self.used.series_uid, "used_series_number": self.used.series_number,
                "left_out": [s.series_uid for s in self.left_out],
                "left_out_series_numbers": [s.series_number for s in self.left_out],
                "chosen_by": self.chosen_by, "note": self.note()}


@dataclass
class StackPlan:
    """Which series form the stack and which are planes; phases matched (no pixels read).

    ``stack`` is in slice order (position along the normal); ``repeats`` names every slice
    acquired more than once and the series left out (``left_out``: neither stack nor plane).
    """

    stack: list[SeriesInfo]
    planes: list[SeriesInfo]
    frames: list[FrameRef]  # stack frames re-keyed: temporal_id = matched phase + 1
    n_slices: int
    n_phases: int
    phase_times_ms: list[float]
    rr_ms: float | None
    patient: str
    study_uid: str
    notes: list[str] = field(default_factory=list)
    rekeyed: bool = False
    repeats: list[Repeat] = field(default_factory=list)
    # series of the stack left out for a missing or inconsistent tag: (series, why)
    unusable: list[tuple[SeriesInfo, str]] = field(default_factory=list)

    @property
    def left_out(self) -> list[SeriesInfo]:
        """Series left out of the stack entirely because another covers their slices."""
        used = {s.series_uid for s in self.stack}
        out = {s.series_uid: s for r in self.repeats for s in r.left_out
               if s.series_uid not in used}
        return list(out.values())


def _choose_group(scan: FolderScan, series_uid: str | None) -> tuple[list[SeriesInfo], list[str]]:
    """Image series of one patient and one study."""
    notes: list[str] = []
    by_patient = patients(scan)
    if not by_patient:
        raise ImagingError("no image series with frames found")
    if series_uid is not None:
        chosen = next((s for ss in by_patient.values() for s in ss
                       if s.series_uid == series_uid), None)
        if chosen is None:
            n = sum(len(v) for v in by_patient.values())
            raise ImagingError(f"series {series_uid} not found among {n} image series")
        pool = [s for s in by_patient[chosen.patient] if s.study_uid == chosen.study_uid]
        return pool, notes
    if len(by_patient) > 1:
        listing = "; ".join(f"patient {p}: {len(v)} series" for p, v in by_patient.items())
        raise ImagingError(f"the folder holds images of {len(by_patient)} patients ({listing});"
                           " they are never merged: choose a series of one patient "
                           "(--series UID, or the series picker)")
    (series,) = by_patient.values()
    studies = Counter(s.study_uid for s in series)
    if len(studies) > 1:
        best = max(studies, key=lambda u: sum(len(s.frames) for s in series
                                              if s.study_uid == u))
        notes.append(f"{len(studies)} studies of this patient found; imported the one with "
                     "most images (choose another with --series)")
        series = [s for s in series if s.study_uid == best]
    return series, notes


def _clusters(series: list[SeriesInfo]) -> list[list[SeriesInfo]]:
    cos = math.cos(math.radians(PARALLEL_DEG))
    out: list[tuple[np.ndarray, list[SeriesInfo]]] = []
    for s in series:
        n = _normal(s.frames[0])
        for ref, members in out:
            if abs(float(n @ ref)) > cos:
                members.append(s)
                break
        else:
            out.append((n, [s]))
    return [m for _, m in out]


def _check_grid(stack: list[SeriesInfo]) -> None:
    ref_s, ref = stack[0], stack[0].frames[0]
    for s in stack:
        for f in s.frames:
            if np.abs(f.orientation - ref.orientation).max() > ORIENTATION_TOL:
                ang = math.degrees(math.acos(min(1.0, abs(float(_normal(f) @ _normal(ref))))))
                raise ImagingError(
                    f"mixed orientation in the stack: series {s.description!r} "
                    f"({shown(f.path, s.root)}) is tilted {ang:.1f}° from series "
                    f"{ref_s.description!r}; "
                    "slices of one stack must share ImageOrientationPatient")
            if (f.rows, f.cols) != (ref.rows, ref.cols) or not np.allclose(
                    f.pixel_spacing, ref.pixel_spacing, rtol=1e-4):
                raise ImagingError(
                    f"mixed pixel grid in the stack: series {s.description!r} has "
                    f"{f.rows}×{f.cols} pixels of {f.pixel_spacing[0]:g}×{f.pixel_spacing[1]:g}"
                    f" mm, series {ref_s.description!r} {ref.rows}×{ref.cols} of "
                    f"{ref.pixel_spacing[0]:g}×{ref.pixel_spacing[1]:g} mm")


def _series_positions(s: SeriesInfo, normal: np.ndarray) -> list[float]:
    d = sorted(float(f.position @ normal) for f in s.frames)
    out: list[float] = []
    for v in d:
        if not out or v - out[-1] > POSITION_TOL_MM:
            out.append(v)
    return out


def _later(group: list[SeriesInfo], where: str) -> tuple[SeriesInfo, str]:
    """The series acquired last of ``group`` and why (clock first, then SeriesNumber)."""
    clocks = [s.acquired_s for s in group]
    if None not in clocks and len(set(clocks)) == len(clocks):
        return max(group, key=lambda s: s.acquired_s or 0.0), \
            "acquired later: SeriesTime/AcquisitionTime"
    numbers = [s.series_number for s in group]
    if None not in numbers and len(set(numbers)) == len(numbers):
        return max(group, key=lambda s: s.series_number or 0), "higher SeriesNumber"
    raise ImagingError(
        f"{where} was acquired more than once (" + ", ".join(
            f"series {named(s)} {s.series_uid}" for s in group) + ") and nothing says which "
        "is later (no SeriesTime or AcquisitionTime, no distinct SeriesNumber): choose one "
        "with --series UID or in the series picker")


def resolve_repeats(stack: list[SeriesInfo], prefer: str | None = None
                    ) -> tuple[list[SeriesInfo], list[Repeat]]:
    """The stack without repeated acquisitions of one slice, in slice order, and the repeats.

    Two series have a slice at one position when they share ImageOrientationPatient and their
    positions along the stack normal are closer than half the slice thickness (or of the
    slice spacing, if smaller); a re-planned (tilted) slice is not a repeat, and the stack
    is refused for mixed orientation as before. Of those,
    the series ``prefer`` is used if it is one of them, else the later acquisition
    (:func:`_later`); the others' frames at that position are left out (a series left out at
    all its positions drops out of the stack). The series are returned sorted by position
    along the normal.

    Raises
    ------
    ImagingError
        When nothing says which of two series at one position was acquired later.

    Examples
    --------
    >>> stack, repeats = resolve_repeats(plan.stack)    # doctest: +SKIP
    >>> [r.note() for r in repeats]                     # doctest: +SKIP
    ["slice at 36.0 mm (slice 2 from 0): ... series 'sa_3' (#12) (later) used ..."]
    """
    normal = _normal(stack[0].frames[0])
    positions = {s.series_uid: _series_positions(s, normal) for s in stack}
    distinct = sorted(v for ps in positions.values() for v in ps)
    gaps = [b - a for a, b in zip(distinct, distinct[1:], strict=False) if b - a > POSITION_TOL_MM]
    limits = [v for v in (stack[0].slice_thickness_mm, float(np.median(gaps)) if gaps else None)
              if v]
    tol = max(POSITION_TOL_MM, 0.5 * min(limits)) if limits else POSITION_TOL_MM
    pairs = sorted(((v, s) for s in stack for v in positions[s.series_uid]), key=lambda p: p[0])
    slots: list[list[tuple[float, SeriesInfo]]] = []
    for v, s in pairs:
        if slots and v - slots[-1][0][0] <= tol and np.abs(
                s.frames[0].orientation - slots[-1][0][1].frames[0].orientation
        ).max() <= ORIENTATION_TOL:
            slots[-1].append((v, s))
        else:
            slots.append([(v, s)])
    repeats: list[Repeat] = []
    lost: dict[str, list[float]] = {}
    for k, slot in enumerate(slots):
        group = list({s.series_uid: s for _, s in slot}.values())
        if len(group) < 2:
            continue
        where = f"the slice at {slot[0][0]:.1f} mm along the normal"
        chosen = next((s for s in group if s.series_uid == prefer), None)
        used, why = (chosen, "chosen by the user") if chosen else _later(group, where)
        at = next(v for v, s in slot if s is used)
        left = [s for s in group if s is not used]
        repeats.append(Repeat(round(at, 3), k, used, left, why))
        for s in left:
            lost.setdefault(s.series_uid, []).extend(v for v, t in slot if t is s)
    out = []
    for s in stack:
        gone = lost.get(s.series_uid, [])
        if not gone:
            out.append(s)
            continue
        keep = [f for f in s.frames
                if min(abs(float(f.position @ normal) - v) for v in gone) > POSITION_TOL_MM]
        if keep:
            out.append(replace(s, frames=keep, files=sorted({f.path for f in keep})))
    out.sort(key=lambda s: min(positions[s.series_uid]))
    return out, repeats


def _rr(series: SeriesInfo, triggers: np.ndarray) -> float:
    if series.nominal_interval_ms:
        return float(series.nominal_interval_ms)
    n = len(triggers)
    return float(triggers.max() * n / (n - 1)) if n > 1 and triggers.max() > 0 else math.nan


def _match_phases(stack: list[SeriesInfo], frames: list[FrameRef], normal: np.ndarray
                  ) -> tuple[list[FrameRef], int, int, list[float], float | None, list[str]]:
    owner = {id(f): s for s in stack for f in s.frames}
    d = _positions(frames, normal)
    order = np.argsort(d, kind="stable")
    slices: list[list[FrameRef]] = []
    last = -np.inf
    for i in order:
        if d[i] - last > POSITION_TOL_MM:
            slices.append([])
        slices[-1].append(frames[i])
        last = d[i]
    pos = np.array([frames[0].position @ normal if not s else s[0].position @ normal
                    for s in slices])
    notes: list[str] = []
    if len(slices) > 2:
        gaps = np.diff(pos)
        med = float(np.median(gaps))
        at = int(np.argmax(gaps))
        if gaps[at] > GAP_FACTOR * med:
            a, b = slices[at][0], slices[at + 1][0]
            raise ImagingError(
                f"slice missing from the stack: {gaps[at]:.1f} mm between the slice of series "
                f"{owner[id(a)].description!r} ({pos[at]:.1f} mm along the normal) and "
                f"{owner[id(b)].description!r} ({pos[at + 1]:.1f} mm) where the others are "
                f"{med:.1f} mm apart; refusing to interpolate across the gap")
    has_time = all(not math.isnan(f.trigger_ms) for f in frames)
    counts = [len(s) for s in slices]
    n = Counter(counts).most_common(1)[0][0] if counts else 0
    if not has_time:
        if max(counts) > 1:
            named_ = ", ".join(series_name(s) for s in stack[:3]) + (
                " …" if len(stack) > 3 else "")
            raise ImagingError(
                f"no TriggerTime in the images of the stack's {len(stack)} series ({named_}): "
                "several images share each slice position, so their cardiac phases cannot "
                "be matched across the slices. What you can do: export the series again "
                "with their TriggerTime (from the scanner or PACS); a long-axis series can "
                "still be imported alone (--series UID, or its row in the series picker)")
        return frames, len(slices), 1, [math.nan], None, notes
    fr = np.full((len(slices), max(counts)), np.nan)
    rr_all = []
    for k, s in enumerate(slices):
        s.sort(key=lambda f: f.trigger_ms)
        trig = np.array([f.trigger_ms for f in s])
        rr = _rr(owner[id(s[0])], trig)
        rr_all.append(rr)
        fr[k, :len(s)] = trig / rr
        if len(s) > 1 and np.diff(trig).min() <= 0:
            dup = s[int(np.argmin(np.diff(trig))) + 1]
            raise ImagingError(f"{shown(dup.path, owner[id(dup)].root)} of "
                               f"{series_name(owner[id(dup)])}: two "
                               f"images of one slice share TriggerTime {dup.trigger_ms:g} ms")
    full = [k for k in range(len(slices)) if counts[k] == n]
    ref = np.median(fr[full, :n], axis=0)
    rr_med = float(np.nanmedian(rr_all))
    for k, s in enumerate(slices):
        name = f"{series_name(owner[id(s[0])])} ({pos[k]:.1f} mm along the normal)"
        if counts[k] != n:
            missing = [p for p in range(n)
                       if np.abs(fr[k, :counts[k]] - ref[p]).min() > PHASE_TOL / n] or [n - 1]
            raise ImagingError(
                f"phase missing: the slice of {name} has {counts[k]} phases, the others {n}; "
                f"missing phase {missing[0]} (phases counted from 0, as in the viewer; "
                f"≈ {ref[missing[0]] * rr_med:.0f} ms after R); "
                "refusing to interpolate across the gap"
                + "".join(f"; {d.removeprefix('skipped ')}"  # the file that was there
                          for d in owner[id(s[0])].damaged[:2])
                + f". What you can do: {_remedy('')} (from the scanner or PACS)")
        dev = np.abs(fr[k, :n] - ref)
        if dev.max() > PHASE_TOL / n:
            p = int(np.argmax(dev))
            raise ImagingError(
                f"inconsistent trigger times: phase {p} (from 0) of {name} is at "
                f"{s[p].trigger_ms:.0f} ms ({fr[k, p]:.1%} of R-R), the other slices at "
                f"{ref[p]:.1%} of R-R (≈ {ref[p] * rr_med:.0f} ms)")
    times = [float(t * rr_med) for t in ref]
    spread = float(np.nanmax(rr_all) - np.nanmin(rr_all)) if len(rr_all) > 1 else 0.0
    notes.append(f"stack phases matched by TriggerTime as a fraction of each series' R-R "
                 f"(median R-R {rr_med:.0f} ms, range {spread:.0f} ms across series)")
    out = [replace(f, temporal_id=float(p + 1), trigger_ms=times[p], nominal_pct=math.nan)
           for s in slices for p, f in enumerate(s)]
    return out, len(slices), n, times, rr_med, notes


def plan_stack(scan: FolderScan, series_uid: str | None = None, *,
               prefer: bool = True) -> StackPlan:
    """Decide the stack and the planes of a scanned folder (headers only).

    Parameters
    ----------
    scan : FolderScan
        From :func:`~twinviewer.imaging.series.scan_folder`.
    series_uid : str, optional
        A (de-identified) series of the patient and study wanted; if it is not part of the
        largest parallel stack it is imported alone. If it is one of several series at one
        slice position (a repeated acquisition), it is the one used there.
    prefer : bool, default True
        False: ``series_uid`` only selects the patient, study and stack; at a repeated slice
        the later acquisition is used (the picker lists the default this way).

    Returns
    -------
    StackPlan

    Raises
    ------
    ImagingError
        Two patients without a choice, a missing slice or phase, inconsistent trigger times,
        mixed orientation or pixel grid within the stack, a slice acquired twice with nothing
        to say which is later.
    """
    pool, notes = _choose_group(scan, series_uid)
    clusters = _clusters(pool)

    def n_pos(c: list[SeriesInfo]) -> int:
        fr = [f for s in c for f in s.frames]
        return _n_positions(fr, _normal(fr[0]))

    referenced = {u for seg in scan.segs() for u in seg.referenced_series}
    segmented = [c for c in clusters if any(s.series_uid in referenced for s in c)]
    best = max(segmented or clusters, key=lambda c: (n_pos(c), sum(len(s.frames) for s in c)))
    if segmented:  # a segmentation names its image series: that series alone
        best = [max((s for s in best if s.series_uid in referenced),
                    key=lambda s: len(s.frames))]
        notes.append(f"imported {best[0].description!r}: referenced by a segmentation")
    if series_uid is not None and not any(s.series_uid == series_uid for s in best):
        best = [s for s in pool if s.series_uid == series_uid]
    elif n_pos(best) < 2:  # no parallel stack: the largest single series, as before
        best = [max(pool, key=lambda s: len(s.frames))]
        if len(pool) > 1:
            notes.append(f"{len(pool)} image series, none forming a stack; imported "
                         f"{best[0].description!r} (largest image series)")
    repeats: list[Repeat] = []
    unusable: list[tuple[SeriesInfo, str]] = []
    if len(best) > 1:
        best, repeats = resolve_repeats(best, series_uid if prefer else None)
        notes += [r.note() for r in repeats]
        best, unusable, more = _without_unusable(best)
        notes += more
    try:
        return _planned(best, pool, notes, repeats, unusable)
    except ImagingError as exc:
        if not repeats:
            raise
        raise ImagingError(f"{exc} (note: {'; '.join(r.note() for r in repeats)})") from None


def _problem(s: SeriesInfo, others: list[SeriesInfo], n_phases: int) -> str:
    """Why series ``s`` of a multi-series stack cannot be matched to the others ('' if it
    can): TriggerTime missing while the others have it, or another number of phases (a
    file of it skipped, say)."""
    frames = s.frames
    missing = sum(math.isnan(f.trigger_ms) for f in frames)
    timed = any(not math.isnan(f.trigger_ms) for o in others for f in o.frames)
    if missing and timed:
        of = f"all {missing}" if missing == len(frames) else f"{missing} of the {len(frames)}"
        return (f"TriggerTime missing in {of} of its images, so they cannot be matched to "
                "the other slices' cardiac phases")
    positions = max(_n_positions(frames, _normal(frames[0])), 1)
    per_position = len(frames) / positions
    if n_phases > 1 and per_position != n_phases:
        why = (f"{per_position:g} image(s) per slice position where the other slices "
               f"have {n_phases} phases")
        if s.damaged:
            why += (f"; {len(s.damaged)} of its files skipped: "
                    + "; ".join(d.removeprefix("skipped ") for d in s.damaged[:2]))
        return why
    return ""


def _remedy(why: str) -> str:
    """What the user can do about a series :func:`_problem` found unusable."""
    if why.startswith("TriggerTime"):
        return "export that series again with its TriggerTime"
    return "export that series again complete (every phase of every slice)"


def _without_unusable(stack: list[SeriesInfo]
                      ) -> tuple[list[SeriesInfo], list[tuple[SeriesInfo, str]], list[str]]:
    """The stack (in slice order) without series whose timing cannot be matched, if they
    lie at its ends (the stack is then shorter, and a note says which series, why and what
    to do; :func:`missing_slabs` tells the coverage model); a bad series inside the stack
    would leave a gap, so that refuses the import naming the series, the tag and what to do.

    Raises
    ------
    ImagingError
        Naming the series (number, description, slice), the problem and what to do.
    """
    counts = Counter(len(s.frames) // max(_n_positions(s.frames, _normal(s.frames[0])), 1)
                     for s in stack)
    n_phases = counts.most_common(1)[0][0] if counts else 0
    bad = {}
    for s in stack:
        why = _problem(s, [o for o in stack if o is not s], n_phases)
        if why:
            bad[s.series_uid] = why
    if not bad or len(bad) == len(stack):
        return stack, [], []
    order = [s.series_uid for s in stack]  # slice order (resolve_repeats sorted them)
    kept = [k for k, u in enumerate(order) if u not in bad]
    if len(kept) < 2:
        s = next(s for s in stack if s.series_uid in bad)
        raise ImagingError(
            f"{series_name(s)} cannot be used: {bad[s.series_uid]}; without it (and "
            f"{len(bad) - 1} other(s)) fewer than 2 slices of the stack remain. What you can "
            f"do: {_remedy(bad[s.series_uid])} (from the scanner or PACS)")
    total = len(stack)
    inside = [s for k, s in enumerate(stack)
              if s.series_uid in bad and kept[0] < k < kept[-1]]
    if inside and not bad[inside[0].series_uid].startswith("TriggerTime"):
        return stack, [], []  # a phase missing inside: _match_phases names which, and why
    if inside:
        s = inside[0]
        k = order.index(s.series_uid)
        raise ImagingError(
            f"{series_name(s)} (slice {k + 1} of {total} of the stack) cannot be used: "
            f"{bad[s.series_uid]}. Leaving it out would leave a gap inside the stack, which "
            f"is not interpolated. What you can do: {_remedy(bad[s.series_uid])} (from "
            "the scanner or PACS); a long-axis series can still be imported alone "
            "(--series UID, listed below, or its row in the series picker)")
    # A bad series at an end is left out: the stack is shorter by its slab, and the
    # coverage model (imaging/coverage.py) extrapolates that end over the missing slab too,
    # with the wider SD (fix13a measured RVEDV −19 % beyond its SD when it did not know).
    unusable = [(s, bad[s.series_uid]) for s in stack if s.series_uid in bad]
    notes = []
    for s, why in unusable:
        k = order.index(s.series_uid)
        end = "first" if k < kept[0] else "last"
        notes.append(
            f"{series_name(s)} (slice {k + 1} of {total}, the {end} of the stack) left out: "
            f"{why}. The stack has {len(kept)} slices; the volumes at that end are "
            "extrapolated over the missing slab as well, with a wider SD (see the coverage "
            f"notes: 'end slice missing'). To use it: {_remedy(why)} (from the scanner or "
            "PACS)")
    return [stack[k] for k in kept], unusable, notes


def missing_slabs(plan: StackPlan, image: ImageVolume) -> tuple[int, int]:
    """How many slabs of the planned stack were left out (:attr:`StackPlan.unusable`) before
    the image's first slice (k = 0) and after its last one, from the left-out series'
    positions along the image's slice axis.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> img = ImageVolume(np.zeros((1, 4, 2, 2)), np.diag([12.0, 1.0, 1.0, 1.0]),
    ...                   (12.0, 1.0, 1.0))
    >>> frame = NS(position=np.array([-12.0, 0.0, 0.0]))   # one slab before slice 0
    >>> missing_slabs(NS(unusable=[(NS(frames=[frame]), "why")]), img)
    (1, 0)
    """
    before = after = 0
    for s, _ in plan.unusable:
        k = float(np.median(image.patient_to_index(
            np.array([f.position for f in s.frames]))[:, 0]))
        before += k < -0.5
        after += k > image.shape[0] - 0.5
    return before, after


def _planned(best: list[SeriesInfo], pool: list[SeriesInfo], notes: list[str],
             repeats: list[Repeat],
             unusable: list[tuple[SeriesInfo, str]] | None = None) -> StackPlan:
    _check_grid(best)
    frames, dropped = dedupe([f for s in best for f in s.frames])
    if dropped:
        notes.append(f"{dropped} duplicate image(s) (same SOP Instance UID in several files or "
                     "encodings) ignored")
    normal = _normal(frames[0])
    unusable = list(unusable or [])
    stacked = {s.series_uid for s in best} | {s.series_uid for r in repeats
                                              for s in r.left_out} | {
        s.series_uid for s, _ in unusable}
    planes = [s for s in pool if s.series_uid not in stacked]
    first = best[0]
    if len(best) == 1 and first.modality != "MR":
        # A single CT series: timing tags handled by load_volume as before.
        return StackPlan(best, planes, frames, _n_positions(frames, normal), first.n_phases,
                         [], None, first.patient, first.study_uid, notes, repeats=repeats,
                         unusable=unusable)
    frames, nz, nph, times, rr, more = _match_phases(best, frames, normal)
    notes += more
    if len(best) > 1:
        notes.append(f"stack assembled from {len(best)} series: {nz} slices × {nph} phases")
    return StackPlan(best, planes, frames, nz, nph, times, rr, first.patient, first.study_uid,
                     notes, rekeyed=True, repeats=repeats, unusable=unusable)


_LONG_AXIS_VIEWS = ("2CH", "3CH", "4CH", "RVOT")


def series_roles(plan: StackPlan) -> dict[str, tuple[str, str]]:
    """Role of every series of a planned study, as ``{uid: (role, in words)}``.

    Roles: ``'stack'`` (a member of the stack: "short-axis stack, slice 2 (from 0) of 6"),
    ``'plane'`` ("long-axis 4CH", or "plane (axial)" for another orientation) and
    ``'repeated'`` (a series left out at a slice acquired more than once, naming the series
    used instead).

    Examples
    --------
    >>> series_roles(plan_stack(scan))[uid]                          # doctest: +SKIP
    ('repeated', "repeat of slice 2 (from 0), left out; at 36.0 mm series 'sa_3' (#12) ...")
    """
    out: dict[str, tuple[str, str]] = {}
    first = plan.stack[0]
    kind = "short-axis stack" if view_of(first) == "SA" else "stack"
    normal = _normal(first.frames[0])
    slots: list[float] = []
    for v in sorted(float(f.position @ normal) for f in plan.frames):
        if not slots or v - slots[-1] > POSITION_TOL_MM:
            slots.append(v)
    won = {r.used.series_uid: r for r in plan.repeats}
    for s in plan.stack:
        ks = sorted({int(np.argmin([abs(v - p) for p in slots]))
                     for v in _series_positions(s, normal)})
        at = (f"slice {ks[0]} (from 0) of {len(slots)}" if len(ks) == 1 else
              f"slices {ks[0]}–{ks[-1]} (from 0) of {len(slots)}")
        detail = f"{kind}, {at}" if len(slots) > 1 else kind
        if s.series_uid in won:
            detail += ("; slice acquired more than once: this one used "
                       f"({won[s.series_uid].chosen_by})")
        out[s.series_uid] = ("stack", detail)
    shown = unique_views(list(plan.planes))
    for p in plan.planes:
        view = view_of(p)
        out[p.series_uid] = ("plane", f"long-axis {shown[p.series_uid]}"
                             if view in _LONG_AXIS_VIEWS else
                             f"plane ({shown[p.series_uid] or 'other'})")
    for s, why in plan.unusable:
        out[s.series_uid] = ("left out", f"left out of the stack: {why}")
    for r in plan.repeats:
        for s in r.left_out:
            if s.series_uid not in out:
                when = "" if r.chosen_by == "chosen by the user" else ", earlier"
                out[s.series_uid] = ("repeated", (
                    f"repeat of slice {r.slice_index} (from 0){when}, left out; at "
                    f"{r.position_mm:.1f} mm series {named(r.used)} is used ({r.chosen_by}); "
                    "choose this series to use it instead"))
    return out


def picker_rows(scan: FolderScan) -> list[SeriesRow]:
    """Picker rows with each study's assembled stack as one row (headers only).

    The series that :func:`plan_stack` would assemble into one stack (e.g. six one-slice
    short-axis series) become one row with role ``'stack'`` (its UID is the first series',
    which assembles the same stack), their description says how many series it joins, and
    the study's other series carry their role (:func:`series_roles`): long-axis planes
    ``'plane'``, a series left out at a slice acquired more than once ``'repeated'``
    (choosing that row assembles the stack with it instead). A study whose stack cannot be
    planned (a gap, mixed grids) keeps one row per series; the import names the problem.

    Examples
    --------
    >>> rows = picker_rows(scan_folder(folder, key))  # doctest: +SKIP
    >>> [(r.n_slices, r.n_phases, r.n_files) for r in rows if r.role == "stack"]  # doctest: +SKIP
    [(6, 25, 150)]
    """
    rows = series_table(scan)
    by_uid = {r.series_uid: r for r in rows}
    out: list[SeriesRow] = []
    joined: set[str] = set()
    for ss in patients(scan).values():
        for study in dict.fromkeys(s.study_uid for s in ss):
            pool = [s for s in ss if s.study_uid == study]
            # a series of the study's largest parallel group, so the plan assembles around it
            group = max(_clusters(pool), key=lambda c: sum(len(s.frames) for s in c))
            try:
                plan = plan_stack(scan, group[0].series_uid, prefer=False)
            except ImagingError:
                for s in pool:
                    by_uid[s.series_uid].role_detail = "stack not assembled: see the import"
                continue
            roles = series_roles(plan)
            if len(plan.stack) > 1:
                uids = [s.series_uid for s in plan.stack]
                head = by_uid[uids[0]]
                kind = roles[uids[0]][1].split(",")[0]
                n_rep = len(plan.repeats)
                out.append(replace(
                    head, description=f"{head.description} … (stack of {len(uids)} series)",
                    n_phases=plan.n_phases, n_slices=plan.n_slices,
                    n_files=sum(by_uid[u].n_files for u in uids), role="stack",
                    role_detail=f"{kind} of {len(uids)} series" + (
                        f"; {n_rep} slice(s) acquired more than once: the later used"
                        if n_rep else "")))
                joined.update(uids)
            for uid, (role, detail) in roles.items():
                if uid in by_uid and uid not in joined:
                    row = by_uid[uid]
                    row.role = row.role or role
                    row.role_detail = detail
    return out + [r for r in rows if r.series_uid not in joined]


@dataclass
class AssembledStudy:
    """The stack read into an image, the long-axis planes, and how ED/ES were found."""

    loaded: LoadedVolume
    plan: StackPlan
    planes: list[ImagePlane]
    ed_es_assumed: bool
    notes: list[str]

    @property
    def stack_series_uids(self) -> list[str]:
        return [s.series_uid for s in self.plan.stack]


def _merged(plan: StackPlan) -> SeriesInfo:
    first = plan.stack[0]
    desc = first.description if len(plan.stack) == 1 else (
        f"{first.description} (+{len(plan.stack) - 1} series)")
    return SeriesInfo(first.study_uid, first.series_uid, first.modality, desc, "image",
                      [p for s in plan.stack for p in s.files], plan.frames,
                      next((s.slice_thickness_mm for s in plan.stack if s.slice_thickness_mm),
                           None), plan.rr_ms, first.patient, root=first.root,
                      burned_in=any(s.burned_in for s in plan.stack))


def assemble_study(scan: FolderScan, series_uid: str | None = None, *,
                   progress: Progress | None = None, cancel: Cancel | None = None
                   ) -> AssembledStudy:
    """Read the planned stack and planes (pixels) into images.

    Parameters
    ----------
    scan : FolderScan
    series_uid : str, optional
        See :func:`plan_stack`.
    progress, cancel : callable, optional

    Returns
    -------
    AssembledStudy
        ``loaded.image`` is ``(phases, slices, rows, columns)``; ED/ES from timing (assumed).
    """
    plan = plan_stack(scan, series_uid)
    sub = (lambda lo, hi: (lambda f, m: progress(lo + (hi - lo) * f, m))) if progress else (
        lambda lo, hi: None)
    try:
        loaded = load_volume(_merged(plan) if plan.rekeyed else plan.stack[0],
                             progress=sub(0.0, 0.8), cancel=cancel)
    except ImagingError as exc:  # e.g. uneven spacing: a repeat slightly off its slice
        if not plan.repeats:
            raise
        raise ImagingError(f"{exc} (note: {'; '.join(r.note() for r in plan.repeats)})"
                           ) from None
    notes = list(plan.notes) + loaded.notes
    img = loaded.image
    if plan.unusable:
        img.missing_slabs = missing_slabs(plan, img)
    assumed = img.n_phases > 1
    if plan.rekeyed and img.n_phases > 1:
        img.phase_times_ms = list(plan.phase_times_ms)
        img.ed_index, img.es_index, _ = ed_es_from_timing(plan.phase_times_ms,
                                                          [math.nan] * img.n_phases, plan.rr_ms)
    planes = []
    shown = unique_views(list(plan.planes))
    for n, s in enumerate(plan.planes):
        if cancel is not None and cancel():
            raise ImagingError("import cancelled")
        try:
            lv = load_volume(s)
        except ImagingError as exc:
            notes.append(f"long-axis series {s.description!r} not shown: {exc}")
            continue
        planes.append(ImagePlane(shown[s.series_uid], lv.image, s.series_uid))
        if progress:
            progress(0.8 + 0.2 * (n + 1) / len(plan.planes), f"read plane {s.description}")
    if planes:
        notes.append(f"{len(planes)} long-axis plane(s) kept at their true position: "
                     + ", ".join(p.view or p.image.description for p in planes))
    return AssembledStudy(loaded, plan, planes, assumed, notes)


def thumbnail(series: SeriesInfo, size: int = 64) -> np.ndarray:
    """A ``(size, size)`` uint8 preview of a series' middle image (first phase), windowed to
    its 1st–99th percentile: for the series picker. Only pixels are read (no identifiers).

    Raises
    ------
    ImagingError
        When the series has no frames or its pixels cannot be decoded.
    """
    from scipy import ndimage

    from twinviewer.imaging.volume import _read_pixels

    if not series.frames:
        raise ImagingError(f"series {series.description!r}: no image frames")
    frames = sorted(series.frames, key=lambda f: (f.trigger_ms if not math.isnan(f.trigger_ms)
                                                  else 0.0, f.position @ _normal(f)))
    f = frames[len(frames) // 2] if series.n_phases <= 1 else min(
        frames, key=lambda g: abs(g.position @ _normal(g)
                                  - np.median([h.position @ _normal(h) for h in frames])))
    px = _read_pixels(f.path)
    img = (px if px.ndim == 2 else px[f.frame or 0]).astype(np.float32)
    lo, hi = np.percentile(img, [1, 99])
    img = np.clip((img - lo) / max(hi - lo, 1e-6), 0, 1)
    scale = size / max(img.shape)
    small = ndimage.zoom(img, scale, order=1)
    out = np.zeros((size, size), np.uint8)
    h, w = small.shape
    out[(size - h) // 2:(size - h) // 2 + h, (size - w) // 2:(size - w) // 2 + w] = \
        np.round(small * 255).astype(np.uint8)
    return out
