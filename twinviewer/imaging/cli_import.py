"""Headless ``twinviewer import PATH``: list series, import, print volumes, store the result.

The store holds only de-identified data: the imported series and its segmentations re-written
through :func:`~twinviewer.imaging.deid.deidentify` (files renamed by number, since original
names may carry identifiers) and one ``.vtp`` mesh per structure and phase.
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
from pathlib import Path

import numpy as np

from twinviewer.core.anatomy import Anatomy
from twinviewer.core.atomic import FILE_MODE, atomic_write_bytes, private_dir
from twinviewer.imaging.assembly import (
    SeriesRow,
    StackPlan,
    plan_stack,
    series_roles,
    series_table,
)
from twinviewer.imaging.curves import RATE_LABELS
from twinviewer.imaging.errors import ImagingError, on_screen
from twinviewer.imaging.mesh_series import find_series
from twinviewer.imaging.mesh_series_import import (
    label_source,
    sources_note,
    structure_sources,
)
from twinviewer.imaging.meshing import to_polydata
from twinviewer.imaging.series import FolderScan, read_dicom, scan_folder


def default_store() -> Path:
    """Per-user folder where imported studies are kept (``<user data>/studies``)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("twinviewer", appauthor=False)) / "studies"


def stored_at(out: Path, store: Path | None = None) -> str:
    """Where a study was stored, as the CLI shows it: relative to the user's twinviewer data
    folder (written ``~``-relative) when it is inside it, else the ``--out`` path as given.

    Examples
    --------
    >>> stored_at(Path("/home/u/.local/share/twinviewer/studies/TW-1"),
    ...           Path("/home/u/.local/share/twinviewer/studies"))
    '<twinviewer data>/studies/TW-1'
    >>> stored_at(Path("out/TW-1"), Path("/home/u/.local/share/twinviewer/studies"))
    'out/TW-1'
    """
    data = (store if store is not None else default_store()).parent
    try:
        return "<twinviewer data>/" + Path(out).resolve().relative_to(data.resolve()).as_posix()
    except ValueError:
        return Path(out).as_posix()


def data_folder() -> str:
    """The user's twinviewer data folder, ``~``-relative where possible (no user name)."""
    data = default_store().parent
    try:
        return "~/" + data.relative_to(Path.home()).as_posix()
    except ValueError:
        return data.as_posix()


def ed_es_phases(anatomy: Anatomy) -> tuple[int | None, int | None, str]:
    """ED and ES phase indices and how they were found, by one rule for every import.

    ``'image'``: the image's own (labels or timing; ``'assumed'`` when the image's ED/ES were
    assumed from timing); without image phases, ``'volume'``: ED the phase of the largest LV
    blood-pool volume, ES the smallest; without either, ``'assumed'``: phase 0 is taken as ED.

    Examples
    --------
    >>> from twinviewer.core.anatomy import Anatomy
    >>> ed_es_phases(Anatomy("p"))
    (0, None, 'assumed')
    """
    img = anatomy.image
    if img is not None and img.n_phases > 1:
        return img.ed_index, img.es_index, "assumed" if anatomy.ed_es_assumed else "image"
    lv = anatomy.structures.get("lv_blood")
    if lv is not None and len(lv.volumes) > 1:
        vols = {p: v.value for p, v in lv.volumes.items()}
        return max(vols, key=vols.__getitem__), min(vols, key=vols.__getitem__), "volume"
    return 0, None, "assumed"


def phase_name(anatomy: Anatomy, phase: int) -> str:
    """``'ED'``, ``'ES'`` or ``'phase<n>'`` (:func:`ed_es_phases` decides which is which)."""
    ed, es, _ = ed_es_phases(anatomy)
    if phase == ed:
        return "ED"
    if phase == es:
        return "ES"
    return f"phase{phase}"


def ed_es_note(anatomy: Anatomy) -> str:
    """How the listing's ED and ES were chosen, in words ('' when the image says so)."""
    ed, es, how = ed_es_phases(anatomy)
    if how == "volume":
        return (f"ED = phase {ed}, the largest LV blood-pool volume; ES = phase {es}, the "
                "smallest (from the meshes' volumes: no image timing)")
    if how == "assumed" and anatomy.image is None:
        return f"phase {ed} assumed to be ED (no image timing, no LV volume curve)"
    return ""


def write_meshes(anatomy: Anatomy, folder: Path) -> list[Path]:
    """Write every structure mesh as ``<key>_<phase>.vtp`` (points in patient LPS mm, point
    data ``uncertainty_mm``); returns the paths. Folder 0700, files 0600."""
    private_dir(folder)
    out = []
    for key, s in anatomy.structures.items():
        for phase, mesh in sorted(s.meshes.items()):
            p = folder / f"{key}_{phase_name(anatomy, phase)}.vtp"
            to_polydata(mesh).save(p)
            os.chmod(p, FILE_MODE)
            out.append(p)
    return out


