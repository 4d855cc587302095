"""A plot legend's entry broken into lines that fit the legend's width.

pyqtgraph's legend draws each name on one line: in the What-if tab's narrow column at
1280×720 the longest name ("TAVI with SAPIEN 3 by size 26 mm [baroreflex regulated]") ran
past the plot's right edge, its response mode cut (session-16 note, fix16g's screenshot).
A name that does not fit is broken at spaces, as a paragraph is, so all of it stays
readable; the legend row grows by a line instead.
"""

from __future__ import annotations

import html
import re

from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QApplication


def legend_font(point_size: float) -> QFont:
    """The application font at ``point_size`` pt: what a legend label at that size draws."""
    font = QFont(QApplication.font())
    font.setPointSizeF(point_size)
    return font


def wrapped(name: str, width: float, font: QFont) -> str:
    """``name`` as a legend label's HTML: escaped, and broken at spaces (``<br>``) so that
    no line is wider than ``width`` px in ``font`` (a single word wider than that stays
    whole); one line when it fits or ``width`` is not positive (not laid out yet). A
    bracketed part (the response mode, "[baroreflex regulated]") is kept on one line when
    it fits one.

    Examples
    --------
    >>> app = QApplication.instance() or QApplication([])
    >>> font = legend_font(8.0)
    >>> name = "TAVI with SAPIEN 3 by size 26 mm [baroreflex regulated]"
    >>> wrapped(name, 10_000, font) == name
    True
    >>> lines = wrapped(name, 200, font).split("<br>")
    >>> len(lines) > 1, " ".join(lines) == name, lines[-1]
    (True, True, '[baroreflex regulated]')
    >>> all(QFontMetricsF(font).horizontalAdvance(x) <= 200 for x in lines)
    True
    >>> wrapped("a < b & c", 0, font)
    'a &lt; b &amp; c'
    """
    fm = QFontMetricsF(font)
    if width <= 0 or fm.horizontalAdvance(name) <= width:
        return html.escape(name, quote=False)
    words = []
    for part in re.findall(r"\[[^\]]*\]|[^ \[]+", name):
        words += [part] if fm.horizontalAdvance(part) <= width else part.split(" ")
    if " ".join(words) != name:  # a bracket not after a space, or spaces doubled
        words = name.split(" ")
    lines: list[str] = []
    for word in words:
        if lines and fm.horizontalAdvance(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return "<br>".join(html.escape(x, quote=False) for x in lines)
