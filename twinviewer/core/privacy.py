"""Identifying values seen in this process, so every writer can redact them.

De-identification (:mod:`twinviewer.imaging.deid`) registers what it strips from each
header; the .twin writer, the audit trail, reports and the log filter
(:mod:`twinviewer.io.privacy`) redact every registered value from the text they write. Kept
in ``core`` (no dependencies) because both the reading and the writing side use it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

_lock = threading.Lock()
_known: set[str] = set()


def register_identifiers(values: Iterable[str]) -> None:
    """Remember identifying values (names, ids, dates) so they are redacted wherever we write."""
    with _lock:
        _known.update(str(v) for v in values if v is not None and len(str(v).strip()) >= 3)


def clear_identifiers() -> None:
    """Forget all registered identifiers (tests, or when a study is closed)."""
    with _lock:
        _known.clear()


def known_identifiers() -> frozenset[str]:
    """The identifying values registered so far."""
    with _lock:
        return frozenset(_known)


#: A path inside quotes (may hold spaces): POSIX absolute, home-relative, Windows or UNC.
_QUOTED_PATH = re.compile(r"""(['"])(?:/|~[/\\]|[A-Za-z]:[/\\]|\\\\|file://)[^'"\n]*\1""")
#: An unquoted path token: not a unit ("mL/s", "120/80": a word character precedes the slash).
_STOP = r"""[^\s'"<>|,;()\[\]]"""
_BARE_PATH = re.compile(r"""(?<![\w)\].\-/\\~])(?:file://\S*|~[/\\]""" + _STOP + "*|"
                        r"""[A-Za-z]:[/\\]""" + _STOP + r"""*|\\\\""" + _STOP + "+|"
                        r"""/[\w.~@+\-]""" + _STOP + "*)")

#: What a path is replaced by.
PATH_MARK = "<path>"


def without_paths(text: str) -> str:
    """``text`` with file paths (absolute, home-relative, Windows, UNC, ``file://``) replaced
    by :data:`PATH_MARK`: a folder's name may be the patient's, and a home folder names the
    user. For text we did not write (a plugin's exception) before it is stored or shown.

    Examples
    --------
    >>> without_paths("[Errno 2] No such file or directory: '/home/ann/Doe John/x.dcm'")
    "[Errno 2] No such file or directory: '<path>'"
    >>> without_paths(r"cannot read C:\\Users\\ann\\study at ~/scans/doe, flow 5 L/min, 120/80")
    'cannot read <path> at <path>, flow 5 L/min, 120/80'
    """
    text = _QUOTED_PATH.sub(lambda m: m.group(1) + PATH_MARK + m.group(1), text)
    return _BARE_PATH.sub(PATH_MARK, text)


#: Notes of earlier versions named a skipped file by its path below the study folder, whose
#: folder names may be the patient's ('skipped DOE_JANE_19480713/S001/notes.txt: ...').
_OLD_SKIPPED = re.compile(r"^skipped (?!file #)(.+?)(?=: )")
_OLD_FILE = re.compile(r"^(?!file #)[^:\s][^:]*/[^:]*?\.[A-Za-z][A-Za-z0-9]{0,4}(?=: )|"
                       r"(?<![\w#])[^\s:/'\"]+\.dcm(?= in series )")


def without_study_paths(note: str) -> str:
    """An import note of an earlier version without the file's path below the study folder
    (its folder names may identify the patient): the file becomes 'a file'. For notes read
    from old .twin files; today's notes name files by a tag (``file #3fa91c``).

    Examples
    --------
    >>> without_study_paths("skipped 19480713_Dr Hibbert_X/S001/notes.txt: not a DICOM file")
    'skipped a file: not a DICOM file'
    >>> without_study_paths("DOE JANE/seg.dcm: segmentation of a phase left out; not used")
    'a file: segmentation of a phase left out; not used'
    >>> without_study_paths("skipped file #3fa91c (.txt): not a DICOM file")
    'skipped file #3fa91c (.txt): not a DICOM file'
    >>> without_study_paths("LV/RV volumes: from the labels")
    'LV/RV volumes: from the labels'
    >>> without_study_paths("ED/ES set from LV blood volume (largest/smallest): phases (0, 9)")
    'ED/ES set from LV blood volume (largest/smallest): phases (0, 9)'
    """
    text = _OLD_SKIPPED.sub("skipped a file", note)
    return without_paths(_OLD_FILE.sub("a file", text))
