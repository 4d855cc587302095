"""Series picker: when a folder holds several patients or studies, the user chooses one.

Shown by :func:`open_folder` (the File → Open DICOM folder path) only when a choice is
needed: two patients are never merged, of several studies only one is imported, and of two
series at one short-axis slice position (a slice acquired again) one goes into the stack:
the later acquisition unless the user chooses the other's row. A single study without repeats
(however many series: a cine exam has one per slice) imports directly; its stack and
long-axis planes are assembled automatically (:mod:`twinviewer.imaging.assembly`).

Images marked ``BurnedInAnnotation = YES`` may show patient text in their pixels, which
de-identification cannot remove. They are refused by default; when the folder holds some, the
picker is shown with the switch "Keep images with burned-in annotation" (off), the same
choice as ``twinviewer import --keep-burned-in``. Their rows are marked and have no preview.

Each row: a thumbnail of the series' middle image, patient pseudonym, modality, description,
role in the study (short-axis stack, long-axis 4CH, repeated slice left out...), view (SA,
2CH, 4CH, axial...), phases, slices, rows × columns and file count. Nothing
identifying is shown (pseudonyms and de-identified descriptions only).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from twinviewer.imaging.assembly import SeriesRow, picker_rows, thumbnail
from twinviewer.imaging.errors import ImagingError

THUMB = 64
COLUMNS = ("", "Patient", "Modality", "Description", "Role", "View", "Phases", "Slices", "Size",
           "Files")


def scan_for_picker(path: Path, key: bytes, progress: Callable[[float, str], None],
                    cancel: Callable[[], bool]) -> tuple[list[SeriesRow], dict[str, np.ndarray]]:
    """Header scan (de-identified) plus one thumbnail per image series; for a worker thread.

    Series with burned-in annotation are listed (``SeriesRow.burned_in``) so that the user can
    choose to keep them; they get no thumbnail (their pixels may show patient text).
    """
    from twinviewer.imaging.series import scan_folder

    scan = scan_folder(Path(path), key, progress=lambda f, t: progress(0.8 * f, t),
                       cancel=cancel, keep_burned_in=True)
    rows = picker_rows(scan)
    thumbs: dict[str, np.ndarray] = {}
    images = [s for s in scan.images() if s.frames and not s.burned_in]
    for n, s in enumerate(images):
        if cancel():
            raise ImagingError("scan cancelled")
        progress(0.8 + 0.2 * n / max(len(images), 1), "previews")
        try:
            thumbs[s.series_uid] = thumbnail(s, THUMB)
        except ImagingError:
            pass  # no preview; the row is still listed
    return rows, thumbs


def needs_choice(rows: list[SeriesRow]) -> bool:
    """True when the image series belong to more than one patient or study, or a slice of
    the stack was acquired more than once (the user may prefer the earlier acquisition)."""
    images = [r for r in rows if r.role != "segmentation" and r.n_phases]
    return len({(r.patient, r.study_uid) for r in images}) > 1 or any(
        r.role == "repeated" for r in images)


def _role_text(r: SeriesRow) -> str:
    """The role cell: the first clause of the role in words (the whole as its tooltip)."""
    return (r.role_detail or r.role).split(";")[0]


def has_burned_in(rows: list[SeriesRow]) -> bool:
    """True when an image series is marked ``BurnedInAnnotation = YES``."""
    return any(r.burned_in for r in rows if r.role != "segmentation")


def _icon(a: np.ndarray) -> QIcon:
    a = np.ascontiguousarray(a, dtype=np.uint8)
    img = QImage(a.data, a.shape[1], a.shape[0], a.shape[1], QImage.Format.Format_Grayscale8)
    return QIcon(QPixmap.fromImage(img.copy()))


class SeriesPickerDialog(QDialog):
    """Modal list of the image series found; :meth:`selected_uid` and :meth:`keep_burned_in`
    after ``exec()``.

    With ``choose=False`` (one study, shown only for the burned-in switch) the first row is
    preselected and :meth:`selected_uid` is None: the study is assembled as usual.
    """

    def __init__(self, rows: list[SeriesRow], thumbs: dict[str, np.ndarray],
                 parent: QWidget | None = None, *, choose: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle("Choose a series" if choose else "Images with burned-in text")
        self._choose = choose
        self._rows = [r for r in rows if r.role != "segmentation" and r.n_phases]
        n_pat = len({r.patient for r in self._rows})
        n_studies = len({(r.patient, r.study_uid) for r in self._rows})
        repeated = any(r.role == "repeated" for r in self._rows)
        text = (f"This folder holds images of {n_pat} patients; they are never merged. "
                if n_pat > 1 else "This folder holds several studies. " if n_studies > 1
                else "")
        if repeated:
            text += ("A short-axis slice was acquired more than once: the later acquisition "
                     "goes into the stack (selected); choose the row marked 'repeat' to use "
                     "that one instead. ")
        lay = QVBoxLayout(self)
        label = QLabel(text + "Choose the series (its study's stack and long-axis "
                              "planes are assembled around it)." if choose else
                       "This study is imported as a whole (stack and long-axis planes "
                       "assembled).")
        label.setWordWrap(True)
        lay.addWidget(label)
        self.table = QTableWidget(len(self._rows), len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setIconSize(QSize(THUMB, THUMB))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for i, r in enumerate(self._rows):
            desc = r.description + ("  [BURNED-IN ANNOTATION]" if r.burned_in else "")
            if r.series_number is not None and r.role != "stack":  # tells repeats apart
                desc += f" (#{r.series_number})"  # as the import notes name it
            cells = ["", r.patient, r.modality, desc, _role_text(r), r.view, str(r.n_phases),
                     str(r.n_slices), f"{r.rows} × {r.cols}", str(r.n_files)]
            for j, c in enumerate(cells):
                item = QTableWidgetItem(c)
                if j == 0 and r.series_uid in thumbs:
                    item.setIcon(_icon(thumbs[r.series_uid]))
                if COLUMNS[j] == "Role" and r.role_detail:
                    item.setToolTip(r.role_detail)
                self.table.setItem(i, j, item)
            self.table.setRowHeight(i, THUMB + 4)
        self.table.resizeColumnsToContents()
        self.table.doubleClicked.connect(self.accept)
        lay.addWidget(self.table)
        n_burned = sum(r.burned_in for r in self._rows)
        self.keep_burned = QCheckBox("Keep images with burned-in annotation (the pixels may "
                                     "show patient text, which de-identification cannot "
                                     "remove)")
        self.keep_burned.setVisible(n_burned > 0)
        self.keep_burned.setToolTip(f"{n_burned} series marked BurnedInAnnotation = YES; "
                                    "off: they are skipped, with a note")
        lay.addWidget(self.keep_burned)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setEnabled(False)
        self.table.itemSelectionChanged.connect(
            lambda: self.ok.setEnabled(bool(self.table.selectedItems())))
        lay.addWidget(buttons)
        if not choose and self._rows:
            self.table.selectRow(0)
        elif repeated and n_studies == 1:  # the default: the stack with the later acquisition
            self.table.selectRow(next((i for i, r in enumerate(self._rows)
                                       if r.role == "stack"), 0))
        self.resize(980, 420)

    def selected_uid(self) -> str | None:
        """The chosen (de-identified) series UID, or None (also when not choosing)."""
        sel = self.table.selectionModel().selectedRows()
        return self._rows[sel[0].row()].series_uid if sel and self._choose else None

    def keep_burned_in(self) -> bool:
        """True when the user switched on keeping images with burned-in annotation."""
        return self.keep_burned.isChecked() and any(r.burned_in for r in self._rows)


def open_folder(window, path: str | Path) -> None:
    """Scan ``path`` in a worker; ask for a series only if several patients or studies are
    found, or for the burned-in switch if some images are marked so; then import through
    ``window.open_dicom_folder(path, series_uid, keep_burned_in=...)``."""
    from twinviewer.imaging.deid import installation_key

    path = Path(path)

    def done(result) -> None:
        rows, thumbs = result
        choose = needs_choice(rows)
        if not choose and not has_burned_in(rows):
            window.open_dicom_folder(path)
            return
        dlg = SeriesPickerDialog(rows, thumbs, window, choose=choose)
        if dlg.exec() != QDialog.DialogCode.Accepted or (choose and not dlg.selected_uid()):
            return
        window.open_dicom_folder(path, series_uid=dlg.selected_uid(),
                                 keep_burned_in=dlg.keep_burned_in())

    window.state.run_job("Scanning the folder",
                         lambda p, c: scan_for_picker(path, installation_key(), p, c), done,
                         lambda e: window.state.error(f"scanning the folder failed: {e}"))


__all__ = ["SeriesPickerDialog", "has_burned_in", "needs_choice", "open_folder",
           "scan_for_picker"]
