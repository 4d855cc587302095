"""The one exception the imaging pipeline raises for bad input, and how files are named.

Messages never contain patient identifiers: no folder or file name of the study (export
folders are often named after the patient), only short per-run file tags (:func:`shown`),
series numbers and de-identified descriptions, DICOM attribute names, counts and geometry.
Only on the user's screen (:func:`on_screen`) is the file's path below the chosen folder
shown beside its tag, so that the bad file of a large study can be found.
Third-party warnings (pydicom, highdicom) can quote values from a file (UIDs, dates,
names); :func:`private_warnings` reroutes them through a filter that withholds their text.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import mmap
import re
import secrets
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def bounded(path: Path) -> Iterator[io.BufferedIOBase | mmap.mmap]:
    """``path`` opened for pydicom as a memory map: a header that claims an element of
    4 GB then yields what the file holds, where ``open()``'s ``read(n)`` would first
    allocate the n bytes (the 24–80 GiB allocations a fuzzed header caused)."""
    with open(path, "rb") as fh:
        try:
            mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file cannot be mapped; nothing to over-allocate
            yield fh
            return
        with mm:
            yield mm


class ImagingError(ValueError):
    """A file or series that cannot be imported; the message names the file and the problem.

    Messages never contain patient identifiers: files are named by :func:`shown` (no folder
    or file name), series by number and de-identified description.
    """


#: Keys the short tags :func:`shown` gives files: fresh in every process, so a tag names a
#: file within one run's messages and cannot be tested against a guessed folder name.
_TAG_KEY = secrets.token_bytes(16)
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,5}")


#: What each tag of this process names (the path below the chosen folder), for the user's
#: screen only (:func:`on_screen`): held in memory, never logged or written to a file.
_NAMED: dict[str, set[str]] = {}
_NAMED_MAX = 200_000
_named_lock = threading.Lock()
_TAGGED = re.compile(r"file #([0-9a-f]{6})(?: \(\.[A-Za-z0-9]{1,5}\))?")


def on_screen(text: str) -> str:
    """``text`` with each file tag this process gave (:func:`shown`) replaced by the file's
    path below the chosen folder, the tag kept beside it so that the log file's line (which
    keeps the tag only) can be matched. For the user's own screen (status bar, Log panel,
    a terminal): the name may identify the patient, so it never goes to a log file, a saved
    twin or a report. Tags of another run are left as they are.

    Examples
    --------
    >>> t = shown("/data/DOE_JANE/S001/IM0001.dcm", "/data/DOE_JANE")
    >>> on_screen(f"skipped {t}: not a DICOM file").startswith("skipped S001/IM0001.dcm (file #")
    True
    >>> on_screen("skipped file #000000 (.dcm): not a DICOM file")  # not this run's
    'skipped file #000000 (.dcm): not a DICOM file'
    """
    def named(m: re.Match) -> str:
        with _named_lock:
            rels = sorted(_NAMED.get(m.group(1), ()))
        if not rels:
            return m.group(0)
        return f"{' or '.join(rels)} (file #{m.group(1)})"

    return _TAGGED.sub(named, text)


def shown(path: Path | str, root: Path | str | None) -> str:
    """A file as messages name it, without any folder or file name: export folders and
    files are often named after the patient ('19480713_MRN-9988776_Dr Smith/S001/x.dcm').

    The message says ``file #<tag>`` (6 hex digits of a keyed hash of the path below
    ``root``, the same for one file within a run, not comparable across runs) and the
    suffix; callers add the series (number and de-identified description) where known.

    Examples
    --------
    >>> a = shown(Path("/data/DOE_JANE/ct/0001.dcm"), Path("/data/DOE_JANE"))
    >>> a.startswith("file #"), a.endswith("(.dcm)"), "DOE" in a or "ct/" in a
    (True, True, False)
    >>> a == shown("/data/DOE_JANE/ct/0001.dcm", "/data/DOE_JANE")
    True
    """
    path = Path(path)
    rel = path.name
    if root is not None:
        root = Path(root)
        for base in (root, root.parent):  # the chosen folder, or the chosen file's folder
            try:
                rel = path.relative_to(base).as_posix()
                break
            except ValueError:
                continue
    tag = hashlib.blake2b(rel.encode("utf-8", "surrogateescape"), key=_TAG_KEY,
                          digest_size=3).hexdigest()
    with _named_lock:
        if len(_NAMED) < _NAMED_MAX:
            _NAMED.setdefault(tag, set()).add(rel)
    suffix = path.suffix if _SUFFIX.fullmatch(path.suffix) else ""
    return f"file #{tag}" + (f" ({suffix.lower()})" if suffix else "")


_UNSAFE = re.compile(r"['\"`]|\d[\d.]{7,}|\b\d{8}\b|\^")


def safe_detail(exc: BaseException, limit: int = 160) -> str:
    """``'TypeName: message'`` if the message cannot carry a value from the file (no quotes,
    UIDs, 8-digit dates or person-name carets), else only the type name.

    Examples
    --------
    >>> safe_detail(ValueError("Invalid value for VR DA: '19620512'"))
    'ValueError'
    >>> safe_detail(EOFError("unexpected end of file"))
    'EOFError: unexpected end of file'
    """
    text = str(exc)
    if not text or _UNSAFE.search(text):
        return type(exc).__name__
    return f"{type(exc).__name__}: {text[:limit]}"


_THIRD_PARTY = ("pydicom", "highdicom")
_installed = threading.Lock()
_done = False
log = logging.getLogger("twinviewer.imaging")


class _Withhold(logging.Filter):
    """Rewrites a third-party log record so that no value from a file is printed."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = (f"{record.name} reported a {record.levelname.lower()} about a file "
                      "(text withheld: it may quote values from the file)")
        record.args = None
        record.exc_info = record.exc_text = None
        return True


