"""Jobs the calibration helper runs in tests (imported by the helper process by name)."""

from __future__ import annotations


def stuck_in_c(seconds: float, progress=None, cancel=None) -> str:
    """A job stuck in C code that holds the interpreter lock: it never looks at Cancel (and
    the helper's pipe reader cannot run meanwhile)."""
    import ctypes

    if progress is not None:
        progress(0.1, "stuck")
    ctypes.PyDLL(None).sleep(int(seconds))
    return "finished"


def shared_kinds() -> list[str]:
    """What the helper keeps from what the parent shared: the types of the objects."""
    from twinviewer.gui.process_worker import SHARED

    return sorted(type(v).__name__ for v in SHARED.values())


def shared_kind(token: str | None) -> str:
    """The type of the object the parent shared under ``token`` (a KeyError if the helper
    no longer has it)."""
    from twinviewer.gui.process_worker import SHARED

    return type(SHARED[token]).__name__ if token is not None else "none"


def big_arrays(seed: int, n: int) -> list:
    """``n`` what-if-sized waveforms (200 × 200 float64) from ``seed``'s generator."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return [rng.standard_normal((200, 200)) for _ in range(n)]


def disable_in_store(name: str, reason: str) -> dict:
    """What a registry's failure does to the user's plug-in store (``disable``), run in
    the helper; the store's contents as that process then sees them."""
    from twinviewer.plugins.store import PluginStore

    store = PluginStore()
    store.disable(name, reason)
    return store.data
