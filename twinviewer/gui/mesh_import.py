"""File → Open meshes and File → Add meshes to this study: a mesh time series in the GUI.

Files (or a folder of files) named ``<structure>_<frame>.<ext>`` (``x_LV_ENDOCARDIAL_000.vtk``
… ``_024.vtk``) are read as one time series, mapped to structures by an optional segment
mapping JSON, through the imaging layer's own path
(:mod:`twinviewer.imaging.mesh_series_import`, the same as ``twinviewer import --meshes``):
every frame is animated in the 3D view, and the LV/RV volume curves give EDV, ESV, SV, EF
(and peak rates when the R-R interval is known) with their provenance. Files without a frame
index keep the one-structure-per-file path (:meth:`MainWindow.open_meshes`).

*Add meshes to this study* puts the series over the open study: each structure it names
replaces the segmentation's, frame ``i`` = image phase ``i``, in a worker; the edit is
recorded in the twin's audit trail and the anatomy is saved with the twin. On any error the
message names the file and the problem, and the app keeps what it had.

The mapping file and the R-R interval are remembered for this session only: like recent
studies, paths are never written to the settings (a folder's name may identify the patient).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from twinviewer.gui import file_dialogs
from twinviewer.imaging.mesh_series import SUFFIXES, find_series

MESH_FILTER = "Meshes (" + " ".join(f"*{s}" for s in SUFFIXES) + ")"
MAPPING_FILTER = "Segment mapping (*.json)"


@dataclasses.dataclass
class Remembered:
    """The choices kept for the session: the mapping JSON and the series' R-R (ms)."""

    mapping: Path | None = None
    rr_ms: float | None = None


def remembered(window) -> Remembered:
    """The window's :class:`Remembered` choices (made on first use)."""
    return window.__dict__.setdefault("_mesh_import_choices", Remembered())


def describe(paths: list[Path]) -> str:
    """What the chosen files hold, in words.

    Examples
    --------
    >>> describe([Path("p_LV_ENDOCARDIAL_000.vtk"), Path("p_LV_ENDOCARDIAL_001.vtk"),
    ...           Path("lv_blood.vtp")])
    '1 time series (p_LV_ENDOCARDIAL: frames 0–1); 1 file without a frame index (not used)'
    """
    groups = find_series(paths)
    if not groups:
        return f"{len(paths)} mesh file(s), one structure each (no frame index in the names)"
    series = "; ".join(f"{stem}: frames {min(f)}–{max(f)}" for stem, f in sorted(groups.items()))
    loose = len(paths) - sum(len(f) for f in groups.values())
    return f"{len(groups)} time series ({series})" + (
        f"; {loose} file{'s' if loose > 1 else ''} without a frame index (not used)"
        if loose else "")


def files_in(folder: Path) -> list[Path]:
    """The mesh files directly in ``folder`` (sorted)."""
    return sorted(p for p in Path(folder).iterdir()
                  if p.is_file() and p.name.lower().endswith(SUFFIXES))


