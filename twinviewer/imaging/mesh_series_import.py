"""A mesh time series imported alone or over a study: what it replaces and what follows.

One implementation for ``twinviewer import --meshes`` (:mod:`~twinviewer.imaging.cli_import`)
and the GUI's File → Open meshes / Add meshes to this study
(:mod:`twinviewer.gui.mesh_import`): the series is read by
:func:`~twinviewer.imaging.mesh_series.read_mesh_series`; each structure it names replaces
the one meshed from the study's segmentation (meshes, volumes, the measurements and coverage
notes that came from them); ED/ES follow the user's LV; EDV, ESV, SV, EF (and, when timed,
peak ejection and filling rates) come from its volume curves with their provenance.

Examples
--------
>>> from twinviewer.imaging.bivme import load_bivme
>>> a = with_curve_measurements(load_bivme())
>>> [m.name for m in a.measurements][:4]
['LVEDV', 'LVESV', 'LVSV', 'LVEF']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

from twinviewer.core.anatomy import Anatomy
from twinviewer.core.measurement import Measurement
from twinviewer.imaging.curves import CHAMBERS, curve_measurements, volume_curve
from twinviewer.imaging.mesh_series import SOURCE as MESH_SERIES
from twinviewer.imaging.mesh_series import attach_mesh_series, find_series, read_mesh_series
from twinviewer.imaging.segmentation import mapping_from
from twinviewer.imaging.volume import timing_settled

#: Where a single mesh file's volumes come from (File → Open meshes, one file per structure).
MESH_FILE = "imported mesh file"


def label_source(anatomy: Anatomy) -> str:
    """'automatic segmentation' when the import segmented the study itself, else 'study's
    segmentation' (a SEG, a label map or contours that came with it).

    Examples
    --------
    >>> label_source(Anatomy("p"))
    "study's segmentation"
    """
    from twinviewer.imaging.study import AUTO_SEGMENTED

    return "automatic segmentation" if AUTO_SEGMENTED in anatomy.notes else \
        "study's segmentation"


def has_frame_indices(paths: Iterable[Path]) -> bool:
    """True when some of ``paths`` are mesh files named ``<structure>_<frame>.<ext>``.

    Examples
    --------
    >>> has_frame_indices([Path("x_LV_ENDOCARDIAL_000.vtk")]), has_frame_indices(
    ...     [Path("lv_blood.vtp")])
    (True, False)
    """
    return bool(find_series(Path(p) for p in paths))


def read_series(source: Path | Iterable[Path], mapping: Path | None = None,
                rr_ms: float | None = None, pseudonym: str = "imported-mesh-series"
                ) -> Anatomy:
    """The mesh time series in a folder or list of files, mapped by the JSON ``mapping``.

    Raises
    ------
    ImagingError
        The mapping is not JSON or names an unknown structure (naming the file); a file
        cannot be read, a frame is missing, frame counts differ (naming the series).

    Examples
    --------
    >>> read_series(Path("frames"), Path("mapping.json"), rr_ms=860)  # doctest: +SKIP
    """
    return read_mesh_series(source if isinstance(source, Path) else list(source),
                            mapping=mapping_from(mapping), rr_ms=rr_ms, pseudonym=pseudonym)


def with_curve_measurements(anatomy: Anatomy) -> Anatomy:
    """Add the LV and RV curve measurements (EDV, ESV, SV, EF, PER, PFR with their source) the
    anatomy does not have yet; returns it.

    Examples
    --------
    >>> with_curve_measurements(Anatomy("p")).measurements
    []
    """
    have = {m.name for m in anatomy.measurements}
    anatomy.measurements += [m for c in CHAMBERS
                             if (curve := volume_curve(anatomy, c)) is not None
                             for m in curve_measurements(curve) if m.name not in have]
    return anatomy


def remeasure(anatomy: Anatomy, replaced: list[str]) -> None:
    """Drop the measurements (and coverage notes) of the segmentation's structures now
    replaced by the user's meshes (their volume curves give them again) and set ED/ES from
    the user's LV.

    Examples
    --------
    >>> a = Anatomy("p", measurements=[Measurement("LVEDV", 150.0, "mL", 5.0, "MR")])
    >>> remeasure(a, ["lv_blood"]); a.measurements
    []
    """
    from twinviewer.imaging.coverage import MYOCARDIUM, is_coverage_note
    from twinviewer.imaging.measure import MYOCARDIAL_DENSITY_G_PER_ML

    def about_replaced(note: str) -> bool:  # "LV base not covered …", "LV myocardium …"
        myo = note.startswith(MYOCARDIUM)
        return is_coverage_note(note) and (
            myo and "lv_myocardium" in replaced or not myo and any(
                note.startswith(f"{c} ") and k in replaced for c, k in CHAMBERS.items()))

    anatomy.notes = [n for n in anatomy.notes if not about_replaced(n)]

    gone = {f"{c}{q}" for c, k in CHAMBERS.items() if k in replaced
            for q in ("EDV", "ESV", "SV", "EF", "_PER", "_PFR")}
    gone |= {"LVmass"} if "lv_myocardium" in replaced else set()
    anatomy.measurements = [m for m in anatomy.measurements if m.name not in gone]
    curve = volume_curve(anatomy, "LV") if "lv_blood" in replaced else None
    img = anatomy.image
    if curve is not None and img is not None and len(curve.times_ms) == img.n_phases:
        new = (curve.ed_index, curve.es_index)
        anatomy.notes = timing_settled(anatomy.notes, "the imported LV meshes",
                                       new == (img.ed_index, img.es_index))
        if new != (img.ed_index, img.es_index):
            anatomy.notes.append(f"ED/ES set from the imported LV meshes: phases {new} "
                                 f"instead of {(img.ed_index, img.es_index)}")
        img.ed_index, img.es_index = new
    myo = anatomy.structures.get("lv_myocardium")
    if "lv_myocardium" in replaced and img is not None and img.ed_index in myo.volumes:
        v = myo.volumes[img.ed_index]
        anatomy.measurements.append(Measurement(
            "LVmass", MYOCARDIAL_DENSITY_G_PER_ML * v.value, "g",
            MYOCARDIAL_DENSITY_G_PER_ML * v.uncertainty, v.source))


def structure_sources(anatomy: Anatomy, labelled: str) -> dict[str, str]:
    """Where each structure's meshes come from: :data:`MESH_SERIES`, :data:`MESH_FILE` or
    ``labelled`` (the segmentation's words, :func:`label_source`), from its volumes' source.

    Examples
    --------
    >>> structure_sources(Anatomy("p"), "automatic segmentation")
    {}
    """
    out = {}
    for k, s in anatomy.structures.items():
        src = {v.source for v in s.volumes.values()}
        out[k] = MESH_SERIES if src == {MESH_SERIES} else MESH_FILE if \
            src == {"imported mesh"} else labelled
    return out


def sources_note(sources: dict[str, str]) -> str | None:
    """``'structures: lv_blood from the imported mesh time series; rv_blood from the …'``
    when the structures come from more than one source, else None.

    Examples
    --------
    >>> sources_note({"lv_blood": MESH_SERIES, "rv_blood": "automatic segmentation"})
    'structures: lv_blood from the imported mesh time series; rv_blood from the automatic ...'
    """
    if len(set(sources.values())) < 2:
        return None
    by: dict[str, list[str]] = {}
    for k, src in sources.items():
        by.setdefault(src, []).append(k)
    return "structures: " + "; ".join(f"{', '.join(ks)} from the {src}"
                                      for src, ks in by.items())


def with_mesh_series(anatomy: Anatomy, series: Anatomy) -> tuple[Anatomy, list[str]]:
    """A copy of the study's ``anatomy`` with the user's ``series`` over it, and the keys of
    the structures it replaced; ``anatomy`` itself is left as it was.

    Frame ``i`` of the series is image phase ``i``; each structure the series names replaces
    the segmentation's (with a note), the measurements that came from replaced structures
    are taken again from the series' volume curves, ED/ES follow the user's LV.

    Raises
    ------
    ImagingError
        When the series' frame count differs from the image's phase count.

    Examples
    --------
    >>> from twinviewer.imaging.bivme import load_bivme
    >>> new, replaced = with_mesh_series(Anatomy("p"), load_bivme())
    >>> sorted(new.structures), replaced
    (['epicardium', 'lv_blood', 'rv_blood'], [])
    """
    img = anatomy.image
    copy = dataclasses.replace(
        anatomy, structures=dict(anatomy.structures), notes=list(anatomy.notes),
        measurements=list(anatomy.measurements),
        image=dataclasses.replace(img) if img is not None else None)
    labelled = label_source(anatomy)
    replaced = [k for k in series.structures
                if copy.structures.get(k) is not None and copy.structures[k].meshes]
    attach_mesh_series(copy, series, f"the {labelled}")
    remeasure(copy, replaced)
    with_curve_measurements(copy)
    copy.notes = [n for n in copy.notes if not n.startswith("structures: ")]
    note = sources_note(structure_sources(copy, labelled))
    if note:
        copy.notes.append(note)
    return copy, replaced


def is_mesh_folder(folder: Path) -> bool:
    """True when ``folder`` holds a mesh time series directly and no DICOM file (files
    with the ``DICM`` preamble marker) beside it: opened as meshes, not as a study.

    Examples
    --------
    >>> from twinviewer.imaging.bivme import BIVME_DIR
    >>> is_mesh_folder(BIVME_DIR)  # the packed series: no .vtk files
    False
    """
    try:
        files = [p for p in Path(folder).iterdir() if p.is_file()]
    except OSError:  # unreadable: not opened as meshes (the study reader says why)
        return False
    groups = find_series(files)
    if not groups:
        return False
    used = {p for f in groups.values() for p in f.values()}
    for p in files:
        if p in used:
            continue
        try:
            with open(p, "rb") as fh:
                if fh.read(132)[128:] == b"DICM":
                    return False
        except OSError:
            continue
    return True
