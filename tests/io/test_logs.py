"""Log files under the user log dir, identifiers redacted."""

from __future__ import annotations

import logging

from twinviewer.imaging.demo import DEMO_IDENTIFIERS
from twinviewer.io.logs import configure_logging, default_log_dir
from twinviewer.io.privacy import register_identifiers


def test_log_redacts_message_args_and_traceback(tmp_path):
    path = configure_logging(tmp_path / "logs")
    register_identifiers(DEMO_IDENTIFIERS.values())
    log = logging.getLogger("twinviewer.test")
    log.warning("cannot read study of %s (%s)", "DOE^JANE^DEMO", "DEMO-12345")
    try:
        raise ValueError("bad file of Jane Doe at Demo General Hospital")
    except ValueError:
        log.exception("import failed for MRN-DEMO-24680")
    for h in logging.getLogger("twinviewer").handlers:
        h.flush()
    text = path.read_text()
    assert "cannot read study of [redacted] ([redacted])" in text
    assert "ValueError: bad file of [redacted] at [redacted]" in text
    for value in ("DOE", "JANE", "DEMO-12345", "MRN-DEMO-24680", "Demo General Hospital"):
        assert value.lower() not in text.lower().replace("[redacted]", "")


def test_configure_twice_does_not_duplicate(tmp_path):
    configure_logging(tmp_path / "a")
    path = configure_logging(tmp_path / "b", max_bytes=200, backups=2)
    log = logging.getLogger("twinviewer.test2")
    for i in range(40):
        log.info("line %d of the rotation test", i)
    ours = [h for h in logging.getLogger("twinviewer").handlers if getattr(h, "_twinviewer",
                                                                           False)]
    assert len(ours) == 1
    assert (path.parent / "twinviewer.log.1").exists() and not (
        path.parent / "twinviewer.log.3").exists()


def test_default_dir_is_user_log_dir(tmp_path):
    assert str(default_log_dir()).startswith(str(tmp_path / "xdg-state"))


def test_log_folder_and_files_are_private(tmp_path):
    import logging
    import stat

    from twinviewer.io.logs import configure_logging

    path = configure_logging(tmp_path / "logs", max_bytes=200, backups=2)
    log = logging.getLogger("twinviewer.test")
    for i in range(20):  # several rotations
        log.warning("line %d %s", i, "x" * 40)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    files = list(path.parent.iterdir())
    assert len(files) >= 2
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
