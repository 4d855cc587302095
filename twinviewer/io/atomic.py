"""Moved to :mod:`twinviewer.core.atomic` (core: every layer may write files safely).

Kept as an alias so that branches written against the old path still import.
"""

from twinviewer.core.atomic import atomic_write_bytes, private_dir, sweep_temp_files

__all__ = ["atomic_write_bytes", "private_dir", "sweep_temp_files"]
