"""Application logging to the user's log directory, with identifiers redacted.

:func:`configure_logging` attaches a size-rotated file handler (1 MB × 5 files) under the
platformdirs user log dir (folder 0700, files 0600) to the ``twinviewer`` logger. Every
record passes :class:`RedactingFilter`, which replaces registered identifiers
(:func:`twinviewer.io.privacy.register_identifiers`) in the message, its arguments and any
traceback text by ``[redacted]`` before the record is formatted anywhere; the file's
formatter also takes file paths out of every line (:func:`private_log_text`: a folder's
name may be the patient's). Each record is flushed as it is written, so a killed process
loses nothing already logged. :func:`log_uncaught_exceptions` sends a crash's traceback
there too.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import logging.handlers
import os
import re
import sys
import sysconfig
from pathlib import Path

from twinviewer.core.atomic import FILE_MODE, private_dir
from twinviewer.core.privacy import PATH_MARK, without_paths
from twinviewer.io.privacy import known_identifiers, redact

LOGGER_NAME = "twinviewer"
LOG_FILE = "twinviewer.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def default_log_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_log_dir("twinviewer", appauthor=False))


class RedactingFilter(logging.Filter):
    """Redacts registered identifiers from a record (message, args, exception text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not known_identifiers():
            return True
        message = record.getMessage()
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_REDACTED, _HELD = "[redacted]", "\x1aredacted\x1a"
#: A traceback's source line: ``  File "/…/twinviewer/gui/state.py", line 12, in f``.
_TB_FILE = re.compile(r'^(\s*File ")([^"]+)(", line \d+.*)$')


@functools.cache
def _source_roots() -> tuple[Path, ...]:
    paths = sysconfig.get_paths()
    roots = {Path(__file__).resolve().parents[2],  # the folder holding twinviewer/
             *(Path(paths[k]).resolve() for k in ("purelib", "platlib", "stdlib") if k in paths)}
    return tuple(sorted(roots, key=lambda r: len(r.parts), reverse=True))  # deepest first


def _source_file(path: str) -> str:
    p = Path(path)
    for root in _source_roots():
        if p.is_relative_to(root):
            return p.relative_to(root).as_posix()
    return f"{PATH_MARK}/{p.name}" if p.is_absolute() else path


def private_log_text(text: str) -> str:
    """``text`` as the log file keeps it: file paths replaced by ``<path>``; a traceback's
    source lines keep the file below the Python or TwinViewer folder (``twinviewer/gui/
    state.py``), or only its name (a plugin in the user's folder).

    Examples
    --------
    >>> private_log_text("not saved: cannot write '/home/ann/Doe John/case.twin'")
    "not saved: cannot write '<path>'"
    >>> private_log_text("reading /data/[redacted]/IM1.dcm failed; study of [redacted]")
    'reading <path> failed; study of [redacted]'
    >>> private_log_text('  File "/home/ann/plugins/bad.py", line 3, in run')
    '  File "<path>/bad.py", line 3, in run'
    """
    # an identifier already redacted inside a path ('/data/[redacted]/x.dcm') stays part of
    # the path: brackets end a bare path, which would leave '[redacted]/x.dcm' behind
    text = text.replace(_REDACTED, _HELD)
    out = []
    for line in text.split("\n"):
        m = _TB_FILE.match(line)
        out.append(m.group(1) + _source_file(m.group(2)) + m.group(3) if m
                   else without_paths(line))
    return "\n".join(out).replace(_HELD, _REDACTED)


class _PrivateFormatter(logging.Formatter):
    """Formats a record (message, traceback) and takes the file paths out of it."""

    def format(self, record: logging.LogRecord) -> str:
        return private_log_text(super().format(record))


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Every log file (also each one rotation starts) is created owner-only (0600)."""

    def _open(self):  # noqa: ANN202 - logging's own signature
        stream = super()._open()
        with contextlib.suppress(OSError):
            os.chmod(self.baseFilename, FILE_MODE)
        return stream


def configure_logging(log_dir: Path | None = None, *, level: int = logging.INFO,
                      max_bytes: int = 1_000_000, backups: int = 5) -> Path:
    """Log ``twinviewer.*`` to ``<log_dir>/twinviewer.log`` (rotated), redacting identifiers.

    Calling it again replaces the earlier handler (no duplicated lines).

    Returns
    -------
    Path
        The log file.

    Raises
    ------
    OSError
        Naming the directory, if it cannot be created.
    """
    log_dir = Path(log_dir) if log_dir is not None else default_log_dir()
    try:
        private_dir(log_dir)
    except OSError as exc:
        raise OSError(f"cannot create the log directory {log_dir}: {exc.strerror}") from exc
    path = log_dir / LOG_FILE
    logger = logging.getLogger(LOGGER_NAME)
    for h in list(logger.handlers):
        if getattr(h, "_twinviewer", False):
            logger.removeHandler(h)
            h.close()
    handler = _PrivateRotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups,
                                          encoding="utf-8")
    handler._twinviewer = True  # type: ignore[attr-defined]
    handler.setFormatter(_PrivateFormatter(_FORMAT))
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    logger.setLevel(min(level, logger.level) if logger.level else level)
    return path


def log_uncaught_exceptions() -> None:
    """Log an uncaught exception's traceback (a crash, a slot's error in the GUI) as CRITICAL
    to the ``twinviewer`` logger, then hand it on to the hook installed before.

    Calling it again does not chain a second hook.
    """
    if getattr(sys.excepthook, "_twinviewer", False):
        return
    previous = sys.excepthook

    def hook(kind, value, tb) -> None:  # noqa: ANN001 - sys.excepthook's signature
        if not issubclass(kind, KeyboardInterrupt):
            logging.getLogger(f"{LOGGER_NAME}.crash").critical(
                "uncaught %s", kind.__name__, exc_info=(kind, value, tb))
        previous(kind, value, tb)

    hook._twinviewer = True  # type: ignore[attr-defined]
    sys.excepthook = hook
