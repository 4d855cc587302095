"""Application logging to the user's log directory, with identifiers redacted.

:func:`configure_logging` attaches a size-rotated file handler (1 MB × 5 files) under the
platformdirs user log dir (folder 0700, files 0600) to the ``twinviewer`` logger. Every
record passes :class:`RedactingFilter`, which replaces registered identifiers
(:func:`twinviewer.io.privacy.register_identifiers`) in the message, its arguments and any
traceback text by ``[redacted]`` before the record is formatted anywhere.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
from pathlib import Path

from twinviewer.core.atomic import FILE_MODE, private_dir
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
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    logger.setLevel(min(level, logger.level) if logger.level else level)
    return path
