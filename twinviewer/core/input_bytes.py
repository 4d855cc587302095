"""Reading a file the user gave: its bytes and the name to use in messages."""

from __future__ import annotations

from pathlib import Path


def read_input_bytes(source: str | Path | bytes, error: type[Exception], *, name: str = "",
                     default_name: str = "input") -> tuple[bytes, str]:
    """The bytes of ``source`` and the name that messages about it should use.

    Only the file's own name is used, never its folder (a folder exported from a hospital
    system may carry the patient's name).

    Parameters
    ----------
    source : str, Path or bytes
        A file path, or the content itself.
    error : type of Exception
        Raised (with one argument, the message) when the file cannot be read.
    name : str, default: ''
        Name for messages; default the file's name, or ``default_name`` for bytes.
    default_name : str, default: 'input'
        Name used for bytes given without a name.

    Returns
    -------
    (bytes, str)
        The content and the name.

    Raises
    ------
    error
        ``"<name>: cannot read (<reason>)"`` when the file is missing or unreadable.

    Examples
    --------
    >>> read_input_bytes(b"time,heart_rate", ValueError, default_name="watch.csv")
    (b'time,heart_rate', 'watch.csv')
    >>> read_input_bytes("/no/such/folder/watch.csv", ValueError)
    Traceback (most recent call last):
    ...
    ValueError: watch.csv: cannot read (No such file or directory)
    """
    if isinstance(source, bytes | bytearray):
        return bytes(source), name or default_name
    path = Path(source)
    name = name or path.name
    try:
        return path.read_bytes(), name
    except OSError as exc:
        raise error(f"{name}: cannot read ({exc.strerror or type(exc).__name__})") from None