def write_deidentified(files: list[Path], folder: Path, key: bytes) -> int:
    """Re-write DICOM files de-identified as ``folder/00001.dcm``…; returns the count.
    Folder 0700, files 0600 (the store is private to the user)."""
    private_dir(folder)
    for n, p in enumerate(files, 1):
        buf = io.BytesIO()
        read_dicom(p, key, pixels=True).save_as(buf, enforce_file_format=True)
        atomic_write_bytes(folder / f"{n:05d}.dcm", buf.getvalue())
    return len(files)


def _print_rows(rows: list[SeriesRow], file=None) -> None:
    legend = (" (#n: SeriesNumber, as the notes below name them)"
              if any(r.series_number is not None for r in rows) else "")
    print(f"Found {len(rows)} series{legend}:", file=file)
    for r in rows:
        print(f"  {r.summary()}" + (f"  [{r.role_detail}]" if r.role_detail else ""), file=file)


def report(anatomy: Anatomy, rows: list[SeriesRow], stack_uids: list[str],
           repeats: list[dict] | None = None, sources: dict[str, str] | None = None) -> dict:
    """Everything an import found, as plain JSON-able data (no identifiers).

    Keys: ``series`` (picker rows with their role: ``stack``, ``plane``, ``repeated``,
    ``segmentation``, and ``role_detail`` in words), ``stack`` (phases, slices, rows,
    columns, spacing, the series that went into it in slice order, ``repeats``: each slice
    acquired more than once with the series used and left out, phase times, ED/ES),
    ``planes``, ``structures`` (volume of every phase, mL ± SD, and ``source``: where its
    meshes came from, :func:`structure_sources`), ``measurements``, ``notes``.
    """
    img = anatomy.image
    stack = None
    if img is not None:
        stack = {"modality": img.modality, "description": img.description,
                 "phases": img.n_phases, "slices": img.shape[0], "rows": img.shape[1],
                 "columns": img.shape[2], "spacing_mm": list(img.spacing),
                 "series": stack_uids, "phase_times_ms": list(img.phase_times_ms),
                 "rr_ms": anatomy.rr_ms, "ed_phase": img.ed_index, "es_phase": img.es_index,
                 "ed_es_assumed": anatomy.ed_es_assumed, "repeats": list(repeats or [])}
    planes = []
    for p in anatomy.planes:
        n = p.image.affine[:3, 0] / np.linalg.norm(p.image.affine[:3, 0])
        planes.append({"view": p.view, "series_uid": p.series_uid,
                       "phases": p.image.n_phases, "rows": p.image.shape[1],
                       "columns": p.image.shape[2], "origin_mm": p.image.affine[:3, 3].tolist(),
                       "normal": n.tolist(), "phase_times_ms": list(p.image.phase_times_ms)})
    structures = {}
    for k, s in anatomy.structures.items():
        structures[k] = {
            "name": s.name, "source": (sources or {}).get(k), "meshed_phases": sorted(s.meshes),
            "capped": any(m.cap_mask is not None and bool(m.cap_mask.any())
                          for m in s.meshes.values()),
            "volumes_ml": [{"phase": p, "value": v.value, "sd": v.uncertainty,
                            "source": v.source} for p, v in sorted(s.volumes.items())]}
    return {"series": [r.to_dict() for r in rows], "stack": stack, "planes": planes,
            "phase_times_ms": anatomy.cycle_times_ms(), "structures": structures,
            "measurements": [m.to_dict() for m in anatomy.measurements],
            "notes": list(anatomy.notes)}


def _scan(path: Path, key: bytes, meshes: Path | None, keep_burned_in: bool = False,
          label_readers=None) -> FolderScan | None:
    """The folder's DICOM series, or None for a folder of meshes only."""
    try:
        return scan_folder(path, key, keep_burned_in=keep_burned_in,
                           other_suffixes=tuple(label_readers or ()))
    except ImagingError:
        if meshes is None and not (path.is_dir() and find_series(path.iterdir())):
            raise
        return None


