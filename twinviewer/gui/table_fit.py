"""Fit a table's columns into its width: every column visible, long cells wrapped.

A ``QTableWidget`` with ``ResizeToContents`` columns scrolls sideways when the step column is
narrow (1280×720: ~350 px), hiding the last columns (e.g. the Unit and "Measured ± SD" of the
metrics table). :func:`fit_columns` shares the width out instead: columns that fit keep their
natural width, the wide ones share what is left equally and wrap their text.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QHeaderView, QStyle, QTableWidget


def share_width(natural: list[int], available: int, minimum: int = 40,
                squeeze: set[int] | None = None) -> list[int]:
    """Column widths summing to ``available`` at most: narrow columns keep their width.

    Water-filling: a column whose natural width is within the fair share keeps it; the
    others split what is left equally (never below ``minimum``). With ``squeeze`` only
    those columns give up width (the others keep their natural width, e.g. a source that
    must never be cut).

    Examples
    --------
    >>> share_width([60, 200, 40, 200], 340)
    [60, 120, 40, 120]
    >>> share_width([60, 80], 340)
    [60, 80]
    >>> share_width([60, 200, 40, 200], 340, squeeze={3})
    [60, 200, 40, 40]
    """
    widths = list(natural)
    if sum(natural) <= available:
        return widths
    wide = set(range(len(natural))) if squeeze is None else set(squeeze)
    left = available - sum(natural[i] for i in range(len(natural)) if i not in wide)
    while wide:
        share = left // len(wide)
        keep = {i for i in wide if natural[i] <= share}
        if not keep:
            break
        for i in keep:
            widths[i] = natural[i]
            left -= natural[i]
        wide -= keep
    for i in wide:
        widths[i] = max(minimum, left // len(wide))
    return widths


def _text_width(table: QTableWidget, column: int) -> int:
    """The widest cell text of ``column`` over every row (``sizeHintForColumn`` measures
    only the rows in view)."""
    fm = table.fontMetrics()
    widest = 0
    for row in range(table.rowCount()):
        item = table.item(row, column) if hasattr(table, "item") else None
        if item is not None and item.text():
            widest = max(widest, fm.horizontalAdvance(item.text()))
    margin = table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1
    return widest + 2 * margin + 2


class _Refit(QObject):
    def __init__(self, table: QTableWidget, squeeze: set[int] | None = None,
                 drop: set[int] | None = None) -> None:
        super().__init__(table)
        self.table = table
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(0)
        self.timer.timeout.connect(lambda: fit_columns(self.table, squeeze, drop))

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt naming
        if event.type() == QEvent.Type.Resize:
            self.timer.start()
        return False


def fit_columns(table: QTableWidget, squeeze: set[int] | None = None,
                drop: set[int] | None = None) -> None:
    """Size ``table``'s columns to its viewport (wrapping long cells) and its rows to fit;
    with ``squeeze`` only those columns are narrowed (see :func:`share_width`). ``drop``
    columns are hidden whenever the columns do not all fit at their natural width (their
    text must then be shown elsewhere, e.g. in a tooltip or a detail line).

    Examples
    --------
    >>> fit_columns(table)  # doctest: +SKIP
    """
    h = table.horizontalHeader()
    n = table.columnCount()
    if n == 0:
        return
    natural = [max(table.sizeHintForColumn(i), h.sectionSizeHint(i), _text_width(table, i))
               for i in range(n)]
    available = max(table.viewport().width(), 1)
    hidden = set(drop or ()) if sum(natural) > available else set()
    for i in range(n):
        table.setColumnHidden(i, i in hidden)
    shown = [i for i in range(n) if i not in hidden]
    part = share_width([natural[i] for i in shown], available,
                       squeeze=None if squeeze is None else
                       {shown.index(i) for i in squeeze if i in shown} or None)
    widths = [0] * n
    for i, w in zip(shown, part, strict=True):
        widths[i] = w
    h.setStretchLastSection(False)
    for i in shown:
        h.setSectionResizeMode(i, QHeaderView.ResizeMode.Interactive)
        h.resizeSection(i, widths[i])
    spare = table.viewport().width() - sum(widths)
    if spare > 0:  # the widest column takes the slack (no ragged gap at the right)
        last = max(shown, key=lambda i: widths[i])
        h.resizeSection(last, widths[last] + spare)
    table.resizeRowsToContents()
    fit_header_height(table)


def header_height_needed(table: QTableWidget) -> int:
    """The height, px, the horizontal header needs to show every title wrapped in its
    section's width (Qt sizes it for the titles' own line breaks only, so a two-line title
    wrapped onto a third line was cut: "Measured ± 1 SD (source)" at 1280×720).

    Examples
    --------
    >>> header_height_needed(table)  # doctest: +SKIP
    """
    h = table.horizontalHeader()
    margin = h.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, h)
    fm = h.fontMetrics()
    need = 0
    for i in range(table.columnCount()):
        if table.isColumnHidden(i):
            continue
        text = str(table.model().headerData(i, Qt.Orientation.Horizontal) or "")
        room = max(1, h.sectionSize(i) - 2 * margin)
        box = fm.boundingRect(0, 0, room, 10_000,
                              int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), text)
        need = max(need, box.height())
    return need + 2 * margin + 2


def fit_header_height(table: QTableWidget) -> None:
    """Give the horizontal header the height its wrapped titles need (never less than Qt's).

    Examples
    --------
    >>> fit_header_height(table)  # doctest: +SKIP
    """
    h = table.horizontalHeader()
    h.setMinimumHeight(0)
    need = header_height_needed(table)
    if need > h.sizeHint().height():
        h.setMinimumHeight(need)


def keep_fitted(table: QTableWidget, squeeze: set[int] | None = None,
                drop: set[int] | None = None) -> None:
    """Refit ``table``'s columns whenever it is resized or its rows change.

    ``squeeze`` names the only columns that may be narrowed (and wrap); ``drop`` those
    hidden when not all columns fit (see :func:`fit_columns`).

    Examples
    --------
    >>> keep_fitted(table)  # doctest: +SKIP
    """
    table.setWordWrap(True)
    table.setHorizontalScrollMode(QTableWidget.ScrollMode.ScrollPerPixel)
    h = table.horizontalHeader()
    h.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap)
    refit = _Refit(table, squeeze, drop)
    table.viewport().installEventFilter(refit)
    model = table.model()  # rows filled or edited later: refit once, after the change
    for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset, model.dataChanged):
        signal.connect(lambda *_a: refit.timer.start())
    table._refit = refit  # kept alive with the table


def whole_rows_height(table: QTableWidget, room: int) -> int:
    """The height, at most ``room`` px, at which ``table`` ends on a row boundary: the rows
    from its first one in view that fit whole, plus the header and frame (``room`` if every
    row below fits, or if not even one does).

    Examples
    --------
    >>> whole_rows_height(table, 400)  # doctest: +SKIP
    388
    """
    top = max(table.rowAt(0), 0)
    bar = table.horizontalScrollBar()
    head = table.horizontalHeader()
    chrome = (2 * table.frameWidth() + (head.height() if not head.isHidden() else 0)
              + (bar.height() if bar.isVisible() else 0))
    used = 0
    for r in range(top, table.rowCount()):
        if table.isRowHidden(r):
            continue
        if chrome + used + table.rowHeight(r) > room:
            return chrome + used if used else room
        used += table.rowHeight(r)
    return room


class _WholeRows(QObject):
    def __init__(self, table: QTableWidget, box) -> None:
        super().__init__(box)
        self.table, self.box = table, box
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self.fit)

    def fit(self) -> None:
        room = self.box.height()
        self.table.setGeometry(0, 0, self.box.width(), whole_rows_height(self.table, room))

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt naming
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False


def whole_rows(table: QTableWidget):
    """A holder showing ``table`` with no row cut at its bottom edge: the table stops after
    the last row that fits whole (1280×720: "Mean PA pressure" showed its top half), and
    refits when it is resized, scrolled or its rows change. Put the holder in the layout.

    Examples
    --------
    >>> layout.addWidget(whole_rows(table), 1)  # doctest: +SKIP
    """
    from PySide6.QtWidgets import QSizePolicy, QWidget

    box = QWidget()
    box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    box.setMinimumHeight(table.minimumSizeHint().height())
    table.setParent(box)
    table.setVerticalScrollMode(QTableWidget.ScrollMode.ScrollPerItem)  # the top row whole
    keeper = _WholeRows(table, box)
    box.installEventFilter(keeper)
    table.verticalScrollBar().valueChanged.connect(lambda _v: keeper.timer.start())
    model = table.model()
    for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset, model.dataChanged):
        signal.connect(lambda *_a: keeper.timer.start())
    table.verticalHeader().sectionResized.connect(lambda *_a: keeper.timer.start())
    box._whole_rows = keeper  # kept alive with the holder
    return box