def quiet_vtk() -> None:
    """Keep VTK's warnings off the terminal: its output window's (``GlobalWarningDisplay``)
    and its logger's, which writes lines such as ``vtkXOpenGLRenderWindow.:1452 WARN| bad X
    server connection. DISPLAY=`` to stderr when an off-screen render first tries X
    (review11 #9). Errors still reach the logger's stderr (a render that fails raises and is
    reported in words by its caller). Idempotent.

    Examples
    --------
    >>> quiet_vtk()
    """
    try:
        from vtkmodules.vtkCommonCore import vtkLogger, vtkObject
    except ImportError:  # pragma: no cover - VTK is a dependency, but not needed here
        return
    vtkObject.GlobalWarningDisplayOff()
    vtkLogger.SetStderrVerbosity(vtkLogger.VERBOSITY_ERROR)


def private_warnings() -> None:
    """Withhold the text of pydicom and highdicom warnings and log records (idempotent).

    Python warnings from those packages are ignored (thread-safe: a filter, not
    ``catch_warnings``); their loggers get a filter that rewrites each record to a fixed
    sentence. VTK's output window is silenced where VTK is loaded.
    """
    global _done
    for pkg in _THIRD_PARTY:  # re-added on every call: test runners reset warning filters
        warnings.filterwarnings("ignore", module=rf"{pkg}(\..*)?$")
    # pydicom attributes some warnings to its caller (stacklevel): our readers and the thread
    # pool that runs them
    for caller in (r"twinviewer\.imaging(\..*)?$", r"concurrent\.futures(\..*)?$"):
        warnings.filterwarnings("ignore", category=UserWarning, module=caller)
    with _installed:
        if _done:
            return
        for pkg in _THIRD_PARTY:
            logging.getLogger(pkg).addFilter(_Withhold())
        try:
            from twinviewer.imaging.dicom_stack import pydicom

            # value checks while reading only warn (quoting the value); geometry and size
            # are validated by the readers themselves
            pydicom.config.settings.reading_validation_mode = pydicom.config.IGNORE
        except ImportError:  # pragma: no cover
            pass
        quiet_vtk()
        _done = True