def _import(path: Path, key: bytes, scan: FolderScan | None, series_uid: str | None,
            meshes: Path | None, mapping: Path | None, label_readers=None
            ) -> tuple[Anatomy, StackPlan | None, list[Path], dict[str, str], list[str]]:
    from twinviewer.imaging.deid import pseudonym
    from twinviewer.imaging.mesh_series_import import (
        read_series,
        with_curve_measurements,
        with_mesh_series,
    )
    from twinviewer.imaging.segmentation import mapping_from
    from twinviewer.imaging.study import import_study

    mapping_from(mapping)  # a bad mapping file is named before the study is imported
    anatomy, plan, files = None, None, []
    unstored: list[str] = []
    if scan is not None:
        anatomy = import_study(path, key=key, scan=scan, series_uid=series_uid,
                               mapping=mapping, label_readers=label_readers)
        plan = plan_stack(scan, series_uid)
        stack_uids = [s.series_uid for s in plan.stack]
        # the stack's own files (a series left out at a repeated slice only in part keeps
        # just the files of the slices used), then the planes'
        files = [p for s in plan.stack for p in s.files]
        files += [p for s in plan.planes for p in s.files]
        files += [p for s in scan.segs() if s.referenced_series & set(stack_uids)
                  for p in s.files]
        files, unstored = _used_files(files, plan, key)
    labelled = label_source(anatomy) if anatomy is not None else ""
    if meshes is not None or scan is None:
        series = read_series(meshes if meshes is not None else path, mapping,
                             rr_ms=anatomy.rr_ms if anatomy is not None else None,
                             pseudonym=pseudonym(str(path.resolve()), key))
        anatomy = with_curve_measurements(series) if anatomy is None else \
            with_mesh_series(anatomy, series)[0]
    sources = structure_sources(anatomy, labelled)
    note = sources_note(sources)
    if note and note not in anatomy.notes:
        anatomy.notes.append(note)
    return anatomy, plan, files, sources, unstored


def _used_files(files: list[Path], plan: StackPlan, key: bytes) -> tuple[list[Path], list[str]]:
    """``files`` without those the import did not use (review12b #9: "94 file(s)" listed,
    one phase imported, "96 DICOM file(s)" stored): the files of phases left out of a damaged
    series (:func:`~twinviewer.imaging.volume.left_out_frames`) and the segmentations of only
    those phases; with one line per kind left out, saying why."""
    from twinviewer.imaging.volume import left_out_frames

    out_frames = [f for s in plan.stack for f in left_out_frames(s)]
    if not out_frames:
        return files, []
    used = {f.path for s in plan.stack for f in s.frames} - {f.path for f in out_frames}
    out_paths = {f.path for f in out_frames} - used  # a multi-frame file of a kept phase stays
    out_sops = {f.sop_uid for f in out_frames}
    kept_sops = {f.sop_uid for s in plan.stack for f in s.frames} - out_sops
    segs_out = []
    for p in files:
        if p in out_paths or p in used:
            continue
        ds = read_dicom(p, key, pixels=False)
        inst = {str(i.ReferencedSOPInstanceUID) for r in ds.get("ReferencedSeriesSequence", [])
                for i in r.get("ReferencedInstanceSequence", [])}
        if inst & out_sops and not inst & kept_sops:  # as the import judges it (study.py)
            segs_out.append(p)
    why = []
    if out_paths:
        why.append(f"{len(out_paths)} image file(s) of the phase(s) left out of the import")
    if segs_out:
        why.append(f"{len(segs_out)} segmentation(s) of those phases only")
    return [p for p in files if p not in out_paths and p not in segs_out], why


