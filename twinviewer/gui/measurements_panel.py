"""The patient's measurements: a table to enter, import, check and apply them to the twin.

Rows hold name, value, unit, 1-SD uncertainty, source and where the row is from (image or
entered) with what the last calibration did with it, read from its record
(:func:`twinviewer.io.measurement_use.measurement_use`, the same text as ``twinviewer info``
and the report: used; replaced by …; not used: …). Image-derived measurements of the twin's
anatomy are shown read-only, each once (a calibration's copy of one in the twin is not listed
again; :func:`twinviewer.document.measurement_rows`), including those the model does not
predict (RVSV, LV mass). Every edit is checked at once
(:func:`twinviewer.personalize.check_measurements`) on what a calibration would take (an
entered quantity replaces the images' one, as the calibration does): rows with a problem are
coloured and carry the message as a tooltip, and all messages are listed below the table,
each naming its measurement. *Add* gives a row its quantity's unit and typical SD but no
value: until one is typed the row is an error and nothing is applied (a value nobody measured
is never stored). *Apply to twin* stores the clinical rows in the twin (a new Twin object; its
simulation results stay valid because no parameter changes) and says what the twin then holds
in the words of the count under the table and of ``twinviewer info``.

Rows typed and not applied are the document's, not the panel's
(:meth:`twinviewer.document.Document.set_measurement_draft`, as typed, valid or not): they
make the twin unsaved, so quitting, opening or closing asks first, and they are saved,
autosaved and recovered with it, and shown again here when it is opened (review13 #3: they
were dropped on quit without a word).
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from twinviewer.core.format import number
from twinviewer.core.measurement import Measurement
from twinviewer.core.units import UnitError, normalise_unit
from twinviewer.document import (
    image_copies,
    keep_latest,
    measurement_rows,
    repeated_quantities,
)
from twinviewer.gui import file_dialogs
from twinviewer.gui.flow_layout import FlowLayout
from twinviewer.gui.state import TwinState
from twinviewer.gui.table_fit import keep_fitted
from twinviewer.io.measurement_use import MeasurementCounts, held_counts, is_assumed
from twinviewer.personalize import (
    QUANTITY_BY_NAME,
    MeasurementError,
    UnknownQuantity,
    canonical_name,
    check_measurements,
    load_measurements,
    save_measurements,
)
from twinviewer.personalize.quantities import shown_quantity

# a short "± SD" header (its tooltip says more)
#: Where a Name cell keeps the canonical measurement name behind the words it shows.
_NAME_ROLE = Qt.ItemDataRole.UserRole + 1
#: Where a From cell keeps the full text of what the calibration did (its tooltip).
_FROM_ROLE = Qt.ItemDataRole.UserRole + 2
#: Where a Value or ± SD cell keeps the exact number behind its rounded text (read back
#: unless the text was edited: showing 72 must not turn a measured 72.02 into 72).
_EXACT_ROLE = Qt.ItemDataRole.UserRole + 3
COLUMNS = ("Name", "Value", "Unit", "± SD", "Source", "From")
HEADER_TIPS = ("Quantity (e.g. SBP, LVEDV)", "Measured value", "Unit of the value",
               "Uncertainty of the value: one standard deviation, in its unit",
               "Where the value comes from (device, modality, report)",
               "image: derived from the twin's images (read-only); entered: typed or "
               "imported; and what the last calibration did with it (as in twinviewer "
               "info and the report)")
_COLOURS = {"error": QColor("#f6c6c6"), "warning": QColor("#fbe7b5")}



def _shown_unit(u: str) -> str:
    """The unit as people write it (cm², core/format's one unit formatter) where the cell
    reads back as the same unit; else as stored (the column is edited and parsed)."""
    from twinviewer.core.format import unit

    shown = unit(u)
    try:
        return shown if normalise_unit(shown) == normalise_unit(u) else u
    except UnitError:
        return u

class MeasurementsPanel(QWidget):
    """Editable table of measurements with inline validation, JSON import/export, apply."""

    title = "Measurements"

    def __init__(self, state: TwinState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._loading = False
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for i, tip in enumerate(HEADER_TIPS):
            self.table.horizontalHeaderItem(i).setToolTip(tip)
        self.table.verticalHeader().setVisible(False)
        # rows one line high in a ~370-px step column (1280×720; review9 #11: wrapped "From"
        # text made rows 200 px tall): From shows the short status, its whole text is its
        # tooltip and the detail line under the table (the selected row), and it is hidden
        # when the columns do not all fit. Only Source narrows: a long one (the demo's
        # "assumed, not measured: …") wraps and is never cut. The vertical bar is always
        # shown so that it never narrows the view after the columns were fitted
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        keep_fitted(self.table, squeeze={4}, drop={len(COLUMNS) - 1})
        # review10 #11: a long Source wrapped every row onto two lines (13 rows showed 12½);
        # it is elided now, whole in its tooltip and in the detail line under the table
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.itemChanged.connect(self._on_edit)
        self.detail = QLabel()
        self.detail.setObjectName("measurement_detail")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        # three lines: a why-not-used text (≈ 150 characters) at 1280×720 is not cut
        self.detail.setMinimumHeight(3 * self.detail.fontMetrics().lineSpacing() + 4)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table.currentCellChanged.connect(lambda r, *_a: self._show_detail(r))

        self.add_button = QPushButton("Add")
        self.remove_button = QPushButton("Remove")
        self.import_button = QPushButton("Import JSON…")
        self.export_button = QPushButton("Export JSON…")
        self.apply_button = QPushButton("Apply to twin")
        self.add_button.clicked.connect(lambda: self.add_row())
        self.remove_button.clicked.connect(self.remove_selected)
        self.import_button.clicked.connect(self._import_dialog)
        self.export_button.clicked.connect(self._export_dialog)
        self.apply_button.clicked.connect(self.apply)
        buttons = FlowLayout()  # wraps in a narrow step column (1280×720)
        for b in (self.add_button, self.remove_button, self.import_button, self.export_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)

        self.messages = QLabel()
        self.messages.setWordWrap(True)
        self.messages.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.detail)
        lay.addLayout(buttons)
        # many messages scroll in their own area: the table keeps ≥ 10 rows at 720 px
        box = QScrollArea()
        box.setWidgetResizable(True)
        box.setFrameShape(QFrame.Shape.NoFrame)
        box.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        box.setWidget(self.messages)
        box.setMaximumHeight(110)
        self.messages_box = box
        lay.addWidget(box)
        #: The clinical rows as the twin holds them (:func:`_typed_of`): the table differs
        #: from them when the user typed something not applied yet.
        self._applied: list[tuple[str, ...]] | None = None
        state.twinChanged.connect(lambda _: self.load_from_twin())
        self.load_from_twin()

    # -- rows --------------------------------------------------------------------------------
    def load_from_twin(self) -> None:
        """Show the twin's image-derived (read-only) and clinical measurements; rows typed
        and not applied (the document's draft) in place of the clinical ones."""
        twin = self.state.twin
        draft = self.state.session.measurement_draft if twin is not None else None
        self._loading = True
        self.table.setRowCount(0)
        rows = measurement_rows(twin)
        for row in rows:  # every one, as the report lists them
            if row.editable and draft is not None:
                continue  # the rows as typed are shown instead
            self._append(row.measurement, editable=row.editable, provenance=row.provenance,
                         short=_short_use(row))
        for typed in draft or []:
            self._append_typed(typed)
        self._applied = [_typed_of(r.measurement) for r in rows if r.editable] \
            if twin is not None else None
        self._loading = False
        self.validate()
        self._show_detail(self.table.currentRow())

    def use_text(self, row: int) -> str:
        """The whole From text of ``row`` (its cell shows the short status), e.g. 'image;
        not used: computed from LVEDV and LVESV of the same source (…)'."""
        item = self.table.item(row, len(COLUMNS) - 1)
        if item is None:
            return ""
        return item.data(_FROM_ROLE) or item.text()

    def _show_detail(self, row: int) -> None:
        """The selected row in full: value, source and what the last calibration did."""
        if not 0 <= row < self.table.rowCount() or self.table.item(row, 0) is None:
            self.detail.setText("<i>Select a row: its source and what the last calibration "
                                "did with it are shown here.</i>")
            return
        text = [(self.table.item(row, c).text() if self.table.item(row, c) else "")
                for c in range(len(COLUMNS))]
        full = self.use_text(row)
        value = text[1] or "(no value typed yet)"
        self.detail.setText(_esc(f"{text[0]} {value} {text[2]} ± {text[3]}"
                                 + (f" · {text[4]}" if text[4] else "") + f" · {full}"))

    def set_measurements(self, ms: list[Measurement]) -> None:
        """Replace the clinical (editable) rows by ``ms``."""
        self._loading = True
        for r in reversed(range(self.table.rowCount())):
            if self._editable(r):
                self.table.removeRow(r)
        for m in ms:
            self._append(m, editable=True)
        self._loading = False
        self.validate()

    def add_row(self, name: str = "SBP") -> None:
        """Append a row for ``name`` to be typed: its canonical unit and typical 1-SD
        uncertainty are filled in, the value is left empty. A row without a value is an
        error that keeps *Apply* off (newuser17 F4: the middle of the quantity's range was
        filled in and stored as "entered", a value nobody measured)."""
        q = QUANTITY_BY_NAME.get(canonical_name(name)) if _known(name) else None
        self._loading = True
        if q is None:
            self._append_texts((name, "", "1", "", ""))
        else:
            self._append_texts((name, "", _shown_unit(q.unit), number(q.typical_sd), ""),
                               sd_exact=float(q.typical_sd))
        self._loading = False
        self.validate()

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        for r in rows:
            if self._editable(r):
                self.table.removeRow(r)
        self.validate()

    def _append(self, m: Measurement, editable: bool, provenance: str = "entered",
                short: str | None = None) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        cells = (shown_quantity(m.name), number(m.value), _shown_unit(m.unit),
                 number(m.uncertainty), m.source, provenance if short is None else short)
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if c == 0:  # shown in words; the canonical name is read back unless edited
                item.setData(_NAME_ROLE, m.name)
            if c in (1, 3):  # rounded for reading; the exact number is read back
                item.setData(_EXACT_ROLE, (text, m.value if c == 1 else m.uncertainty))
            if c == len(cells) - 1:
                item.setData(_FROM_ROLE, provenance)
            if not editable or c == len(cells) - 1:  # provenance is not edited
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            if not editable:
                item.setForeground(QBrush(QColor("#555555")))
                item.setData(Qt.ItemDataRole.UserRole, "image")
            self.table.setItem(r, c, item)

    def _append_typed(self, typed: tuple[str, ...]) -> None:
        """A row of the draft: as a measurement when it reads as one, else as typed."""
        name, value, unit, sd, source = typed
        try:
            m = Measurement(name, float(value), unit, float(sd) if sd else 0.0, source)
        except (ValueError, TypeError):
            m = None
        if m is not None:
            self._append(m, editable=True)
            return
        self._append_texts((name, value, unit, sd, source))

    def _append_texts(self, texts: tuple[str, ...], sd_exact: float | None = None) -> None:
        """An entered row as text (name, value, unit, SD, source), e.g. one with no value
        yet; a canonical name is shown in words, and ``sd_exact`` is the number behind the
        SD's rounded text."""
        name = texts[0]
        shown = shown_quantity(name) if _known(name) and canonical_name(name) == name \
            else name
        r = self.table.rowCount()
        self.table.insertRow(r)
        for c, text in enumerate((shown, *texts[1:], "entered")):
            item = QTableWidgetItem(text)
            if c == 0 and shown != name:
                item.setData(_NAME_ROLE, name)
            if c == 3 and sd_exact is not None:
                item.setData(_EXACT_ROLE, (text, sd_exact))
            if c == len(COLUMNS) - 1:
                item.setData(_FROM_ROLE, "entered")
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.table.setItem(r, c, item)

    def _typed(self, r: int) -> tuple[str, ...]:
        """Row ``r`` as typed (:func:`_typed_of` of its measurement while unedited)."""
        text = [(self.table.item(r, c).text() if self.table.item(r, c) else "").strip()
                for c in range(len(COLUMNS) - 1)]
        code = self.table.item(r, 0).data(_NAME_ROLE) if self.table.item(r, 0) else None
        name = code if code and text[0] == shown_quantity(code) else text[0]

        def num(c: int) -> str:
            try:
                return repr(_exact(self.table.item(r, c), text[c]))
            except ValueError:
                return text[c]

        return (name, num(1), _unit_key(text[2]), num(3) if text[3] else "", text[4])

    def _sync_draft(self) -> None:
        """Give the document the clinical rows as typed when they differ from the twin's."""
        doc = self.state.session
        if doc.twin is None or self._applied is None:
            return
        typed = [self._typed(r) for r in range(self.table.rowCount()) if self._editable(r)]
        doc.set_measurement_draft(None if typed == self._applied else typed)

    def _editable(self, row: int) -> bool:
        item = self.table.item(row, 0)
        return item is not None and item.data(Qt.ItemDataRole.UserRole) != "image"

    # -- reading and checking -----------------------------------------------------------------
    def _row(self, r: int) -> Measurement:
        text = [(self.table.item(r, c).text() if self.table.item(r, c) else "").strip()
                for c in range(len(COLUMNS))]
        code = self.table.item(r, 0).data(_NAME_ROLE) if self.table.item(r, 0) else None
        name = (code if code and text[0] == shown_quantity(code) else text[0]) or f"row {r + 1}"
        if not text[1]:  # never a value the user did not type (newuser17 F4)
            where = f"{text[0]} (row {r + 1})" if text[0] else f"row {r + 1}"
            raise MeasurementError(f"{where}: no value typed yet: type the measured value, "
                                   "or remove the row")
        try:
            value = _exact(self.table.item(r, 1), text[1])
        except ValueError:
            raise MeasurementError(f"{name}: value {text[1]!r} is not a number") from None
        try:
            unit = normalise_unit(text[2])
        except UnitError as exc:
            raise MeasurementError(f"{name}: {exc}") from None
        try:
            sd = _exact(self.table.item(r, 3), text[3]) if text[3] else 0.0
            return Measurement(name, value, unit, sd, text[4])
        except ValueError as exc:
            raise MeasurementError(f"{name}: uncertainty {text[3]!r}: {exc}") from None

    def rows(self) -> tuple[list[Measurement | None], list[str]]:
        """Each row's measurement (None if unreadable) and the reading errors."""
        read = self._read()
        return [m for m, _ in read], [e for _, e in read if e]

    def _read(self) -> list[tuple[Measurement | None, str]]:
        """Each row's measurement, or None and why it cannot be read."""
        out: list[tuple[Measurement | None, str]] = []
        for r in range(self.table.rowCount()):
            try:
                out.append((self._row(r), ""))
            except MeasurementError as exc:
                out.append((None, str(exc)))
        return out

    def measurements(self, editable_only: bool = True) -> list[Measurement]:
        """The readable measurements of the table (by default only the clinical rows)."""
        ms, _ = self.rows()
        return [m for r, m in enumerate(ms)
                if m is not None and (self._editable(r) or not editable_only)]

    def _checked(self, ms: list[Measurement | None]) -> tuple[list[int], dict[int, int]]:
        """The rows a calibration would take, in table order (image rows first), and the
        image rows an entered one replaces (row → the entered row), as
        ``personalize.calibrate`` gathers them: an entered quantity wins over the images'
        one; an image quantity the model does not know (RVSV, LV mass) is kept as a
        measurement of the patient and not checked."""
        entered = {_canon(m.name): r for r, m in enumerate(ms)
                   if m is not None and self._editable(r)}  # the last of a repeated one
        replaced = {r: entered[_canon(m.name)] for r, m in enumerate(ms)
                    if m is not None and not self._editable(r) and _canon(m.name) in entered}
        taken = [r for r, m in enumerate(ms) if m is not None and (
            self._editable(r) or (r not in replaced and _known(m.name)))]
        return taken, replaced

    def validate(self) -> list[str]:
        """Check all rows; colour them and list the messages. Returns the error messages."""
        read = self._read()
        ms = [m for m, _ in read]
        read_errors = [e for _, e in read if e]
        taken, replaced = self._checked(ms)
        issues = check_measurements([ms[r] for r in taken])
        self._loading = True
        for r, m in enumerate(ms):
            found = _concerning(issues, _canon(m.name)) if r in taken else []
            level = "error" if m is None or any(i.level == "error" for i in found) else \
                "warning" if found else ""
            tip = "\n".join(i.message for i in found) if m is not None else read[r][1]
            if r in replaced:
                tip = _replaced_text(m, ms[replaced[r]])
            for c in range(len(COLUMNS)):
                item = self.table.item(r, c)
                if item is None:
                    continue
                item.setBackground(QBrush(_COLOURS[level]) if level else QBrush())
                # the From and Source cells are elided: their whole text leads the tooltip
                full = item.data(_FROM_ROLE) if c == len(COLUMNS) - 1 else \
                    item.text() if c == 4 else None
                item.setToolTip("\n".join(t for t in (full, tip) if t))
        self._loading = False
        errors = read_errors + [i.message for i in issues if i.level == "error"]
        warnings = [i.message for i in issues if i.level == "warning"]
        lines = [f"<span style='color:#a00000'>✖ {_esc(e)}</span>" for e in errors]
        lines += [f"<span style='color:#8a5a00'>⚠ {_esc(w)}</span>" for w in warnings]
        lines += [f"ℹ {_esc(_replaced_text(ms[r], ms[e]))}" for r, e in replaced.items()]
        if not errors:  # counted as Apply's status message and `twinviewer info` count
            read = [(m, self._editable(r)) for r, m in enumerate(ms) if m is not None]
            lines.append(held_text(sum(not e for _, e in read),
                                   sum(e and not is_assumed(m) for m, e in read),
                                   sum(e and is_assumed(m) for m, e in read))
                         + ("" if lines else ", no problems found"))
        valid = [m for m in ms if m is not None]
        if valid and self.state.twin is not None:  # the prior Calibrate will start from
            from twinviewer.personalize.revisit import default_prior_text

            lines.append(_esc(default_prior_text(self.state.twin, valid)))
        self._sync_draft()
        if self.state.twin is not None and self.state.session.measurement_draft is not None:
            # first: the box scrolls, and this is what the user must act on
            lines.insert(0, "<b>Not applied yet</b>: <i>Apply to twin</i> stores the entered "
                            "rows (until then they are kept as typed, with the twin's file)")
        self.messages.setText("<br>".join(lines))
        self.apply_button.setEnabled(not errors and self.state.twin is not None)
        return errors

    def _on_edit(self, _item: QTableWidgetItem) -> None:
        if not self._loading:
            self.validate()

    # -- actions -----------------------------------------------------------------------------
    def apply(self) -> bool:
        """Store the clinical rows in the twin (a new Twin); False if there are errors."""
        twin = self.state.twin
        if twin is None or self.validate():
            return False
        results = self.state.session.results
        entered = self.measurements(editable_only=True)
        repeated = repeated_quantities(entered)
        if repeated:  # never silently: a later value replaces the earlier, or both are kept
            said = "; ".join(f"{k}: " + ", ".join(f"{number(m.value)} {_shown_unit(m.unit)}"
                                                   + (f" ({m.source})" if m.source else "")
                                                   for m in ms)
                             for k, ms in repeated.items())
            answer = QMessageBox.question(
                self, "Measurement given twice",
                f"{said}.\n\nYes: the last value replaces the earlier one.\nNo: keep both "
                f"(a calibration uses the last; the report lists the others as not used).",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
                | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Yes)
            if answer == QMessageBox.StandardButton.Cancel:
                return False
            if answer == QMessageBox.StandardButton.Yes:
                entered = keep_latest(entered)
                self.set_measurements(entered)
        # a calibration's copies of image measurements are listed once, as image rows: keep
        # them in the twin unless the user entered the same quantity
        names = {_canon(m.name) for m in entered}
        kept = [m for m in image_copies(twin) if _canon(m.name) not in names]
        # each value entered, changed or removed is its own audit event (review9 #13)
        self.state.session.set_measurements([*kept, *entered])
        new = self.state.session.twin
        if results is not None:  # parameters unchanged: the simulation still holds
            self.state.session.set_results(results)
        # what the table lists and `twinviewer info` counts (newuser17 F5: the status said
        # 10, len(new.measurements), the table 15: the images' values are the anatomy's)
        self.state.info("Stored in the twin: " + held_text(
            *held_counts(new), sum(is_assumed(m) for m in new.measurements)))
        return True

    def import_file(self, path: str | Path) -> bool:
        """Load a JSON measurement set into the clinical rows; False (and a message) if bad."""
        try:
            ms = load_measurements(path)
        except MeasurementError as exc:
            self.messages.setText(f"<span style='color:#a00000'>✖ {_esc(str(exc))}</span>")
            self.state.error(f"import of measurements failed: {exc}")
            return False
        self.set_measurements(ms)
        return True

    def export_file(self, path: str | Path) -> None:
        save_measurements(self.measurements(editable_only=False), path)

    def _import_dialog(self) -> None:
        path, _ = file_dialogs.get_open_file_name(self, "Import measurements", "",
                                              "Measurements (*.json)")
        if path:
            self.import_file(path)

    def _export_dialog(self) -> None:
        path, _ = file_dialogs.get_save_file_name(self, "Export measurements", "measurements.json",
                                              "Measurements (*.json)")
        if path:
            try:
                self.export_file(path)
            except OSError as exc:
                self.state.error(f"could not write {Path(path).name}: {exc}")


def held_text(images: int, entered: int, assumed: int = 0) -> str:
    """The measurements a twin holds, in the words of ``twinviewer info``
    (:meth:`~twinviewer.io.measurement_use.MeasurementCounts.held_text`), and its assumed
    values apart: they are not measurements.

    Examples
    --------
    >>> held_text(12, 3)
    '15 measurements (12 from the images, 3 entered)'
    >>> held_text(0, 1, 2)
    '1 measurement and 2 assumed values (not measured)'
    """
    return (MeasurementCounts(images, entered, None, ()).held_text()
            + (f" and {assumed} assumed value{'s' if assumed != 1 else ''} (not measured)"
               if assumed else ""))


def _unit_key(text: str) -> str:
    try:
        return normalise_unit(text)
    except UnitError:
        return text


def _typed_of(m: Measurement) -> tuple[str, ...]:
    """A measurement as the table reads it back unedited (name, exact value, unit, SD,
    source).

    Examples
    --------
    >>> _typed_of(Measurement("CO", 4.2, "L/min", 0.4, "thermodilution"))
    ('CO', '4.2', 'L/min', '0.4', 'thermodilution')
    """
    return (m.name, repr(float(m.value)), _unit_key(m.unit), repr(float(m.uncertainty)),
            m.source)


def _short_use(row) -> str:
    """'image; used', 'image; not used', 'entered; replaced': the From cell's one line
    (the whole text, e.g. why a value was not used, is its tooltip).

    Examples
    --------
    >>> from twinviewer.document import MeasurementRow
    >>> _short_use(MeasurementRow(Measurement("SBP", 120, "mmHg", 5, ""), "entered", True))
    'entered'
    """
    kind = row.provenance.split(";", 1)[0]
    use = getattr(row, "use", None)
    return f"{kind}; {use.status}" if use is not None else kind


def _replaced_text(image: Measurement, entered: Measurement) -> str:
    """'LVEF 62.83 % (CT segmentation, from the images) is replaced by the entered LVEF
    55 % (echo biplane): a calibration uses the entered value'."""
    def said(m: Measurement) -> str:
        return f"{shown_quantity(m.name)} {number(m.value)} {m.unit}"  # as the table shows it
    src = f"{image.source}, from the images" if image.source else "from the images"
    by = f" ({entered.source})" if entered.source else ""
    curve = ""
    if "volume curve" in (image.source or "") and image.name[2:] in ("EDV", "ESV"):
        # the curve holds this very volume: it goes with it (personalize.calibrate)
        curve = (f", and leaves the images' {image.name[:2]} volume curve out (with the "
                 "volumes computed from it)")
    return (f"{said(image)} ({src}) is replaced by the entered {said(entered)}{by}: a "
            f"calibration uses the entered value{curve}")


def _exact(item: QTableWidgetItem | None, text: str) -> float:
    """The number a Value or ± SD cell holds: the exact one behind its rounded text, or
    the text itself once edited."""
    kept = item.data(_EXACT_ROLE) if item is not None else None
    if kept and kept[0] == text:
        return float(kept[1])
    return float(text)


def _known(name: str) -> bool:
    try:
        canonical_name(name)
    except UnknownQuantity:
        return False
    return True


def _canon(name: str) -> str:
    return canonical_name(name) if _known(name) else name


def _concerning(issues, name: str) -> list:
    """Issues about ``name``: its own, and consistency issues that mention it."""
    word = re.compile(rf"(?<![\w.]){re.escape(name)}(?![\w])")
    return [i for i in issues if _canon(i.name) == name or word.search(i.message)]


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