class MeshSeriesDialog(QDialog):
    """Choose mesh files or a folder, an optional segment mapping JSON and, for meshes on
    their own, the R-R interval the frames span (unknown: frames evenly over the model's
    beat, no peak rates).

    Parameters
    ----------
    study : bool
        For *Add meshes to this study* (no R-R: the study's phases time the frames).
    """

    def __init__(self, parent: QWidget | None, choices: Remembered, *, study: bool = False
                 ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add meshes to this study" if study else "Open meshes")
        self._paths: list[Path] = []
        self._mapping = choices.mapping
        lay = QVBoxLayout(self)
        intro = QLabel(
            "Mesh files named <i>structure_frame</i> (e.g. LV_ENDOCARDIAL_000.vtk … _024.vtk) "
            "are read as a time series. " + (
                "Frame <i>i</i> is the study's phase <i>i</i>; each structure the series names "
                "replaces the segmentation's." if study else
                "Files without a frame index are shown as one structure each."))
        intro.setWordWrap(True)
        lay.addWidget(intro)
        form = QFormLayout()
        pick = QHBoxLayout()
        self.files_button = QPushButton("Files…")
        self.folder_button = QPushButton("Folder…")
        self.files_button.clicked.connect(self._choose_files)
        self.folder_button.clicked.connect(self._choose_folder)
        pick.addWidget(self.files_button)
        pick.addWidget(self.folder_button)
        pick.addStretch(1)
        form.addRow("Meshes:", pick)
        self.summary = QLabel("none chosen")
        self.summary.setWordWrap(True)
        form.addRow("", self.summary)
        row = QHBoxLayout()
        self.mapping_label = QLabel()
        browse, clear = QPushButton("Browse…"), QPushButton("Clear")
        browse.clicked.connect(self._choose_mapping)
        clear.clicked.connect(lambda: self.set_mapping(None))
        row.addWidget(self.mapping_label, 1)
        row.addWidget(browse)
        row.addWidget(clear)
        form.addRow("Segment mapping JSON:", row)
        self.rr = QDoubleSpinBox()
        self.rr.setRange(0.0, 3000.0)
        self.rr.setDecimals(0)
        self.rr.setSingleStep(10.0)
        self.rr.setSuffix(" ms")
        self.rr.setSpecialValueText("unknown")
        self.rr.setValue(choices.rr_ms or 0.0)
        self.rr.setToolTip("The R-R interval the frames span evenly, if known: it times the "
                           "volume curve (peak ejection and filling rates). Unknown: the "
                           "frames are spread evenly over the model's beat.")
        if not study:
            form.addRow("R-R interval of the frames:", self.rr)
        lay.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        lay.addWidget(buttons)
        self.set_mapping(self._mapping)
        self.set_paths([])
        self.resize(560, 240)

    # -- choices ---------------------------------------------------------------------------
    def set_paths(self, paths: list[Path]) -> None:
        """The chosen mesh files (a folder's mesh files when a folder was chosen)."""
        self._paths = [Path(p) for p in paths]
        self.summary.setText(describe(self._paths) if self._paths else "none chosen")
        self.ok.setEnabled(bool(self._paths))

    def set_mapping(self, path: Path | None) -> None:
        self._mapping = Path(path) if path else None
        self.mapping_label.setText(self._mapping.name if self._mapping else "none (the "
                                   "file names are matched to structures)")

    def _choose_files(self) -> None:
        fs, _ = file_dialogs.get_open_file_names(self, "Mesh files", "", MESH_FILTER)
        if fs:
            self.set_paths(fs)

    def _choose_folder(self) -> None:
        d = file_dialogs.get_existing_directory(self, "Folder of a mesh time series")
        if d:
            self.set_paths(files_in(Path(d)))

    def _choose_mapping(self) -> None:
        f, _ = file_dialogs.get_open_file_name(self, "Segment mapping JSON", "",
                                               MAPPING_FILTER)
        if f:
            self.set_mapping(Path(f))

    # -- results ---------------------------------------------------------------------------
    def paths(self) -> list[Path]:
        return list(self._paths)

    def mapping(self) -> Path | None:
        return self._mapping

    def rr_ms(self) -> float | None:
        return self.rr.value() or None


# -- opening ---------------------------------------------------------------------------------
def choose_meshes(window) -> None:
    """File → Open meshes: the dialog, then :func:`open_mesh_paths`."""
    choices = remembered(window)
    dlg = MeshSeriesDialog(window, choices)
    if dlg.exec() != QDialog.DialogCode.Accepted:
        return
    choices.mapping, choices.rr_ms = dlg.mapping(), dlg.rr_ms()
    open_mesh_paths(window, dlg.paths(), dlg.mapping(), dlg.rr_ms())


def open_mesh_paths(window, paths: list[Path], mapping: Path | None = None,
                    rr_ms: float | None = None) -> None:
    """Open mesh files: as a time series when their names carry frame indices, else one
    structure per file (:meth:`MainWindow.open_meshes`)."""
    paths = [Path(p) for p in paths]
    if find_series(paths):
        open_mesh_series(window, paths, mapping, rr_ms)
    else:
        window.open_meshes(paths)


def take_mesh_series(window, paths: list[Path]) -> list[Path]:
    """Of dropped ``paths``, open a mesh time series (its files, or a folder of one that holds
    no DICOM file) with the session's mapping; returns the paths left for the other readers
    (all of them when there is no series, none when one was opened)."""
    from twinviewer.imaging.mesh_series_import import is_mesh_folder

    paths = [Path(p) for p in paths]
    choices = remembered(window)
    folder = next((p for p in paths if p.is_dir() and is_mesh_folder(p)), None)
    if folder is not None:
        open_mesh_series(window, files_in(folder), choices.mapping, choices.rr_ms)
        return []
    if find_series(paths):
        open_mesh_series(window, paths, choices.mapping, choices.rr_ms)
        return []
    return paths


def _unused_note(paths: list[Path]) -> list[str]:
    groups = find_series(paths)
    used = {p for f in groups.values() for p in f.values()}
    loose = [p for p in paths if p not in used]
    # a count, not the names: the notes are saved in the .twin and a file name may carry
    # the patient's name (review9b #3)
    return [f"{len(loose)} file(s) not part of the mesh time series (no frame index in the "
            "name)"] if loose else []


def open_mesh_series(window, paths: list[Path], mapping: Path | None = None,
                     rr_ms: float | None = None) -> None:
    """Read a mesh time series in a worker and show it as a new patient's twin (all frames,
    with its volume-curve measurements as its first measurements: ``new_patient``), after
    asking to save unsaved work; on error keep the heart on show."""
    from twinviewer.gui.main_window import prepared_for_display
    from twinviewer.gui.motion import prepare_motion
    from twinviewer.imaging.mesh_series_import import read_series, with_curve_measurements

    paths = [Path(p) for p in paths]
    if not window.maybe_save("opening a mesh time series"):
        return

    def work(progress, cancel):
        progress(0.05, f"reading {len(paths)} mesh files")
        anatomy = with_curve_measurements(read_series(paths, mapping, rr_ms))
        anatomy.notes += _unused_note(paths)
        if cancel():
            raise InterruptedError("cancelled")
        progress(0.7, "preparing the motion")
        return prepared_for_display(prepare_motion(anatomy))

    def done(anatomy) -> None:
        # a new twin: the open one's measurements came from other images (meshui9's note)
        window.new_patient(anatomy)
        _warn_cross_fades(window, anatomy.notes)

    window.state.run_job(f"Reading a mesh time series ({len(paths)} files)", work, done,
                         lambda e: window._fail("reading the mesh time series", e))


# -- over the open study ---------------------------------------------------------------------
def study_anatomy(twin):
    """The open twin's anatomy if it is a study (an image, not a virtual heart), else None."""
    a = getattr(twin, "anatomy", None)
    return a if a is not None and a.image is not None and not a.predicted else None


def add_study_action(window, menu):
    """File → Add meshes to this study…, enabled while the twin shows a study."""
    from PySide6.QtGui import QAction

    act = QAction("Add meshes to this stud&y…", window)
    act.setObjectName("add_meshes_to_study")
    act.triggered.connect(lambda _=False: choose_meshes_for_study(window))
    menu.addAction(act)

    def update(twin) -> None:
        act.setEnabled(study_anatomy(twin) is not None)

    window.state.twinChanged.connect(update)
    update(window.state.twin)
    return act


def choose_meshes_for_study(window) -> None:
    """The dialog (study mode), then :func:`add_meshes_to_study`."""
    if study_anatomy(window.state.twin) is None:
        window.state.error("Add meshes to this study: open a study first (File → Open DICOM "
                           "folder)")
        return
    choices = remembered(window)
    dlg = MeshSeriesDialog(window, choices, study=True)
    if dlg.exec() != QDialog.DialogCode.Accepted:
        return
    choices.mapping = dlg.mapping()
    add_meshes_to_study(window, dlg.paths(), dlg.mapping())


def add_meshes_to_study(window, paths: list[Path], mapping: Path | None = None) -> None:
    """Put the mesh time series in ``paths`` over the open study (in a worker): the
    structures it names replace the segmentation's, the measurements follow; one audited
    edit of the twin. A bad series leaves the twin as it was."""
    from twinviewer.gui.main_window import prepared_for_display
    from twinviewer.gui.motion import prepare_motion
    from twinviewer.imaging.errors import ImagingError
    from twinviewer.imaging.mesh_series_import import (
        label_source,
        read_series,
        with_mesh_series,
    )

    twin = window.state.twin
    study = study_anatomy(twin)
    paths = [Path(p) for p in paths]
    if study is None:
        window.state.error("Add meshes to this study: open a study first (File → Open DICOM "
                           "folder)")
        return

    def work(progress, cancel):
        progress(0.05, f"reading {len(paths)} mesh files")
        if not find_series(paths):
            raise ImagingError(f"{', '.join(p.name for p in paths[:3])}: no frame index in "
                               "the file names; a time series is named <structure>_<frame>")
        series = read_series(paths, mapping, rr_ms=study.rr_ms)
        try:
            anatomy, replaced = with_mesh_series(study, series)
        except ImagingError as exc:  # the files it is about, by name
            raise ImagingError(f"{paths[0].name} … ({len(paths)} files): {exc}") from exc
        anatomy.notes += _unused_note(paths)
        if cancel():
            raise InterruptedError("cancelled")
        progress(0.7, "preparing the motion")
        return prepared_for_display(prepare_motion(anatomy)), series, replaced

    def done(result) -> None:
        anatomy, series, replaced = result
        if window.state.twin is not twin:
            window.state.warn("Add meshes to this study: another twin was opened meanwhile; "
                              "the meshes were not added")
            return
        session = window.state.session
        session.set_twin(dataclasses.replace(twin, anatomy=anatomy))
        img = anatomy.image
        n = len(next(iter(series.structures.values())).meshes)
        session.record("import", {
            "step": "mesh time series added to the study",
            "frames": n, "files": len(paths),
            "structures": sorted(series.structures),
            "replaced": {k: f"the {label_source(study)}" for k in replaced},
            "mapping": "given" if mapping is not None else "none",
            "volumes_ml": {ph: {k: _rounded(s.volumes[p].value)
                                for k, s in series.structures.items() if p in s.volumes}
                           for ph, p in (("ED", img.ed_index), ("ES", img.es_index))}})
        for note in series.notes:
            window.state.info(f"import note: {note}")
        _warn_cross_fades(window, series.notes)
        window.state.info(f"meshes added to the study: {', '.join(sorted(series.structures))}"
                          f" from the imported mesh time series ({n} frames)"
                          + (f", replacing the {label_source(study)}'s" if replaced else ""))

    window.state.run_job(f"Adding a mesh time series to the study ({len(paths)} files)", work,
                         done, lambda e: window._fail("adding the meshes", e))


def _warn_cross_fades(window, notes: list[str]) -> None:
    """Say where a structure's triangles change between frames (the view cross-fades there
    instead of moving points): a mesh series is expected to keep one topology."""
    for note in notes:
        if "topology changes at frame" in note:
            window.state.warn(note)


def _rounded(v: float) -> float | None:
    return round(v, 2) if math.isfinite(v) else None


__all__ = ["MeshSeriesDialog", "Remembered", "add_meshes_to_study", "add_study_action",
           "choose_meshes", "choose_meshes_for_study", "describe", "files_in",
           "open_mesh_paths", "open_mesh_series", "remembered", "study_anatomy",
           "take_mesh_series"]