def run_import(path: Path, out_dir: Path | None = None, *, key: bytes | None = None,
               series_uid: str | None = None, meshes: Path | None = None,
               mapping: Path | None = None, as_json: bool = False,
               keep_burned_in: bool = False, label_readers=None) -> int:
    """List, import and store a study; print series, stack, planes, structures and volumes.

    Parameters
    ----------
    path : Path
        Study folder (see :func:`twinviewer.imaging.study.import_study`), or a folder of a
        mesh time series.
    out_dir : Path, optional
        Where to store; default ``default_store() / <pseudonym>``.
    key : bytes, optional
        De-identification key; default the installation key.
    series_uid : str, optional
        Import the stack holding this (de-identified, as listed) series.
    meshes : Path, optional
        Folder of a mesh time series (``<structure>_<frame>.<ext>``), frames = phases.
    mapping : Path, optional
        Segment mapping JSON for SEG segments and mesh file names.
    as_json : bool
        Print one JSON document (:func:`report`) instead of text.
    keep_burned_in : bool, default False
        Import images whose BurnedInAnnotation is YES (refused otherwise); the listing and
        the notes mark them.
    label_readers : mapping, optional
        More label-map readers by suffix (plugins'; see
        :func:`twinviewer.imaging.study.import_study`).

    Returns
    -------
    int
        0 on success, 2 if the input cannot be imported (message on stderr).
    """
    from twinviewer.imaging.deid import installation_key

    path = Path(path)
    scan = None
    try:
        key = key if key is not None else installation_key()
        scan = _scan(path, key, meshes, keep_burned_in, label_readers)
        anatomy, plan, files, sources, unstored = _import(path, key, scan, series_uid, meshes,
                                                          mapping, label_readers)
        rows = series_table(scan) if scan is not None else []
        roles = series_roles(plan) if plan is not None else {}
        plane_uids = {p.series_uid for p in anatomy.planes}
        for r in rows:
            role, detail = roles.get(r.series_uid, (r.role, r.role_detail))
            if r.series_uid in roles and role == "plane" and r.series_uid not in plane_uids:
                detail += " (not shown: see the notes)"
            r.role, r.role_detail = r.role or role, detail
        stack_uids = [s.series_uid for s in plan.stack] if plan is not None else []
        # listed as the study is built: the stack in slice order, then the rest as found
        order = {u: n for n, u in enumerate(stack_uids)}
        rows.sort(key=lambda r: order.get(r.series_uid, len(order)))
        repeats = [r.to_dict() for r in plan.repeats] if plan is not None else []
        out = Path(out_dir) if out_dir is not None else \
            private_dir(default_store()) / anatomy.pseudonym
        private_dir(out)
        n = write_deidentified(files, out / "dicom", key) if files else 0
        mesh_files = write_meshes(anatomy, out / "meshes")
    except ImagingError as exc:
        # the series found, with the UIDs to choose from (e.g. two patients in one folder)
        found = series_table(scan) if scan is not None and scan.series else []
        if as_json:
            print(json.dumps(_finite({"error": str(exc),
                                      "series": [r.to_dict() for r in found]}), indent=1))
        # on a terminal (the user's screen) a bad file is named below the chosen folder;
        # redirected (a log, CI) it keeps its per-run tag only (review16 #6)
        text = on_screen(str(exc)) if sys.stderr.isatty() else str(exc)
        print(f"import failed: {text}", file=sys.stderr)
        if found and not as_json:
            _print_rows(found, file=sys.stderr)
        return 2
    except OSError as exc:  # never the path: the folder name may identify the patient
        print(f"import failed: cannot read or write a file ({exc.strerror or 'I/O error'})",
              file=sys.stderr)
        return 2
    if as_json:
        doc = report(anatomy, rows, stack_uids, repeats, sources)
        doc["stored"] = {"dicom_files": n, "mesh_files": len(mesh_files),
                         "path": stored_at(out), "not_stored": unstored,
                         "skipped": [n for n in (scan.notes if scan is not None else [])
                                     if n.startswith("skipped ")]}
        print(json.dumps(_finite(doc), indent=1, allow_nan=False))
        return 0
    if rows:
        _print_rows(rows)
    img = anatomy.image
    if img is not None:
        print(f"\nImported {img.description!r} as {anatomy.pseudonym}: "
              f"{img.n_phases} phase(s) of {' × '.join(map(str, img.shape))} voxels, spacing "
              f"{' × '.join(f'{s:.2f}' for s in img.spacing)} mm, from {len(stack_uids)} "
              f"series; ED phase {img.ed_index}, ES phase {img.es_index}"
              + (" (assumed from timing)" if anatomy.ed_es_assumed else ""))
    for p in anatomy.planes:
        print(f"  plane {p.view or 'other'}: {p.image.n_phases} phase(s) of "
              f"{p.image.shape[1]} × {p.image.shape[2]}")
    print("\nStructures (volume ± 1 SD):")
    if ed_es_note(anatomy):
        print(f"  ({ed_es_note(anatomy)})")
    for s in anatomy.structures.values():
        vols = ", ".join(f"{phase_name(anatomy, p)} {v.value:.1f} ± {v.uncertainty:.1f} mL"
                         for p, v in sorted(s.volumes.items()))
        print(f"  {s.name:<18} {vols}")
    if anatomy.measurements:
        print("\nMeasurements:")
        for m in anatomy.measurements:
            label = RATE_LABELS.get(m.name, m.name)  # a name a reader knows, never a code
            print(f"  {label} {m.value:.4g} ± {m.uncertainty:.2g} {m.unit} ({m.source})")
    for note in anatomy.notes:
        print(f"note: {note}")
    where = stored_at(out)
    skipped = sum(1 for n in (scan.notes if scan is not None else [])
                  if n.startswith("skipped "))
    print(f"\nStored de-identified in {where}: {n} DICOM file(s) in dicom/ (the files the "
          f"imported study is made of), {len(mesh_files)} mesh(es) in meshes/"
          + (f" (<twinviewer data> is {data_folder()})" if where.startswith("<") else ""))
    if unstored or skipped:
        print("Not stored: " + "; ".join(
            unstored + ([f"{skipped} file(s) skipped as unreadable or not images (see the "
                         "notes above)"] if skipped else [])))
    return 0


def _finite(x):
    """NaN (unknown, e.g. a phase time without TriggerTime) as JSON null."""
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, np.generic):
        return _finite(x.item())
    return x
