"""Text written for a clinician: no pointers to the project's developer notes.

The evidence table's reasons cite the working notes they were argued in
("(docs/notes/drugs11.md §3)"); a reader of a report cannot reach those (review13 #13). The
report takes them out of its text altogether (review14 #7: a list of them "for developers" was
still a pointer into the source tree); ``twinviewer validate`` keeps them for developers.
Numbers in printed text get a true minus ("−28 %"), as the report's tables write them.
"""

from __future__ import annotations

import re

#: A parenthesised pointer to the developer notes: "(docs/notes/physio12.md)",
#: "(docs/notes/drugs8.md, drugs11.md §3)", "(see docs/notes/devices11.md §2)", and one
#: that names the note alone, "(devices11.md)" (review14 #7).
_NOTE_REF = re.compile(r"\s*\((?:see\s+)?((?:docs/notes/)?[\w-]+\.md\b[^()]*)\)")
#: One not in parentheses: "see docs/notes/devices11.md."
_BARE_REF = re.compile(r",?\s*(?:see\s+)?(docs/notes/[\w./-]*\w(?:\s§\s?\d+)?)")
#: A hyphen used as a minus: before a digit, not inside a word or a range ("β-1", "4-8").
_MINUS = re.compile(r"(?<![\w)])-(?=\d)")


def without_notes(text: str) -> tuple[str, list[str]]:
    """``text`` without its developer-note pointers, and the pointers taken out.

    Examples
    --------
    >>> without_notes("falls less than reported (docs/notes/drugs8.md, drugs11.md §3).")
    ('falls less than reported.', ['docs/notes/drugs8.md, drugs11.md §3'])
    >>> without_notes("kept as is, see docs/notes/devices11.md.")
    ('kept as is.', ['docs/notes/devices11.md'])
    >>> without_notes("fails the other two pacing rows (devices11.md). Next")
    ('fails the other two pacing rows. Next', ['devices11.md'])
    >>> without_notes("no note here")
    ('no note here', [])
    """
    found: list[str] = []

    def take(m: re.Match) -> str:
        found.append(m.group(1).strip())
        return ""

    out = _NOTE_REF.sub(take, text)
    out = _BARE_REF.sub(take, out)
    return out, found


def print_minus(text: str) -> str:
    """Hyphens that stand for a minus before a number written as a true minus.

    Examples
    --------
    >>> print_minus("1480 → 1061 mmHg/s (-28 %), β-1, 4-8 krpm, -0.4")
    '1480 → 1061 mmHg/s (−28 %), β-1, 4-8 krpm, −0.4'
    """
    return _MINUS.sub("−", text)
