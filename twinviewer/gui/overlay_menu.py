"""The 3D view's overlay choice ("Colour by") from the registry: the core's overlays and the
plugins'. The core's are computed by the view; a plugin's :class:`~twinviewer.plugins.outputs.
Overlay` is called here with the view's structure, time and ensemble, checked (one finite value
per point), and a failing one disables its plugin with a message naming it.

A plugin's values are computed in a thread of their own within the overlays' time budget
(:func:`~twinviewer.plugins.budget.budget`), shared by the structures of one colouring (one
frame): past it the call is abandoned and stopped (:func:`~twinviewer.plugins.budget.
call_within`), and the plugin is named and disabled as a hung plugin call is
(:meth:`~twinviewer.plugins.registry.Registry.hung`): a slow overlay freezes the window for
the budget once, not for its time on every structure of every frame (fix15e, fix16b). The
thread costs about 0.1–0.5 ms a structure (load 0–11)."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QSignalBlocker, QTimer

from twinviewer.gui import cycle
from twinviewer.plugins.budget import STILL_RUNNING, PluginTimeout, budget, call_within
from twinviewer.plugins.outputs import Overlay, OverlayContext, overlay_values
from twinviewer.plugins.registry import CORE, PluginError, get_registry

#: id(view) → (what the view draws: overlay, time, phase, results, percentile, reference
#: phase; seconds its plugin overlay has taken on it so far): one colouring's structures
#: share the overlays' budget
_spent: dict[int, tuple[tuple, float]] = {}
#: id(view) → (what the view draws; structure → its checked plugin values): one colouring
#: computes a structure once, for its colour limits and its colours alike
_values: dict[int, tuple[tuple, dict[str, np.ndarray | None]]] = {}


def begin_colouring(view) -> None:
    """Start a colouring of ``view`` (one ``_apply_overlay``): a fresh overlays' budget and
    no values kept from the last one, so recolouring a paused frame (opacity, visibility,
    colour map) never adds up to a "hung" plugin (final16 #5)."""
    _spent.pop(id(view), None)
    _values.pop(id(view), None)


def _drawn(view, name: str) -> tuple:
    return (name, float(view.state.time), view.phase, id(view.results),
            getattr(view, "which", None), getattr(view, "ref_phase", None))


def overlay_entries() -> list[tuple[str, str]]:
    """``(name, title)`` of every enabled overlay, core first (manifest order).

    Examples
    --------
    >>> overlay_entries()[:2]  # doctest: +SKIP
    [('none', 'Structure colours'), ('pressure', 'Pressure')]
    """
    return [(c.name, c.display_name) for c in get_registry().contributions("overlays")]


def is_plugin_overlay(name: str) -> bool:
    """Whether ``name`` is an enabled plugin's overlay (not one the view computes)."""
    c = get_registry().find("overlays", name)
    return c is not None and c.plugin != CORE


def fill_overlay_box(view) -> None:
    """(Re)fill the view's overlay combo box from the registry, keeping the choice."""
    box = view.overlay_box
    with QSignalBlocker(box):
        box.clear()
        for name, title in overlay_entries():
            box.addItem(title, name)
        i = box.findData(view.overlay)
        box.setCurrentIndex(max(i, 0))


def add_overlay_actions(window, menu) -> None:
    """View menu: one "Colour by …" action per overlay (Alt+0 … Alt+9 in order)."""
    for n, (name, title) in enumerate(overlay_entries()):
        shown = title if title[1:2].isupper() else title[:1].lower() + title[1:]
        window._act(menu, f"Colour by {shown}",
                    lambda k=name: window.view3d.set_overlay(k),
                    f"Alt+{n}" if n < 10 else None)


def _overlay(name: str) -> Overlay:
    return get_registry().load("overlays", name)


def title(name: str) -> str:
    """The colour bar's title of a plugin overlay: its (short) display name and unit, e.g.
    ``'Wall motion from ED (mm)'``."""
    c = get_registry().find("overlays", name)
    try:
        ov = _overlay(name)
    except PluginError:
        return c.display_name if c is not None else name
    short = c.display_name if c is not None else ov.title
    return f"{short} ({ov.unit})" if ov.unit and ov.unit != "1" else short


def context(view, key: str) -> OverlayContext:
    """The overlay context of structure ``key`` as the view shows it now."""
    poly = view._poly(key, view.phase)
    ref = None
    if key in view.motion:
        m = view.motion[key]
        if view.ref_phase in m.phases:
            ref = m.points[m.phases.index(view.ref_phase)]
    model = None
    twin = view.state.twin
    if twin is not None:
        from twinviewer.twins import model_of

        try:
            model = model_of(twin)
        except Exception:  # noqa: BLE001 - a model that cannot load: overlays get None
            model = None
    return OverlayContext(key, np.asarray(poly.points, dtype=float), ref, view.results,
                          float(view.state.time), cycle.PERCENTILES[view.which], model)


def plugin_values(view, key: str) -> np.ndarray | None:
    """The plugin overlay's values on structure ``key`` (None: not coloured, or failed)."""
    name = view.overlay
    reg = get_registry()
    c = reg.find("overlays", name)
    if c is None:
        return None  # disabled meanwhile
    try:
        overlay = _overlay(name)
        if c.plugin == CORE:
            return overlay_values(overlay, context(view, key))
        drawn = _drawn(view, name)
        kept, done = _values.get(id(view), ((), {}))
        if kept != drawn:
            done = {}
            _values[id(view)] = (drawn, done)
        if key not in done:
            done[key] = _within_budget(view, name, c, overlay, context(view, key))
        return done[key]
    except PluginTimeout as exc:
        view.state.warn(str(exc))
        QTimer.singleShot(0, lambda: _fall_back(view))
        return None
    except Exception as exc:  # noqa: BLE001 - plugin code: any failure disables the plugin
        msg = str(exc) if isinstance(exc, PluginError) else str(reg.failed(
            c.plugin, f"plugin {c.plugin!r}: overlay {name!r} ({c.ref}) failed on {key}: "
                      f"{type(exc).__name__}: {exc}"))
        view.state.warn(msg)
        QTimer.singleShot(0, lambda: _fall_back(view))
        return None


def _within_budget(view, name: str, c, overlay: Overlay, ctx: OverlayContext
                   ) -> np.ndarray | None:
    """Plugin overlay ``overlay``'s checked values on ``ctx`` in a thread of its own, within
    what is left of the overlays' budget for this colouring; past it the plugin is disabled
    (:meth:`~twinviewer.plugins.registry.Registry.hung`) and the error raised."""
    drawn = _drawn(view, name)
    key, spent = _spent.get(id(view), ((), 0.0))
    if key != drawn:
        spent = 0.0
    total = budget("overlays")
    t0 = time.perf_counter()
    try:
        return call_within(overlay_values, (overlay, ctx), seconds=max(total - spent, 1e-3),
                           label=f"overlay {name!r}", stop=True)
    except PluginTimeout as exc:
        still = STILL_RUNNING if str(exc).endswith(STILL_RUNNING) else ""
        raise PluginTimeout(str(get_registry().hung(
            c.plugin, f"plugin {c.plugin!r}: overlay {name!r} ({c.ref}) did not finish "
                      f"within {total:g} s (the overlays' time budget, one colouring of the "
                      f"heart){still}"))) from None
    finally:
        _spent[id(view)] = (drawn, spent + time.perf_counter() - t0)


def _fall_back(view) -> None:
    view.overlay = "none"
    fill_overlay_box(view)
    view.set_overlay("none")


def plugin_limits(view, seen: tuple[float, float] | None) -> tuple[float, float] | None:
    """Colour limits of the plugin overlay shown: its declared ``limits``, else the range of
    the values seen while it is shown (only ever widened, so colours stay comparable)."""
    try:
        ov = _overlay(view.overlay)
    except PluginError:
        return None
    if ov.limits is not None:
        return (float(ov.limits[0]), float(ov.limits[1]))
    lo, hi = seen if seen is not None else (np.inf, -np.inf)
    for key in view.actors:
        v = plugin_values(view, key)
        if v is not None and v.size:
            lo, hi = min(lo, float(v.min())), max(hi, float(v.max()))
    if not np.isfinite(lo):
        return None
    return (lo, hi if hi > lo else lo + 1e-3)
