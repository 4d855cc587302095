"""Headless ``twinviewer import PATH``: list series, import, print volumes, store the result.

The store holds only de-identified data: the imported series and its segmentations re-written
through :func:`~twinviewer.imaging.deid.deidentify` (files renamed by number, since original
names may carry identifiers) and one ``.vtp`` mesh per structure and phase.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

from twinviewer.core.anatomy import Anatomy
from twinviewer.core.atomic import FILE_MODE, atomic_write_bytes, private_dir
from twinviewer.imaging.errors import ImagingError
from twinviewer.imaging.meshing import to_polydata
from twinviewer.imaging.series import FolderScan, read_dicom, scan_folder


def default_store() -> Path:
    """Per-user folder where imported studies are kept (``<user data>/studies``)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("twinviewer", appauthor=False)) / "studies"


def phase_name(anatomy: Anatomy, phase: int) -> str:
    """``'ED'``, ``'ES'`` or ``'phase<n>'``."""
    img = anatomy.image
    if img is not None and img.n_phases > 1:
        if phase == img.ed_index:
            return "ED"
        if phase == img.es_index:
            return "ES"
    elif phase == 0:
        return "ED"
    return f"phase{phase}"


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


def _print_scan(scan: FolderScan) -> None:
    print(f"Found {len(scan.series)} series:")
    for s in scan.series:
        print(f"  {s.summary()}")


def run_import(path: Path, out_dir: Path | None = None, *, key: bytes | None = None,
               keep_burned_in: bool = False) -> int:
    """List, import and store a study; print structures, volumes and measurements.

    Parameters
    ----------
    path : Path
        Study folder (see :func:`twinviewer.imaging.study.import_study`).
    out_dir : Path, optional
        Where to store; default ``default_store() / <pseudonym>``.
    key : bytes, optional
        De-identification key; default the installation key.
    keep_burned_in : bool, default False
        Import images whose BurnedInAnnotation is YES (refused otherwise); the listing and
        the notes mark them.

    Returns
    -------
    int
        0 on success, 2 if the input cannot be imported (message on stderr).
    """
    from twinviewer.imaging.deid import installation_key
    from twinviewer.imaging.study import choose_series, import_study

    path = Path(path)
    try:
        key = key if key is not None else installation_key()
        scan = scan_folder(path, key, keep_burned_in=keep_burned_in)
        _print_scan(scan)
        anatomy = import_study(path, key=key, scan=scan)
        series, _ = choose_series(scan)
        out = Path(out_dir) if out_dir is not None else \
            private_dir(default_store()) / anatomy.pseudonym
        private_dir(out)
        seg_files = [p for s in scan.segs() if series.series_uid in s.referenced_series
                     for p in s.files]
        n = write_deidentified(series.files + seg_files, out / "dicom", key)
        mesh_files = write_meshes(anatomy, out / "meshes")
    except ImagingError as exc:
        print(f"import failed: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # never the path: the folder name may identify the patient
        print(f"import failed: cannot read or write a file ({exc.strerror or 'I/O error'})",
              file=sys.stderr)
        return 2
    img = anatomy.image
    print(f"\nImported {series.description!r} as {anatomy.pseudonym}: "
          f"{img.n_phases} phase(s) of {' × '.join(map(str, img.shape))} voxels, spacing "
          f"{' × '.join(f'{s:.2f}' for s in img.spacing)} mm; ED phase {img.ed_index}, "
          f"ES phase {img.es_index}")
    print("\nStructures (volume ± 1 SD):")
    for s in anatomy.structures.values():
        vols = ", ".join(f"{phase_name(anatomy, p)} {v.value:.1f} ± {v.uncertainty:.1f} mL"
                         for p, v in sorted(s.volumes.items()))
        print(f"  {s.name:<18} {vols}")
    if anatomy.measurements:
        print("\nMeasurements:")
        for m in anatomy.measurements:
            print(f"  {m}")
    for note in anatomy.notes:
        print(f"note: {note}")
    print(f"\nStored de-identified: {n} DICOM file(s) in {out / 'dicom'}, "
          f"{len(mesh_files)} mesh(es) in {out / 'meshes'}")
    return 0
